package dev.kiln.testkit;

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

/**
 * A {@link ComputeEngine} that hands every call to another one: override one op to plant a bug
 * (and prove the conformance suite catches it), count calls, or inject faults.
 */
public class DelegatingEngine implements ComputeEngine {
    /** The engine every call goes to. */
    protected final ComputeEngine delegate;

    public DelegatingEngine(ComputeEngine delegate) {
        this.delegate = delegate;
    }

    @Override
    public DeviceInfo device() {
        return delegate.device();
    }

    @Override
    public DeviceBuffer allocate(DType dtype, int elements) {
        return delegate.allocate(dtype, elements);
    }

    @Override
    public void free(DeviceBuffer buffer) {
        delegate.free(buffer);
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        delegate.upload(src, srcOffset, dst, dstOffset, count);
    }

    @Override
    public void upload(int[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        delegate.upload(src, srcOffset, dst, dstOffset, count);
    }

    @Override
    public void uploadUnsignedBytes(byte[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count,
                                    float divisor) {
        delegate.uploadUnsignedBytes(src, srcOffset, dst, dstOffset, count, divisor);
    }

    @Override
    public void download(DeviceBuffer src, int srcOffset, float[] dst, int dstOffset, int count) {
        delegate.download(src, srcOffset, dst, dstOffset, count);
    }

    @Override
    public void download(DeviceBuffer src, int srcOffset, int[] dst, int dstOffset, int count) {
        delegate.download(src, srcOffset, dst, dstOffset, count);
    }

    @Override
    public void synchronize() {
        delegate.synchronize();
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                     DeviceBuffer b, float beta, DeviceBuffer c) {
        delegate.gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
    }

    @Override
    public void biasAdd(DeviceBuffer x, DeviceBuffer bias, DeviceBuffer y, int rows, int cols) {
        delegate.biasAdd(x, bias, y, rows, cols);
    }

    @Override
    public void biasGrad(DeviceBuffer dy, DeviceBuffer db, int rows, int cols, float beta) {
        delegate.biasGrad(dy, db, rows, cols, beta);
    }

    @Override
    public void activation(Activation act, float param, DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
        delegate.activation(act, param, x, y, rows, cols);
    }

    @Override
    public void activationBackward(Activation act, float param, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
                                   DeviceBuffer dx, int rows, int cols) {
        delegate.activationBackward(act, param, x, y, dy, dx, rows, cols);
    }

    @Override
    public void softmaxCrossEntropy(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer loss, DeviceBuffer grad,
                                    int rows, int cols, Reduction reduction, float labelSmoothing) {
        delegate.softmaxCrossEntropy(logits, labels, loss, grad, rows, cols, reduction, labelSmoothing);
    }

    @Override
    public void loss(LossKind kind, DeviceBuffer input, DeviceBuffer target, DeviceBuffer loss, DeviceBuffer grad,
                     int rows, int cols, Reduction reduction) {
        delegate.loss(kind, input, target, loss, grad, rows, cols, reduction);
    }

    @Override
    public void sgdStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer momentumBuf, int n, SgdParams p,
                        float lr, long step) {
        delegate.sgdStep(param, grad, momentumBuf, n, p, lr, step);
    }

    @Override
    public void adamStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer expAvg, DeviceBuffer expAvgSq,
                         DeviceBuffer maxExpAvgSq, int n, AdamParams p, float lr, long step) {
        delegate.adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, n, p, lr, step);
    }

    @Override
    public void rmspropStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer squareAvg, DeviceBuffer gradAvg,
                            DeviceBuffer momentumBuf, int n, RmsPropParams p, float lr, long step) {
        delegate.rmspropStep(param, grad, squareAvg, gradAvg, momentumBuf, n, p, lr, step);
    }

    @Override
    public void adagradStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer stateSum, int n, AdagradParams p,
                            float lr, long step) {
        delegate.adagradStep(param, grad, stateSum, n, p, lr, step);
    }

    @Override
    public void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols) {
        delegate.argmax(x, out, rows, cols);
    }

    @Override
    public void countCorrect(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer counter, int rows, int cols) {
        delegate.countCorrect(logits, labels, counter, rows, cols);
    }

    @Override
    public void fill(DeviceBuffer x, float value, int n) {
        delegate.fill(x, value, n);
    }

    @Override
    public void fillInt(DeviceBuffer x, int value, int n) {
        delegate.fillInt(x, value, n);
    }

    @Override
    public void copy(DeviceBuffer src, DeviceBuffer dst, int n) {
        delegate.copy(src, dst, n);
    }

    @Override
    public void scale(DeviceBuffer x, float alpha, int n) {
        delegate.scale(x, alpha, n);
    }

    @Override
    public void axpy(float alpha, DeviceBuffer x, DeviceBuffer y, int n) {
        delegate.axpy(alpha, x, y, n);
    }

    @Override
    public void norm(NormKind kind, DeviceBuffer x, DeviceBuffer out, int n) {
        delegate.norm(kind, x, out, n);
    }

    @Override
    public void sum(DeviceBuffer x, DeviceBuffer out, int n) {
        delegate.sum(x, out, n);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
