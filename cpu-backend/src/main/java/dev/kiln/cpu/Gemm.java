package dev.kiln.cpu;

/**
 * Single-precision GEMM, {@code C = alpha op(A) op(B) + beta C}, row-major, BLIS-style.
 *
 * <p>op(A) and op(B) are packed once into micro-panels (transposition is absorbed by the
 * packing), K is cut into equal blocks of at most {@link #KC_MAX}, and C is cut into blocks that
 * the worker threads compute independently with the micro-kernel. Each C element is reduced over
 * K in the same order whatever the blocking of M and N and the number of threads: the K blocking
 * depends on K alone, so results do not depend on the thread count.
 *
 * <p>An instance keeps its packing buffers between calls; it is used by one thread at a time.
 */
final class Gemm {
    /** Largest K block: a packed A micro-panel (MR x KC) stays in L1, a B block (KC x NC) in L2. */
    static final int KC_MAX = 384;
    /** Preferred C block height, in rows (rounded to the kernel's MR). */
    static final int MC = 192;
    /** Preferred C block width, in columns (rounded to the kernel's NR); KC x NC floats fit in L2. */
    static final int NC = 512;
    /** Below this many multiply-adds, the unpacked loops win. */
    static final long TINY = 16 * 16 * 16;
    /** Below this many multiply-adds, one thread does it all (a hand-off costs about 20 microseconds). */
    static final long PARALLEL_MIN = 64L * 64 * 64;

    private final GemmKernel kernel;
    private final WorkerPool pool;
    private float[] packA = new float[0];
    private float[] packB = new float[0];

    Gemm(GemmKernel kernel, WorkerPool pool) {
        this.kernel = kernel;
        this.pool = pool;
    }

