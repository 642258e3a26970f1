package dev.kiln.core;

/**
 * Hyper-parameters of {@code torch.optim.SGD} other than the learning rate, which is passed per
 * step so that schedules can change it.
 *
 * <p>One step, per element: {@code g = grad + weightDecay * p}; with momentum,
 * {@code buf = g} on the first step, else {@code buf = momentum * buf + (1 - dampening) * g}; then
 * {@code g = nesterov ? g + momentum * buf : buf}; finally {@code p -= lr * g}.
 */
public record SgdParams(float momentum, float dampening, float weightDecay, boolean nesterov) {
    public SgdParams {
        requireFinite("momentum", momentum, 0);
        requireFinite("dampening", dampening, 0);
        requireFinite("weightDecay", weightDecay, 0);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires momentum > 0 and dampening 0");
        }
    }

    /** Plain SGD. */
    public static SgdParams plain() {
        return new SgdParams(0, 0, 0, false);
    }

    /** SGD with (heavy-ball) momentum. */
    public static SgdParams momentum(float momentum) {
        return new SgdParams(momentum, 0, 0, false);
    }

    /** Whether the update needs a momentum buffer. */
    public boolean hasMomentum() {
        return momentum != 0;
    }

    static void requireFinite(String name, float v, float min) {
        if (!Float.isFinite(v) || v < min) {
            throw new IllegalArgumentException(name + " must be a finite number >= " + min + ", got " + v);
        }
    }
}
