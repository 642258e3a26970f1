package dev.kiln.core.spi;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.DType;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;

/**
 * What a backend implements: memory and the op set, on one opened device.
 *
 * <p>Every argument has been validated by the front door ({@link dev.kiln.core.Backend}) before
 * an engine sees it: buffers are this engine's own, live, of the right dtype and large enough;
 * dimensions are positive unless stated; outputs do not alias inputs except where an op says it
 * may. So engines stay lean and check nothing a caller could have got wrong.
 *
 * <p>All data is row-major and contiguous. Ops may run asynchronously (GPU backends enqueue on an
 * in-order queue); {@link #download} is the sync point, and an asynchronous failure (a device-side
 * error flag, say) is raised there as a {@link dev.kiln.core.KilnException}.
 *
 * <p>Semantics follow PyTorch; see {@link Activation}, {@link LossKind} and the parameter
 * records for the formulas. Scalar results (losses, norms, counts) are written to one-element
 * buffers so that nothing syncs until the caller reads them.
 *
 * <p>Threading: an engine is used by one thread at a time; the front door serialises calls.
 */
public interface ComputeEngine extends AutoCloseable {

    /** The device this engine runs on. */
    DeviceInfo device();

    // ---------------------------------------------------------------- memory

    /** Allocates a buffer of {@code elements} (at least 1) values, contents unspecified. */
    DeviceBuffer allocate(DType dtype, int elements);

    /** Returns a buffer's memory (to a pool or the device). The buffer is not used afterwards. */
    void free(DeviceBuffer buffer);

    /** Copies {@code count} floats from {@code src[srcOffset..]} into {@code dst[dstOffset..]}. Returns once {@code src} may be reused. */
    void upload(float[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count);

    /** Copies {@code count} ints from {@code src[srcOffset..]} into {@code dst[dstOffset..]}. Returns once {@code src} may be reused. */
    void upload(int[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count);

    /**
     * Writes {@code (src[srcOffset + i] & 0xFF) / divisor} (float32 division, rounded once) to the
     * f32 buffer {@code dst[dstOffset + i]} for {@code i < count}: unsigned 8-bit pixels to
     * floats, as torchvision's {@code ToTensor} does with divisor 255. Returns once {@code src}
     * may be reused. The default converts on the host, in chunks through a per-thread array (no
     * allocation once warm), and calls {@link #upload(float[], int, DeviceBuffer, int, int)} per
     * chunk; an engine may convert on the device (a quarter of the transfer) or with SIMD, with
     * the same floats.
     */
    default void uploadUnsignedBytes(byte[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count,
                                     float divisor) {
        float[] chunk = HostScratch.floats(Math.min(count, HostScratch.CHUNK));
        for (int done = 0; done < count; ) {
            int len = Math.min(Math.min(chunk.length, HostScratch.CHUNK), count - done);
            for (int i = 0; i < len; i++) {
                chunk[i] = (src[srcOffset + done + i] & 0xFF) / divisor;
            }
            upload(chunk, 0, dst, dstOffset + done, len);
            done += len;
        }
    }

    /** Waits for pending work, then copies {@code count} floats from {@code src[srcOffset..]} into {@code dst[dstOffset..]}. */
    void download(DeviceBuffer src, int srcOffset, float[] dst, int dstOffset, int count);

    /** Waits for pending work, then copies {@code count} ints. */
    void download(DeviceBuffer src, int srcOffset, int[] dst, int dstOffset, int count);

    /** Waits until all enqueued work is done, raising any deferred device error. */
    void synchronize();

    // ---------------------------------------------------------------- BLAS-like

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C}, with {@code op(A)} m x k and {@code op(B)} k x n.
     * {@code A} is stored k x m when {@code transA}, else m x k; {@code B} is n x k when
     * {@code transB}, else k x n; C is m x n. When {@code beta == 0}, C is not read (NaN in C
     * does not propagate). {@code k} may be 0 (then C = beta C). Results must not depend on
     * the number of threads.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b,
              float beta, DeviceBuffer c);

    /** {@code y[r][c] = x[r][c] + bias[c]} for a rows x cols {@code x}; {@code y} may be {@code x}. */
    void biasAdd(DeviceBuffer x, DeviceBuffer bias, DeviceBuffer y, int rows, int cols);

    /** The bias gradient: {@code db[c] = sum_r dy[r][c] + beta * db[c]}; when {@code beta == 0}, db is not read. */
    void biasGrad(DeviceBuffer dy, DeviceBuffer db, int rows, int cols, float beta);

    // ---------------------------------------------------------------- activations

    /**
     * {@code y = act(x)} for a rows x cols tensor: elementwise, or over each row for softmax and
     * log-softmax. {@code param} is LeakyReLU's negative slope, ignored by the others.
     * {@code y} may be {@code x} for the elementwise activations.
     */
    void activation(Activation act, float param, DeviceBuffer x, DeviceBuffer y, int rows, int cols);

    /**
     * {@code dx = dL/dx} given {@code dy = dL/dy}, the forward input {@code x} and output {@code y}.
     * For softmax: {@code dx = y (dy - sum_row(dy y))}; for log-softmax:
     * {@code dx = dy - exp(y) sum_row(dy)}. {@code dx} may be {@code dy}.
     */
    void activationBackward(Activation act, float param, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
                            DeviceBuffer dx, int rows, int cols);

    // ---------------------------------------------------------------- losses

    /**
     * Fused softmax-cross-entropy over rows x cols logits and int32 {@code labels} (one per row):
     * writes the loss to {@code loss[0]} and, when {@code grad} is not null, its gradient with
     * respect to the logits, in one pass. With label smoothing {@code ls} the target of row
     * {@code r} is {@code (1 - ls) onehot(label) + ls / cols}; the gradient is
     * {@code softmax(x) - target}, divided by rows for MEAN. A label outside {@code [0, cols)}
     * is an error naming the row: raised at once, or at the next sync on asynchronous engines.
     */
    void softmaxCrossEntropy(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer loss, DeviceBuffer grad,
                             int rows, int cols, Reduction reduction, float labelSmoothing);

    /**
     * An elementwise loss over rows x cols {@code input} and {@code target}: writes the reduced
     * loss to {@code loss[0]} and, when {@code grad} is not null, the gradient with respect to the
     * input. See {@link LossKind}.
     */
    void loss(LossKind kind, DeviceBuffer input, DeviceBuffer target, DeviceBuffer loss, DeviceBuffer grad,
              int rows, int cols, Reduction reduction);

    // ---------------------------------------------------------------- optimizers (in place, fused)

    /**
     * One SGD step over {@code n} parameters; {@code momentumBuf} is null when there is no
     * momentum. {@code step} is 1 on the first step (the momentum buffer is then initialised
     * from the gradient, not read).
     */
    void sgdStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer momentumBuf, int n, SgdParams p, float lr,
                 long step);

