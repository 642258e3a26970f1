package dev.kiln.nn.train;

import dev.kiln.core.Backend;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Parameter;
import dev.kiln.nn.Rng;
import dev.kiln.nn.TestBackends;
import dev.kiln.nn.Module;
import dev.kiln.nn.layers.Linear;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.nn.loss.CrossEntropyLoss;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sequential's backward pass against central finite differences of the loss, in double-checked float32. */
class GradientCheckTest {
    @ParameterizedTest
    @ValueSource(strings = {"relu", "tanh", "sigmoid", "gelu", "leaky_relu"})
    void backwardMatchesFiniteDifferences(String activation) {
        try (Backend b = TestBackends.cpu();
             Sequential m = Sequential.mlp(b, new int[] {5, 7, 4, 3}, activation, new Rng(11));
             CrossEntropyLoss loss = new CrossEntropyLoss()) {
            boolean kinked = activation.contains("relu");
            float[] xs = new float[6 * 5];
            for (long seed = 1; ; seed++) {
                Rng rng = new Rng(seed);
                for (int i = 0; i < xs.length; i++) {
                    xs[i] = rng.uniform(-2, 2);
                }
                // A finite difference across ReLU's kink measures nothing; use inputs whose pre-activations
                // all stay clear of 0 by more than any perturbation below can move them.
                if (!kinked || minHiddenPreActivation(b, m, xs) > 0.02) {
                    break;
                }
                assertTrue(seed < 1000, "no input clear of the kinks");
            }
            try (Tensor x = b.fromArray(xs, 6, 5); Tensor y = b.labels(0, 2, 1, 1, 0, 2)) {
                m.zeroGrad();
                loss.forward(m.forward(x), y);
                Tensor dx = m.backward(loss.backward(), true);
                float[] inputGrad = dx.toFloatArray();
                // Piecewise-linear activations need a small step so that no pre-activation crosses the kink
                // at 0; smooth ones afford a larger step, which keeps float32 rounding out of the difference.
                double eps = kinked ? 1e-3 : 1e-2;
                double atol = kinked ? 5e-4 : 1e-4;
                int checked = 0;
                for (Parameter p : m.parameters()) {
                    float[] v = p.value().toFloatArray();
                    float[] g = p.grad().toFloatArray();
                    for (int i = 0; i < v.length; i++) {
                        float keep = v[i];
                        v[i] = (float) (keep + eps);
                        p.value().copyFrom(v);
                        double up = loss.forward(m.forward(x), y).item();
                        v[i] = (float) (keep - eps);
                        p.value().copyFrom(v);
                        double down = loss.forward(m.forward(x), y).item();
                        v[i] = keep;
                        p.value().copyFrom(v);
                        double numeric = (up - down) / (2 * eps);
                        assertTrue(Math.abs(numeric - g[i]) <= atol + 1e-2 * Math.abs(numeric),
                                activation + " " + p.name() + "[" + i + "]: backward " + g[i] + ", numeric " + numeric);
                        checked++;
                    }
                }
                for (int i = 0; i < xs.length; i++) {
                    float keep = xs[i];
                    xs[i] = (float) (keep + eps);
                    x.copyFrom(xs);
                    double up = loss.forward(m.forward(x), y).item();
                    xs[i] = (float) (keep - eps);
                    x.copyFrom(xs);
                    double down = loss.forward(m.forward(x), y).item();
                    xs[i] = keep;
                    x.copyFrom(xs);
                    double numeric = (up - down) / (2 * eps);
                    assertTrue(Math.abs(numeric - inputGrad[i]) <= atol + 1e-2 * Math.abs(numeric),
                            activation + " dx[" + i + "]: backward " + inputGrad[i] + ", numeric " + numeric);
                }
                assertTrue(checked == 5 * 7 + 7 + 7 * 4 + 4 + 4 * 3 + 3);
            }
        }
    }

    private static double minHiddenPreActivation(Backend b, Sequential m, float[] xs) {
        double min = Double.MAX_VALUE;
        try (Tensor x = b.fromArray(xs, 6, 5)) {
            Tensor h = x;
            for (int i = 0; i < m.modules().size(); i++) {
                Module mod = m.get(i);
                h = mod.forward(h);
                if (mod instanceof Linear && i + 1 < m.modules().size()) {
                    for (float v : h.toFloatArray()) {
                        min = Math.min(min, Math.abs(v));
                    }
                }
            }
        }
        return min;
    }
}
