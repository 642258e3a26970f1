package dev.kiln.nn;

/**
 * The seeded random generator behind every random choice in nn (weight initialisation,
 * shuffling): SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014), written out here so that its sequence is fixed by this file and not
 * by a JDK version, and so that its whole state is one {@code long} that a checkpoint can store.
 *
 * <p>{@link #nextFloat()} takes the top 24 bits of the next 64-bit output, giving every float in
 * {@code [0, 1)} on the grid {@code k * 2^-24}. Not thread-safe; not for cryptography.
 */
public final class Rng {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private long state;

    /** A generator whose sequence is fixed by {@code seed}. */
    public Rng(long seed) {
        this.state = seed;
    }

    /** The whole state; {@code new Rng(rng.state())} continues the same sequence. */
    public long state() {
        return state;
    }

    /** The next 64 random bits. */
    public long nextLong() {
        long z = (state += GOLDEN);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A float uniform in {@code [0, 1)}. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** A float uniform in {@code [lo, hi)} (up to rounding at {@code hi}). */
    public float uniform(float lo, float hi) {
        return lo + (hi - lo) * nextFloat();
    }

    /** An int uniform in {@code [0, bound)}, without modulo bias (Lemire's method). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        long r = (nextLong() >>> 32) * bound;
        long low = r & 0xFFFFFFFFL;
        if (low < bound) {
            long threshold = (0x1_0000_0000L - bound) % bound;
            while (low < threshold) {
                r = (nextLong() >>> 32) * bound;
                low = r & 0xFFFFFFFFL;
            }
        }
        return (int) (r >>> 32);
    }

    /** Shuffles {@code a} in place (Fisher-Yates). */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
