package dev.kiln.cuda;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.DType;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.kernels.GemmPlan;

/**
 * The op set of {@link ComputeEngine} expressed as launches of the shared kernels (kiln-kernels):
 * which kernel, what grid, which arguments in which order. Kept apart from {@link CudaEngine},
 * which supplies the device primitives, so that a test can check every launch against the
 * kernels' signatures on a machine without a GPU.
 */
abstract class KernelOps implements ComputeEngine {
    /** Upper bound on first-stage reduction blocks: the grid depends on n only, never on the device. */
    static final int MAX_PARTIALS = 256;

    /** Threads per block of the 1-D and row kernels (the KILN_WG the kernels were compiled with). */
    protected abstract int workGroup();

    /** The portable GEMM's tile edge (GEMM_TS). */
    protected abstract int gemmTile();

    /** The portable GEMM's work per thread along each tile edge (GEMM_WPT). */
    protected abstract int gemmWorkPerThread();

    /** The int[4] device error flag the label-checking kernels write. */
    protected abstract DeviceBuffer errorFlag();

    /** A label-checking kernel was enqueued: check the flag at the next sync. */
    protected abstract void flagRaised();

    /**
     * Enqueues {@code kernel} on a grid of {@code gridX x gridY} blocks of {@code blockX x blockY}
     * threads. Arguments, in the kernel's order: buffers (null for an optional buffer the kernel
     * does not touch), Integers for {@code int}, Floats for {@code float}.
     */
    protected abstract void launch(String op, String kernel, int gridX, int gridY, int blockX, int blockY,
                                   Object... args);

    /** Sets {@code n} 32-bit words of {@code x} to {@code bits} (n > 0), asynchronously. */
    protected abstract void memset32(String op, DeviceBuffer x, int bits, int n);

    /** Copies {@code count} bytes of {@code src} from {@code srcOffset} to the start of {@code dst}, stream-ordered; returns once src may be reused. */
    protected abstract void uploadBytes(String op, byte[] src, int srcOffset, DeviceBuffer dst, int count);

    /**
     * Uploads the bytes (a quarter of the floats' transfer) into a scratch buffer and converts them
     * on the device with {@code u8_to_f32}, whose correctly rounded division gives the floats the
     * host conversion gives.
     */
    @Override
    public void uploadUnsignedBytes(byte[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count,
                                    float divisor) {
        if (count <= 0) {
            return;
        }
        DeviceBuffer packed = allocate(DType.I32, ceilDiv(count, 4));
        try {
            uploadBytes("uploadUnsignedBytes", src, srcOffset, packed, count);
            run1("uploadUnsignedBytes", "u8_to_f32", count, packed, divisor, dst, dstOffset, count);
        } finally {
            free(packed);  // stream-ordered: the next user of this memory runs after the conversion
        }
    }

    /** Runs GEMM on a vendor library if there is one (k >= 1); false means use the portable kernel. */
    protected abstract boolean vendorGemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                          DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c);

