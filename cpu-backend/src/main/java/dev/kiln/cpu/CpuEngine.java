package dev.kiln.cpu;

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
import dev.kiln.core.spi.DeviceInfo;

import java.util.Arrays;

/**
 * The pure-Java compute engine: buffers are Java arrays, GEMM is packed and cache-blocked with a
 * SIMD micro-kernel when the Vector API is present, and big ops are split over a shared pool of
 * worker threads.
 *
 * <p>Every result is independent of the thread count: work is split only over disjoint outputs,
 * and reductions add fixed-size chunks' partial sums (in double) in a fixed order.
 */
public final class CpuEngine implements ComputeEngine {
    /** Elements per reduction chunk; fixed, so that sums do not depend on the thread count. */
    static final int CHUNK = 4096;
    /** Rows per chunk of the row-wise losses. */
    static final int ROW_CHUNK = 32;
    /** Elementwise ops below this size stay on the calling thread. */
    static final int PARALLEL_MIN = 1 << 16;

    private final DeviceInfo device;
    private final WorkerPool pool;
    private final Gemm gemm;
    private final boolean simd;

    /** An engine with {@code threads} threads (the caller included); SIMD GEMM if {@code simd} and available. */
    CpuEngine(DeviceInfo device, int threads, boolean simd) {
        this.device = device;
        this.pool = WorkerPool.shared(threads);
        this.simd = simd && Simd.modulePresent();
        this.gemm = new Gemm(Simd.gemmKernel(this.simd), Simd.narrowGemmKernel(this.simd), pool);
    }

    @Override
    public DeviceInfo device() {
        return device;
    }

    /** The number of threads ops may use. */
    public int threads() {
        return pool.threads();
    }

    /** Whether GEMM runs the SIMD micro-kernel. */
    public boolean simd() {
        return simd;
    }

    /** The GEMM micro-kernel in use, like {@code vector 12x32 (512-bit)}. */
    public String gemmKernel() {
        return gemm.describe();
    }

    // ---------------------------------------------------------------- memory

    @Override
    public DeviceBuffer allocate(DType dtype, int elements) {
        return new CpuBuffer(dtype, Math.max(1, elements));
    }

    @Override
    public void free(DeviceBuffer buffer) {
        // Java arrays: the garbage collector takes them back.
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        System.arraycopy(src, srcOffset, f(dst), dstOffset, count);
    }

