package dev.kiln.testkit;

import dev.kiln.core.reference.Reference;
import dev.kiln.testkit.PyTorchCases.ActivationCase;
import dev.kiln.testkit.PyTorchCases.GemmCase;
import dev.kiln.testkit.PyTorchCases.LinearCase;
import dev.kiln.testkit.PyTorchCases.LossCase;
import dev.kiln.testkit.PyTorchCases.NdArray;
import dev.kiln.testkit.PyTorchCases.OptimizerCase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The float64 {@link Reference} agrees with PyTorch 1.13's float32 results (the bundled
 * {@code pytorch-reference.json}) on every GEMM, linear, activation, loss and optimizer case.
 *
 * <p>PyTorch computed in float32, so its values carry float32 rounding: tolerances are per element,
 * {@code atol + rtol |pytorch|}, sized to float32 (unit roundoff 6e-8), not to the reference.
 * Schedules are not ops of the engine (the nn module computes learning rates), so they are not
 * tested here; {@link #schedulesAreLeftToNn()} only checks they are present for nn's tests.
 */
class ReferenceVsPyTorchTest {
    /** Elementwise ops: a few float32 ulps. */
    static final double EW_ATOL = 1e-6;
    static final double EW_RTOL = 1e-5;
    /** Losses and optimizer steps: the README's 1e-5 relative. */
    static final double LOSS_ATOL = 1e-6;
    static final double LOSS_RTOL = 1e-5;
    /** GEMM: the README's 1e-4 for K = 784, absolute and relative (values reach ~100 there). */
    static final double GEMM_ATOL = 1e-4;
    static final double GEMM_RTOL = 1e-4;

    static List<GemmCase> gemmCases() {
        return PyTorchCases.load().gemm();
    }

    static List<LinearCase> linearCases() {
        return PyTorchCases.load().linear();
    }

    static List<ActivationCase> activationCases() {
        return PyTorchCases.load().activations();
    }

    static List<LossCase> lossCases() {
        return PyTorchCases.load().losses();
    }

    static List<OptimizerCase> optimizerCases() {
        return PyTorchCases.load().optimizers();
    }

    @Test
    void everyCaseKindIsPresent() {
        PyTorchCases all = PyTorchCases.load();
        assertTrue(all.generator().startsWith("PyTorch 1.13"), all.generator());
        assertEquals(12, all.gemm().size());
        assertEquals(2, all.linear().size());
        assertEquals(9, all.activations().size());
        assertEquals(12, all.losses().size());
        assertEquals(11, all.optimizers().size());
        assertEquals(4, all.schedules().size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gemmCases")
    void gemm(GemmCase c) {
        double[] out = c.c().copy();
        Reference.gemm(c.transA(), c.transB(), c.m(), c.n(), c.k(), c.alpha(), c.a().data(), c.b().data(), c.beta(),
                out);
        RefAssert.assertClose(c.name(), out, c.out().data(), out.length, GEMM_ATOL, GEMM_RTOL);
    }

    /** torch.nn.Linear: y = x W^T + b through gemm + biasAdd; dx, dW through gemm; db through biasGrad. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("linearCases")
    void linear(LinearCase c) {
        int batch = c.batch();
        int in = c.in();
        int out = c.out();
        double[] y = new double[batch * out];
        Reference.gemm(false, true, batch, out, in, 1, c.x().data(), c.w().data(), 0, y);
        Reference.biasAdd(y, c.b().data(), y, batch, out);
        RefAssert.assertClose(c.name() + " y", y, c.y().data(), y.length, EW_ATOL, EW_RTOL);

        double[] dx = new double[batch * in];
        Reference.gemm(false, false, batch, in, out, 1, c.dy().data(), c.w().data(), 0, dx);
        RefAssert.assertClose(c.name() + " dx", dx, c.dx().data(), dx.length, EW_ATOL, EW_RTOL);

        double[] dw = new double[out * in];
        Reference.gemm(true, false, out, in, batch, 1, c.dy().data(), c.x().data(), 0, dw);
        RefAssert.assertClose(c.name() + " dW", dw, c.dw().data(), dw.length, EW_ATOL, EW_RTOL);

        double[] db = new double[out];
        Reference.biasGrad(c.dy().data(), db, batch, out, 0);
        RefAssert.assertClose(c.name() + " db", db, c.db().data(), db.length, EW_ATOL, EW_RTOL);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activationCases")
    void activation(ActivationCase c) {
        int rows = c.x().rows();
        int cols = c.x().cols();
        double[] y = new double[rows * cols];
        Reference.activation(c.activation(), c.param(), c.x().data(), y, rows, cols);
        RefAssert.assertClose(c.name() + " y", y, c.y().data(), y.length, EW_ATOL, EW_RTOL);
        double[] dx = new double[rows * cols];
        Reference.activationBackward(c.activation(), c.param(), c.x().data(), y, c.dy().data(), dx, rows, cols);
        RefAssert.assertClose(c.name() + " dx", dx, c.dx().data(), dx.length, EW_ATOL, EW_RTOL);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lossCases")
    void loss(LossCase c) {
        NdArray in = c.input();
        double[] grad = new double[in.size()];
        double loss = c.crossEntropy()
                ? Reference.softmaxCrossEntropy(in.data(), c.labels(), grad, in.rows(), in.cols(), c.reduction(),
                c.labelSmoothing())
                : Reference.loss(c.kind(), in.data(), c.target().data(), grad, in.rows(), in.cols(), c.reduction());
        RefAssert.assertClose(c.name() + " loss", loss, c.loss(), LOSS_ATOL, LOSS_RTOL);
        RefAssert.assertClose(c.name() + " dinput", grad, c.dinput().data(), grad.length, LOSS_ATOL, LOSS_RTOL);
    }

    /** Runs every step from the same start and gradients; compares the parameters after each. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizerCases")
    void optimizer(OptimizerCase c) {
        double[] p = c.params().copy();
        int n = p.length;
        double[] s1 = new double[n];
        double[] s2 = new double[n];
        double[] s3 = new double[n];
        if (c.optimizer() == PyTorchCases.Optimizer.ADAGRAD) {
            java.util.Arrays.fill(s1, c.number("initial_accumulator_value"));
        }
        for (int step = 1; step <= c.steps(); step++) {
            double[] g = c.grads().get(step - 1).data();
            double lr = c.lr();
            switch (c.optimizer()) {
                case SGD -> Reference.sgdStep(p, g, s1, n, c.number("momentum"), c.number("dampening"),
                        c.number("weight_decay"), c.flag("nesterov"), lr, step);
                case ADAM, ADAMW -> Reference.adamStep(p, g, s1, s2, s3, n, c.betas()[0], c.betas()[1],
                        c.number("eps"), c.number("weight_decay"), c.flag("amsgrad"),
                        c.optimizer() == PyTorchCases.Optimizer.ADAMW, lr, step);
                case RMSPROP -> Reference.rmspropStep(p, g, s1, s2, s3, n, c.number("alpha"), c.number("eps"),
                        c.number("weight_decay"), c.number("momentum"), c.flag("centered"), lr);
                case ADAGRAD -> Reference.adagradStep(p, g, s1, n, c.number("lr_decay"), c.number("eps"),
                        c.number("weight_decay"), lr, step);
                default -> throw new AssertionError(c.optimizer());
            }
            RefAssert.assertClose(c.name() + " after step " + step, p, c.after().get(step - 1).data(), n,
                    LOSS_ATOL, LOSS_RTOL);
        }
    }

    /** Schedules are not engine ops: nn's scheduler tests use them. Only their presence is checked here. */
    @Test
    void schedulesAreLeftToNn() {
        for (PyTorchCases.ScheduleCase s : PyTorchCases.load().schedules()) {
            assertEquals(10, s.lrs().length, s.name());
            assertEquals(s.baseLr(), s.lrs()[0], 0.0, s.name());
        }
    }
}
