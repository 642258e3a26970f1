package dev.kiln.opencl;

import dev.kiln.core.DType;
import dev.kiln.core.json.Json;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.DeviceType;
import dev.kiln.core.spi.ProbeResult;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A short GEMM timing run on an OpenCL device, for the GPU bundle (JMH-free, like the CUDA
 * backend's GemmBench): CLBlast where it loads and the portable kernels (gemm_tiled, gemm_big,
 * split-K, and the engine's choice), on the MNIST MLP's shapes and squares 256..8192; median of
 * timed repetitions after warm-up, each ended by a sync. Takes the first GPU, else the first
 * device (on which only products up to 512 x 512 x 512 run). Exit status 0 when it ran, 3 when OpenCL is unavailable.
 *
 * <p>Run: {@code java -cp ... dev.kiln.opencl.OpenClGemmBench OUT.json [reps]}
 */
public final class OpenClGemmBench {
    private OpenClGemmBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: OpenClGemmBench OUT.json [reps]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("benchmark", "gemm-opencl");
        OpenClBackendProvider provider = new OpenClBackendProvider();
        ProbeResult probe = provider.probe();
        if (!probe.isAvailable()) {
            doc.put("reason", probe.reason());
            Files.writeString(out, Json.pretty(doc) + "\n", StandardCharsets.UTF_8);
            System.out.println("OpenCL unavailable: " + probe.reason());
            System.exit(3);
        }
        DeviceInfo dev = probe.devices().stream().filter(d -> d.type() == DeviceType.GPU).findFirst()
                .orElse(probe.devices().get(0));
        doc.put("device", dev.spec() + " " + dev.name());
        doc.put("properties", dev.properties());
        int[][] shapes = {{64, 128, 784}, {64, 10, 64}, {512, 128, 784}, {128, 784, 512}, {256, 256, 256},
            {512, 512, 512}, {1024, 1024, 1024}, {2048, 2048, 2048}, {4096, 4096, 4096}, {8192, 8192, 8192}};
        List<Object> results = new ArrayList<>();
        try (OpenClEngine portable = provider.open(dev, new OpenClEngine.Options(OpenClEngine.GemmPath.PORTABLE, null));
             OpenClEngine clblast = ClBlastGemm.load() == null
                     ? provider.open(dev, new OpenClEngine.Options(OpenClEngine.GemmPath.CLBLAST, null)) : null) {
            doc.put("clblast", clblast == null ? "unavailable: " + ClBlastGemm.load() : clblast.gemmImplementation());
            for (int[] s : shapes) {
                if (dev.type() != DeviceType.GPU && (long) s[0] * s[1] * s[2] > 1L << 27) {
                    continue;  // a CPU driver (POCL) takes seconds per product from 512^3 up
                }
                List<String> impls = new ArrayList<>(List.of("gemm_tiled", "gemm_tiled_split", "portable"));
                if (portable.bigGemmFits()) {
                    impls.add(1, "gemm_big");
                }
                if (clblast != null) {
                    impls.add("clblast");
                }
                for (String impl : impls) {
                    OpenClEngine e = impl.equals("clblast") ? clblast : portable;
                    Map<String, Object> r = time(e, impl, s[0], s[1], s[2], reps);
                    results.add(r);
                    System.out.println(Json.write(r));
                }
            }
        }
        doc.put("results", results);
        Files.writeString(out, Json.pretty(doc) + "\n", StandardCharsets.UTF_8);
    }

    private static Map<String, Object> time(OpenClEngine e, String impl, int m, int n, int k, int reps) {
        Random rnd = new Random(1);
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextFloat() - 0.5f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = rnd.nextFloat() - 0.5f;
        }
        DeviceBuffer da = e.allocate(DType.F32, a.length);
        DeviceBuffer db = e.allocate(DType.F32, b.length);
        DeviceBuffer dc = e.allocate(DType.F32, m * n);
        try {
            e.upload(a, 0, da, 0, a.length);
            e.upload(b, 0, db, 0, b.length);
            Runnable op = switch (impl) {
                case "gemm_tiled" -> () -> e.tiledGemm(false, false, m, n, k, 1f, da, db, 0f, dc);
                case "gemm_big" -> () -> e.bigGemm(false, false, m, n, k, 1f, da, db, 0f, dc);
                case "gemm_tiled_split" -> () -> e.splitGemm(false, false, m, n, k, 1f, da, db, 0f, dc);
                case "portable" -> () -> e.portableGemm(false, false, m, n, k, 1f, da, db, 0f, dc);
                default -> () -> e.gemm(false, false, m, n, k, 1f, da, db, 0f, dc);
            };
            int inner = (long) m * n * k < 50_000_000L ? 50 : 1;
            for (int i = 0; i < 3; i++) {
                op.run();
            }
            e.synchronize();
            double[] ms = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < inner; i++) {
                    op.run();
                }
                e.synchronize();
                ms[r] = (System.nanoTime() - t0) / 1e6 / inner;
            }
            Arrays.sort(ms);
            double median = ms[reps / 2];
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("impl", impl);
            r.put("m", m);
            r.put("n", n);
            r.put("k", k);
            r.put("median_ms", median);
            r.put("min_ms", ms[0]);
            r.put("gflops", 2.0 * m * n * k / (median * 1e6));
            return r;
        } finally {
            e.free(da);
            e.free(db);
            e.free(dc);
        }
    }
}
