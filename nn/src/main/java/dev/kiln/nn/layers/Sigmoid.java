package dev.kiln.nn.layers;

import dev.kiln.core.Activation;

/** The activation 1 / (1 + exp(-x)), as torch.nn.Sigmoid. */
public final class Sigmoid extends ActivationLayer {
    public Sigmoid() {
        super(Activation.SIGMOID, 0f);
    }

    @Override
    public String toString() {
        return "Sigmoid()";
    }
}
