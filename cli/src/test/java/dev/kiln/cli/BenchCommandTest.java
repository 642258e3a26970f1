package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchCommandTest {
    /** JMH's forks inherit the host JVM's options: native access is granted there on JDK 22+. */
    @Test
    void nativeAccessIsGrantedToTheJmhJvmOnJdk22AndLater() {
        Path jar = Path.of("b.jar");
        assertEquals(List.of("java", "-jar", jar.toString()), BenchCommand.jmhCommand("java", 17, jar));
        assertEquals(List.of("java", "-jar", jar.toString()), BenchCommand.jmhCommand("java", 21, jar));
        assertEquals(List.of("/j/bin/java", "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString()),
                BenchCommand.jmhCommand("/j/bin/java", 25, jar));
    }

    /** Without a device backend: GEMM (CPU and OpenBLAS), the step (CPU), ops and bandwidth (CPU); nothing that only skips. */
    @Test
    void theShortSelectionRunsOnlyWhatCanRun() {
        List<List<String>> cpuOnly = BenchCommand.shortRuns(List.of());
        assertEquals(3, cpuOnly.size());
        assertTrue(cpuOnly.get(0).contains("backend=cpu,openblas") && cpuOnly.get(0).contains("threads=1,2"));
        assertTrue(cpuOnly.get(1).contains("backend=cpu") && cpuOnly.get(1).contains("threads=1,2"));
        assertTrue(cpuOnly.get(2).contains("backend=cpu"));
        for (List<String> run : cpuOnly) {
            assertFalse(String.join(" ", run).contains("opencl") || String.join(" ", run).contains("cuda"), run.toString());
        }
        List<List<String>> gpus = BenchCommand.shortRuns(List.of("opencl", "cuda"));
        assertEquals(4, gpus.size());
        List<String> device = gpus.get(2);
        assertTrue(device.contains("backend=opencl,cuda") && device.contains("threads=1"), device.toString());
        assertTrue(gpus.get(3).contains("backend=cpu,opencl,cuda"), gpus.get(3).toString());
        for (List<String> run : gpus.subList(1, 4)) {
            assertFalse(String.join(" ", run).contains("openblas"), "OpenBLAS is the GEMM anchor only: " + run);
        }
    }

    @Test
    void jmhResultFilesMergeIntoOneArray() {
        String merged = BenchCommand.mergeJsonArrays(List.of("[\n  {\"a\": 1}\n]\n", "[ ]", "[{\"b\": [2]}]"));
        assertEquals("[\n{\"a\": 1},\n{\"b\": [2]}\n]\n", merged);
        assertEquals("[]\n", BenchCommand.mergeJsonArrays(List.of("[]")));
        assertThrows(IllegalArgumentException.class, () -> BenchCommand.mergeJsonArrays(List.of("{}")));
    }
}
