package dev.kiln.core;

/**
 * Hyper-parameters of {@code torch.optim.RMSprop} other than the learning rate.
 *
 * <p>One step, per element: {@code g = grad + weightDecay * p};
 * {@code sq = alpha sq + (1-alpha) g^2}; centered: {@code ga = alpha ga + (1-alpha) g} and
 * {@code avg = sqrt(sq - ga^2) + eps}, else {@code avg = sqrt(sq) + eps}; with momentum
 * {@code buf = momentum buf + g / avg; p -= lr buf}, else {@code p -= lr g / avg}.
 */
public record RmsPropParams(float alpha, float eps, float weightDecay, float momentum, boolean centered) {
    public RmsPropParams {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        }
        SgdParams.requireFinite("eps", eps, 0);
        SgdParams.requireFinite("weightDecay", weightDecay, 0);
        SgdParams.requireFinite("momentum", momentum, 0);
    }

    /** PyTorch's defaults: alpha 0.99, eps 1e-8, no weight decay, no momentum, not centered. */
    public static RmsPropParams defaults() {
        return new RmsPropParams(0.99f, 1e-8f, 0f, 0f, false);
    }
}
