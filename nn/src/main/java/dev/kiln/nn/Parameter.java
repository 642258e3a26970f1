package dev.kiln.nn;

import dev.kiln.core.Tensor;

/**
 * A trainable tensor and its gradient, named as in PyTorch's {@code state_dict} ({@code weight},
 * {@code bias}; a {@link dev.kiln.nn.layers.Sequential} prefixes the index: {@code 0.weight}).
 * Backward passes add to {@link #grad()}, as PyTorch accumulates {@code .grad}; {@link #zeroGrad()}
 * clears it.
 */
public final class Parameter implements AutoCloseable {
    private final String name;
    private final Tensor value;
    private final Tensor grad;

    /** Takes ownership of {@code value}; allocates a zero gradient of the same shape. */
    public Parameter(String name, Tensor value) {
        this.name = name;
        this.value = value;
        this.grad = value.backend().zeros(value.dtype(), value.shape());
    }

    private Parameter(String name, Tensor value, Tensor grad) {
        this.name = name;
        this.value = value;
        this.grad = grad;
    }

    public String name() {
        return name;
    }

    public Tensor value() {
        return value;
    }

    public Tensor grad() {
        return grad;
    }

    /** The same tensors under another name (used by containers to add their prefix). */
    public Parameter renamed(String newName) {
        return new Parameter(newName, value, grad);
    }

    /** Sets the gradient to zero. */
    public void zeroGrad() {
        value.backend().fill(grad, 0f);
    }

    /** Frees the value and gradient. */
    @Override
    public void close() {
        value.close();
        grad.close();
    }

    @Override
    public String toString() {
        return "Parameter " + name + " " + value.shape();
    }
}
