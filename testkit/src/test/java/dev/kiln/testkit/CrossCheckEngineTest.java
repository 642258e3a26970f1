package dev.kiln.testkit;

import dev.kiln.core.Activation;
import dev.kiln.core.AdamParams;
import dev.kiln.core.Backend;
import dev.kiln.core.DType;
import dev.kiln.core.KilnException;
import dev.kiln.core.LeakDetection;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.SgdParams;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import dev.kiln.core.TensorScope;
import dev.kiln.core.crosscheck.CrossCheckEngine;
import dev.kiln.core.reference.ReferenceEngine;
import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceBuffer;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CrossCheckEngine} lets a correct float32-like engine through a whole training step and
 * stops a faulty one at the first wrong op with a {@link KilnException} that names it.
 */
@SuppressWarnings("try") // tensor scopes are opened only for what their close() does
class CrossCheckEngineTest {

    /** Plays a float32 backend: every output is rounded to float and odd elements are an ulp off. */
    static final class FloatLikeEngine extends ForwardingEngine {
        FloatLikeEngine() {
            super("floatlike");
        }

        void fuzz(DeviceBuffer b, int n) {
            if (b == null) {
                return;
            }
            float[] f = new float[n];
            delegate.download(b, 0, f, 0, n);
            for (int i = 1; i < n; i += 2) {
                f[i] = Math.nextUp(f[i]);
            }
            delegate.upload(f, 0, b, 0, n);
        }

        @Override
        public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                         DeviceBuffer b, float beta, DeviceBuffer c) {
            super.gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
            fuzz(c, m * n);
        }

        @Override
        public void biasAdd(DeviceBuffer x, DeviceBuffer bias, DeviceBuffer y, int rows, int cols) {
            super.biasAdd(x, bias, y, rows, cols);
            fuzz(y, rows * cols);
        }

        @Override
        public void biasGrad(DeviceBuffer dy, DeviceBuffer db, int rows, int cols, float beta) {
            super.biasGrad(dy, db, rows, cols, beta);
            fuzz(db, cols);
        }

        @Override
        public void activation(Activation act, float param, DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
            super.activation(act, param, x, y, rows, cols);
            fuzz(y, rows * cols);
        }

        @Override
        public void activationBackward(Activation act, float param, DeviceBuffer x, DeviceBuffer y,
                                       DeviceBuffer dy, DeviceBuffer dx, int rows, int cols) {
            super.activationBackward(act, param, x, y, dy, dx, rows, cols);
            fuzz(dx, rows * cols);
        }

        @Override
        public void softmaxCrossEntropy(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer loss,
                                        DeviceBuffer grad, int rows, int cols, Reduction reduction, float ls) {
            super.softmaxCrossEntropy(logits, labels, loss, grad, rows, cols, reduction, ls);
            round(loss, 1);
            fuzz(grad, rows * cols);
        }

        @Override
        public void loss(LossKind kind, DeviceBuffer input, DeviceBuffer target, DeviceBuffer loss,
                         DeviceBuffer grad, int rows, int cols, Reduction reduction) {
            super.loss(kind, input, target, loss, grad, rows, cols, reduction);
            round(loss, 1);
            fuzz(grad, rows * cols);
        }