    // ================================================================ BLAS-like

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b,
                     float beta, DeviceBuffer c) {
        if (k == 0) {
            // C = beta C, and C is not read when beta == 0.
            if (beta == 0f) {
                fill(c, 0f, m * n);
            } else {
                scale(c, beta, m * n);
            }
            return;
        }
        if (vendorGemm(transA, transB, m, n, k, alpha, a, b, beta, c)) {
            return;
        }
        portableGemm(transA, transB, m, n, k, alpha, a, b, beta, c);
    }

    /**
     * The portable kernels (the benchmark also calls this directly to compare with cuBLAS), as
     * {@link GemmPlan} chooses by shape: split-K, {@code gemm_big} or {@code gemm_tiled}.
     */
    final void portableGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                            DeviceBuffer b, float beta, DeviceBuffer c) {
        if (GemmPlan.splits(m, n, k, gemmTile()) > 1) {
            splitGemm(transA, transB, m, n, k, alpha, a, b, beta, c);
        } else if (GemmPlan.big(m, n)) {
            bigGemm(transA, transB, m, n, k, alpha, a, b, beta, c);
        } else {
            tiledGemm(transA, transB, m, n, k, alpha, a, b, beta, c);
        }
    }

    /** {@code gemm_tiled_split} + {@code gemm_split_reduce}, with GemmPlan's splits (at least 2 where k allows). */
    final void splitGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                         DeviceBuffer b, float beta, DeviceBuffer c) {
        int ts = gemmTile();
        int rts = ts / gemmWorkPerThread();
        int chunk = GemmPlan.splitChunk(m, n, k, ts);
        int splits = ceilDiv(k, chunk);
        DeviceBuffer work = allocate(DType.F32, Math.multiplyExact(splits, m * n));
        try {
            launch("gemm", "gemm_tiled_split", ceilDiv(n, ts), ceilDiv(m, ts) * splits, rts, rts,
                    flag(transA), flag(transB), m, n, k, chunk, a, b, work);
            run1("gemm", "gemm_split_reduce", m * n, work, splits, m * n, alpha, beta, c);
        } finally {
            free(work);  // stream-ordered: the next user of this memory runs after the reduction
        }
    }

    /** {@code gemm_big} whatever the shape (benchmarks and tests). */
    final void bigGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                       DeviceBuffer b, float beta, DeviceBuffer c) {
        launch("gemm", "gemm_big", ceilDiv(n, GemmPlan.BIG_TILE), ceilDiv(m, GemmPlan.BIG_TILE),
                GemmPlan.BIG_THREADS, 1, flag(transA), flag(transB), m, n, k, alpha, a, b, beta, c);
    }

    /** {@code gemm_tiled} whatever the shape (benchmarks and tests). */
    final void tiledGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                         DeviceBuffer b, float beta, DeviceBuffer c) {
        int ts = gemmTile();
        int rts = ts / gemmWorkPerThread();
        launch("gemm", "gemm_tiled", ceilDiv(n, ts), ceilDiv(m, ts), rts, rts,
                flag(transA), flag(transB), m, n, k, alpha, a, b, beta, c);
    }

    @Override
    public void biasAdd(DeviceBuffer x, DeviceBuffer bias, DeviceBuffer y, int rows, int cols) {
        run1("biasAdd", "bias_add", rows * cols, x, bias, y, rows, cols);
    }

    @Override
    public void biasGrad(DeviceBuffer dy, DeviceBuffer db, int rows, int cols, float beta) {
        runRows("biasGrad", "bias_grad", cols, dy, db, rows, cols, beta);
    }

    // ================================================================ activations

    @Override
    public void activation(Activation act, float param, DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
        String op = "activation(" + act.id() + ")";
        if (act.rowWise()) {
            runRows(op, "softmax_fwd", rows, x, y, rows, cols, flag(act == Activation.LOG_SOFTMAX));
        } else {
            run1(op, act.id() + "_fwd", rows * cols, x, y, param, rows * cols);
        }
    }

    @Override
    public void activationBackward(Activation act, float param, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
                                   DeviceBuffer dx, int rows, int cols) {
        String op = "activationBackward(" + act.id() + ")";
        if (act.rowWise()) {
            runRows(op, "softmax_bwd", rows, y, dy, dx, rows, cols, flag(act == Activation.LOG_SOFTMAX));
        } else {
            run1(op, act.id() + "_bwd", rows * cols, x, y, dy, dx, param, rows * cols);
        }
    }

    // ================================================================ losses

    @Override
    public void softmaxCrossEntropy(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer loss, DeviceBuffer grad,
                                    int rows, int cols, Reduction reduction, float labelSmoothing) {
        String op = "softmaxCrossEntropy";
        float scale = reduction == Reduction.SUM ? 1f : (float) (1.0 / rows);
        DeviceBuffer rowLoss = allocate(DType.F32, rows);
        try {
            runRows(op, "softmax_xent", rows, logits, labels, rowLoss, grad, flag(grad != null), rows, cols,
                    labelSmoothing, scale, errorFlag());
            flagRaised();
            finish(op, rowLoss, rows, loss, scale, 0);
        } finally {
            free(rowLoss);  // in-order stream: its next user runs after these kernels
        }
    }

    @Override
    public void loss(LossKind kind, DeviceBuffer input, DeviceBuffer target, DeviceBuffer loss, DeviceBuffer grad,
                     int rows, int cols, Reduction reduction) {
        String op = "loss(" + kind.id() + ")";
        int n = rows * cols;
        float scale = switch (reduction) {
            case SUM -> 1f;
            case MEAN -> (float) (1.0 / n);
            case BATCHMEAN -> (float) (1.0 / rows);
        };
        int groups = partialGroups(n);
        DeviceBuffer partials = allocate(DType.F32, groups);
        try {
            launch(op, "loss_partials", groups, 1, workGroup(), 1, lossCode(kind), input, target, grad, flag(grad != null),
                    scale, n, partials);
            finish(op, partials, groups, loss, scale, 0);
        } finally {
            free(partials);
        }
    }

    /** The {@code kind} codes of losses.kc. */
    private static int lossCode(LossKind kind) {
        return switch (kind) {
            case MSE -> 0;
            case L1 -> 1;
            case BCE -> 2;
            case BCE_WITH_LOGITS -> 3;
            case KL_DIV -> 4;
        };
    }

    // ================================================================ optimizers

    @Override
    public void sgdStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer momentumBuf, int n, SgdParams p, float lr,
                        long step) {
        run1("sgdStep", "sgd_step", n, param, grad, momentumBuf, flag(momentumBuf != null && p.hasMomentum()),
                flag(step == 1), flag(p.nesterov()), lr, p.momentum(), p.dampening(), p.weightDecay(), n);
    }

    @Override
    public void adamStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer expAvg, DeviceBuffer expAvgSq,
                         DeviceBuffer maxExpAvgSq, int n, AdamParams p, float lr, long step) {
        // Bias corrections in double on the host, as torch.optim does in Python floats.
        double bc1 = 1.0 - Math.pow(p.beta1(), step);
        double bc2 = 1.0 - Math.pow(p.beta2(), step);
        float stepSize = (float) (lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float decay = p.decoupled() ? (float) (1.0 - (double) lr * p.weightDecay()) : 1f;
        float l2 = p.decoupled() ? 0f : p.weightDecay();
        boolean ams = p.amsgrad() && maxExpAvgSq != null;
        run1("adamStep", "adam_step", n, param, grad, expAvg, expAvgSq, maxExpAvgSq, flag(ams), decay, l2,
                p.beta1(), p.beta2(), p.eps(), stepSize, bc2Sqrt, n);
    }

    @Override
    public void rmspropStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer squareAvg, DeviceBuffer gradAvg,
                            DeviceBuffer momentumBuf, int n, RmsPropParams p, float lr, long step) {
        boolean centered = p.centered() && gradAvg != null;
        boolean mom = p.momentum() > 0 && momentumBuf != null;
        run1("rmspropStep", "rmsprop_step", n, param, grad, squareAvg, gradAvg, momentumBuf, flag(centered),
                flag(mom), lr, p.alpha(), p.eps(), p.weightDecay(), p.momentum(), n);
    }

    @Override
    public void adagradStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer stateSum, int n, AdagradParams p,
                            float lr, long step) {
        float clr = (float) (lr / (1.0 + (step - 1) * (double) p.lrDecay()));
        run1("adagradStep", "adagrad_step", n, param, grad, stateSum, clr, p.eps(), p.weightDecay(), n);
    }

    // ================================================================ reductions and utilities

    @Override
    public void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols) {
        runRows("argmax", "argmax_rows", rows, x, out, rows, cols);
    }

    @Override
    public void countCorrect(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer counter, int rows, int cols) {
        runRows("countCorrect", "count_correct", rows, logits, labels, counter, rows, cols, errorFlag());
        flagRaised();
    }

    @Override
    public void fill(DeviceBuffer x, float value, int n) {
        if (n > 0) {
            memset32("fill", x, Float.floatToRawIntBits(value), n);
        }
    }

    @Override
    public void fillInt(DeviceBuffer x, int value, int n) {
        if (n > 0) {
            memset32("fillInt", x, value, n);
        }
    }


    @Override
    public void scale(DeviceBuffer x, float alpha, int n) {
        run1("scale", "scale_f32", n, x, alpha, n);
    }

    @Override
    public void axpy(float alpha, DeviceBuffer x, DeviceBuffer y, int n) {
        run1("axpy", "axpy_f32", n, alpha, x, y, n);
    }

    @Override
    public void norm(NormKind kind, DeviceBuffer x, DeviceBuffer out, int n) {
        switch (kind) {
            case L1 -> reduceAll("norm(L1)", x, out, n, 1, 0);
            case L2 -> reduceAll("norm(L2)", x, out, n, 2, 1);
            case LINF -> reduceAll("norm(LINF)", x, out, n, 3, 2);
        }
    }

    @Override
    public void sum(DeviceBuffer x, DeviceBuffer out, int n) {
        reduceAll("sum", x, out, n, 0, 0);
    }

    private void reduceAll(String op, DeviceBuffer x, DeviceBuffer out, int n, int mode, int finishMode) {
        int groups = partialGroups(n);
        DeviceBuffer partials = allocate(DType.F32, groups);
        try {
            launch(op, "reduce_partials", groups, 1, workGroup(), 1, x, n, mode, partials);
            finish(op, partials, groups, out, 1f, finishMode);
        } finally {
            free(partials);
        }
    }

    private void finish(String op, DeviceBuffer partials, int count, DeviceBuffer out, float scale, int mode) {
        launch(op, "reduce_finish", 1, 1, workGroup(), 1, partials, count, out, scale, mode);
    }

    private int partialGroups(int n) {
        return Math.max(1, Math.min(MAX_PARTIALS, ceilDiv(n, workGroup())));
    }

    // ================================================================ launching

    /** One thread per element, n of them. */
    private void run1(String op, String kernel, int n, Object... args) {
        if (n > 0) {
            launch(op, kernel, ceilDiv(n, workGroup()), 1, workGroup(), 1, args);
        }
    }

    /** One block per row (or column). */
    private void runRows(String op, String kernel, int blocks, Object... args) {
        if (blocks > 0) {
            launch(op, kernel, blocks, 1, workGroup(), 1, args);
        }
    }

    static int flag(boolean b) {
        return b ? 1 : 0;
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