    GemmKernel kernel() {
        return kernel;
    }

    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, float[] b, float beta,
              float[] c) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (k == 0 || alpha == 0f) {
            scaleC(m, n, beta, c);
            return;
        }
        long work = (long) m * n * k;
        if (work <= TINY) {
            small(transA, transB, m, n, k, alpha, a, b, beta, c);
            return;
        }
        packed(transA, transB, m, n, k, alpha, a, b, beta, c, work >= PARALLEL_MIN ? pool : null);
    }

    /** C = beta C, without reading C when beta is 0 (so NaN there does not survive). */
    private static void scaleC(int m, int n, float beta, float[] c) {
        int len = m * n;
        if (beta == 0f) {
            java.util.Arrays.fill(c, 0, len, 0f);
        } else if (beta != 1f) {
            for (int i = 0; i < len; i++) {
                c[i] *= beta;
            }
        }
    }

    /** The unpacked path for tiny products; same per-element arithmetic as the kernels (one K block). */
    private static void small(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a,
                              float[] b, float beta, float[] c) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[p * m + i] : a[i * k + p];
                    float bv = transB ? b[j * k + p] : b[p * n + j];
                    acc = Math.fma(av, bv, acc);
                }
                int o = i * n + j;
                c[o] = GemmKernel.update(acc, beta == 0f ? 0f : c[o], alpha, beta, true);
            }
        }
    }

    private void packed(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, float[] b,
                        float beta, float[] c, WorkerPool workers) {
        final int mr = kernel.mr();
        final int nr = kernel.nr();
        final int mPanels = (m + mr - 1) / mr;
        final int nPanels = (n + nr - 1) / nr;
        final int kBlocks = (k + KC_MAX - 1) / KC_MAX;
        final int kc = (k + kBlocks - 1) / kBlocks;
        final int mPad = mPanels * mr;
        final int nPad = nPanels * nr;
        if (packA.length < mPad * k) {
            packA = new float[mPad * k];
        }
        if (packB.length < nPad * k) {
            packB = new float[nPad * k];
        }
        final float[] pa = packA;
        final float[] pb = packB;

        // Phase 1: pack every A and B micro-panel (all K blocks of a panel in one task).
        int packTasks = mPanels + nPanels;
        java.util.function.IntConsumer pack = t -> {
            if (t < mPanels) {
                packAPanel(transA, a, m, k, t * mr, mr, kc, pa, mPad);
            } else {
                packBPanel(transB, b, n, k, (t - mPanels) * nr, nr, kc, pb, nPad);
            }
        };
        if (workers == null) {
            for (int t = 0; t < packTasks; t++) {
                pack.accept(t);
            }
        } else {
            workers.run(packTasks, pack);
        }

        // Phase 2: blocks of C, each reduced over all K blocks in order.
        int mcp = Math.max(1, MC / mr);
        int ncp = Math.max(1, NC / nr);
        if (workers != null) {
            int want = 4 * workers.threads();
            while (ceilDiv(mPanels, mcp) * ceilDiv(nPanels, ncp) < want && (mcp > 1 || ncp > 1)) {
                if (mcp > 1 && (ceilDiv(mPanels, mcp) <= ceilDiv(nPanels, ncp) || ncp == 1)) {
                    mcp = (mcp + 1) / 2;
                } else {
                    ncp = (ncp + 1) / 2;
                }
            }
        }
        final int mBlockPanels = mcp;
        final int nBlockPanels = ncp;
        final int mBlocks = ceilDiv(mPanels, mcp);
        final int nBlocks = ceilDiv(nPanels, ncp);
        java.util.function.IntConsumer compute = t -> {
            int bi = t % mBlocks;
            int bj = t / mBlocks;
            int ip0 = bi * mBlockPanels;
            int ip1 = Math.min(mPanels, ip0 + mBlockPanels);
            int jp0 = bj * nBlockPanels;
            int jp1 = Math.min(nPanels, jp0 + nBlockPanels);
            for (int p0 = 0; p0 < k; p0 += kc) {
                int kcb = Math.min(kc, k - p0);
                boolean first = p0 == 0;
                for (int ip = ip0; ip < ip1; ip++) {
                    int i0 = ip * mr;
                    int rows = Math.min(mr, m - i0);
                    int aOff = p0 * mPad + ip * kcb * mr;
                    for (int jp = jp0; jp < jp1; jp++) {
                        int j0 = jp * nr;
                        int cols = Math.min(nr, n - j0);
                        int bOff = p0 * nPad + jp * kcb * nr;
                        kernel.tile(kcb, pa, aOff, pb, bOff, c, i0 * n + j0, n, rows, cols, alpha, beta, first);
                    }
                }
            }
        };
        int tasks = mBlocks * nBlocks;
        if (workers == null) {
            for (int t = 0; t < tasks; t++) {
                compute.accept(t);
            }
        } else {
            workers.run(tasks, compute);
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /**
     * Packs rows {@code [i0, i0+mr)} of op(A) (m x k) for every K block: block p0 holds, at
     * {@code p0 * mPad + panel * kcb * mr}, kcb groups of mr values, zero-padded past row m.
     */
    private static void packAPanel(boolean transA, float[] a, int m, int k, int i0, int mr, int kc, float[] dst,
                                   int mPad) {
        int rows = Math.min(mr, m - i0);
        int panel = i0 / mr;
        for (int p0 = 0; p0 < k; p0 += kc) {
            int kcb = Math.min(kc, k - p0);
            int off = p0 * mPad + panel * kcb * mr;
            if (transA) {
                // A is stored k x m: each step p is a contiguous run of the panel's rows.
                for (int p = 0; p < kcb; p++) {
                    int d = off + p * mr;
                    System.arraycopy(a, (p0 + p) * m + i0, dst, d, rows);
                    for (int r = rows; r < mr; r++) {
                        dst[d + r] = 0f;
                    }
                }
            } else {
                for (int r = 0; r < rows; r++) {
                    int s = (i0 + r) * k + p0;
                    int d = off + r;
                    for (int p = 0; p < kcb; p++) {
                        dst[d + p * mr] = a[s + p];
                    }
                }
                for (int r = rows; r < mr; r++) {
                    for (int p = 0; p < kcb; p++) {
                        dst[off + r + p * mr] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Packs columns {@code [j0, j0+nr)} of op(B) (k x n) for every K block: block p0 holds, at
     * {@code p0 * nPad + panel * kcb * nr}, kcb groups of nr values, zero-padded past column n.
     */
    private static void packBPanel(boolean transB, float[] b, int n, int k, int j0, int nr, int kc, float[] dst,
                                   int nPad) {
        int cols = Math.min(nr, n - j0);
        int panel = j0 / nr;
        for (int p0 = 0; p0 < k; p0 += kc) {
            int kcb = Math.min(kc, k - p0);
            int off = p0 * nPad + panel * kcb * nr;
            if (!transB) {
                // B is stored k x n: each step p is a contiguous run of the panel's columns.
                for (int p = 0; p < kcb; p++) {
                    int d = off + p * nr;
                    System.arraycopy(b, (p0 + p) * n + j0, dst, d, cols);
                    for (int j = cols; j < nr; j++) {
                        dst[d + j] = 0f;
                    }
                }
            } else {
                for (int j = 0; j < cols; j++) {
                    int s = (j0 + j) * k + p0;
                    int d = off + j;
                    for (int p = 0; p < kcb; p++) {
                        dst[d + p * nr] = b[s + p];
                    }
                }
                for (int j = cols; j < nr; j++) {
                    for (int p = 0; p < kcb; p++) {
                        dst[off + j + p * nr] = 0f;
                    }
                }
            }
        }
    }
}
