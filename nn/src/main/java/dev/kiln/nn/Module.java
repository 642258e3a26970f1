package dev.kiln.nn;

import dev.kiln.core.Tensor;

import java.util.List;

/**
 * A differentiable layer with an explicit backward pass (no tape): {@link #forward} keeps what
 * {@link #backward} needs, and both return tensors the module owns and reuses on the next call
 * with the same batch size, so a training step allocates nothing. Do not close returned tensors;
 * close the module.
 */
public interface Module extends AutoCloseable {

    /** The output for input {@code x} [batch, features]; valid until the next forward. */
    Tensor forward(Tensor x);

    /**
     * Given {@code dy = dL/dy} for the last forward's output, adds the parameters' gradients to
     * their {@code grad} tensors and returns {@code dL/dx}, or null when {@code needInputGrad} is
     * false (the first layer of a network, whose input is data, skips that work).
     */
    Tensor backward(Tensor dy, boolean needInputGrad);

    /** {@code backward(dy, true)}. */
    default Tensor backward(Tensor dy) {
        return backward(dy, true);
    }

    /** The trainable parameters, named as in PyTorch's state_dict; empty for activations. */
    List<Parameter> parameters();

    /** Zeroes the gradients of all parameters. */
    default void zeroGrad() {
        for (Parameter p : parameters()) {
            p.zeroGrad();
        }
    }

    /** Frees parameters and buffers. */
    @Override
    void close();
}
