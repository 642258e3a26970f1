package dev.kiln.core;

import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.DeviceType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A host-memory engine for core's own tests: memory, fill/copy/scale/axpy and a plain GEMM work;
 * every call is recorded so tests can assert that a rejected call never reached the engine.
 */
final class FakeEngine implements ComputeEngine {
    final List<String> calls = new ArrayList<>();
    int allocated;
    int freed;
    boolean closed;
    private final DeviceInfo device;

    FakeEngine(String backend) {
        this(new DeviceInfo(backend, 0, "fake device", DeviceType.CPU, 0, Map.of()));
    }

    FakeEngine(DeviceInfo device) {
        this.device = device;
    }

    static final class Buf implements DeviceBuffer {
        final DType dtype;
        final float[] f;
        final int[] i;

        Buf(DType dtype, int n) {
            this.dtype = dtype;
            f = dtype == DType.F32 ? new float[n] : null;
            i = dtype == DType.I32 ? new int[n] : null;
        }

        @Override
        public DType dtype() {
            return dtype;
        }

        @Override
        public int elements() {
            return f != null ? f.length : i.length;
        }
    }

    private static Buf b(DeviceBuffer d) {
        return (Buf) d;
    }

    @Override
    public DeviceInfo device() {
        return device;
    }

    @Override
    public DeviceBuffer allocate(DType dtype, int elements) {
        allocated++;
        return new Buf(dtype, elements);
    }

    @Override
    public void free(DeviceBuffer buffer) {
        freed++;
    }

    @Override
    public void upload(float[] src, int so, DeviceBuffer dst, int d, int n) {
        System.arraycopy(src, so, b(dst).f, d, n);
    }

    @Override
    public void upload(int[] src, int so, DeviceBuffer dst, int d, int n) {
        System.arraycopy(src, so, b(dst).i, d, n);
    }

    @Override
    public void download(DeviceBuffer src, int so, float[] dst, int d, int n) {
        System.arraycopy(b(src).f, so, dst, d, n);
    }

    @Override
    public void download(DeviceBuffer src, int so, int[] dst, int d, int n) {
        System.arraycopy(b(src).i, so, dst, d, n);
    }

    @Override
    public void synchronize() {
    }

    @Override
    public void gemm(boolean ta, boolean tb, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer bb,
                     float beta, DeviceBuffer c) {
        calls.add("gemm");
        float[] A = b(a).f;
        float[] B = b(bb).f;
        float[] C = b(c).f;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) (ta ? A[p * m + i] : A[i * k + p]) * (tb ? B[j * k + p] : B[p * n + j]);
                }
                C[i * n + j] = (float) (alpha * s + (beta == 0 ? 0 : beta * C[i * n + j]));
            }
        }
    }

    @Override
    public void biasAdd(DeviceBuffer x, DeviceBuffer bias, DeviceBuffer y, int rows, int cols) {
        calls.add("biasAdd");
    }

    @Override
    public void biasGrad(DeviceBuffer dy, DeviceBuffer db, int rows, int cols, float beta) {
        calls.add("biasGrad");
    }

    @Override
    public void activation(Activation act, float param, DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
        calls.add("activation");
        float[] X = b(x).f;
        float[] Y = b(y).f;
        for (int i = 0; i < rows * cols; i++) {
            Y[i] = act == Activation.RELU ? (X[i] > 0 ? X[i] : (Float.isNaN(X[i]) ? X[i] : 0f)) : X[i];
        }
    }

    @Override
    public void activationBackward(Activation act, float param, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
                                   DeviceBuffer dx, int rows, int cols) {
        calls.add("activationBackward");
    }

    @Override
    public void softmaxCrossEntropy(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer loss, DeviceBuffer grad,
                                    int rows, int cols, Reduction reduction, float labelSmoothing) {
        calls.add("softmaxCrossEntropy");
    }

    @Override
    public void loss(LossKind kind, DeviceBuffer input, DeviceBuffer target, DeviceBuffer loss, DeviceBuffer grad,
                     int rows, int cols, Reduction reduction) {
        calls.add("loss");
    }

    @Override
    public void sgdStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer momentumBuf, int n, SgdParams p,
                        float lr, long step) {
        calls.add("sgdStep");
    }

    @Override
    public void adamStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, DeviceBuffer vmax,
                         int n, AdamParams p, float lr, long step) {
        calls.add("adamStep");
    }

    @Override
    public void rmspropStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer sq, DeviceBuffer ga,
                            DeviceBuffer buf, int n, RmsPropParams p, float lr, long step) {
        calls.add("rmspropStep");
    }

    @Override
    public void adagradStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer sum, int n, AdagradParams p,
                            float lr, long step) {
        calls.add("adagradStep");
    }

    @Override
    public void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols) {
        calls.add("argmax");
    }

    @Override
    public void countCorrect(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer counter, int rows, int cols) {
        calls.add("countCorrect");
    }

    @Override
    public void fill(DeviceBuffer x, float value, int n) {
        java.util.Arrays.fill(b(x).f, 0, n, value);
    }

    @Override
    public void fillInt(DeviceBuffer x, int value, int n) {
        java.util.Arrays.fill(b(x).i, 0, n, value);
    }

    @Override
    public void copy(DeviceBuffer src, DeviceBuffer dst, int n) {
        calls.add("copy");
        if (b(src).f != null) {
            System.arraycopy(b(src).f, 0, b(dst).f, 0, n);
        } else {
            System.arraycopy(b(src).i, 0, b(dst).i, 0, n);
        }
    }

    @Override
    public void scale(DeviceBuffer x, float alpha, int n) {
        calls.add("scale");
        for (int i = 0; i < n; i++) {
            b(x).f[i] *= alpha;
        }
    }

    @Override
    public void axpy(float alpha, DeviceBuffer x, DeviceBuffer y, int n) {
        calls.add("axpy");
        for (int i = 0; i < n; i++) {
            b(y).f[i] += alpha * b(x).f[i];
        }
    }

    @Override
    public void norm(NormKind kind, DeviceBuffer x, DeviceBuffer out, int n) {
        calls.add("norm");
    }

    @Override
    public void sum(DeviceBuffer x, DeviceBuffer out, int n) {
        calls.add("sum");
    }

    @Override
    public void close() {
        closed = true;
    }
}
