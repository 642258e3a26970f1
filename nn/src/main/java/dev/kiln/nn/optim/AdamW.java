package dev.kiln.nn.optim;

import dev.kiln.core.AdamParams;
import dev.kiln.nn.Parameter;

import java.util.List;

/** Adam with decoupled weight decay, as {@code torch.optim.AdamW} (default weight decay 0.01). */
public final class AdamW extends Adam {
    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public AdamW(List<Parameter> params, double lr) {
        this(params, lr, AdamParams.adamW());
    }

    public AdamW(List<Parameter> params, double lr, AdamParams hp) {
        super(params, lr, hp);
    }

    @Override
    public String name() {
        return "adamw";
    }
}
