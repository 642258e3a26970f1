package dev.kiln.testkit;

import dev.kiln.core.Activation;
import dev.kiln.core.AdamParams;
import dev.kiln.core.Backend;
import dev.kiln.core.Backends;
import dev.kiln.core.DType;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.core.Reduction;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import dev.kiln.core.TensorScope;
import dev.kiln.core.verify.VerificationGrid;
import dev.kiln.core.verify.VerificationResult;

import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.opentest4j.TestAbortedException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The conformance suite every Kiln backend must pass: extend it in the backend module's tests,
 * name the backend, and the whole contract runs against it. It checks the verification grid
 * (every op, variant and shape against the float64 reference), PyTorch's own results, the front
 * door's errors, NaN/Inf propagation, determinism, and that nothing leaks.
 *
 * <pre>{@code
 * class OpenClConformanceTest extends ConformanceSuite {
 *     protected String backendSpec() { return "opencl"; }
 * }
 * }</pre>
 *
 * <p>An unavailable backend skips the suite with its probe's reason, visibly; one listed in
 * {@code -Dkiln.require.backends} (profiles {@code -Pcuda}, {@code -Popencl}) fails it instead.
 * One backend instance serves the whole class ({@code PER_CLASS}) and is closed after it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("try") // tensor scopes are opened only to close what a test makes
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public abstract class ConformanceSuite {
    private static final System.Logger LOG = System.getLogger("dev.kiln.testkit.ConformanceSuite");

    private Backend backend;
    private Backend reference;
    private String skipReason;

    /** The backend spec to open, like "cpu", "opencl", "cuda". */
    protected abstract String backendSpec();

    /** Opens the backend under test; override to test a decorated/planted engine. Default: Backends.open(backendSpec()). */
    protected Backend openBackend() {
        return Backends.open(backendSpec());
    }

    /** Whether the grid leaves out its 1024 cases; override only for a backend too slow for them. */
    protected boolean quickGrid() {
        return false;
    }

    /** The backend under test, open for the whole class. */
    protected final Backend backend() {
        return backend;
    }

    /** The float64 reference backend the grid compares with, open for the whole class. */
    protected final Backend reference() {
        return reference;
    }

    @BeforeAll
    final void openBackends() {
        try {
            backend = BackendRequirement.openOrSkip(backendSpec(), this::openBackend);
        } catch (TestAbortedException e) {
            // Skip each test rather than the class: Surefire counts a class aborted in @BeforeAll
            // as "Tests run: 0", which hides the skip; per-test aborts show as skipped, with the reason.
            skipReason = e.getMessage();
            return;
        }
        LOG.log(Level.INFO, "conformance suite for " + backendSpec() + " runs on " + backend);
        reference = VerificationGrid.openReference();
    }

    @BeforeEach
    final void skipWhenUnavailable() {
        if (skipReason != null) {
            Assumptions.abort(skipReason);
        }
    }

    @AfterAll
    final void closeBackends() {
        List<Tensor> leaked = backend == null ? List.of() : backend.liveTensors();
        String report = leaked.isEmpty() ? "" : backend.leakReport(leaked);
        if (reference != null) {
            reference.close();
        }
        if (backend != null) {
            backend.close();
        }
        assertTrue(leaked.isEmpty(), report);
    }

    // ================================================================ the verification grid

    @Order(1)
    @TestFactory
    @DisplayName("verification grid: every op x shape against the float64 reference")
    Stream<DynamicTest> verificationGrid() {
        return VerificationGrid.cases(quickGrid()).stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            VerificationResult r = c.run(backend, reference);
            assertTrue(r.passed(), r::summary);
        }));
    }

    // ================================================================ PyTorch's own results

    /** Elementwise ops, losses, optimizer steps against PyTorch: {@code |x - r| <= 1e-6 + 1e-5 |r|}. */
    static final double PT_ATOL = 1e-6;
    static final double PT_RTOL = 1e-5;
    /**
     * GEMM and linear against PyTorch: {@code |x - r| <= 1e-5 (1 + |r|)}, and {@code 1e-4 (1 + |r|)}
     * for K >= 784 (the README's figure): PyTorch's result carries its own float32 error, which
     * grows with K, so the floor matters for elements that cancel to near zero.
     */
    static final double PT_GEMM_TOL = 1e-5;
    static final double PT_GEMM_TOL_LARGE_K = 1e-4;

    @Order(2)
    @TestFactory
    @DisplayName("PyTorch 1.13 cases run through the backend")
    Stream<DynamicNode> pytorchCases() {
        PyTorchCases all = PyTorchCases.load();
        return Stream.of(
                DynamicContainer.dynamicContainer("gemm", all.gemm().stream().map(c ->
                        DynamicTest.dynamicTest("pytorch " + c.name(), () -> pytorchGemm(c)))),
                DynamicContainer.dynamicContainer("linear", all.linear().stream().map(c ->
                        DynamicTest.dynamicTest("pytorch " + c.name(), () -> pytorchLinear(c)))),
                DynamicContainer.dynamicContainer("activation", all.activations().stream().map(c ->
                        DynamicTest.dynamicTest("pytorch " + c.name(), () -> pytorchActivation(c)))),
                DynamicContainer.dynamicContainer("loss", all.losses().stream().map(c ->
                        DynamicTest.dynamicTest("pytorch " + c.name(), () -> pytorchLoss(c)))),
                DynamicContainer.dynamicContainer("optimizer", all.optimizers().stream().map(c ->
                        DynamicTest.dynamicTest("pytorch " + c.name(), () -> pytorchOptimizer(c)))));
    }

    private void pytorchGemm(PyTorchCases.GemmCase c) {
        double tol = c.k() >= 784 ? PT_GEMM_TOL_LARGE_K : PT_GEMM_TOL;
        try (TensorScope s = backend.scope()) {
            Tensor a = upload(c.a());
            Tensor b = upload(c.b());
            Tensor out = upload(c.c());
            backend.gemm(c.transA(), c.transB(), (float) c.alpha(), a, b, (float) c.beta(), out);
            assertClose(c.name() + " out", out.toFloatArray(), c.out(), tol, tol);
        }
    }

    /** torch.nn.Linear through the ops a layer uses: y = x W^T + b, dx = dy W, dW = dy^T x, db = colsum(dy). */
    private void pytorchLinear(PyTorchCases.LinearCase c) {
        double tol = c.in() >= 784 ? PT_GEMM_TOL_LARGE_K : PT_GEMM_TOL;
        try (TensorScope s = backend.scope()) {
            Tensor x = upload(c.x());
            Tensor w = upload(c.w());
            Tensor bias = upload(c.b());
            Tensor dy = upload(c.dy());
            Tensor y = backend.zeros(c.batch(), c.out());
            backend.gemm(false, true, 1f, x, w, 0f, y);
            backend.biasAdd(y, bias, y);
            assertClose(c.name() + " y", y.toFloatArray(), c.y(), tol, tol);
            Tensor dx = backend.zeros(c.batch(), c.in());
            backend.gemm(false, false, 1f, dy, w, 0f, dx);
            assertClose(c.name() + " dx", dx.toFloatArray(), c.dx(), tol, tol);
            Tensor dw = backend.zeros(c.out(), c.in());
            backend.gemm(true, false, 1f, dy, x, 0f, dw);
            assertClose(c.name() + " dW", dw.toFloatArray(), c.dw(), tol, tol);
            Tensor db = backend.zeros(c.out());
            backend.biasGrad(dy, db, 0f);
            assertClose(c.name() + " db", db.toFloatArray(), c.db(), tol, tol);
        }
    }

    private void pytorchActivation(PyTorchCases.ActivationCase c) {
        float param = (float) c.param();
        try (TensorScope s = backend.scope()) {
            Tensor x = upload(c.x());
            Tensor y = backend.empty(DType.F32, c.x().kilnShape());
            backend.activation(c.activation(), param, x, y);
            assertClose(c.name() + " y", y.toFloatArray(), c.y(), PT_ATOL, PT_RTOL);
            // The backward pass gets PyTorch's y, so that only the backward op is compared.
            Tensor yPt = upload(c.y());
            Tensor dy = upload(c.dy());
            Tensor dx = backend.empty(DType.F32, c.x().kilnShape());
            backend.activationBackward(c.activation(), param, x, yPt, dy, dx);
            assertClose(c.name() + " dx", dx.toFloatArray(), c.dx(), PT_ATOL, PT_RTOL);
        }
    }

    private void pytorchLoss(PyTorchCases.LossCase c) {
        try (TensorScope s = backend.scope()) {
            Tensor input = upload(c.input());
            Tensor loss = backend.zeros(1);
            Tensor grad = backend.empty(DType.F32, c.input().kilnShape());
            if (c.crossEntropy()) {
                backend.softmaxCrossEntropy(input, backend.fromInts(c.labels(), c.labels().length), loss, grad,
                        c.reduction(), (float) c.labelSmoothing());
            } else {
                backend.loss(c.kind(), input, upload(c.target()), loss, grad, c.reduction());
            }
            assertClose(c.name() + " loss", loss.toFloatArray(), new double[] {c.loss()}, 1, PT_ATOL, PT_RTOL);
            assertClose(c.name() + " dinput", grad.toFloatArray(), c.dinput(), PT_ATOL, PT_RTOL);
        }
    }

    /** Every step through the backend's optimizer op, from PyTorch's start and gradients; the parameters after each. */
    private void pytorchOptimizer(PyTorchCases.OptimizerCase c) {
        try (TensorScope s = backend.scope()) {
            Tensor p = upload(c.params());
            Shape shape = c.params().kilnShape();
            Tensor g = backend.empty(DType.F32, shape);
            Tensor s1 = backend.zeros(DType.F32, shape);
            Tensor s2 = backend.zeros(DType.F32, shape);
            Tensor s3 = backend.zeros(DType.F32, shape);
            float lr = (float) c.lr();
            if (c.optimizer() == PyTorchCases.Optimizer.ADAGRAD) {
                backend.fill(s1, (float) c.number("initial_accumulator_value"));
            }
            for (int step = 1; step <= c.steps(); step++) {
                g.copyFrom(c.grads().get(step - 1).toFloats());
                switch (c.optimizer()) {
                    case SGD -> {
                        SgdParams sp = c.sgdParams();
                        backend.sgdStep(p, g, sp.hasMomentum() ? s1 : null, sp, lr, step);
                    }
                    case ADAM, ADAMW -> {
                        AdamParams ap = c.adamParams();
                        backend.adamStep(p, g, s1, s2, ap.amsgrad() ? s3 : null, ap, lr, step);
                    }
                    case RMSPROP -> {
                        RmsPropParams rp = c.rmsPropParams();
                        backend.rmspropStep(p, g, s1, rp.centered() ? s2 : null, rp.momentum() != 0 ? s3 : null, rp,
                                lr, step);
                    }
                    case ADAGRAD -> backend.adagradStep(p, g, s1, c.adagradParams(), lr, step);
                    default -> throw new AssertionError("no optimizer op for " + c.optimizer());
                }
                assertClose(c.name() + " after step " + step, p.toFloatArray(), c.after().get(step - 1), PT_ATOL,
                        PT_RTOL);
            }
        }
    }

    private Tensor upload(PyTorchCases.NdArray a) {
        return backend.fromArray(a.toFloats(), a.shape());
    }

    private static void assertClose(String what, float[] got, PyTorchCases.NdArray want, double atol, double rtol) {
        assertClose(what, got, want.data(), want.cols(), atol, rtol);
    }

    /** Fails naming the worst element (where, got, want, bound) when any {@code |x - r| > atol + rtol |r|}. */
    static void assertClose(String what, float[] got, double[] want, int cols, double atol, double rtol) {
        assertEquals(want.length, got.length, what + ": element count");
        int worst = -1;
        double worstRatio = 1;
        for (int i = 0; i < got.length; i++) {
            double bound = atol + rtol * Math.abs(want[i]);
            double err = Math.abs(got[i] - want[i]);
            boolean ok = err <= bound || (Double.isNaN(got[i]) && Double.isNaN(want[i])) || got[i] == want[i];
            double ratio = ok ? 0 : (Double.isNaN(err) ? Double.POSITIVE_INFINITY : err / bound);
            if (!ok && ratio >= worstRatio) {
                worstRatio = ratio;
                worst = i;
            }
        }
        if (worst >= 0) {
            int w = worst;
            fail(String.format(java.util.Locale.ROOT, "%s[%d, %d]: got %.9g, PyTorch %.9g, |diff| %.3g > %.3g + %.3g|r|",
                    what, w / cols, w % cols, got[w], want[w], Math.abs(got[w] - want[w]), atol, rtol));
        }
    }

    // ================================================================ bad input through the front door

    @Order(3)
    @Test
    @DisplayName("bad input: gemm shape mismatch names both shapes and leaves C untouched")
    void shapeMismatchNamesBothShapes() {
        try (TensorScope s = backend.scope()) {
            Tensor a = backend.fromArray(seq(12), 3, 4);
            Tensor b = backend.fromArray(seq(10), 5, 2);
            float[] before = seq(6);
            Tensor c = backend.fromArray(before, 3, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.gemm(false, false, 1f, a, b, 0f, c));
            assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[5, 2]"),
                    "message should name both shapes: " + e.getMessage());
            assertArrayEquals(before, c.toFloatArray(), "a rejected gemm must not write C");

            Tensor x = backend.fromArray(seq(6), 2, 3);
            Tensor y = backend.zeros(3, 2);
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                    () -> backend.activation(Activation.RELU, x, y));
            assertTrue(e2.getMessage().contains("[2, 3]") && e2.getMessage().contains("[3, 2]"),
                    "message should name both shapes: " + e2.getMessage());
        }
        assertStillComputes();
    }

    @Order(3)
    @Test
    @DisplayName("bad input: a tensor of another backend is refused")
    void tensorFromAnotherBackend() {
        try (Backend other = VerificationGrid.openReference();
             TensorScope s = backend.scope();
             TensorScope so = other.scope()) {
            Tensor foreign = other.fromArray(seq(6), 2, 3);
            Tensor y = backend.zeros(2, 3);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.activation(Activation.RELU, foreign, y));
            assertTrue(e.getMessage().contains("belongs to backend"), e.getMessage());
            Tensor mine = backend.fromArray(seq(6), 2, 3);
            Tensor foreignOut = other.zeros(2, 3);
            assertThrows(IllegalArgumentException.class, () -> backend.axpy(1f, mine, foreignOut));
            assertArrayEquals(new float[6], foreignOut.toFloatArray(), "the foreign tensor must be untouched");
        }
        assertStillComputes();
    }

    @Order(3)
    @Test
    @DisplayName("bad input: a closed tensor is an IllegalStateException")
    void closedTensor() {
        try (TensorScope s = backend.scope()) {
            Tensor x = backend.fromArray(seq(6), 2, 3);
            Tensor y = backend.zeros(2, 3);
            x.close();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> backend.activation(Activation.RELU, x, y));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(IllegalStateException.class, x::toFloatArray);
            x.close(); // idempotent
            assertArrayEquals(new float[6], y.toFloatArray(), "a rejected op must not write its output");
        }
        assertStillComputes();
    }

    @Order(3)
    @Test
    @DisplayName("bad input: an int32 tensor where float32 is needed names the dtype")
    void wrongDtype() {
        try (TensorScope s = backend.scope()) {
            Tensor ints = backend.fromInts(new int[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor b = backend.fromArray(seq(6), 3, 2);
            Tensor c = backend.zeros(2, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.gemm(false, false, 1f, ints, b, 0f, c));
            assertTrue(e.getMessage().contains(DType.F32.toString()) && e.getMessage().contains(DType.I32.toString()),
                    "message should name both dtypes: " + e.getMessage());
            Tensor floats = backend.fromArray(new float[] {0, 1, 2}, 3);
            Tensor logits = backend.fromArray(seq(9), 3, 3);
            Tensor loss = backend.zeros(1);
            assertThrows(IllegalArgumentException.class,
                    () -> backend.softmaxCrossEntropy(logits, floats, loss, null, Reduction.MEAN, 0f));
        }
        assertStillComputes();
    }

    @Order(3)
    @Test
    @DisplayName("bad input: a label out of range names the row")
    void labelOutOfRange() {
        try (TensorScope s = backend.scope()) {
            Tensor logits = backend.fromArray(seq(40), 4, 10);
            Tensor loss = backend.fromArray(new float[] {7f}, 1);
            Tensor grad = backend.zeros(4, 10);
            Tensor high = backend.labels(0, 1, 10, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.softmaxCrossEntropy(logits, high, loss, grad, Reduction.MEAN, 0f));
            assertTrue(e.getMessage().contains("row 2") && e.getMessage().contains("10"),
                    "message should name the row and the label: " + e.getMessage());
            Tensor negative = backend.labels(0, -1, 3, 2);
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                    () -> backend.softmaxCrossEntropy(logits, negative, loss, grad, Reduction.MEAN, 0f));
            assertTrue(e2.getMessage().contains("row 1"), "message should name the row: " + e2.getMessage());
            Tensor counter = backend.zeros(DType.I32, Shape.of(1));
            assertThrows(IllegalArgumentException.class, () -> backend.countCorrect(logits, high, counter));
            assertArrayEquals(new float[] {7f}, loss.toFloatArray(), "a rejected loss must not write");
            assertEquals(0, counter.intItem(), "a rejected count must not write");
        }
        assertStillComputes();
    }

    @Order(3)
    @Test
    @DisplayName("upload: unsigned bytes become exactly (b & 0xFF) / divisor; bad input is refused")
    void unsignedByteUpload() {
        int n = 256 * 3 + 37; // every byte value, at several offsets from a vector boundary, and a tail
        byte[] src = new byte[n + 5];
        for (int i = 0; i < src.length; i++) {
            src[i] = (byte) (i * 7 + (i >> 8));
        }
        try (TensorScope s = backend.scope()) {
            for (float divisor : new float[] {255f, 1f, 3.7f, -2f}) {
                for (int offset : new int[] {0, 5}) {
                    Tensor t = backend.empty(DType.F32, Shape.of(n));
                    t.copyFromUnsignedBytes(src, offset, divisor);
                    float[] got = t.toFloatArray();
                    for (int i = 0; i < n; i++) {
                        float want = (src[offset + i] & 0xFF) / divisor;
                        assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[i]),
                                "divisor " + divisor + " offset " + offset + " [" + i + "]: got " + got[i]
                                        + ", want " + want);
                    }
                }
            }
            Tensor t = backend.fromArray(seq(6), 2, 3);
            IllegalArgumentException shortSrc = assertThrows(IllegalArgumentException.class,
                    () -> t.copyFromUnsignedBytes(new byte[8], 3, 255f));
            assertTrue(shortSrc.getMessage().contains("length 8"), shortSrc.getMessage());
            for (float bad : new float[] {0f, Float.NaN, Float.POSITIVE_INFINITY}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> t.copyFromUnsignedBytes(new byte[6], 0, bad));
                assertTrue(e.getMessage().contains("divisor"), e.getMessage());
            }
            Tensor ints = backend.fromInts(new int[] {1, 2, 3}, 3);
            assertThrows(IllegalArgumentException.class, () -> ints.copyFromUnsignedBytes(new byte[3], 0, 255f));
            assertArrayEquals(seq(6), t.toFloatArray(), "a refused upload must not write");
        }
        assertStillComputes();
    }

    /** After an error the backend still computes a GEMM and a loss correctly. */
    private void assertStillComputes() {
        try (TensorScope s = backend.scope()) {
            Tensor a = backend.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor b = backend.fromArray(new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
            Tensor c = backend.zeros(2, 2);
            backend.gemm(false, false, 1f, a, b, 0f, c);
            assertArrayEquals(new float[] {4, 5, 10, 11}, c.toFloatArray(), 1e-6f, "gemm after an error");
            Tensor logits = backend.fromArray(new float[] {0, 0, 0, 0}, 2, 2);
            Tensor loss = backend.zeros(1);
            backend.softmaxCrossEntropy(logits, backend.labels(0, 1), loss, null, Reduction.MEAN, 0f);
            assertEquals(Math.log(2), loss.item(), 1e-6, "cross-entropy after an error");
        }
    }

    // ================================================================ NaN and infinity

    @Order(4)
    @Test
    @DisplayName("NaN/Inf: relu passes NaN and infinities through as PyTorch does")
    void reluPropagatesNaN() {
        float nan = Float.NaN;
        float inf = Float.POSITIVE_INFINITY;
        float[] x = {nan, -1f, 2f, inf, -inf, 0f};
        try (TensorScope s = backend.scope()) {
            Tensor tx = backend.fromArray(x, 1, 6);
            Tensor ty = backend.empty(DType.F32, Shape.of(1, 6));
            backend.activation(Activation.RELU, tx, ty);
            assertArrayEquals(new float[] {nan, 0f, 2f, inf, 0f, 0f}, ty.toFloatArray());
        }
    }

    @Order(4)
    @Test
    @DisplayName("NaN/Inf: softmax of a row holding +Inf is NaN in that row only")
    void softmaxRowWithInfinity() {
        float[] x = {1f, Float.POSITIVE_INFINITY, 2f, 1f, 2f, 3f};
        try (TensorScope s = backend.scope()) {
            Tensor tx = backend.fromArray(x, 2, 3);
            Tensor ty = backend.empty(DType.F32, Shape.of(2, 3));
            backend.activation(Activation.SOFTMAX, tx, ty);
            float[] y = ty.toFloatArray();
            // PyTorch: exp(x - max) with max = +Inf gives exp(NaN) in the Inf column, so the row sum and
            // every element of that row are NaN.
            for (int j = 0; j < 3; j++) {
                assertTrue(Float.isNaN(y[j]), "row 0 holds +Inf, so softmax[0][" + j + "] is NaN, got " + y[j]);
            }
            double z = Math.exp(-2) + Math.exp(-1) + 1;
            assertArrayEquals(new float[] {(float) (Math.exp(-2) / z), (float) (Math.exp(-1) / z), (float) (1 / z)},
                    Arrays.copyOfRange(y, 3, 6), 1e-6f, "row 1 is finite and must not be touched by row 0");
            Tensor loss = backend.zeros(1);
            backend.softmaxCrossEntropy(tx, backend.labels(0, 2), loss, null, Reduction.SUM, 0f);
            assertTrue(Float.isNaN(loss.item()), "a loss over a row holding +Inf is NaN, got " + loss.item());
        }
    }

    @Order(4)
    @Test
    @DisplayName("NaN/Inf: a NaN in A makes its row of C NaN and no other")
    void gemmWithNaN() {
        float[] a = {1, 2, Float.NaN, 4, 5, 6};
        float[] b = {1, 0, 0, 1, 1, 1};
        try (TensorScope s = backend.scope()) {
            Tensor ta = backend.fromArray(a, 2, 3);
            Tensor tb = backend.fromArray(b, 3, 2);
            Tensor tc = backend.zeros(2, 2);
            backend.gemm(false, false, 1f, ta, tb, 0f, tc);
            float[] c = tc.toFloatArray();
            assertTrue(Float.isNaN(c[0]) && Float.isNaN(c[1]), "row 0 of C must be NaN: " + Arrays.toString(c));
            assertArrayEquals(new float[] {10, 11}, Arrays.copyOfRange(c, 2, 4), 1e-6f, "row 1 of C");
            Tensor idx = backend.empty(DType.I32, Shape.of(2));
            backend.argmax(backend.fromArray(new float[] {1, Float.NaN, 3, 1, 3, 3}, 2, 3), idx);
            assertArrayEquals(new int[] {1, 1}, idx.toIntArray(), "argmax: NaN is the maximum; ties go to the first");
            Tensor sum = backend.zeros(1);
            backend.sum(ta, sum);
            assertTrue(Float.isNaN(sum.item()), "the sum over a NaN is NaN");
        }
    }

    // ================================================================ determinism

    @Order(5)
    @TestFactory
    @DisplayName("determinism: the same op twice gives bit-identical results")
    Stream<DynamicTest> determinism() {
        return Stream.of(
                deterministic("gemm 64x784x128", b -> {
                    SplittableRandom rng = new SplittableRandom(1);
                    Tensor x = b.fromArray(uniform(rng, 64 * 784), 64, 784);
                    Tensor w = b.fromArray(uniform(rng, 128 * 784), 128, 784);
                    Tensor y = b.zeros(64, 128);
                    b.gemm(false, true, 1f, x, w, 0f, y);
                    return y.toFloatArray();
                }),
                deterministic("sum over 1024x1024", b -> {
                    Tensor x = b.fromArray(uniform(new SplittableRandom(2), 1 << 20), 1024, 1024);
                    Tensor out = b.zeros(1);
                    b.sum(x, out);
                    return out.toFloatArray();
                }),
                deterministic("biasGrad 1024x64", b -> {
                    Tensor dy = b.fromArray(uniform(new SplittableRandom(3), 1024 * 64), 1024, 64);
                    Tensor db = b.zeros(64);
                    b.biasGrad(dy, db, 0f);
                    return db.toFloatArray();
                }),
                deterministic("softmaxCrossEntropy 64x10 with gradient", b -> {
                    SplittableRandom rng = new SplittableRandom(4);
                    Tensor logits = b.fromArray(uniform(rng, 640), 64, 10);
                    int[] labels = new int[64];
                    Arrays.setAll(labels, i -> rng.nextInt(10));
                    Tensor loss = b.zeros(1);
                    Tensor grad = b.zeros(64, 10);
                    b.softmaxCrossEntropy(logits, b.fromInts(labels, 64), loss, grad, Reduction.MEAN, 0.1f);
                    float[] g = grad.toFloatArray();
                    float[] out = Arrays.copyOf(g, g.length + 1);
                    out[g.length] = loss.item();
                    return out;
                }),
                deterministic("adam 3 steps on 128x784", b -> {
                    SplittableRandom rng = new SplittableRandom(5);
                    Tensor p = b.fromArray(uniform(rng, 128 * 784), 128, 784);
                    Tensor g = b.zeros(128, 784);
                    Tensor m = b.zeros(128, 784);
                    Tensor v = b.zeros(128, 784);
                    for (int t = 1; t <= 3; t++) {
                        g.copyFrom(uniform(rng, 128 * 784));
                        b.adamStep(p, g, m, v, null, AdamParams.adam(), 1e-3f, t);
                    }
                    return p.toFloatArray();
                }));
    }

    private DynamicTest deterministic(String name, Function<Backend, float[]> op) {
        return DynamicTest.dynamicTest(name, () -> {
            float[] first;
            float[] second;
            try (TensorScope s = backend.scope()) {
                first = op.apply(backend);
            }
            try (TensorScope s = backend.scope()) {
                second = op.apply(backend);
            }
            for (int i = 0; i < first.length; i++) {
                if (Float.floatToRawIntBits(first[i]) != Float.floatToRawIntBits(second[i])) {
                    fail(name + " is not deterministic: element " + i + " was " + first[i] + ", then " + second[i]);
                }
            }
            assertFalse(first.length == 0, "compared nothing");
        });
    }

    // ================================================================ leaks

    @Order(Integer.MAX_VALUE)
    @Test
    @DisplayName("leaks: no tensor is left open after the suite")
    void noLiveTensorsAfterSuite() {
        List<Tensor> leaked = backend.liveTensors();
        assertTrue(leaked.isEmpty(), () -> backend.leakReport(leaked));
        List<Tensor> refLeaked = reference.liveTensors();
        assertTrue(refLeaked.isEmpty(), () -> reference.leakReport(refLeaked));
    }

    // ================================================================ helpers

    /** 0, 1, 2, ... as floats. */
    static float[] seq(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
        }
        return x;
    }

    static float[] uniform(SplittableRandom rng, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rng.nextDouble(-1, 1);
        }
        return x;
    }
}
