package dev.kiln.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report turns JMH JSON into GFLOPS with the same-run anchor ratio, GB/s and samples/s. */
class ReportTest {
    private static String result(String bench, String params, double score, double error) {
        return "{\"jmhVersion\":\"1.37\",\"benchmark\":\"dev.kiln.bench." + bench + "\",\"mode\":\"avgt\","
                + "\"threads\":1,\"forks\":1,\"jvm\":\"java\",\"jvmArgs\":[\"--add-modules\",\"jdk.incubator.vector\"],"
                + "\"jdkVersion\":\"17\",\"vmName\":\"OpenJDK\",\"vmVersion\":\"17\",\"warmupIterations\":3,"
                + "\"warmupTime\":\"1 s\",\"measurementIterations\":5,\"measurementTime\":\"1 s\",\"params\":{" + params
                + "},\"primaryMetric\":{\"score\":" + score + ",\"scoreError\":" + error + ",\"scoreUnit\":\"us/op\"}}";
    }

    @Test
    void gemmRatiosOpsAndTrainingStep(@TempDir Path dir) throws Exception {
        String json = "[" + String.join(",",
                // 2 * 1024^3 flops in 21474.8 us = 100 GFLOPS; the cpu backend at 10737.4 us = 200 GFLOPS
                result("GemmBenchmark.gemm", "\"backend\":\"openblas\",\"size\":\"1024\",\"threads\":\"1\"", 21474.8, 0),
                result("GemmBenchmark.gemm", "\"backend\":\"cpu\",\"size\":\"1024\",\"threads\":\"1\"", 10737.4, 107.4),
                result("OpBenchmark.relu", "\"backend\":\"cpu\",\"elements\":\"1000000\"", 1000, 10),
                result("MemoryBandwidthBenchmark.copy", "\"elements\":\"1000000\"", 500, 5),
                result("TrainStepBenchmark.step", "\"backend\":\"cpu\",\"batch\":\"64\",\"optimizer\":\"sgd\","
                        + "\"threads\":\"1\"", 320, 3)) + "]";
        Report r = Report.parse(json);
        assertEquals(5, r.rows().size());
        assertEquals(200, r.rows().get(1).value(), 0.1);
        assertEquals(2.0, r.rows().get(1).valueError(), 0.01);
        assertEquals(8.0, r.rows().get(2).value(), 1e-9, "relu moves 8 bytes per element: 8 GB/s");
        assertEquals(200_000, r.rows().get(4).value(), 1, "64 samples in 320 us");
        r.write(dir);
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("| cpu | 1 | 1024 | 200 ± 2.00 | 2.00× |"), md);
        assertTrue(md.contains("50%"), "relu at 8 GB/s is half the 16 GB/s copy bound: " + md);
        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("<svg") && html.contains("GFLOPS vs size"), html);
        assertTrue(!html.contains("http://") || html.contains("http://www.w3.org/2000/svg"), "nothing fetched");
    }

    @Test
    void rejectsWhatIsNotJmhOutput() {
        assertThrows(IllegalArgumentException.class, () -> Report.parse("{\"not\":\"jmh\"}"));
    }
}
