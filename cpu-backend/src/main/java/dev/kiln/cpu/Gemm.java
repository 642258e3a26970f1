package dev.kiln.cpu;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Single-precision GEMM, {@code C = alpha op(A) op(B) + beta C}, row-major, BLIS-style.
 *
 * <p>K is cut into equal blocks of at most {@link #KC_MAX}; op(A) and op(B) are packed into
 * micro-panels per K block on demand (transposition is absorbed by the packing), except small
 * operands whose layout already suits the kernel, which are read in place. C is cut into blocks
 * that the worker threads compute independently; inside a block the loop order is K block, A
 * micro-panel (kept in L1), B micro-panel (streamed from L2).
 *
 * <p>Each C element is reduced over K in the same order whatever the blocking of M and N, the
 * kernel's tile shape and the number of threads (the K blocking depends on K alone, and every
 * kernel does the same fused multiply-adds), so results do not depend on the thread count, and
 * the SIMD and plain kernels agree bit for bit.
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
    /**
     * An operand of at most this many floats (512 KiB, so it stays in L2) is read in place
     * instead of packed, whole panels at least: B when stored k x n, A either way (a row-major A
     * is read with one stride per row). For the MLP's shapes packing would cost about as much as
     * the multiply; for big operands packing pays for itself. A kernel whose packed-panel body is
     * faster than its general one also packs operands it reuses often ({@link GemmKernel#packedReuse}).
     */
    static final long DIRECT_MAX = 128 * 1024;
    /** What one element of the transposing pack costs, in vector multiply-adds (measured: 1-2 cycles). */
    static final double PACK_COST = 1.5;
    /** Below this many multiply-adds, the unpacked loops win. */
    static final long TINY = 16 * 16 * 16;
    /**
     * Below this many multiply-adds (about 5 us of one thread's work), one thread does all. Waking
     * a parked helper costs 5-20 us, but in a training step the helpers are still spinning from the
     * last op, and the caller never waits for a helper that has not started (it claims the
     * remaining tasks itself), so splitting costs little when no helper comes. The MLP's 64-row
     * products (64 x 128 x 64: 10-11 us on one thread) take 6.3-7 us on two (JMH, paired runs),
     * about 9.3 in the reference host's slow stretches.
     */
    static final long PARALLEL_MIN = 64L * 64 * 64;
    /**
     * Blocks of C per thread, at least (smaller blocks where needed): with dynamic claiming the
     * threads finish within about one block of each other. 8 rather than 4: 2-5% faster on two
     * threads at 256-1024 and the MLP's first layer, and the 2-thread training step 2% faster
     * (paired in-process runs); 16 is no better.
     */
    static final int TASKS_PER_THREAD = 8;

    /** Preferred C block height and width, in rows and columns (see {@link #MC} and {@link #NC}). */
    private final int mc;
    private final int nc;
    /** Operands of at most this many floats are read in place (see {@link #DIRECT_MAX}). */
    private final long directMax;
    /**
     * Operands used at least this many times per element are packed whatever their size; or
     * {@link #KERNEL_REUSE}: the {@link GemmKernel#packedReuse} of the kernel each call uses.
     */
    private final int packedReuse;
    /** {@link #packedReuse}'s default: each kernel's own. */
    static final int KERNEL_REUSE = -1;
    private final GemmKernel kernel;
    /** A narrower tile for products at most its width wide (see {@link #kernelFor}), or null. */
    private final GemmKernel narrowKernel;
    private final WorkerPool pool;
    private float[] packA = new float[0];
    private float[] packB = new float[0];
    /** Reused between calls (the instance is used by one thread at a time), so a call allocates nothing. */
    private final Job job;
    /** The narrow kernel's job, or null. */
    private final Job narrowJob;

    /**
     * Per-thread tiles: the kernel's spill tile, the C^T staging tile and the operand triple.
     * Kept per thread rather than per task so that a warmed-up GEMM allocates no heap.
     */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** One thread's scratch arrays, grown to the largest kernel tile seen. */
    private static final class Scratch {
        float[] spill = new float[0];
        float[] tile = new float[0];
        final int[] op = new int[3];

        Scratch fit(int size) {
            if (spill.length < size) {
                spill = new float[size];
                tile = new float[size];
            }
            return this;
        }
    }

    Gemm(GemmKernel kernel, WorkerPool pool) {
        this(kernel, null, pool);
    }

    /** With {@code narrowKernel} (null for none): a kernel of fewer columns for narrow N. */
    Gemm(GemmKernel kernel, GemmKernel narrowKernel, WorkerPool pool) {
        this(kernel, narrowKernel, pool, MC, NC, DIRECT_MAX, KERNEL_REUSE);
    }

    /**
     * With a C block of {@code mc} x {@code nc} preferred (rounded to the kernel's tile), operands
     * of at most {@code directMax} floats read in place unless used {@code packedReuse} times or
     * more per element ({@link #KERNEL_REUSE}: as the kernel says): the settings that paired
     * in-process comparisons vary.
     */
    Gemm(GemmKernel kernel, GemmKernel narrowKernel, WorkerPool pool, int mc, int nc, long directMax,
         int packedReuse) {
        this.directMax = directMax;
        this.packedReuse = packedReuse;
        if (mc < 1 || nc < 1) {
            throw new IllegalArgumentException("C block " + mc + " x " + nc);
        }
        this.mc = mc;
        this.nc = nc;
        if (narrowKernel != null && narrowKernel.nr() >= kernel.nr()) {
            throw new IllegalArgumentException("the narrow kernel must have fewer columns");
        }
        this.kernel = kernel;
        this.narrowKernel = narrowKernel;
        this.pool = pool;
        this.job = new Job(kernel);
        this.narrowJob = narrowKernel == null ? null : new Job(narrowKernel);
    }

    /**
     * The kernel for a product n columns wide: the narrow one when n fits in its width (a 10-wide
     * output: 16 columns computed instead of 32), else the main one. Every kernel does the same
     * multiply-adds per element, so results do not change.
     */
    GemmKernel kernelFor(int n) {
        return narrowKernel != null && n <= narrowKernel.nr() ? narrowKernel : kernel;
    }

    /** The kernels in use, like {@code vector 12x32 (512-bit), 16x16 for narrow N}. */
    String describe() {
        return describe(kernel, narrowKernel);
    }

    static String describe(GemmKernel kernel, GemmKernel narrowKernel) {
        return kernel.describe()
                + (narrowKernel == null ? "" : ", " + narrowKernel.mr() + "x" + narrowKernel.nr() + " for narrow N");
    }

    /** Drops the packing buffers (they can be as large as A and B). */
    void release() {
        packA = new float[0];
        packB = new float[0];
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
        // One thread: no pool, so C stays in the cache-sized blocks rather than TASKS_PER_THREAD of them.
        WorkerPool workers = work >= PARALLEL_MIN && pool != null && pool.threads() > 1 ? pool : null;
        if (transB && (transA || transposedCheaper(m, n, k))) {
            // C^T = op(B)^T op(A)^T: B becomes the broadcast operand, read without transposition,
            // and A needs the transposing pack instead (none at all for TT). The tiles are then
            // stored transposed.
            packed(!transB, !transA, n, m, k, alpha, b, a, beta, c, workers, true);
        } else {
            packed(transA, transB, m, n, k, alpha, a, b, beta, c, workers, false);
        }
    }

    /**
     * For C = A B^T (both operands K-contiguous, one of them needs the transposing pack): whether
     * C^T = B A^T costs less. An estimate in vector multiply-adds: the padded tile work (rows pad
     * to MR, columns to NR, so the output's shape decides which way wastes less), the transposing
     * pack of the operand that becomes the columns ({@link #PACK_COST} per element) and, for C^T,
     * its element-by-element transposed store. The MLP's 64x128 first layer takes C^T (the smaller
     * operand is packed); its 64x10 output layer stays C with the narrow kernel.
     */
    boolean transposedCheaper(int m, int n, int k) {
        return cost(kernelFor(m), n, m, k) + (double) m * n < cost(kernelFor(n), m, n, k);
    }

    /** The estimate of {@link #transposedCheaper} for an m x n output whose B operand is packed transposed. */
    private double cost(GemmKernel kernel, int m, int n, int k) {
        int nr = kernel.nr();
        double lanesPerCycle = this.kernel.nr() / 2.0;
        return (double) kernel.rowsComputed(m) * ceilDiv(n, nr) * nr * k / lanesPerCycle
                + (double) ceilDiv(n, nr) * nr * k * PACK_COST;
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

    /** Computes C (m x n), or with {@code transC} C^T stored as an n x m matrix. */
    private void packed(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, float[] b,
                        float beta, float[] c, WorkerPool workers, boolean transC) {
        GemmKernel kernel = kernelFor(n);
        int mr = kernel.mr();
        int nr = kernel.nr();
        int mPanels = ceilDiv(m, mr);
        int nPanels = ceilDiv(n, nr);
        int kBlocks = ceilDiv(k, KC_MAX);
        int kc = ceilDiv(k, kBlocks);
        // Padding to whole panels can push a product just under 2^31 elements over it.
        int aStep = aPackStep(kernel, mPanels, k);
        int needA = Math.multiplyExact(Math.multiplyExact(mPanels, aStep), k);
        int needB = Math.multiplyExact(nPanels * nr, k);
        if (packA.length < needA) {
            packA = new float[needA];
        }
        if (packB.length < needB) {
            packB = new float[needB];
        }
        // Blocks of C: cache-sized, and small enough that every thread gets several (TASKS_PER_THREAD).
        int mcp = Math.max(1, mc / mr);
        int ncp = Math.max(1, nc / nr);
        if (workers != null) {
            int want = TASKS_PER_THREAD * workers.threads();
            while (ceilDiv(mPanels, mcp) * ceilDiv(nPanels, ncp) < want && (mcp > 1 || ncp > 1)) {
                if (mcp > 1 && (ceilDiv(mPanels, mcp) <= ceilDiv(nPanels, ncp) || ncp == 1)) {
                    mcp = (mcp + 1) / 2;
                } else {
                    ncp = (ncp + 1) / 2;
                }
            }
        }
        Job job = kernel == this.kernel ? this.job : narrowJob;
        job.reset(transA, transB, m, n, k, kc, kBlocks, aStep, alpha, a, b, beta, c, transC, packA, packB, mcp, ncp,
                directMax, packedReuse == KERNEL_REUSE ? kernel.packedReuse() : packedReuse);
        try {
            int tasks = job.mBlocks * job.nBlocks;
            if (workers == null) {
                for (int t = 0; t < tasks; t++) {
                    job.compute(t);
                }
            } else {
                workers.run(tasks, job.body);
            }
        } finally {
            job.clear();
        }
    }

    /**
     * One GEMM call's shared state. Panels are packed on demand by whichever task needs them
     * first (claimed with a CAS, others wait for it), so packing and computing need no barrier
     * between them.
     */
    private static final class Job {
        private static final int UNPACKED = 0;
        private static final int PACKING = 1;
        private static final int READY = 2;
        private static final int FAILED = 3;

        final GemmKernel kernel;
        final int mr;
        final int nr;
        /** Floats per step of a packed A micro-panel in this call (see {@link #aPackStep}). */
        int aStep;
        /** {@link #compute} as a reusable consumer, so handing the job to the pool allocates nothing. */
        final java.util.function.IntConsumer body = this::compute;
        // The call's state, set by reset(); the pool's hand-off publishes it to the helpers.
        boolean transA;
        boolean transB;
        int m;
        int n;
        int k;
        int kc;
        int mPanels;
        int nPanels;
        float alpha;
        float[] a;
        float[] b;
        float beta;
        float[] c;
        /** Whether C is stored transposed (element (i, j) at j * m + i); tiles then go through a scratch tile. */
        boolean transC;
        float[] pa;
        float[] pb;
        int mBlockPanels;
        int nBlockPanels;
        int mBlocks;
        int nBlocks;
        /** Per (K block, panel): UNPACKED, PACKING, READY or FAILED; grown as needed, reset per call. */
        AtomicIntegerArray aState = new AtomicIntegerArray(0);
        AtomicIntegerArray bState = new AtomicIntegerArray(0);
        /** Whether whole A (B) panels are read in place rather than packed. */
        boolean directA;
        boolean directB;

        Job(GemmKernel kernel) {
            this.kernel = kernel;
            this.mr = kernel.mr();
            this.nr = kernel.nr();
        }

        void reset(boolean transA, boolean transB, int m, int n, int k, int kc, int kBlocks, int aStep, float alpha,
                   float[] a, float[] b, float beta, float[] c, boolean transC, float[] pa, float[] pb, int mcp,
                   int ncp, long directMax, int packedReuse) {
            this.transA = transA;
            this.transB = transB;
            this.m = m;
            this.n = n;
            this.k = k;
            this.kc = kc;
            this.aStep = aStep;
            this.mPanels = ceilDiv(m, mr);
            this.nPanels = ceilDiv(n, nr);
            this.alpha = alpha;
            this.a = a;
            this.b = b;
            this.beta = beta;
            this.c = c;
            this.transC = transC;
            this.pa = pa;
            this.pb = pb;
            this.mBlockPanels = mcp;
            this.nBlockPanels = ncp;
            this.mBlocks = ceilDiv(mPanels, mcp);
            this.nBlocks = ceilDiv(nPanels, ncp);
            aState = cleared(aState, kBlocks * mPanels);
            bState = cleared(bState, kBlocks * nPanels);
            this.directA = (long) k * m <= directMax && n < packedReuse;
            this.directB = !transB && (long) k * n <= directMax && m < packedReuse;
        }

        /** Drops the references to the caller's arrays. */
        void clear() {
            a = null;
            b = null;
            c = null;
            pa = null;
            pb = null;
        }

        private static AtomicIntegerArray cleared(AtomicIntegerArray st, int size) {
            if (st.length() < size) {
                return new AtomicIntegerArray(size);
            }
            for (int i = 0; i < size; i++) {
                st.setPlain(i, UNPACKED);
            }
            return st;
        }

        private boolean inPlaceA(int panel) {
            return directA && (panel + 1) * mr <= m;
        }

        private boolean inPlaceB(int panel) {
            return directB && (panel + 1) * nr <= n;
        }

        /** Computes block t of C over all K blocks, in order. */
        void compute(int t) {
            // Blocks are numbered row by row (memory order of C, or of C^T's rows: op(A)'s rows),
            // so that the pool's caller (front tasks) and helpers (back tasks) keep to the same
            // rows of the output, and of a layer's weights, from one op to the next. For C^T the
            // first and last tasks also need different B panels (the transposing pack), so the
            // threads start by packing those in parallel instead of waiting for one packer.
            int bi = t / nBlocks;
            int bj = t % nBlocks;
            int ip0 = bi * mBlockPanels;
            int ip1 = Math.min(mPanels, ip0 + mBlockPanels);
            int jp0 = bj * nBlockPanels;
            int jp1 = Math.min(nPanels, jp0 + nBlockPanels);
            Scratch sc = SCRATCH.get().fit(mr * nr);
            float[] scratch = sc.spill;
            if (transC) {
                computeTransposed(ip0, ip1, jp0, jp1, scratch, sc.tile, sc.op);
                return;
            }
            int[] op = sc.op;
            for (int kb = 0, p0 = 0; p0 < k; kb++, p0 += kc) {
                int kcb = Math.min(kc, k - p0);
                boolean first = p0 == 0;
                ensure(false, kb, jp0, jp1, p0, kcb);
                ensure(true, kb, ip0, ip1, p0, kcb);
                for (int ip = ip0; ip < ip1; ip++) {
                    int i0 = ip * mr;
                    int rows = Math.min(mr, m - i0);
                    float[] as = operandA(ip, p0, kcb, op);
                    int aOff = op[0];
                    int aRowStride = op[1];
                    int aStep = op[2];
                    for (int jp = jp0; jp < jp1; jp++) {
                        int j0 = jp * nr;
                        float[] bs = operandB(jp, p0, kcb, op);
                        kernel.tile(kcb, as, aOff, aRowStride, aStep, bs, op[0], op[2], c, i0 * n + j0, n, rows,
                                Math.min(nr, n - j0), alpha, beta, first, scratch);
                    }
                }
            }
        }

        /**
         * The C^T case: each tile runs through all K blocks in a row-major scratch tile (the
         * kernels merge into it exactly as into C), and is stored transposed once at the end.
         */
        private void computeTransposed(int ip0, int ip1, int jp0, int jp1, float[] scratch, float[] tile, int[] op) {
            // All of the block's panels first: threads then pack different ones rather than wait.
            // Claim and pack over every K block before waiting for any, so that two threads sharing
            // a panel split its K blocks between them.
            for (int kb = 0, p0 = 0; p0 < k; kb++, p0 += kc) {
                claim(false, kb, jp0, jp1, p0, Math.min(kc, k - p0));
                claim(true, kb, ip0, ip1, p0, Math.min(kc, k - p0));
            }
            for (int kb = 0, p0 = 0; p0 < k; kb++, p0 += kc) {
                await(false, kb, jp0, jp1);
                await(true, kb, ip0, ip1);
            }
            for (int ip = ip0; ip < ip1; ip++) {
                int i0 = ip * mr;
                int rows = Math.min(mr, m - i0);
                for (int jp = jp0; jp < jp1; jp++) {
                    int j0 = jp * nr;
                    int cols = Math.min(nr, n - j0);
                    if (beta != 0f) {
                        for (int j = 0; j < cols; j++) {
                            for (int r = 0; r < rows; r++) {
                                tile[r * nr + j] = c[(j0 + j) * m + i0 + r];
                            }
                        }
                    }
                    for (int p0 = 0; p0 < k; p0 += kc) {
                        int kcb = Math.min(kc, k - p0);
                        float[] as = operandA(ip, p0, kcb, op);
                        int aOff = op[0];
                        int aRowStride = op[1];
                        int aStep = op[2];
                        float[] bs = operandB(jp, p0, kcb, op);
                        kernel.tile(kcb, as, aOff, aRowStride, aStep, bs, op[0], op[2], tile, 0, nr, rows, cols, alpha,
                                beta, p0 == 0, scratch);
                    }
                    for (int j = 0; j < cols; j++) {
                        int col = (j0 + j) * m + i0;
                        for (int r = 0; r < rows; r++) {
                            c[col + r] = tile[r * nr + j];
                        }
                    }
                }
            }
        }

        /** A panel ip of K block p0: returns the array, and {offset, row stride, step} in {@code op}. */
        private float[] operandA(int ip, int p0, int kcb, int[] op) {
            int i0 = ip * mr;
            if (!inPlaceA(ip)) {
                op[0] = p0 * mPanels * aStep + ip * kcb * aStep;
                op[1] = 1;
                op[2] = aStep;
                return pa;
            }
            if (transA) {
                op[0] = p0 * m + i0;
                op[1] = 1;
                op[2] = m;
            } else {
                op[0] = i0 * k + p0;
                op[1] = k;
                op[2] = 1;
            }
            return a;
        }

        /** B panel jp of K block p0: returns the array, and {offset, -, step} in {@code op}. */
        private float[] operandB(int jp, int p0, int kcb, int[] op) {
            if (!inPlaceB(jp)) {
                op[0] = p0 * nPanels * nr + jp * kcb * nr;
                op[2] = nr;
                return pb;
            }
            op[0] = p0 * n + jp * nr;
            op[2] = n;
            return b;
        }

        /** Makes panels [from, to) of K block kb ready: packs the unclaimed ones, then waits for the rest. */
        private void ensure(boolean isA, int kb, int from, int to, int p0, int kcb) {
            claim(isA, kb, from, to, p0, kcb);
            await(isA, kb, from, to);
        }

        /** Packs the unclaimed panels among [from, to) of K block kb. */
        private void claim(boolean isA, int kb, int from, int to, int p0, int kcb) {
            AtomicIntegerArray st = isA ? aState : bState;
            int base = kb * (isA ? mPanels : nPanels);
            for (int q = from; q < to; q++) {
                if (isA ? inPlaceA(q) : inPlaceB(q)) {
                    continue;
                }
                if (st.get(base + q) == UNPACKED && st.compareAndSet(base + q, UNPACKED, PACKING)) {
                    try {
                        if (isA) {
                            packAPanel(transA, a, m, k, q, mr, aStep, p0, kcb, pa, mPanels * aStep);
                        } else {
                            packBPanel(transB, b, n, k, q, nr, p0, kcb, pb, nPanels * nr);
                        }
                    } catch (RuntimeException | Error e) {
                        st.set(base + q, FAILED);
                        throw e;
                    }
                    st.set(base + q, READY);
                }
            }
        }

        /** Waits until panels [from, to) of K block kb are ready. */
        private void await(boolean isA, int kb, int from, int to) {
            AtomicIntegerArray st = isA ? aState : bState;
            int base = kb * (isA ? mPanels : nPanels);
            for (int q = from; q < to; q++) {
                if (isA ? inPlaceA(q) : inPlaceB(q)) {
                    continue;
                }
                int s;
                int spins = 0;
                while ((s = st.get(base + q)) != READY) {
                    if (s == FAILED) {
                        throw new IllegalStateException("gemm: packing a panel failed in another thread");
                    }
                    // A pack takes microseconds; if it takes longer, the packer was descheduled.
                    if (++spins < 1000) {
                        Thread.onSpinWait();
                    } else {
                        Thread.yield();
                    }
                }
            }
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** The largest array this class allocates (some JVMs refuse the last few indexes below 2^31). */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /**
     * Floats per step of the packed A panels: the kernel's {@link GemmKernel#packStep} (padding
     * that its packed-panel body reads faster), unless the padded copy of A would not fit in a
     * Java array; then {@code mr}, which the kernel's general body reads, as for every product
     * before the padding existed.
     */
    static int aPackStep(GemmKernel kernel, int mPanels, int k) {
        int step = kernel.packStep();
        return (long) mPanels * step * k <= MAX_ARRAY ? step : kernel.mr();
    }

    /**
     * Packs panel {@code panel} (rows [panel*mr, +mr) of op(A), m x k) for the K block starting at
     * p0: at {@code p0 * mPad + panel * kcb * step}, kcb groups of {@code step} values (step &gt;= mr),
     * zero-padded past row m and past row mr. A row-major A is transposed by {@link #packTransposed}.
     */
    static void packAPanel(boolean transA, float[] a, int m, int k, int panel, int mr, int step, int p0,
                           int kcb, float[] dst, int mPad) {
        int i0 = panel * mr;
        int rows = Math.min(mr, m - i0);
        int off = p0 * mPad + panel * kcb * step;
        if (transA) {
            // A is stored k x m: each step p is a contiguous run of the panel's rows.
            for (int p = 0; p < kcb; p++) {
                int d = off + p * step;
                System.arraycopy(a, (p0 + p) * m + i0, dst, d, rows);
                for (int r = rows; r < step; r++) {
                    dst[d + r] = 0f;
                }
            }
        } else {
            packTransposed(a, i0 * k + p0, k, rows, kcb, dst, off, step);
        }
    }

    /**
     * Packs panel {@code panel} (columns [panel*nr, +nr) of op(B), k x n) for the K block starting
     * at p0: at {@code p0 * nPad + panel * kcb * nr}, kcb groups of nr values, zero-padded past column n.
     * A B stored n x k (transB) is transposed by {@link #packTransposed}.
     */
    static void packBPanel(boolean transB, float[] b, int n, int k, int panel, int nr, int p0,
                           int kcb, float[] dst, int nPad) {
        int j0 = panel * nr;
        int cols = Math.min(nr, n - j0);
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
            packTransposed(b, j0 * k + p0, k, cols, kcb, dst, off, nr);
        }
    }

    /**
     * Packs a block of a row-major matrix transposed: element p of row r, {@code src[srcOff + r * ld + p]}
     * (r &lt; rows, p &lt; kc), goes to {@code dst[dstOff + p * width + r]}, and rows [rows, width) are
     * zero. This is how a row-major A and an n x k B become micro-panels; it writes nothing outside
     * {@code dst[dstOff, dstOff + kc * width)}.
     *
     * <p>Four rows at a time, so that each step's four stores are contiguous: 0.4-0.7 ns per
     * element here, against 0.8-1 ns one row at a time. (A SIMD transpose of 16 x 16 blocks with
     * the Vector API's one-input rearranges and blends measured 0.5-0.9 ns: JDK 17 has no
     * two-input shuffle intrinsic, so each output vector costs two permutes and a blend per stage.)
     */
    static void packTransposed(float[] src, int srcOff, int ld, int rows, int kc, float[] dst, int dstOff,
                               int width) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int s0 = srcOff + r * ld;
            int s1 = s0 + ld;
            int s2 = s1 + ld;
            int s3 = s2 + ld;
            for (int p = 0, d = dstOff + r; p < kc; p++, d += width) {
                dst[d] = src[s0 + p];
                dst[d + 1] = src[s1 + p];
                dst[d + 2] = src[s2 + p];
                dst[d + 3] = src[s3 + p];
            }
        }
        for (; r < rows; r++) {
            int s = srcOff + r * ld;
            for (int p = 0, d = dstOff + r; p < kc; p++, d += width) {
                dst[d] = src[s + p];
            }
        }
        for (; r + 4 <= width; r += 4) {
            for (int p = 0, d = dstOff + r; p < kc; p++, d += width) {
                dst[d] = 0f;
                dst[d + 1] = 0f;
                dst[d + 2] = 0f;
                dst[d + 3] = 0f;
            }
        }
        for (; r < width; r++) {
            for (int p = 0, d = dstOff + r; p < kc; p++, d += width) {
                dst[d] = 0f;
            }
        }
    }
}
