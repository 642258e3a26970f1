package dev.kiln.testkit;

import dev.kiln.core.Activation;
import dev.kiln.core.AdamParams;
import dev.kiln.core.LossKind;
import dev.kiln.core.Reduction;
import dev.kiln.testkit.PyTorchCases.OptimizerCase;
import dev.kiln.testkit.PyTorchCases.ScheduleCase;
import dev.kiln.testkit.PyTorchCases.Scheduler;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link PyTorchCases} turns the bundled JSON into the typed records other suites rely on. */
class PyTorchCasesTest {
    private final PyTorchCases cases = PyTorchCases.load();

    private OptimizerCase optimizer(String name) {
        return cases.optimizers().stream().filter(o -> o.name().equals(name)).findFirst().orElseThrow();
    }

    private ScheduleCase schedule(Scheduler s) {
        return cases.schedules().stream().filter(c -> c.scheduler() == s).findFirst().orElseThrow();
    }

    @Test
    void shapesAndFlattening() {
        PyTorchCases.GemmCase g = cases.gemm().stream().filter(c -> c.name().equals("gemm_1x10x784_ta1_tb0"))
                .findFirst().orElseThrow();
        assertArrayEquals(new int[] {784, 1}, g.a().shape());
        assertEquals(1, g.m());
        assertEquals(10, g.n());
        assertEquals(784, g.k());
        PyTorchCases.LinearCase l = cases.linear().get(0);
        assertArrayEquals(new int[] {3}, l.b().shape());
        assertEquals(1, l.b().rows());
        assertEquals(l.out(), l.b().cols());
        // The arrays are shared, so they must not be writable through the accessors.
        g.a().data()[0] = 1e9;
        assertTrue(g.a().get(0) != 1e9);
    }

    @Test
    void activationsAndLossesAreTyped() {
        assertEquals(Activation.values().length, cases.activations().size());
        PyTorchCases.ActivationCase leaky = cases.activations().stream()
                .filter(a -> a.activation() == Activation.LEAKY_RELU).findFirst().orElseThrow();
        assertEquals(0.01, leaky.param(), 0);
        for (LossKind k : LossKind.values()) {
            assertTrue(cases.losses().stream().anyMatch(c -> c.kind() == k), k.toString());
        }
        PyTorchCases.LossCase ce = cases.losses().stream().filter(c -> c.name().equals("cross_entropy_sum_ls0.1"))
                .findFirst().orElseThrow();
        assertTrue(ce.crossEntropy());
        assertNull(ce.target());
        assertEquals(Reduction.SUM, ce.reduction());
        assertEquals(0.1, ce.labelSmoothing(), 0);
        assertArrayEquals(new int[] {3, 0, 9, 9, 1, 5}, ce.labels());
        assertEquals(Reduction.BATCHMEAN, cases.losses().stream().filter(c -> c.kind() == LossKind.KL_DIV)
                .findFirst().orElseThrow().reduction());
    }

    @Test
    void optimizerHyperParameters() {
        OptimizerCase adamw = optimizer("adamw_wd0.1");
        AdamParams p = adamw.adamParams();
        assertTrue(p.decoupled());
        assertEquals(0.1f, p.weightDecay());
        assertEquals(0.999f, p.beta2());
        assertEquals(0.01, adamw.lr(), 0);
        assertTrue(optimizer("adam_amsgrad").adamParams().amsgrad());
        assertTrue(optimizer("sgd_nesterov").sgdParams().nesterov());
        assertEquals(0.1f, optimizer("sgd_momentum0.9_dampening0.1_wd0.01").sgdParams().dampening());
        assertTrue(optimizer("rmsprop_momentum_centered").rmsPropParams().centered());
        assertEquals(1e-10f, optimizer("adagrad_default").adagradParams().eps());
        assertThrows(IllegalStateException.class, () -> optimizer("sgd_lr0.1").adamParams());
        assertEquals(4, adamw.steps());
    }

    /** The schedule settings parsed from the names reproduce PyTorch's learning rates. */
    @Test
    void scheduleSettings() {
        ScheduleCase step = schedule(Scheduler.STEP_LR);
        ScheduleCase multi = schedule(Scheduler.MULTI_STEP_LR);
        ScheduleCase exp = schedule(Scheduler.EXPONENTIAL_LR);
        ScheduleCase cos = schedule(Scheduler.COSINE_ANNEALING_LR);
        assertEquals(2, step.stepSize());
        assertArrayEquals(new int[] {3, 7}, multi.milestones());
        assertEquals(0.9, exp.gamma(), 0);
        assertEquals(10, cos.tMax());
        for (int e = 0; e < 10; e++) {
            int passed = 0;
            for (int m : multi.milestones()) {
                passed += e >= m ? 1 : 0;
            }
            assertEquals(0.1 * Math.pow(step.gamma(), e / step.stepSize()), step.lrs()[e], 1e-15);
            assertEquals(0.1 * Math.pow(multi.gamma(), passed), multi.lrs()[e], 1e-15);
            assertEquals(0.1 * Math.pow(exp.gamma(), e), exp.lrs()[e], 1e-15);
            assertEquals(0.05 * (1 + Math.cos(Math.PI * e / cos.tMax())), cos.lrs()[e], 1e-15);
        }
    }
}