        @Override
        public void sgdStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer buf, int n, SgdParams p, float lr,
                            long step) {
            super.sgdStep(param, grad, buf, n, p, lr, step);
            fuzz(param, n);
            fuzz(buf, n);
        }

        @Override
        public void adamStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, DeviceBuffer vmax,
                             int n, AdamParams p, float lr, long step) {
            super.adamStep(param, grad, m, v, vmax, n, p, lr, step);
            fuzz(param, n);
            fuzz(m, n);
            fuzz(v, n);
            fuzz(vmax, n);
        }

        @Override
        public void scale(DeviceBuffer x, float alpha, int n) {
            super.scale(x, alpha, n);
            fuzz(x, n);
        }

        @Override
        public void axpy(float alpha, DeviceBuffer x, DeviceBuffer y, int n) {
            super.axpy(alpha, x, y, n);
            fuzz(y, n);
        }

        @Override
        public void norm(NormKind kind, DeviceBuffer x, DeviceBuffer out, int n) {
            super.norm(kind, x, out, n);
            round(out, 1);
        }

        @Override
        public void sum(DeviceBuffer x, DeviceBuffer out, int n) {
            super.sum(x, out, n);
            round(out, 1);
        }
    }

    /** A faulty backend: ReLU's output at index 5 is off by 1e-3. */
    static final class BrokenReluEngine extends ForwardingEngine {
        BrokenReluEngine() {
            super("broken-relu");
        }

        @Override
        public void activation(Activation act, float param, DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
            super.activation(act, param, x, y, rows, cols);
            if (act == Activation.RELU && rows * cols > 5) {
                float[] v = new float[rows * cols];
                delegate.download(y, 0, v, 0, v.length);
                v[5] += 1e-3f;
                delegate.upload(v, 0, y, 0, v.length);
            }
        }
    }

    /** A subtly faulty GEMM: the dot products skip their last term (an off-by-one in the k loop). */
    static final class ShortGemmEngine extends ForwardingEngine {
        ShortGemmEngine() {
            super("short-gemm");
        }

        @Override
        public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                         DeviceBuffer b, float beta, DeviceBuffer c) {
            if (transA || transB) {
                super.gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
                return;
            }
            // Without transposes, A's first k-1 columns times B's first k-1 rows: copy them out.
            float[] av = new float[m * k];
            float[] bv = new float[k * n];
            delegate.download(a, 0, av, 0, av.length);
            delegate.download(b, 0, bv, 0, bv.length);
            float[] cv = new float[m * n];
            delegate.download(c, 0, cv, 0, cv.length);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int l = 0; l < k - 1; l++) {
                        s += (double) av[i * k + l] * bv[l * n + j];
                    }
                    cv[i * n + j] = (float) (alpha * s + (beta == 0 ? 0 : beta * cv[i * n + j]));
                }
            }
            delegate.upload(cv, 0, c, 0, cv.length);
        }
    }

    static Backend crossChecked(ComputeEngine primary) {
        return new Backend(primary.device().backend() + "+crosscheck(reference)",
                new CrossCheckEngine(primary, new ReferenceEngine()), LeakDetection.fromSystemProperty());
    }

    static float[] random(Random rnd, int n, double scale) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) (rnd.nextGaussian() * scale);
        }
        return f;
    }

    @Test
    void brokenReluIsCaughtNamingTheOp() {
        try (Backend backend = crossChecked(new BrokenReluEngine()); TensorScope s = backend.scope()) {
            Tensor x = backend.fromArray(random(new Random(1), 12, 1), 3, 4);
            Tensor y = backend.zeros(3, 4);
            backend.activation(Activation.SIGMOID, x, y); // a correct op passes
            KilnException e = assertThrows(KilnException.class, () -> backend.activation(Activation.RELU, x, y));
            assertEquals("activation(relu)", e.op());
            assertEquals("broken-relu", e.backend());
            String msg = e.getMessage();
            assertTrue(msg.contains("activation(relu)(rows=3, cols=4)"), msg);
            assertTrue(msg.contains("index 5 (row 1, col 1)"), msg);
            assertTrue(msg.contains("broken-relu = ") && msg.contains("reference = "), msg);
            assertTrue(msg.contains("|error|") && msg.contains("tolerance"), msg);
        }
    }

    @Test
    void gemmMissingOneTermIsCaught() {
        Random rnd = new Random(2);
        try (Backend backend = crossChecked(new ShortGemmEngine()); TensorScope s = backend.scope()) {
            Tensor a = backend.fromArray(random(rnd, 16 * 64, 1), 16, 64);
            Tensor b = backend.fromArray(random(rnd, 64 * 8, 1), 64, 8);
            Tensor c = backend.zeros(16, 8);
            KilnException e = assertThrows(KilnException.class, () -> backend.gemm(false, false, 1f, a, b, 0f, c));
            assertEquals("gemm", e.op());
            assertTrue(e.getMessage().contains("m=16, n=8, k=64"), e.getMessage());
            assertTrue(e.getMessage().contains("(k + 3) * 1e-6"), e.getMessage());
            // The same engine's transposed GEMMs are right and pass.
            Tensor bt = backend.fromArray(random(rnd, 8 * 64, 1), 8, 64);
            backend.gemm(false, true, 1f, a, bt, 0f, c);
        }
    }

    /** A float32-like engine runs a whole MLP training step, forward and backward, without a false alarm. */
    @Test
    void correctFloatEnginePassesATrainingStep() {
        Random rnd = new Random(3);
        int batch = 32;
        int in = 100;
        int hidden = 48;
        int classes = 10;
        CrossCheckEngine engine = new CrossCheckEngine(new FloatLikeEngine(), new ReferenceEngine());
        try (Backend backend = new Backend("floatlike+crosscheck", engine, LeakDetection.fromSystemProperty());
             TensorScope s = backend.scope()) {
            assertTrue(backend.device().properties().get("crosscheck").startsWith("reference:0"),
                    backend.device().properties().toString());
            Tensor x = backend.fromArray(random(rnd, batch * in, 1), batch, in);
            int[] labelValues = new int[batch];
            for (int i = 0; i < batch; i++) {
                labelValues[i] = rnd.nextInt(classes);
            }
            Tensor labels = backend.labels(labelValues);
            Tensor w1 = backend.fromArray(random(rnd, hidden * in, 0.1), hidden, in);
            Tensor b1 = backend.fromArray(random(rnd, hidden, 0.1), hidden);
            Tensor w2 = backend.fromArray(random(rnd, classes * hidden, 0.1), classes, hidden);
            Tensor b2 = backend.fromArray(random(rnd, classes, 0.1), classes);
            Tensor h = backend.zeros(batch, hidden);
            Tensor a = backend.zeros(batch, hidden);
            Tensor logits = backend.zeros(batch, classes);
            Tensor loss = backend.zeros(1);
            Tensor dlogits = backend.zeros(batch, classes);
            Tensor dw2 = backend.zeros(classes, hidden);
            Tensor db2 = backend.zeros(classes);
            Tensor da = backend.zeros(batch, hidden);
            Tensor dh = backend.zeros(batch, hidden);
            Tensor dw1 = backend.zeros(hidden, in);
            Tensor db1 = backend.zeros(hidden);
            Tensor mom1 = backend.zeros(hidden, in);
            Tensor m2 = backend.zeros(classes, hidden);
            Tensor v2 = backend.zeros(classes, hidden);
            Tensor vmax2 = backend.zeros(classes, hidden);
            Tensor mb = backend.zeros(hidden);
            Tensor counter = backend.zeros(DType.I32, Shape.of(1));
            Tensor out = backend.zeros(1);
            Tensor gelu = backend.zeros(batch, hidden);
            float first = Float.NaN;
            for (int step = 1; step <= 5; step++) {
                backend.gemm(false, true, 1f, x, w1, 0f, h);
                backend.biasAdd(h, b1, h);
                backend.activation(Activation.RELU, h, a);
                backend.activation(Activation.GELU_ERF, h, gelu);
                backend.gemm(false, true, 1f, a, w2, 0f, logits);
                backend.biasAdd(logits, b2, logits);
                backend.softmaxCrossEntropy(logits, labels, loss, dlogits, Reduction.MEAN, 0.1f);
                backend.countCorrect(logits, labels, counter);
                backend.gemm(true, false, 1f, dlogits, a, 0f, dw2);
                backend.biasGrad(dlogits, db2, 0f);
                backend.gemm(false, false, 1f, dlogits, w2, 0f, da);
                backend.activationBackward(Activation.RELU, h, a, da, dh);
                backend.gemm(true, false, 1f, dh, x, 0f, dw1);
                backend.biasGrad(dh, db1, 0f);
                backend.norm(NormKind.L2, dw1, out);
                backend.sum(dw2, out);
                backend.sgdStep(w1, dw1, mom1, SgdParams.momentum(0.9f), 0.1f, step);
                backend.sgdStep(b1, db1, mb, SgdParams.momentum(0.9f), 0.1f, step);
                backend.adamStep(w2, dw2, m2, v2, vmax2, AdamParams.adam().withAmsgrad(true), 1e-2f, step);
                backend.axpy(-0.1f, db2, b2);
                backend.scale(dw2, 0.5f);
                if (step == 1) {
                    first = loss.item();
                }
            }
            assertTrue(loss.item() < first, "the loss went down: " + first + " -> " + loss.item());
            assertTrue(engine.opsChecked() > 100, "ops checked: " + engine.opsChecked());
        }
    }

    /** The user sees the primary's values; NaN from both sides agrees. */
    @Test
    void downloadsComeFromThePrimaryAndNaNsAgree() {
        try (Backend backend = crossChecked(new FloatLikeEngine()); TensorScope s = backend.scope()) {
            Tensor x = backend.fromArray(new float[] {Float.NaN, -1, 2, 3}, 4);
            Tensor y = backend.zeros(4);
            backend.activation(Activation.RELU, x, y);
            float[] got = y.toFloatArray();
            assertTrue(Float.isNaN(got[0]));
            // FloatLikeEngine moves odd elements up an ulp: the download shows it, so it came from the primary.
            assertArrayEquals(new float[] {Math.nextUp(0f), 2f, Math.nextUp(3f)}, java.util.Arrays.copyOfRange(got, 1, 4));
        }
    }

    @Test
    void constructorRejectsNull() {
        assertThrows(IllegalArgumentException.class, () -> new CrossCheckEngine(null, new ReferenceEngine()));
    }
}
