package dev.kiln.nn.loss;

import dev.kiln.core.LossKind;
import dev.kiln.core.Reduction;

/** Binary cross-entropy from logits (numerically stable), as torch.nn.BCEWithLogitsLoss. */
public final class BCEWithLogitsLoss extends ElementwiseLoss {
    /** Reduction MEAN. */
    public BCEWithLogitsLoss() {
        this(Reduction.MEAN);
    }

    public BCEWithLogitsLoss(Reduction reduction) {
        super(LossKind.BCE_WITH_LOGITS, reduction);
    }
}
