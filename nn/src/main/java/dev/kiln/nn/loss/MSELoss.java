package dev.kiln.nn.loss;

import dev.kiln.core.LossKind;
import dev.kiln.core.Reduction;

/** Mean squared error, as torch.nn.MSELoss. */
public final class MSELoss extends ElementwiseLoss {
    /** Reduction MEAN. */
    public MSELoss() {
        this(Reduction.MEAN);
    }

    public MSELoss(Reduction reduction) {
        super(LossKind.MSE, reduction);
    }
}
