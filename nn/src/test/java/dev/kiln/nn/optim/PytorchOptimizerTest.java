package dev.kiln.nn.optim;

import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.Backend;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.nn.Parameter;
import dev.kiln.nn.Reference;
import dev.kiln.nn.TestBackends;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** PyTorch's optimizer reference cases, run through the nn optimizers (not the raw ops). */
class PytorchOptimizerTest {
    private static float num(Map<String, Object> hyper, String key) {
        Object v = hyper.get(key);
        return v instanceof Boolean bo ? (bo ? 1 : 0) : ((Number) v).floatValue();
    }

    @SuppressWarnings("unchecked")
    static Optimizer make(String name, Map<String, Object> h, List<Parameter> ps) {
        double lr = ((Number) h.get("lr")).doubleValue();
        if (name.startsWith("sgd")) {
            return new SGD(ps, lr, new SgdParams(num(h, "momentum"), num(h, "dampening"), num(h, "weight_decay"),
                    (Boolean) h.get("nesterov")));
        }
        if (name.startsWith("adam")) {
            List<Object> betas = (List<Object>) h.get("betas");
            boolean w = name.startsWith("adamw");
            AdamParams p = new AdamParams(((Number) betas.get(0)).floatValue(), ((Number) betas.get(1)).floatValue(),
                    num(h, "eps"), num(h, "weight_decay"), (Boolean) h.get("amsgrad"), w);
            return w ? new AdamW(ps, lr, p) : new Adam(ps, lr, p);
        }
        if (name.startsWith("rmsprop")) {
            return new RMSprop(ps, lr, new RmsPropParams(num(h, "alpha"), num(h, "eps"), num(h, "weight_decay"),
                    num(h, "momentum"), (Boolean) h.get("centered")));
        }
        if (name.startsWith("adagrad")) {
            return new Adagrad(ps, lr, new AdagradParams(num(h, "lr_decay"), num(h, "eps"), num(h, "weight_decay"),
                    num(h, "initial_accumulator_value")));
        }
        throw new AssertionError("unknown optimizer case " + name);
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyCaseMatchesPytorchStepByStep() {
        int checked = 0;
        try (Backend b = TestBackends.cpu()) {
            for (Map<String, Object> c : Reference.cases("optimizer")) {
                String name = (String) c.get("name");
                int[] dims = Reference.dims(c.get("params"));
                List<Object> grads = (List<Object>) c.get("grads");
                List<Object> after = (List<Object>) c.get("after");
                try (Parameter p = new Parameter("w", b.fromArray(Reference.floats(c.get("params")), dims));
                     Optimizer opt = make(name, (Map<String, Object>) c.get("hyper"), List.of(p))) {
                    for (int s = 0; s < grads.size(); s++) {
                        opt.zeroGrad();
                        p.grad().copyFrom(Reference.floats(grads.get(s)));
                        opt.step();
                        Reference.assertClose(Reference.floats(after.get(s)), p.value().toFloatArray(), 1e-5, 1e-6,
                                name + " step " + (s + 1));
                    }
                    assertEquals(grads.size(), opt.stepCount());
                }
                checked++;
            }
            assertEquals(b.liveTensors().size(), 0);
        }
        assertEquals(11, checked);
    }

    @Test
    @SuppressWarnings("unchecked")
    void savedStateResumesExactly() {
        // Two steps, save, restore into a fresh optimizer, two more steps: the same as four in a row.
        try (Backend b = TestBackends.cpu()) {
            for (Map<String, Object> c : Reference.cases("optimizer")) {
                String name = (String) c.get("name");
                Map<String, Object> h = (Map<String, Object>) c.get("hyper");
                int[] dims = Reference.dims(c.get("params"));
                List<Object> grads = (List<Object>) c.get("grads");
                float[] start = Reference.floats(c.get("params"));
                float[] straight;
                try (Parameter p = new Parameter("w", b.fromArray(start, dims)); Optimizer o = make(name, h, List.of(p))) {
                    for (Object g : grads) {
                        p.grad().copyFrom(Reference.floats(g));
                        o.step();
                    }
                    straight = p.value().toFloatArray();
                }
                try (Parameter p = new Parameter("w", b.fromArray(start, dims)); Optimizer o1 = make(name, h, List.of(p))) {
                    for (int s = 0; s < 2; s++) {
                        p.grad().copyFrom(Reference.floats(grads.get(s)));
                        o1.step();
                    }
                    Map<String, float[]> saved = new java.util.LinkedHashMap<>();
                    o1.state().forEach((k, t) -> saved.put(k, t.toFloatArray()));
                    Optimizer o2 = Optimizers.fromHyperParameters(o1.name(), List.of(p), o1.lr(), o1.hyperParameters());
                    try (o2) {
                        o2.loadState(o1.stepCount(), saved);
                        for (int s = 2; s < grads.size(); s++) {
                            p.grad().copyFrom(Reference.floats(grads.get(s)));
                            o2.step();
                        }
                    }
                    org.junit.jupiter.api.Assertions.assertArrayEquals(straight, p.value().toFloatArray(), 0f, name);
                }
            }
        }
    }
}
