package dev.kiln.nn.loss;

import dev.kiln.core.LossKind;
import dev.kiln.core.Reduction;

/** Mean absolute error, as torch.nn.L1Loss. */
public final class L1Loss extends ElementwiseLoss {
    /** Reduction MEAN. */
    public L1Loss() {
        this(Reduction.MEAN);
    }

    public L1Loss(Reduction reduction) {
        super(LossKind.L1, reduction);
    }
}
