package dev.kiln.core.reference;

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
import dev.kiln.core.spi.DeviceType;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The float64 oracle ({@link Reference}) behind the {@link ComputeEngine} interface, so that it can
 * stand behind a {@link dev.kiln.core.Backend} front door or check another engine in
 * {@link dev.kiln.core.crosscheck.CrossCheckEngine}.
 *
 * <p>F32 buffers hold doubles: uploads widen floats exactly, op results stay in double (never
 * rounded to float, since this is the oracle), and only downloads round to float. It is not a user
 * backend and is not registered with {@link java.util.ServiceLoader}; open it with
 * {@code new Backend("reference", new ReferenceEngine(), LeakDetection.fromSystemProperty())}.
 */
public final class ReferenceEngine implements ComputeEngine {
    private final DeviceInfo device;
    private boolean closed;

    public ReferenceEngine() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("precision", "float64");
        props.put("purpose", "oracle for conformance tests and -Dkiln.crosscheck");
        this.device = new DeviceInfo("reference", 0, "float64 reference (Java)", DeviceType.CPU, 0, props);
    }

    /** One buffer: doubles for F32, ints for I32. */
    private static final class RefBuffer implements DeviceBuffer {
        private final DType dtype;
        private final int elements;
        private double[] f;
        private int[] i;

        RefBuffer(DType dtype, int elements) {
            this.dtype = dtype;
            this.elements = elements;
            if (dtype == DType.F32) {
                f = new double[elements];
            } else {
                i = new int[elements];
            }
        }

        @Override
        public DType dtype() {
            return dtype;
        }

        @Override
        public int elements() {
            return elements;
        }

        double[] f() {
            if (f == null) {
                throw new IllegalStateException("reference buffer " + dtype + "[" + elements + "] is "
                        + (i == null ? "freed" : "int32, not float32"));
            }
            return f;
        }

        int[] i() {
            if (i == null) {
                throw new IllegalStateException("reference buffer " + dtype + "[" + elements + "] is "
                        + (f == null ? "freed" : "float32, not int32"));
            }
            return i;
        }
    }

    private static double[] f(DeviceBuffer b) {
        return b == null ? null : ((RefBuffer) b).f();
    }

    private static int[] i(DeviceBuffer b) {
        return ((RefBuffer) b).i();
    }

    @Override
    public DeviceInfo device() {
        return device;
    }

    // ---------------------------------------------------------------- memory

    @Override
    public DeviceBuffer allocate(DType dtype, int elements) {
        if (closed) {
            throw new IllegalStateException("reference engine is closed");
        }
        return new RefBuffer(dtype, elements);
    }

    @Override
    public void free(DeviceBuffer buffer) {
        RefBuffer b = (RefBuffer) buffer;
        b.f = null;
        b.i = null;
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        double[] d = f(dst);
        for (int k = 0; k < count; k++) {
            d[dstOffset + k] = src[srcOffset + k];
        }
    }

    @Override
    public void upload(int[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        System.arraycopy(src, srcOffset, i(dst), dstOffset, count);
    }

    @Override
    public void download(DeviceBuffer src, int srcOffset, float[] dst, int dstOffset, int count) {
        double[] s = f(src);
        for (int k = 0; k < count; k++) {
            dst[dstOffset + k] = (float) s[srcOffset + k];
        }
    }

    @Override
    public void download(DeviceBuffer src, int srcOffset, int[] dst, int dstOffset, int count) {
        System.arraycopy(i(src), srcOffset, dst, dstOffset, count);
    }

    /**
     * The exact double values of a float32 buffer, for tests and tools that want the oracle's
     * result before it is rounded to float. Not part of {@link ComputeEngine}.
     */
    public double[] downloadDoubles(DeviceBuffer src, int count) {
        return java.util.Arrays.copyOf(f(src), count);
    }

    @Override
    public void synchronize() {
        // Synchronous: nothing is ever pending.
    }

    // ---------------------------------------------------------------- ops

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                     DeviceBuffer b, float beta, DeviceBuffer c) {
        Reference.gemm(transA, transB, m, n, k, alpha, f(a), f(b), beta, f(c));
    }

    @Override
    public void biasAdd(DeviceBuffer x, DeviceBuffer bias, DeviceBuffer y, int rows, int cols) {
        Reference.biasAdd(f(x), f(bias), f(y), rows, cols);
    }

    @Override
    public void biasGrad(DeviceBuffer dy, DeviceBuffer db, int rows, int cols, float beta) {
        Reference.biasGrad(f(dy), f(db), rows, cols, beta);
    }

    @Override
    public void activation(Activation act, float param, DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
        Reference.activation(act, param, f(x), f(y), rows, cols);
    }

    @Override
    public void activationBackward(Activation act, float param, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
                                   DeviceBuffer dx, int rows, int cols) {
        Reference.activationBackward(act, param, f(x), f(y), f(dy), f(dx), rows, cols);
    }

    @Override
    public void softmaxCrossEntropy(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer loss, DeviceBuffer grad,
                                    int rows, int cols, Reduction reduction, float labelSmoothing) {
        f(loss)[0] = Reference.softmaxCrossEntropy(f(logits), i(labels), f(grad), rows, cols, reduction,
                labelSmoothing);
    }

    @Override
    public void loss(LossKind kind, DeviceBuffer input, DeviceBuffer target, DeviceBuffer loss, DeviceBuffer grad,
                     int rows, int cols, Reduction reduction) {
        f(loss)[0] = Reference.loss(kind, f(input), f(target), f(grad), rows, cols, reduction);
    }

    @Override
    public void sgdStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer momentumBuf, int n, SgdParams p,
                        float lr, long step) {
        Reference.sgdStep(f(param), f(grad), f(momentumBuf), n, p, lr, step);
    }

    @Override
    public void adamStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer expAvg, DeviceBuffer expAvgSq,
                         DeviceBuffer maxExpAvgSq, int n, AdamParams p, float lr, long step) {
        Reference.adamStep(f(param), f(grad), f(expAvg), f(expAvgSq), f(maxExpAvgSq), n, p, lr, step);
    }

    @Override
    public void rmspropStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer squareAvg, DeviceBuffer gradAvg,
                            DeviceBuffer momentumBuf, int n, RmsPropParams p, float lr, long step) {
        Reference.rmspropStep(f(param), f(grad), f(squareAvg), f(gradAvg), f(momentumBuf), n, p, lr);
    }

    @Override
    public void adagradStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer stateSum, int n, AdagradParams p,
                            float lr, long step) {
        Reference.adagradStep(f(param), f(grad), f(stateSum), n, p, lr, step);
    }

    @Override
    public void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols) {
        Reference.argmax(f(x), i(out), rows, cols);
    }

    @Override
    public void countCorrect(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer counter, int rows, int cols) {
        i(counter)[0] += Reference.countCorrect(f(logits), i(labels), rows, cols);
    }

    @Override
    public void fill(DeviceBuffer x, float value, int n) {
        Reference.fill(f(x), value, n);
    }

    @Override
    public void fillInt(DeviceBuffer x, int value, int n) {
        java.util.Arrays.fill(i(x), 0, n, value);
    }

    @Override
    public void copy(DeviceBuffer src, DeviceBuffer dst, int n) {
        if (src.dtype() == DType.F32) {
            Reference.copy(f(src), f(dst), n);
        } else {
            System.arraycopy(i(src), 0, i(dst), 0, n);
        }
    }

    @Override
    public void scale(DeviceBuffer x, float alpha, int n) {
        Reference.scale(f(x), alpha, n);
    }

    @Override
    public void axpy(float alpha, DeviceBuffer x, DeviceBuffer y, int n) {
        Reference.axpy(alpha, f(x), f(y), n);
    }

    @Override
    public void norm(NormKind kind, DeviceBuffer x, DeviceBuffer out, int n) {
        f(out)[0] = Reference.norm(kind, f(x), n);
    }

    @Override
    public void sum(DeviceBuffer x, DeviceBuffer out, int n) {
        f(out)[0] = Reference.sum(f(x), n);
    }

    @Override
    public void close() {
        // Buffers are plain Java arrays; the garbage collector takes them with the engine.
        closed = true;
    }
}
