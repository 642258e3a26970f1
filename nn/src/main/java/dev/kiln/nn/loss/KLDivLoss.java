package dev.kiln.nn.loss;

import dev.kiln.core.LossKind;
import dev.kiln.core.Reduction;

/** KL divergence of log-probability inputs from probability targets, as torch.nn.KLDivLoss; batchmean by default, the reduction PyTorch recommends. */
public final class KLDivLoss extends ElementwiseLoss {
    /** Reduction BATCHMEAN. */
    public KLDivLoss() {
        this(Reduction.BATCHMEAN);
    }

    public KLDivLoss(Reduction reduction) {
        super(LossKind.KL_DIV, reduction);
    }
}
