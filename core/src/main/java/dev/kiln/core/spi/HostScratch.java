package dev.kiln.core.spi;

/**
 * Per-thread host arrays for the SPI's default methods, so that a default that stages data on the
 * host (like {@link ComputeEngine#uploadUnsignedBytes}) allocates nothing once warm. Bounded: a
 * default works through its data in chunks of at most {@link #CHUNK} values.
 */
final class HostScratch {
    /** Values per chunk: 64 Ki floats, 256 KiB per thread at most. */
    static final int CHUNK = 1 << 16;

    private static final ThreadLocal<float[]> FLOATS = new ThreadLocal<>();

    private HostScratch() {
    }

    /** This thread's float array of at least {@code n} values ({@code n <= CHUNK}). */
    static float[] floats(int n) {
        float[] a = FLOATS.get();
        if (a == null || a.length < n) {
            a = new float[Math.max(n, Math.min(CHUNK, 4096))];
            FLOATS.set(a);
        }
        return a;
    }
}
