package dev.kiln.bench;

import dev.kiln.core.Backend;
import dev.kiln.core.BackendUnavailableException;
import dev.kiln.core.Backends;

/** Opens Kiln backends for benchmarks; an unavailable one is skipped with its reason, never faked. */
final class BenchBackends {
    private BenchBackends() {
    }

    /** Thrown from a JMH setup to skip a parameter combination; JMH prints the message and records no result. */
    static final class Skipped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Skipped(String message) {
            super("SKIPPED: " + message, null, false, false);
        }
    }

    /**
     * Opens {@code name} (cpu, opencl, cuda, opencl-portable, cuda-portable). {@code threads} sets the CPU backend's pool size and
     * must be 1 for GPU backends, whose thread count is not a parameter.
     */
    static Backend open(String name, int threads) {
        // "opencl-portable" / "cuda-portable": that backend with GEMM on Kiln's own tiled kernel
        // instead of CLBlast / cuBLAS, so both are measured in one run.
        if (name.endsWith("-portable")) {
            String base = name.substring(0, name.length() - "-portable".length());
            System.setProperty("kiln." + base + ".gemm", "portable");
            name = base;
        }
        if (!name.equals("cpu") && threads != 1) {
            throw new Skipped("the threads parameter applies to cpu and openblas only; " + name + " runs with threads=1");
        }
        if (name.equals("cpu")) {
            System.setProperty("kiln.cpu.threads", Integer.toString(threads));
        }
        if (name.equals("openblas")) {
            throw new Skipped("openblas is the GEMM anchor only");
        }
        try {
            return Backends.open(name);
        } catch (BackendUnavailableException e) {
            System.err.println("SKIPPED backend " + name + ": " + e.reason());
            throw new Skipped("backend " + name + " unavailable: " + e.reason());
        }
    }

    /** Deterministic pseudo-random floats in [-1, 1). */
    static float[] random(int n, long seed) {
        float[] a = new float[n];
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }
}
