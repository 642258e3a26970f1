package dev.kiln.nn.loss;

import dev.kiln.core.Backend;
import dev.kiln.core.Reduction;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Reference;
import dev.kiln.nn.TestBackends;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LossesTest {
    private static Reduction reduction(Object r) {
        return switch ((String) r) {
            case "mean" -> Reduction.MEAN;
            case "sum" -> Reduction.SUM;
            case "batchmean" -> Reduction.BATCHMEAN;
            default -> throw new IllegalArgumentException(r.toString());
        };
    }

    @Test
    void everyLossMatchesPytorchValueAndGradient() {
        int checked = 0;
        try (Backend b = TestBackends.cpu()) {
            for (Map<String, Object> c : Reference.cases("loss")) {
                String name = (String) c.get("name");
                Reduction r = reduction(c.get("reduction"));
                int[] dims = Reference.dims(c.get("input"));
                Loss loss;
                Tensor target;
                if (name.startsWith("cross_entropy")) {
                    loss = new CrossEntropyLoss(r, ((Number) c.get("label_smoothing")).floatValue());
                    target = b.labels(Reference.ints(c.get("target")));
                } else {
                    loss = switch (name.replaceAll("_(mean|sum|batchmean)$", "")) {
                        case "mse" -> new MSELoss(r);
                        case "l1" -> new L1Loss(r);
                        case "bce" -> new BCELoss(r);
                        case "bce_with_logits" -> new BCEWithLogitsLoss(r);
                        case "kl_div" -> new KLDivLoss(r);
                        default -> throw new AssertionError("unknown case " + name);
                    };
                    target = b.fromArray(Reference.floats(c.get("target")), dims);
                }
                try (loss; target; Tensor input = b.fromArray(Reference.floats(c.get("input")), dims)) {
                    float value = loss.forward(input, target).item();
                    float expected = ((Number) c.get("loss")).floatValue();
                    assertEquals(expected, value, 1e-5 * Math.abs(expected) + 1e-6, name + " loss");
                    Reference.assertClose(Reference.floats(c.get("dinput")), loss.backward().toFloatArray(), 1e-5,
                            1e-7, name + " gradient");
                }
                checked++;
            }
        }
        assertEquals(12, checked);
    }
}
