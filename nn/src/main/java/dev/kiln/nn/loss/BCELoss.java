package dev.kiln.nn.loss;

import dev.kiln.core.LossKind;
import dev.kiln.core.Reduction;

/** Binary cross-entropy of probabilities in [0, 1], as torch.nn.BCELoss. */
public final class BCELoss extends ElementwiseLoss {
    /** Reduction MEAN. */
    public BCELoss() {
        this(Reduction.MEAN);
    }

    public BCELoss(Reduction reduction) {
        super(LossKind.BCE, reduction);
    }
}
