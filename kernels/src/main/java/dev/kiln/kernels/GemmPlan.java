package dev.kiln.kernels;

/**
 * Which of the portable GEMM kernels ({@code gemm.kc}) a GPU backend runs for a product, shared by
 * the CUDA and OpenCL backends. Every choice is a function of the shape (and the build's tile
 * size) only, never of the device, so that a product is summed in the same order, with the same
 * rounding, on every GPU that runs these kernels.
 *
 * <ul>
 *   <li>split-K ({@code gemm_tiled_split} + {@code gemm_split_reduce}) for fewer than
 *       {@value #SPLIT_MAX_TILES} tiles of C over {@code k >= }{@value #SPLIT_MIN_K}: a batch of 64
 *       through a 784-wide layer has two 64x64 tiles, which would keep two multiprocessors busy;
 *   <li>{@code gemm_big} (128x128 tiles) from {@value #BIG_MIN_TILES} such tiles (512 x 512) up;
 *   <li>{@code gemm_tiled} otherwise.
 * </ul>
 *
 * Measured on an H200 (docs/gpu.md): split-K took layer 1 at batch 64 from 91 to 20-32 us;
 * {@code gemm_big} beats {@code gemm_tiled} from 512 x 512 up (3.4 against 8.5 ms at 4096) and ties
 * below.
 */
public final class GemmPlan {
    /** Split-K is considered from this inner dimension up, and below this many tiles of C. */
    public static final int SPLIT_MIN_K = 256;
    public static final int SPLIT_MAX_TILES = 64;
    /** Each split covers at least this much of k; the splits aim at this many blocks in all. */
    public static final int SPLIT_MIN_CHUNK = 32;
    public static final int SPLIT_TARGET_BLOCKS = 256;
    /** The k-step of gemm_tiled (GEMM_TK): a split's range is a multiple of it. */
    public static final int K_STEP = 16;
    /** gemm_big: work-items per work-group, and the edge of its square tile of C. */
    public static final int BIG_THREADS = 256;
    public static final int BIG_TILE = 128;
    /** gemm_big's local memory: two 16 x 132 float tiles. */
    public static final long BIG_LOCAL_BYTES = 2L * 16 * (BIG_TILE + 4) * 4;
    /** gemm_big takes over from this many of its tiles of C (a 512 x 512 product) up. */
    public static final int BIG_MIN_TILES = 16;

    private GemmPlan() {
    }

    /** How many k-splits {@code gemm_tiled_split} uses for this shape with tiles of {@code tile}; 1 means no split. */
    public static int splits(int m, int n, int k, int tile) {
        long tiles = (long) ceilDiv(m, tile) * ceilDiv(n, tile);
        if (k < SPLIT_MIN_K || tiles >= SPLIT_MAX_TILES) {
            return 1;
        }
        int splits = (int) Math.min(ceilDiv(k, SPLIT_MIN_CHUNK), ceilDiv(SPLIT_TARGET_BLOCKS, (int) tiles));
        return splits < 2 ? 1 : ceilDiv(k, chunk(k, splits));
    }

    /** The k-range of each of {@code splits} splits: k / splits rounded up to a multiple of {@link #K_STEP}. */
    public static int chunk(int k, int splits) {
        return ceilDiv(ceilDiv(k, Math.max(1, splits)), K_STEP) * K_STEP;
    }

    /**
     * The k-range per split when {@code gemm_tiled_split} runs this product: {@link #splits}'s, or
     * two splits where the plan would not split (the kernel called directly, by tests and
     * benchmarks). The number of splits is then {@code ceil(k / chunk)}.
     */
    public static int splitChunk(int m, int n, int k, int tile) {
        return chunk(k, Math.max(2, splits(m, n, k, tile)));
    }

    /** Whether {@code gemm_big} runs this product (when split-K does not). */
    public static boolean big(int m, int n) {
        return m >= BIG_TILE && n >= BIG_TILE && (long) ceilDiv(m, BIG_TILE) * ceilDiv(n, BIG_TILE) >= BIG_MIN_TILES;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
