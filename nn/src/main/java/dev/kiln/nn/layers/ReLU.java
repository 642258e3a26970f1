package dev.kiln.nn.layers;

import dev.kiln.core.Activation;

/** The activation max(x, 0), as torch.nn.ReLU. */
public final class ReLU extends ActivationLayer {
    public ReLU() {
        super(Activation.RELU, 0f);
    }

    @Override
    public String toString() {
        return "ReLU()";
    }
}
