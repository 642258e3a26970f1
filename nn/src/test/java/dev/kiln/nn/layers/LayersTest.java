package dev.kiln.nn.layers;

import dev.kiln.core.Backend;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Parameter;
import dev.kiln.nn.Reference;
import dev.kiln.nn.Rng;
import dev.kiln.nn.TestBackends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayersTest {
    private Backend backend;

    @BeforeEach
    void open() {
        backend = TestBackends.cpu();
    }

    @AfterEach
    void close() {
        assertEquals(List.of(), backend.liveTensors(), "every tensor closed");
        backend.close();
    }

    @Test
    void linearInitIsTorchsUniformBoundAndSeeded() {
        try (Linear a = new Linear(backend, 784, 128, new Rng(7)); Linear b = new Linear(backend, 784, 128, new Rng(7));
             Linear c = new Linear(backend, 784, 128, new Rng(8))) {
            float bound = (float) (1 / Math.sqrt(784));
            float[] w = a.weight().value().toFloatArray();
            float[] bias = a.bias().value().toFloatArray();
            assertArrayEquals(new int[] {128, 784}, a.weight().value().shape().dims());
            assertArrayEquals(new int[] {128}, a.bias().value().shape().dims());
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            double mean = 0;
            for (float v : w) {
                assertTrue(v >= -bound && v <= bound, "weight " + v + " within +-" + bound);
                min = Math.min(min, v);
                max = Math.max(max, v);
                mean += v;
            }
            mean /= w.length;
            for (float v : bias) {
                assertTrue(v >= -bound && v <= bound);
            }
            // Uniform over the whole interval, not a corner of it.
            assertTrue(min < -0.99f * bound && max > 0.99f * bound, min + " " + max);
            assertTrue(Math.abs(mean) < 0.01 * bound, "mean " + mean);
            assertArrayEquals(w, b.weight().value().toFloatArray(), 0f, "same seed, same weights");
            assertTrue(!java.util.Arrays.equals(w, c.weight().value().toFloatArray()));
            assertEquals(0f, a.weight().grad().toFloatArray()[0]);
        }
    }

    @Test
    void sequentialNamesFollowTorchStateDict() {
        try (Sequential m = Sequential.mlp(backend, new int[] {784, 128, 64, 10}, "relu", new Rng(1))) {
            List<String> names = m.parameters().stream().map(Parameter::name).toList();
            assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"), names);
            assertTrue(m.get(1) instanceof ReLU && m.get(3) instanceof ReLU);
            assertArrayEquals(new int[] {64, 128}, m.parameters().get(2).value().shape().dims());
            assertEquals("Sequential(0: Linear(784 -> 128), 1: ReLU(), 2: Linear(128 -> 64), 3: ReLU(), "
                    + "4: Linear(64 -> 10))", m.toString());
        }
    }

    @Test
    void linearMatchesPytorchForwardAndBackward() {
        for (Map<String, Object> c : Reference.cases("linear")) {
            int[] xd = Reference.dims(c.get("x"));
            int[] wd = Reference.dims(c.get("W"));
            String name = (String) c.get("name");
            try (Linear l = Linear.of(backend, wd[1], wd[0], Reference.floats(c.get("W")), Reference.floats(c.get("b")));
                 Tensor x = backend.fromArray(Reference.floats(c.get("x")), xd);
                 Tensor dy = backend.fromArray(Reference.floats(c.get("dy")), xd[0], wd[0])) {
                Tensor y = l.forward(x);
                Reference.assertClose(Reference.floats(c.get("y")), y.toFloatArray(), 1e-5, 1e-5, name + " y");
                Tensor dx = l.backward(dy);
                Reference.assertClose(Reference.floats(c.get("dx")), dx.toFloatArray(), 1e-5, 1e-5, name + " dx");
                Reference.assertClose(Reference.floats(c.get("dW")), l.weight().grad().toFloatArray(), 1e-5, 1e-5,
                        name + " dW");
                Reference.assertClose(Reference.floats(c.get("db")), l.bias().grad().toFloatArray(), 1e-5, 1e-5,
                        name + " db");
                // Gradients accumulate until zeroGrad, as in PyTorch.
                l.forward(x);
                l.backward(dy);
                float[] twice = Reference.floats(c.get("db"));
                for (int i = 0; i < twice.length; i++) {
                    twice[i] *= 2;
                }
                Reference.assertClose(twice, l.bias().grad().toFloatArray(), 1e-5, 1e-5, name + " 2 db");
                l.zeroGrad();
                assertEquals(0f, l.weight().grad().toFloatArray()[0]);
                assertNull(l.backward(dy, false), "no input gradient when not needed");
            }
        }
    }

    @Test
    void activationLayersMatchPytorch() {
        int checked = 0;
        for (Map<String, Object> c : Reference.cases("activation")) {
            String name = (String) c.get("name");
            ActivationLayer layer = switch (name.replaceAll("_\\d.*|_slope.*", "")) {
                case "relu" -> new ReLU();
                case "sigmoid" -> new Sigmoid();
                case "tanh" -> new Tanh();
                case "gelu", "gelu_erf" -> new GELU();
                case "gelu_tanh" -> new GELU(true);
                case "leaky_relu" -> new LeakyReLU(c.containsKey("negative_slope")
                        ? ((Number) c.get("negative_slope")).floatValue() : 0.01f);
                default -> null;
            };
            if (layer == null) {
                continue; // softmax, log-softmax, softplus are ops, not layers here
            }
            float[] xv = Reference.floats(c.get("x"));
            int[] d = Reference.dims(c.get("x"));
            int[] dims = d.length == 1 ? new int[] {1, d[0]} : d;
            try (layer; Tensor x = backend.fromArray(xv, dims);
                 Tensor dy = backend.fromArray(Reference.floats(c.get("dy")), dims)) {
                Reference.assertClose(Reference.floats(c.get("y")), layer.forward(x).toFloatArray(), 1e-5, 1e-6,
                        name + " y");
                Reference.assertClose(Reference.floats(c.get("dx")), layer.backward(dy).toFloatArray(), 1e-5, 1e-6,
                        name + " dx");
            }
            checked++;
        }
        assertEquals(6, checked, "relu, leaky_relu, sigmoid, tanh, gelu erf and tanh");
    }

    @Test
    void buffersAreReusedPerBatchSize() {
        try (Sequential m = Sequential.mlp(backend, new int[] {6, 5, 3}, "tanh", new Rng(2));
             Tensor a = backend.zeros(4, 6); Tensor b = backend.zeros(2, 6)) {
            Tensor ya = m.forward(a);
            assertSame(ya, m.forward(a), "same batch size, same output tensor");
            Tensor yb = m.forward(b);
            assertEquals(2, yb.shape().dim(0));
            assertSame(ya, m.forward(a), "alternating sizes keeps both");
            m.backward(m.forward(a), false);
            m.backward(m.forward(b), false);
            int live = backend.liveTensors().size();
            for (int i = 0; i < 10; i++) {
                m.forward(i % 2 == 0 ? a : b);
                m.backward(m.forward(i % 2 == 0 ? a : b), false);
            }
            assertEquals(live, backend.liveTensors().size(), "no allocation per step");
            assertThrows(IllegalArgumentException.class, () -> {
                try (Tensor bad = backend.zeros(4, 7)) {
                    m.forward(bad);
                }
            });
        }
    }
}
