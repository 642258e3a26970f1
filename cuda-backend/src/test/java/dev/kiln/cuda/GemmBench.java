package dev.kiln.cuda;

import dev.kiln.core.DType;
import dev.kiln.core.json.Json;
import dev.kiln.core.spi.ProbeResult;
import dev.kiln.testkit.GemmTiming;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A short GEMM timing run for the GPU bundle (JMH-free, so it fits in the bundle's test classes):
 * the portable kernels ({@code gemm_tiled}, {@code gemm_big}, split-K), the engine's choice, and
 * cuBLAS where it loads; the MNIST MLP's shapes and squares 256..8192; median of a few timed
 * repetitions after warm-up, synchronised on the stream; each result compared with the first
 * kernel's (max abs difference, up to 2048 x 2048); and the host time of one kernel launch, with the
 * argument slot buffer and with a JCuda Pointer per argument.
 * Writes JSON to the first argument.
 * Exit status 0 when it ran, 3 when CUDA is unavailable (the JSON then holds the reason).
 *
 * <p>Run: {@code java -cp ... dev.kiln.cuda.GemmBench OUT.json [reps]}; {@code -Dkiln.bench.impls=a,b}
 * keeps only those of gemm_tiled, gemm_big, gemm_tiled_split, portable, cublas.
 */
public final class GemmBench {
    private GemmBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: GemmBench OUT.json [reps]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("benchmark", "gemm");
        ProbeResult probe = new CudaBackendProvider().probe();
        doc.put("available", probe.isAvailable());
        doc.put("details", probe.details());
        if (!probe.isAvailable()) {
            doc.put("reason", probe.reason());
            write(out, doc);
            System.out.println("GEMM benchmark: CUDA unavailable: " + probe.reason());
            System.exit(3);
        }
        List<Object> results = new ArrayList<>();
        try (CudaEngine e = (CudaEngine) new CudaBackendProvider().open(probe.devices().get(0))) {
            doc.put("device", probe.devices().get(0).name());
            doc.put("kernels", e.kernelOrigin());
            doc.put("gemm", e.gemmImplementation());
            // The MNIST MLP's products at batch 64 and 512, then squares 256..8192.
            int[][] shapes = {{64, 128, 784}, {64, 64, 128}, {64, 10, 64}, {128, 784, 64}, {512, 128, 784},
                {128, 784, 512}, {256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}, {2048, 2048, 2048},
                {4096, 4096, 4096}, {8192, 8192, 8192}};
            boolean cublas = e.gemmImplementation().startsWith("cuBLAS");
            List<String> impls = new ArrayList<>(List.of("gemm_tiled", "gemm_big", "gemm_tiled_split", "portable"));
            if (cublas) {
                impls.add("cublas");
            }
            String only = System.getProperty("kiln.bench.impls");  // e.g. gemm_tiled,cublas
            if (only != null) {
                impls.retainAll(List.of(only.split(",")));
            }
            for (int[] s : shapes) {
                float[] first = null;
                for (String impl : impls) {
                    Map<String, Object> r = time(e, impl, s[0], s[1], s[2], reps);
                    float[] c = (float[]) r.remove("c");
                    if (first == null) {
                        first = c;
                    } else if (c != null) {
                        r.put("max_abs_diff_vs_" + impls.get(0), maxAbsDiff(first, c));
                    }
                    results.add(r);
                    System.out.println(Json.write(r));
                }
            }
            boolean slots = e.argSlotsEnabled;
            for (boolean mode : new boolean[] {false, true}) {
                e.argSlotsEnabled = mode;
                doc.put(mode ? "launch_us" : "launch_us_pointers", launchMicros(e));
            }
            e.argSlotsEnabled = slots;
            System.out.println("{\"launch_us\": " + doc.get("launch_us") + ", \"launch_us_pointers\": "
                    + doc.get("launch_us_pointers") + "}");
        }
        doc.put("results", results);
        write(out, doc);
    }

    /** Host time per kernel launch: 20,000 launches of a 64-element kernel, then one sync. */
    private static double launchMicros(CudaEngine e) {
        CudaBuffer x = e.allocate(DType.F32, 64);
        try {
            e.fill(x, 1f, 64);
            double best = Double.MAX_VALUE;
            for (int rep = 0; rep < 5; rep++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < 20_000; i++) {
                    e.scale(x, 1f, 64);
                }
                e.synchronize();
                best = Math.min(best, (System.nanoTime() - t0) / 1e3 / 20_000);
            }
            return best;
        } finally {
            e.free(x);
        }
    }

    private static double maxAbsDiff(float[] x, float[] y) {
        double d = 0;
        for (int i = 0; i < x.length; i++) {
            d = Math.max(d, Math.abs((double) x[i] - y[i]));
        }
        return d;
    }

    private static Map<String, Object> time(CudaEngine e, String impl, int m, int n, int k, int reps) {
        GemmTiming.Gemm g = switch (impl) {
            case "cublas" -> (mm, nn, kk, a, b, c) -> e.gemm(false, false, mm, nn, kk, 1f, a, b, 0f, c);
            case "gemm_tiled" -> (mm, nn, kk, a, b, c) -> e.tiledGemm(false, false, mm, nn, kk, 1f, a, b, 0f, c);
            case "gemm_big" -> (mm, nn, kk, a, b, c) -> e.bigGemm(false, false, mm, nn, kk, 1f, a, b, 0f, c);
            case "gemm_tiled_split" -> (mm, nn, kk, a, b, c) -> e.splitGemm(false, false, mm, nn, kk, 1f, a, b, 0f, c);
            default -> (mm, nn, kk, a, b, c) -> e.portableGemm(false, false, mm, nn, kk, 1f, a, b, 0f, c);
        };
        // Results up to 2048 x 2048 come back, to compare the implementations.
        return GemmTiming.time(e, impl, g, m, n, k, reps, (long) m * n <= 2048L * 2048);
    }

    private static void write(Path out, Map<String, Object> doc) throws Exception {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(out, Json.pretty(doc) + "\n", StandardCharsets.UTF_8);
    }
}
