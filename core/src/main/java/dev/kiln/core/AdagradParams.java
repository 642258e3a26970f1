package dev.kiln.core;

/**
 * Hyper-parameters of {@code torch.optim.Adagrad} other than the learning rate.
 *
 * <p>One step {@code t} (1-based), per element: {@code clr = lr / (1 + (t-1) lrDecay)};
 * {@code g = grad + weightDecay * p}; {@code sum += g^2}; {@code p -= clr g / (sqrt(sum) + eps)}.
 * The accumulator starts at {@code initialAccumulatorValue} (set by whoever allocates it).
 */
public record AdagradParams(float lrDecay, float eps, float weightDecay, float initialAccumulatorValue) {
    public AdagradParams {
        SgdParams.requireFinite("lrDecay", lrDecay, 0);
        SgdParams.requireFinite("eps", eps, 0);
        SgdParams.requireFinite("weightDecay", weightDecay, 0);
        SgdParams.requireFinite("initialAccumulatorValue", initialAccumulatorValue, 0);
    }

    /** PyTorch's defaults: no lr decay, eps 1e-10, no weight decay, accumulator starting at 0. */
    public static AdagradParams defaults() {
        return new AdagradParams(0f, 1e-10f, 0f, 0f);
    }
}
