package dev.kiln.nn.layers;

import dev.kiln.core.Activation;

/** The activation tanh(x), as torch.nn.Tanh. */
public final class Tanh extends ActivationLayer {
    public Tanh() {
        super(Activation.TANH, 0f);
    }

    @Override
    public String toString() {
        return "Tanh()";
    }
}
