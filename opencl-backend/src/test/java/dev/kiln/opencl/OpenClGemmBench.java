package dev.kiln.opencl;

import dev.kiln.core.json.Json;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.DeviceType;
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
        GemmTiming.Gemm g = switch (impl) {
            case "gemm_tiled" -> (mm, nn, kk, a, b, c) -> e.tiledGemm(false, false, mm, nn, kk, 1f, a, b, 0f, c);
            case "gemm_big" -> (mm, nn, kk, a, b, c) -> e.bigGemm(false, false, mm, nn, kk, 1f, a, b, 0f, c);
            case "gemm_tiled_split" -> (mm, nn, kk, a, b, c) -> e.splitGemm(false, false, mm, nn, kk, 1f, a, b, 0f, c);
            case "portable" -> (mm, nn, kk, a, b, c) -> e.portableGemm(false, false, mm, nn, kk, 1f, a, b, 0f, c);
            default -> (mm, nn, kk, a, b, c) -> e.gemm(false, false, mm, nn, kk, 1f, a, b, 0f, c);
        };
        return GemmTiming.time(e, impl, g, m, n, k, reps, false);
    }
}