    @Override
    public void upload(int[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        System.arraycopy(src, srcOffset, i(dst), dstOffset, count);
    }

    @Override
    public void uploadUnsignedBytes(byte[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count,
                                    float divisor) {
        float[] out = f(dst);
        if (simd) {
            forElements(count, (a, b) -> VectorSupport.unsignedBytesToFloats(src, srcOffset + a, out, dstOffset + a,
                    b - a, divisor));
        } else {
            forElements(count, (a, b) -> {
                for (int i = a; i < b; i++) {
                    out[dstOffset + i] = (src[srcOffset + i] & 0xFF) / divisor;
                }
            });
        }
    }

    @Override
    public void download(DeviceBuffer src, int srcOffset, float[] dst, int dstOffset, int count) {
        System.arraycopy(f(src), srcOffset, dst, dstOffset, count);
    }

    @Override
    public void download(DeviceBuffer src, int srcOffset, int[] dst, int dstOffset, int count) {
        System.arraycopy(i(src), srcOffset, dst, dstOffset, count);
    }

    @Override
    public void synchronize() {
        // Every op has finished when it returns.
    }

    // ---------------------------------------------------------------- BLAS-like

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                     DeviceBuffer b, float beta, DeviceBuffer c) {
        gemm.gemm(transA, transB, m, n, k, alpha, f(a), f(b), beta, f(c));
    }

    @Override
    public void biasAdd(DeviceBuffer x, DeviceBuffer bias, DeviceBuffer y, int rows, int cols) {
        float[] xs = f(x);
        float[] bs = f(bias);
        float[] ys = f(y);
        forRows(rows, cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * cols;
                for (int j = 0; j < cols; j++) {
                    ys[o + j] = xs[o + j] + bs[j];
                }
            }
        });
    }

    /** Per-thread column accumulators for {@link #biasGrad}, so that a warmed-up call allocates no arrays. */
    private static final ThreadLocal<double[][]> COLUMN_SUMS = ThreadLocal.withInitial(() -> new double[1][0]);

    /** This thread's accumulator array of at least {@code n} zeros. */
    private static double[] columnSums(int n) {
        double[][] holder = COLUMN_SUMS.get();
        double[] acc = holder[0];
        if (acc.length < n) {
            acc = new double[Math.max(n, 256)];
            holder[0] = acc;
        } else {
            java.util.Arrays.fill(acc, 0, n, 0.0);
        }
        return acc;
    }

    @Override
    public void biasGrad(DeviceBuffer dy, DeviceBuffer db, int rows, int cols, float beta) {
        float[] d = f(dy);
        float[] out = f(db);
        // Each column is summed over rows in order; threads take disjoint column ranges.
        int colChunk = 256;
        WorkerPool.RangeBody body = (c0, c1) -> {
            double[] acc = columnSums(c1 - c0);
            for (int r = 0; r < rows; r++) {
                int o = r * cols;
                for (int j = c0; j < c1; j++) {
                    acc[j - c0] += d[o + j];
                }
            }
            for (int j = c0; j < c1; j++) {
                double s = acc[j - c0];
                out[j] = beta == 0f ? (float) s : (float) (s + (double) beta * out[j]);
            }
        };
        if ((long) rows * cols < PARALLEL_MIN) {
            body.run(0, cols);
        } else {
            pool.forRange(cols, colChunk, 0, body);
        }
    }

    // ---------------------------------------------------------------- activations

    @Override
    public void activation(Activation act, float param, DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
        float[] xs = f(x);
        float[] ys = f(y);
        if (act.rowWise()) {
            boolean log = act == Activation.LOG_SOFTMAX;
            if (simd) {
                forRows(rows, cols, (r0, r1) -> VectorSupport.softmaxRows(log, xs, ys, cols, r0, r1));
            } else {
                forRows(rows, cols, (r0, r1) -> Activations.softmaxRows(log, xs, ys, cols, r0, r1));
            }
        } else if (simd && VectorSupport.transcendental(act)) {
            forElements(rows * cols, (a, b) -> VectorSupport.activation(act, xs, ys, a, b));
        } else {
            forElements(rows * cols, (a, b) -> Activations.forward(act, param, xs, ys, a, b));
        }
    }

    @Override
    public void activationBackward(Activation act, float param, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
                                   DeviceBuffer dx, int rows, int cols) {
        float[] xs = f(x);
        float[] ys = f(y);
        float[] dys = f(dy);
        float[] dxs = f(dx);
        if (act.rowWise()) {
            boolean log = act == Activation.LOG_SOFTMAX;
            forRows(rows, cols, (r0, r1) -> Activations.softmaxRowsBackward(log, ys, dys, dxs, cols, r0, r1));
        } else if (act == Activation.RELU && simd) {
            forElements(rows * cols, (a, b) -> VectorSupport.reluBackward(ys, dys, dxs, a, b));
        } else if (simd && VectorSupport.transcendental(act)) {
            forElements(rows * cols, (a, b) -> VectorSupport.activationBackward(act, xs, ys, dys, dxs, a, b));
        } else {
            forElements(rows * cols, (a, b) -> Activations.backward(act, param, xs, ys, dys, dxs, a, b));
        }
    }

    // ---------------------------------------------------------------- losses

    /** Per-call chunk partials, reused by the calling thread (ops on one engine do not nest). */
    private static final ThreadLocal<double[][]> PARTIALS = ThreadLocal.withInitial(() -> new double[1][0]);

    /** This thread's partials array of at least {@code n} entries (each chunk writes its own). */
    private static double[] partials(int n) {
        double[][] holder = PARTIALS.get();
        if (holder[0].length < n) {
            holder[0] = new double[Math.max(n, 64)];
        }
        return holder[0];
    }

    @Override
    public void softmaxCrossEntropy(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer loss, DeviceBuffer grad,
                                    int rows, int cols, Reduction reduction, float labelSmoothing) {
        float[] x = f(logits);
        int[] lab = i(labels);
        for (int r = 0; r < rows; r++) {
            if (lab[r] < 0 || lab[r] >= cols) {
                throw new IllegalArgumentException("softmaxCrossEntropy: label " + lab[r] + " at row " + r
                        + " is outside [0, " + cols + ")");
            }
        }
        float[] g = grad == null ? null : f(grad);
        double scale = reduction == Reduction.SUM ? 1.0 : 1.0 / rows;
        int chunks = (rows + ROW_CHUNK - 1) / ROW_CHUNK;
        double[] partial = partials(chunks);
        WorkerPool.RangeBody body = (c0, c1) -> {
            for (int ch = c0; ch < c1; ch++) {
                int r0 = ch * ROW_CHUNK;
                int r1 = Math.min(rows, r0 + ROW_CHUNK);
                partial[ch] = simd
                        ? VectorSupport.softmaxCrossEntropyRows(x, lab, g, cols, labelSmoothing, scale, r0, r1)
                        : Losses.softmaxCrossEntropyRows(x, lab, g, cols, labelSmoothing, scale, r0, r1);
            }
        };
        runChunks(chunks, (long) rows * cols, body);
        f(loss)[0] = (float) (sumInOrder(partial, chunks) * scale);
    }

    @Override
    public void loss(LossKind kind, DeviceBuffer input, DeviceBuffer target, DeviceBuffer loss, DeviceBuffer grad,
                     int rows, int cols, Reduction reduction) {
        float[] x = f(input);
        float[] t = f(target);
        float[] g = grad == null ? null : f(grad);
        int n = rows * cols;
        double scale = switch (reduction) {
            case SUM -> 1.0;
            case MEAN -> 1.0 / n;
            case BATCHMEAN -> 1.0 / rows;
        };
        double[] partial = new double[(n + CHUNK - 1) / CHUNK];
        runChunks(partial.length, n, (c0, c1) -> {
            for (int ch = c0; ch < c1; ch++) {
                int from = ch * CHUNK;
                partial[ch] = Losses.elementwise(kind, x, t, g, scale, from, Math.min(n, from + CHUNK));
            }
        });
        f(loss)[0] = (float) (sumInOrder(partial) * scale);
    }

    // ---------------------------------------------------------------- optimizers

    @Override
    public void sgdStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer momentumBuf, int n, SgdParams p, float lr,
                        long step) {
        float[] w = f(param);
        float[] g = f(grad);
        float[] buf = momentumBuf == null ? null : f(momentumBuf);
        forElements(n, (a, b) -> Optimizers.sgd(w, g, buf, p, lr, step, a, b));
    }

    @Override
    public void adamStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer expAvg, DeviceBuffer expAvgSq,
                         DeviceBuffer maxExpAvgSq, int n, AdamParams p, float lr, long step) {
        float[] w = f(param);
        float[] g = f(grad);
        float[] m = f(expAvg);
        float[] v = f(expAvgSq);
        float[] vMax = maxExpAvgSq == null ? null : f(maxExpAvgSq);
        forElements(n, (a, b) -> Optimizers.adam(w, g, m, v, vMax, p, lr, step, a, b));
    }

    @Override
    public void rmspropStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer squareAvg, DeviceBuffer gradAvg,
                            DeviceBuffer momentumBuf, int n, RmsPropParams p, float lr, long step) {
        float[] w = f(param);
        float[] g = f(grad);
        float[] sq = f(squareAvg);
        float[] ga = gradAvg == null ? null : f(gradAvg);
        float[] buf = momentumBuf == null ? null : f(momentumBuf);
        forElements(n, (a, b) -> Optimizers.rmsprop(w, g, sq, ga, buf, p, lr, a, b));
    }

    @Override
    public void adagradStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer stateSum, int n, AdagradParams p,
                            float lr, long step) {
        float[] w = f(param);
        float[] g = f(grad);
        float[] s = f(stateSum);
        forElements(n, (a, b) -> Optimizers.adagrad(w, g, s, p, lr, step, a, b));
    }

    // ---------------------------------------------------------------- reductions and utilities

    @Override
    public void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols) {
        float[] xs = f(x);
        int[] o = i(out);
        forRows(rows, cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                o[r] = argmaxRow(xs, r * cols, cols);
            }
        });
    }

    @Override
    public void countCorrect(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer counter, int rows, int cols) {
        float[] xs = f(logits);
        int[] lab = i(labels);
        int correct = 0;
        for (int r = 0; r < rows; r++) {
            if (argmaxRow(xs, r * cols, cols) == lab[r]) {
                correct++;
            }
        }
        i(counter)[0] += correct;
    }

    /** The index of the row's first maximum; a NaN counts as the maximum (the first NaN wins). */
    static int argmaxRow(float[] x, int o, int cols) {
        int best = 0;
        float max = x[o];
        if (max != max) {
            return 0;
        }
        for (int j = 1; j < cols; j++) {
            float v = x[o + j];
            if (v > max) {
                max = v;
                best = j;
            } else if (v != v) {
                return j;
            }
        }
        return best;
    }

    @Override
    public void fill(DeviceBuffer x, float value, int n) {
        Arrays.fill(f(x), 0, n, value);
    }

    @Override
    public void fillInt(DeviceBuffer x, int value, int n) {
        Arrays.fill(i(x), 0, n, value);
    }

    @Override
    public void copy(DeviceBuffer src, DeviceBuffer dst, int n) {
        if (src.dtype() == DType.F32) {
            System.arraycopy(f(src), 0, f(dst), 0, n);
        } else {
            System.arraycopy(i(src), 0, i(dst), 0, n);
        }
    }

    @Override
    public void scale(DeviceBuffer x, float alpha, int n) {
        float[] xs = f(x);
        forElements(n, (a, b) -> {
            for (int j = a; j < b; j++) {
                xs[j] *= alpha;
            }
        });
    }

    @Override
    public void axpy(float alpha, DeviceBuffer x, DeviceBuffer y, int n) {
        float[] xs = f(x);
        float[] ys = f(y);
        forElements(n, (a, b) -> {
            for (int j = a; j < b; j++) {
                ys[j] = Math.fma(alpha, xs[j], ys[j]);
            }
        });
    }

    @Override
    public void norm(NormKind kind, DeviceBuffer x, DeviceBuffer out, int n) {
        float[] xs = f(x);
        double[] partial = new double[(n + CHUNK - 1) / CHUNK];
        runChunks(partial.length, n, (c0, c1) -> {
            for (int ch = c0; ch < c1; ch++) {
                int from = ch * CHUNK;
                partial[ch] = Reductions.chunk(kind, xs, from, Math.min(n, from + CHUNK));
            }
        });
        double r;
        if (kind == NormKind.LINF) {
            r = 0;
            for (double p : partial) {
                if (p > r || p != p) {
                    r = p;
                    if (p != p) {
                        break;
                    }
                }
            }
        } else {
            r = sumInOrder(partial);
            if (kind == NormKind.L2) {
                r = Math.sqrt(r);
            }
        }
        f(out)[0] = (float) r;
    }

    @Override
    public void sum(DeviceBuffer x, DeviceBuffer out, int n) {
        float[] xs = f(x);
        double[] partial = new double[(n + CHUNK - 1) / CHUNK];
        runChunks(partial.length, n, (c0, c1) -> {
            for (int ch = c0; ch < c1; ch++) {
                int from = ch * CHUNK;
                partial[ch] = Reductions.sum(xs, from, Math.min(n, from + CHUNK));
            }
        });
        f(out)[0] = (float) sumInOrder(partial);
    }

    @Override
    public void close() {
        gemm.release();
    }

    // ---------------------------------------------------------------- helpers

    private static float[] f(DeviceBuffer b) {
        return ((CpuBuffer) b).f();
    }

    private static int[] i(DeviceBuffer b) {
        return ((CpuBuffer) b).i();
    }

    private static double sumInOrder(double[] partial) {
        return sumInOrder(partial, partial.length);
    }

    private static double sumInOrder(double[] partial, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += partial[i];
        }
        return s;
    }

    /** Runs {@code body} over chunk indices [0, chunks), in parallel when {@code work} elements are many. */
    private void runChunks(int chunks, long work, WorkerPool.RangeBody body) {
        if (work < PARALLEL_MIN || chunks == 1 || pool.threads() == 1) {
            body.run(0, chunks);
        } else {
            pool.run(chunks, ch -> body.run(ch, ch + 1));
        }
    }

    /** Runs {@code body} over element ranges of [0, n); outputs must be disjoint per element. */
    private void forElements(int n, WorkerPool.RangeBody body) {
        if (n < PARALLEL_MIN || pool.threads() == 1) {
            body.run(0, n);
        } else {
            int chunk = Math.max(CHUNK, (n + 4 * pool.threads() - 1) / (4 * pool.threads()));
            pool.forRange(n, chunk, 0, body);
        }
    }

    /** Runs {@code body} over row ranges of a rows x cols matrix; outputs must be disjoint per row. */
    private void forRows(int rows, int cols, WorkerPool.RangeBody body) {
        if ((long) rows * cols < PARALLEL_MIN || rows == 1 || pool.threads() == 1) {
            body.run(0, rows);
        } else {
            int rowsPerTask = Math.max(1, (rows + 4 * pool.threads() - 1) / (4 * pool.threads()));
            pool.forRange(rows, rowsPerTask, 0, body);
        }
    }
}
