package dev.kiln.nn;

import dev.kiln.core.Backend;
import dev.kiln.core.Backends;
import dev.kiln.core.KilnException;
import dev.kiln.core.LeakDetection;
import dev.kiln.core.Tensor;
import dev.kiln.nn.layers.Linear;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.testkit.FaultInjectingEngine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link Parameter#zeroGrad()} is lazy (the next backward pass overwrites the gradient instead of
 * adding to a zero-filled one); these tests pin that the values users see are exactly those of an
 * eager zero fill: after zeroGrad the gradient reads as zeros, one backward gives one batch's
 * gradient, two accumulate, renamed copies (as a Sequential hands out) share the mark, and a
 * failed backward leaves the gradient zero.
 */
class ParameterGradTest {
    private static final float[] X = {0.5f, -1f, 2f, 0.25f, 1.5f, -0.75f};
    private static final float[] DY = {1f, -2f, 0.5f, 3f};

    @Test
    void zeroGradReadsAsZerosAndTheNextBackwardOverwrites() {
        try (Backend b = TestBackends.cpu(); Linear l = new Linear(b, 3, 2, new Rng(7));
             Tensor x = b.fromArray(X, 2, 3); Tensor dy = b.fromArray(DY, 2, 2)) {
            l.forward(x);
            l.backward(dy, false);
            float[] once = l.weight().grad().toFloatArray();
            float[] onceBias = l.bias().grad().toFloatArray();

            l.forward(x);
            l.backward(dy, false);
            assertArrayEquals(times(once, 2), l.weight().grad().toFloatArray(), "two backward passes accumulate");

            l.zeroGrad();
            assertArrayEquals(new float[6], l.weight().grad().toFloatArray(), "zeroGrad then grad() reads zeros");
            l.zeroGrad();
            l.forward(x);
            l.backward(dy, false);
            assertArrayEquals(once, l.weight().grad().toFloatArray(), "zeroGrad then backward is one batch");
            assertArrayEquals(onceBias, l.bias().grad().toFloatArray());
            l.backward(dy, false);
            assertArrayEquals(times(once, 2), l.weight().grad().toFloatArray(), "and accumulates after that");
        }
    }

    @Test
    void renamedCopiesShareTheZeroMark() {
        try (Backend b = TestBackends.cpu(); Sequential m = Sequential.mlp(b, new int[] {3, 2}, "relu", new Rng(7));
             Tensor x = b.fromArray(X, 2, 3); Tensor dy = b.fromArray(DY, 2, 2)) {
            m.forward(x);
            m.backward(dy, false);
            Parameter w = m.parameters().get(0);
            float[] once = w.grad().toFloatArray();
            m.forward(x);
            m.backward(dy, false);
            w.zeroGrad(); // through the Sequential's renamed copy, as an optimizer does
            m.forward(x);
            m.backward(dy, false);
            assertArrayEquals(once, w.grad().toFloatArray());
        }
    }

    @Test
    void aFailedBackwardLeavesAZeroedGradientZero() {
        var report = Backends.probeAll().stream().filter(r -> r.name().equals("cpu")).findFirst().orElseThrow();
        FaultInjectingEngine engine = new FaultInjectingEngine("cpu",
                report.provider().open(report.result().devices().get(0)));
        try (Backend b = new Backend("cpu", engine, LeakDetection.fromSystemProperty());
             Linear l = new Linear(b, 3, 2, new Rng(7));
             Tensor x = b.fromArray(X, 2, 3); Tensor dy = b.fromArray(DY, 2, 2)) {
            l.forward(x);
            l.backward(dy, false);
            l.zeroGrad();
            engine.failOn("gemm", 1, "CUDA_ERROR_LAUNCH_FAILED");
            assertThrows(KilnException.class, () -> l.backward(dy, false));
            assertArrayEquals(new float[6], l.weight().grad().toFloatArray());
            engine.failOn("biasGrad", 1, "CUDA_ERROR_LAUNCH_FAILED");
            l.zeroGrad();
            assertThrows(KilnException.class, () -> l.backward(dy, false));
            assertArrayEquals(new float[2], l.bias().grad().toFloatArray());
        }
    }

    private static float[] times(float[] a, float s) {
        float[] r = a.clone();
        for (int i = 0; i < r.length; i++) {
            r[i] *= s;
        }
        return r;
    }
}
