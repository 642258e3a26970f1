package dev.kiln.nn.layers;

import dev.kiln.core.Activation;

/** {@code x * Phi(x)}, as torch.nn.GELU: exact (erf) by default, or the tanh approximation. */
public final class GELU extends ActivationLayer {
    /** The exact form, {@code GELU(approximate="none")}. */
    public GELU() {
        this(false);
    }

    /** {@code tanhApproximation}: {@code GELU(approximate="tanh")}. */
    public GELU(boolean tanhApproximation) {
        super(tanhApproximation ? Activation.GELU_TANH : Activation.GELU_ERF, 0f);
    }

    @Override
    public String toString() {
        return activation() == Activation.GELU_TANH ? "GELU(approximate='tanh')" : "GELU()";
    }
}
