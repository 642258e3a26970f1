package dev.kiln.nn.loss;

import dev.kiln.core.Tensor;

/**
 * A loss with its gradient, computed together in one fused op. {@link #forward} returns the
 * reduced loss as a one-element tensor (reading it is a sync point, so training loops accumulate
 * it on the device instead) and {@link #backward()} the gradient with respect to the input, both
 * owned by the loss and reused by the next call with the same batch size.
 */
public interface Loss extends AutoCloseable {

    /** The loss of {@code input} against {@code target}; also computes the gradient. */
    Tensor forward(Tensor input, Tensor target);

    /** {@code dL/dinput} from the last {@link #forward}. */
    Tensor backward();

    /** Frees the loss's buffers. */
    @Override
    void close();
}
