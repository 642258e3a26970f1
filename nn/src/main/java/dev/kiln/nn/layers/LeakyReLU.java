package dev.kiln.nn.layers;

import dev.kiln.core.Activation;

/** {@code x > 0 ? x : slope * x}, as torch.nn.LeakyReLU (default slope 0.01). */
public final class LeakyReLU extends ActivationLayer {
    public LeakyReLU() {
        this(Activation.DEFAULT_LEAKY_SLOPE);
    }

    public LeakyReLU(float negativeSlope) {
        super(Activation.LEAKY_RELU, negativeSlope);
        if (!Float.isFinite(negativeSlope)) {
            throw new IllegalArgumentException("LeakyReLU slope must be finite, got " + negativeSlope);
        }
    }

    @Override
    public String toString() {
        return "LeakyReLU(" + param() + ")";
    }
}
