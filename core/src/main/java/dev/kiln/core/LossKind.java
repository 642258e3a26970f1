package dev.kiln.core;

/**
 * The elementwise losses besides softmax-cross-entropy (which has its own fused op), with
 * PyTorch's semantics. {@code x} is the input, {@code t} the target, both the same shape.
 *
 * <ul>
 *   <li>MSE: {@code (x - t)^2}; gradient {@code 2(x - t)}.
 *   <li>L1: {@code |x - t|}; gradient {@code sign(x - t)}, 0 where equal.
 *   <li>BCE: {@code -(t log x + (1 - t) log(1 - x))}, each log clamped at -100 as PyTorch does;
 *       gradient {@code (x - t) / max(x(1 - x), 1e-12)}. {@code x} must lie in [0, 1].
 *   <li>BCE_WITH_LOGITS: {@code max(x, 0) - x t + log(1 + exp(-|x|))}; gradient
 *       {@code sigmoid(x) - t}.
 *   <li>KL_DIV: {@code x} is a log-probability, {@code t} a probability: {@code t (log t - x)},
 *       0 where {@code t == 0}; gradient {@code -t}.
 * </ul>
 *
 * Gradients are then scaled by the reduction (divided by the element count for MEAN, by the
 * row count for BATCHMEAN).
 */
public enum LossKind {
    MSE("mse"),
    L1("l1"),
    BCE("bce"),
    BCE_WITH_LOGITS("bce_with_logits"),
    KL_DIV("kl_div");

    private final String id;

    LossKind(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }
}