    /** One Adam/AdamW step; {@code step} is 1-based; {@code maxExpAvgSq} is null unless AMSGrad. */
    void adamStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer expAvg, DeviceBuffer expAvgSq,
                  DeviceBuffer maxExpAvgSq, int n, AdamParams p, float lr, long step);

    /** One RMSprop step; {@code gradAvg} is null unless centered, {@code momentumBuf} null without momentum. */
    void rmspropStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer squareAvg, DeviceBuffer gradAvg,
                     DeviceBuffer momentumBuf, int n, RmsPropParams p, float lr, long step);

    /** One Adagrad step; {@code step} is 1-based. */
    void adagradStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer stateSum, int n, AdagradParams p,
                     float lr, long step);

    // ---------------------------------------------------------------- reductions and utilities

    /** {@code out[r]} = the index of the first maximum of row {@code r} (int32). NaN counts as the maximum, as in PyTorch. */
    void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols);

    /**
     * Adds to the int32 {@code counter[0]} the number of rows whose argmax equals the label, so
     * that accuracy over many batches needs one sync at the end.
     */
    void countCorrect(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer counter, int rows, int cols);

    /** Sets {@code n} floats to {@code value}. */
    void fill(DeviceBuffer x, float value, int n);

    /** Sets {@code n} ints to {@code value}. */
    void fillInt(DeviceBuffer x, int value, int n);

    /** Copies {@code n} elements (either dtype) from {@code src} to {@code dst}. */
    void copy(DeviceBuffer src, DeviceBuffer dst, int n);

    /** {@code x *= alpha}. */
    void scale(DeviceBuffer x, float alpha, int n);

    /** {@code y += alpha x}. */
    void axpy(float alpha, DeviceBuffer x, DeviceBuffer y, int n);

    /** Writes the norm of {@code x} to {@code out[0]}. */
    void norm(NormKind kind, DeviceBuffer x, DeviceBuffer out, int n);

    /** Writes the sum of {@code x} to {@code out[0]}. */
    void sum(DeviceBuffer x, DeviceBuffer out, int n);

    /** Frees device resources. Buffers still allocated are released with it. */
    @Override
    void close();
}
