package dev.kiln.testkit;

import dev.kiln.core.DType;
import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceBuffer;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Times one GEMM implementation of an engine, for the GPU bundle's JMH-free benchmarks (the CUDA
 * backend's GemmBench, the OpenCL backend's OpenClGemmBench): C = A B, row-major, operands random
 * in [-0.5, 0.5) from a fixed seed; three warm-up products, then {@code reps} samples, each ended
 * by {@link ComputeEngine#synchronize()}; products under 50 MFLOP are timed 50 to a sample.
 */
public final class GemmTiming {
    /** One product into {@code c} through the implementation under test. */
    public interface Gemm {
        void run(int m, int n, int k, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c);
    }

    private GemmTiming() {
    }

    /**
     * impl, m, n, k, median_ms, min_ms and gflops; with {@code keepResult}, also "c": the result
     * as a float[] (for comparing implementations; remove it before writing JSON).
     */
    public static Map<String, Object> time(ComputeEngine e, String impl, Gemm gemm, int m, int n, int k, int reps,
                                           boolean keepResult) {
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
            int inner = (long) m * n * k < 50_000_000L ? 50 : 1;
            for (int i = 0; i < 3; i++) {
                gemm.run(m, n, k, da, db, dc);
            }
            e.synchronize();
            double[] ms = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < inner; i++) {
                    gemm.run(m, n, k, da, db, dc);
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
            if (keepResult) {
                float[] c = new float[m * n];
                e.download(dc, 0, c, 0, c.length);
                r.put("c", c);
            }
            return r;
        } finally {
            e.free(da);
            e.free(db);
            e.free(dc);
        }
    }
}
