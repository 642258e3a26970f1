package dev.kiln.nn.optim;

import dev.kiln.core.Backend;
import dev.kiln.nn.Parameter;
import dev.kiln.nn.Reference;
import dev.kiln.nn.TestBackends;
import dev.kiln.nn.schedule.CosineAnnealingLR;
import dev.kiln.nn.schedule.ExponentialLR;
import dev.kiln.nn.schedule.LrScheduler;
import dev.kiln.nn.schedule.LrSchedulers;
import dev.kiln.nn.schedule.MultiStepLR;
import dev.kiln.nn.schedule.StepLR;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** PyTorch's schedule cases: the learning rate in force at epochs 0..9, through an optimizer. */
class PytorchScheduleTest {
    private static LrScheduler make(String name, Optimizer o) {
        return switch (name) {
            case "step_lr_step2_gamma0.1" -> new StepLR(o, 2, 0.1);
            case "multistep_lr_3_7_gamma0.5" -> new MultiStepLR(o, new int[] {3, 7}, 0.5);
            case "exponential_lr_gamma0.9" -> new ExponentialLR(o, 0.9);
            case "cosine_annealing_tmax10" -> new CosineAnnealingLR(o, 10);
            default -> throw new AssertionError("unknown schedule case " + name);
        };
    }

    @Test
    @SuppressWarnings("unchecked")
    void ratesMatchPytorch() {
        int checked = 0;
        try (Backend b = TestBackends.cpu(); Parameter p = new Parameter("w", b.zeros(2))) {
            for (Map<String, Object> c : Reference.cases("schedule")) {
                String name = (String) c.get("name");
                List<Object> lrs = (List<Object>) c.get("lrs");
                try (SGD sgd = new SGD(List.of(p), ((Number) c.get("base_lr")).doubleValue())) {
                    LrScheduler s = make(name, sgd);
                    for (int epoch = 0; epoch < lrs.size(); epoch++) {
                        double expected = ((Number) lrs.get(epoch)).doubleValue();
                        assertEquals(expected, sgd.lr(), 0.0, name + " epoch " + epoch + " (bit-exact double)");
                        assertEquals(sgd.lr(), s.lr());
                        s.step();
                    }
                    // Save at epoch 10, restore into a fresh schedule: the next rates agree.
                    try (SGD other = new SGD(List.of(p), ((Number) c.get("base_lr")).doubleValue())) {
                        LrScheduler r = LrSchedulers.create(s.name(), s.config(), other);
                        r.restore(s.lastEpoch(), s.lr());
                        s.step();
                        r.step();
                        assertEquals(s.lr(), r.lr(), 0.0, name + " after restore");
                        assertEquals(s.lr(), other.lr(), 0.0);
                    }
                }
                checked++;
            }
        }
        assertEquals(4, checked);
    }
}
