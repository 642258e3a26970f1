package dev.kiln.core;

/**
 * Hyper-parameters of {@code torch.optim.Adam} and {@code AdamW} other than the learning rate.
 *
 * <p>One step {@code t} (1-based), per element: Adam adds {@code weightDecay * p} to the gradient;
 * AdamW ({@code decoupled}) first scales {@code p *= 1 - lr * weightDecay}. Then
 * {@code m = b1 m + (1-b1) g}, {@code v = b2 v + (1-b2) g^2}; with AMSGrad
 * {@code vmax = max(vmax, v)} and {@code v} below means {@code vmax};
 * {@code p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)}.
 */
public record AdamParams(float beta1, float beta2, float eps, float weightDecay, boolean amsgrad, boolean decoupled) {
    public AdamParams {
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        }
        SgdParams.requireFinite("eps", eps, 0);
        SgdParams.requireFinite("weightDecay", weightDecay, 0);
    }

    /** PyTorch's Adam defaults: betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public static AdamParams adam() {
        return new AdamParams(0.9f, 0.999f, 1e-8f, 0f, false, false);
    }

    /** PyTorch's AdamW defaults: as Adam, with decoupled weight decay 0.01. */
    public static AdamParams adamW() {
        return new AdamParams(0.9f, 0.999f, 1e-8f, 0.01f, false, true);
    }

    public AdamParams withWeightDecay(float wd) {
        return new AdamParams(beta1, beta2, eps, wd, amsgrad, decoupled);
    }

    public AdamParams withAmsgrad(boolean on) {
        return new AdamParams(beta1, beta2, eps, weightDecay, on, decoupled);
    }
}
