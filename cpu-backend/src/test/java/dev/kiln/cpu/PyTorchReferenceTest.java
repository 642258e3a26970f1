package dev.kiln.cpu;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.DType;
import dev.kiln.core.LossKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.core.json.Json;
import dev.kiln.core.spi.DeviceBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.kiln.cpu.TestSupport.assertClose;
import static dev.kiln.cpu.TestSupport.buf;
import static dev.kiln.cpu.TestSupport.get;
import static dev.kiln.cpu.TestSupport.ints;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The optimizer, loss and activation results of PyTorch 1.13 itself (see the resource's README). */
class PyTorchReferenceTest {
    private static final double ATOL = 1e-6;
    private static final double RTOL = 1e-5;
    private static CpuEngine e;

    @BeforeAll
    static void open() {
        e = TestSupport.engine(2, true);
    }

    @AfterAll
    static void close() {
        e.close();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> cases(String op) throws IOException {
        try (InputStream in = PyTorchReferenceTest.class.getResourceAsStream("pytorch-reference-subset.json")) {
            Map<String, Object> root = (Map<String, Object>) Json.parse(new String(in.readAllBytes(),
                    StandardCharsets.UTF_8));
            List<Map<String, Object>> out = new ArrayList<>();
            for (Object c : (List<Object>) root.get("cases")) {
                Map<String, Object> m = (Map<String, Object>) c;
                if (op.equals(m.get("op"))) {
                    out.add(m);
                }
            }
            assertFalse(out.isEmpty(), "no " + op + " cases");
            return out;
        }
    }

    /** Row-major values of a nested list; dims[0] = rows (1 for a vector), dims[1] = columns. */
    static double[] flat(Object v, int[] dims) {
        List<Double> out = new ArrayList<>();
        List<?> top = (List<?>) v;
        boolean matrix = !top.isEmpty() && top.get(0) instanceof List;
        for (Object row : top) {
            if (row instanceof List<?> r) {
                for (Object x : r) {
                    out.add(((Number) x).doubleValue());
                }
            } else {
                out.add(((Number) row).doubleValue());
            }
        }
        if (dims != null) {
            dims[0] = matrix ? top.size() : 1;
            dims[1] = out.size() / dims[0];
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    static float num(Map<String, Object> h, String key) {
        return ((Number) h.get(key)).floatValue();
    }

    @TestFactory
    List<DynamicTest> optimizers() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> c : cases("optimizer")) {
            String name = (String) c.get("name");
            tests.add(DynamicTest.dynamicTest(name, () -> runOptimizer(name, c)));
        }
        return tests;
    }

    @SuppressWarnings("unchecked")
    private static void runOptimizer(String name, Map<String, Object> c) {
        Map<String, Object> h = (Map<String, Object>) c.get("hyper");
        float[] p0 = floats(flat(c.get("params"), null));
        int n = p0.length;
        List<Object> grads = (List<Object>) c.get("grads");
        List<Object> after = (List<Object>) c.get("after");
        float lr = num(h, "lr");
        DeviceBuffer p = buf(e, p0);
        DeviceBuffer s1 = buf(e, new float[n]);
        DeviceBuffer s2 = buf(e, new float[n]);
        DeviceBuffer s3 = buf(e, new float[n]);
        for (int step = 1; step <= grads.size(); step++) {
            DeviceBuffer g = buf(e, floats(flat(grads.get(step - 1), null)));
            if (name.startsWith("sgd")) {
                SgdParams sp = new SgdParams(num(h, "momentum"), num(h, "dampening"), num(h, "weight_decay"),
                        (Boolean) h.get("nesterov"));
                e.sgdStep(p, g, sp.hasMomentum() ? s1 : null, n, sp, lr, step);
            } else if (name.startsWith("adam")) {
                List<Object> betas = (List<Object>) h.get("betas");
                AdamParams ap = new AdamParams(((Number) betas.get(0)).floatValue(),
                        ((Number) betas.get(1)).floatValue(), num(h, "eps"), num(h, "weight_decay"),
                        (Boolean) h.get("amsgrad"), name.startsWith("adamw"));
                e.adamStep(p, g, s1, s2, ap.amsgrad() ? s3 : null, n, ap, lr, step);
            } else if (name.startsWith("rmsprop")) {
                RmsPropParams rp = new RmsPropParams(num(h, "alpha"), num(h, "eps"), num(h, "weight_decay"),
                        num(h, "momentum"), (Boolean) h.get("centered"));
                e.rmspropStep(p, g, s1, rp.centered() ? s2 : null, rp.momentum() != 0 ? s3 : null, n, rp, lr, step);
            } else if (name.startsWith("adagrad")) {
                AdagradParams ag = new AdagradParams(num(h, "lr_decay"), num(h, "eps"), num(h, "weight_decay"),
                        num(h, "initial_accumulator_value"));
                e.adagradStep(p, g, s1, n, ag, lr, step);
            } else {
                throw new AssertionError("unknown optimizer case " + name);
            }
            assertClose(flat(after.get(step - 1), null), get(e, p, n), ATOL, RTOL, name + " step " + step);
        }
    }

    @TestFactory
    List<DynamicTest> losses() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> c : cases("loss")) {
            String name = (String) c.get("name");
            tests.add(DynamicTest.dynamicTest(name, () -> runLoss(name, c)));
        }
        return tests;
    }

    private static void runLoss(String name, Map<String, Object> c) {
        int[] dims = new int[2];
        float[] x = floats(flat(c.get("input"), dims));
        int rows = dims[0];
        int cols = dims[1];
        Reduction red = Reduction.valueOf(((String) c.get("reduction")).toUpperCase(java.util.Locale.ROOT));
        DeviceBuffer loss = e.allocate(DType.F32, 1);
        DeviceBuffer grad = e.allocate(DType.F32, x.length);
        if (name.startsWith("cross_entropy")) {
            double[] t = flat(c.get("target"), null);
            int[] labels = new int[t.length];
            for (int i = 0; i < t.length; i++) {
                labels[i] = (int) t[i];
            }
            e.softmaxCrossEntropy(buf(e, x), ints(e, labels), loss, grad, rows, cols, red,
                    num(c, "label_smoothing"));
        } else {
            LossKind kind;
            if (name.startsWith("bce_with_logits")) {
                kind = LossKind.BCE_WITH_LOGITS;
            } else if (name.startsWith("bce")) {
                kind = LossKind.BCE;
            } else if (name.startsWith("mse")) {
                kind = LossKind.MSE;
            } else if (name.startsWith("l1")) {
                kind = LossKind.L1;
            } else if (name.startsWith("kl_div")) {
                kind = LossKind.KL_DIV;
            } else {
                throw new AssertionError("unknown loss case " + name);
            }
            e.loss(kind, buf(e, x), buf(e, floats(flat(c.get("target"), null))), loss, grad, rows, cols, red);
        }
        assertClose(((Number) c.get("loss")).doubleValue(), get(e, loss, 1)[0], ATOL, RTOL, name + " loss");
        assertClose(flat(c.get("dinput"), null), get(e, grad, x.length), ATOL, RTOL, name + " dinput");
    }

    @TestFactory
    List<DynamicTest> activations() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> c : cases("activation")) {
            String name = (String) c.get("name");
            tests.add(DynamicTest.dynamicTest(name, () -> runActivation(name, c)));
        }
        return tests;
    }

    private static void runActivation(String name, Map<String, Object> c) {
        Activation act;
        float slope = Activation.DEFAULT_LEAKY_SLOPE;
        if (name.startsWith("leaky_relu_")) {
            act = Activation.LEAKY_RELU;
            slope = Float.parseFloat(name.substring("leaky_relu_".length()));
        } else if (name.endsWith("_rows")) {
            act = Activation.byId(name.substring(0, name.length() - "_rows".length()));
        } else {
            act = Activation.byId(name);
        }
        int[] dims = new int[2];
        float[] x = floats(flat(c.get("x"), dims));
        int n = x.length;
        DeviceBuffer xb = buf(e, x);
        DeviceBuffer y = e.allocate(DType.F32, n);
        DeviceBuffer dx = e.allocate(DType.F32, n);
        e.activation(act, slope, xb, y, dims[0], dims[1]);
        assertClose(flat(c.get("y"), null), get(e, y, n), ATOL, RTOL, name + " y");
        e.activationBackward(act, slope, xb, y, buf(e, floats(flat(c.get("dy"), null))), dx, dims[0], dims[1]);
        assertClose(flat(c.get("dx"), null), get(e, dx, n), ATOL, RTOL, name + " dx");
    }
}
