package dev.kiln.testkit;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.DType;
import dev.kiln.core.KilnException;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceBuffer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test-only fault injector: an engine that hands every call to another one, and makes the N-th
 * call of a chosen op fail as a native failure would, with a {@link KilnException} naming the
 * backend, the op and a native error name (like {@code CL_OUT_OF_RESOURCES}). The failing call
 * does not reach the real engine; every other call does.
 */
public class FaultInjectingEngine extends DelegatingEngine {
    private final String backendName;
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private volatile String failOp;
    private volatile int failAt;
    private volatile String nativeError;

    /** Wraps {@code delegate}; {@code backendName} is what the injected exceptions name. */
    public FaultInjectingEngine(String backendName, ComputeEngine delegate) {
        super(delegate);
        this.backendName = backendName;
    }

    /**
     * Makes the {@code nth} call (1-based, counted from now) of {@code op} (an SPI method name
     * like {@code adamStep} or {@code allocate}) throw once with {@code nativeError}.
     */
    public synchronized void failOn(String op, int nth, String nativeError) {
        if (nth < 1) {
            throw new IllegalArgumentException("nth is 1-based, got " + nth);
        }
        this.calls.clear();
        this.nativeError = nativeError;
        this.failAt = nth;
        this.failOp = op;
    }

    /** How many times {@code op} was called since the last {@link #failOn} (or since creation). */
    public int calls(String op) {
        AtomicInteger n = calls.get(op);
        return n == null ? 0 : n.get();
    }

    /** Counted (as {@code free}) but never failed: a free that failed would leak, which is not a fault to simulate. */
    @Override
    public void free(DeviceBuffer buffer) {
        calls.computeIfAbsent("free", k -> new AtomicInteger()).incrementAndGet();
        delegate.free(buffer);
    }

    private void hit(String op) {
        int n = calls.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
        String f = failOp;
        if (op.equals(f) && n == failAt) {
            failOp = null; // once
            throw new KilnException(backendName, op, nativeError, "injected fault on call " + n + " of " + op);
        }
    }

    @Override
    public DeviceBuffer allocate(DType dtype, int elements) {
        hit("allocate");
        return delegate.allocate(dtype, elements);
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        hit("upload");
        delegate.upload(src, srcOffset, dst, dstOffset, count);
    }

    @Override
    public void upload(int[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        hit("upload");
        delegate.upload(src, srcOffset, dst, dstOffset, count);
    }

    @Override
    public void uploadUnsignedBytes(byte[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count,
                                    float divisor) {
        hit("upload");
        delegate.uploadUnsignedBytes(src, srcOffset, dst, dstOffset, count, divisor);
    }

    @Override
    public void download(DeviceBuffer src, int srcOffset, float[] dst, int dstOffset, int count) {
        hit("download");
        delegate.download(src, srcOffset, dst, dstOffset, count);
    }

    @Override
    public void download(DeviceBuffer src, int srcOffset, int[] dst, int dstOffset, int count) {
        hit("download");
        delegate.download(src, srcOffset, dst, dstOffset, count);
    }

    @Override
    public void synchronize() {
        hit("synchronize");
        delegate.synchronize();
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                     DeviceBuffer b, float beta, DeviceBuffer c) {
        hit("gemm");
        delegate.gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
    }

    @Override
    public void biasAdd(DeviceBuffer x, DeviceBuffer bias, DeviceBuffer y, int rows, int cols) {
        hit("biasAdd");
        delegate.biasAdd(x, bias, y, rows, cols);
    }

    @Override
    public void biasGrad(DeviceBuffer dy, DeviceBuffer db, int rows, int cols, float beta) {
        hit("biasGrad");
        delegate.biasGrad(dy, db, rows, cols, beta);
    }

    @Override
    public void activation(Activation act, float param, DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
        hit("activation");
        delegate.activation(act, param, x, y, rows, cols);
    }

    @Override
    public void activationBackward(Activation act, float param, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
                                   DeviceBuffer dx, int rows, int cols) {
        hit("activationBackward");
        delegate.activationBackward(act, param, x, y, dy, dx, rows, cols);
    }

    @Override
    public void softmaxCrossEntropy(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer loss, DeviceBuffer grad,
                                    int rows, int cols, Reduction reduction, float labelSmoothing) {
        hit("softmaxCrossEntropy");
        delegate.softmaxCrossEntropy(logits, labels, loss, grad, rows, cols, reduction, labelSmoothing);
    }

    @Override
    public void loss(LossKind kind, DeviceBuffer input, DeviceBuffer target, DeviceBuffer loss, DeviceBuffer grad,
                     int rows, int cols, Reduction reduction) {
        hit("loss");
        delegate.loss(kind, input, target, loss, grad, rows, cols, reduction);
    }

    @Override
    public void sgdStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer momentumBuf, int n, SgdParams p,
                        float lr, long step) {
        hit("sgdStep");
        delegate.sgdStep(param, grad, momentumBuf, n, p, lr, step);
    }

    @Override
    public void adamStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer expAvg, DeviceBuffer expAvgSq,
                         DeviceBuffer maxExpAvgSq, int n, AdamParams p, float lr, long step) {
        hit("adamStep");
        delegate.adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, n, p, lr, step);
    }

    @Override
    public void rmspropStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer squareAvg, DeviceBuffer gradAvg,
                            DeviceBuffer momentumBuf, int n, RmsPropParams p, float lr, long step) {
        hit("rmspropStep");
        delegate.rmspropStep(param, grad, squareAvg, gradAvg, momentumBuf, n, p, lr, step);
    }

    @Override
    public void adagradStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer stateSum, int n, AdagradParams p,
                            float lr, long step) {
        hit("adagradStep");
        delegate.adagradStep(param, grad, stateSum, n, p, lr, step);
    }

    @Override
    public void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols) {
        hit("argmax");
        delegate.argmax(x, out, rows, cols);
    }

    @Override
    public void countCorrect(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer counter, int rows, int cols) {
        hit("countCorrect");
        delegate.countCorrect(logits, labels, counter, rows, cols);
    }

    @Override
    public void fill(DeviceBuffer x, float value, int n) {
        hit("fill");
        delegate.fill(x, value, n);
    }

    @Override
    public void fillInt(DeviceBuffer x, int value, int n) {
        hit("fillInt");
        delegate.fillInt(x, value, n);
    }

    @Override
    public void copy(DeviceBuffer src, DeviceBuffer dst, int n) {
        hit("copy");
        delegate.copy(src, dst, n);
    }

    @Override
    public void scale(DeviceBuffer x, float alpha, int n) {
        hit("scale");
        delegate.scale(x, alpha, n);
    }

    @Override
    public void axpy(float alpha, DeviceBuffer x, DeviceBuffer y, int n) {
        hit("axpy");
        delegate.axpy(alpha, x, y, n);
    }

    @Override
    public void norm(NormKind kind, DeviceBuffer x, DeviceBuffer out, int n) {
        hit("norm");
        delegate.norm(kind, x, out, n);
    }

    @Override
    public void sum(DeviceBuffer x, DeviceBuffer out, int n) {
        hit("sum");
        delegate.sum(x, out, n);
    }
}
