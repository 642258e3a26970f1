package dev.kiln.nn;

import dev.kiln.core.Tensor;

/**
 * A trainable tensor and its gradient, named as in PyTorch's {@code state_dict} ({@code weight},
 * {@code bias}; a {@link dev.kiln.nn.layers.Sequential} prefixes the index: {@code 0.weight}).
 * Backward passes add to {@link #grad()}, as PyTorch accumulates {@code .grad}; {@link #zeroGrad()}
 * clears it.
 *
 * <p>Zeroing is lazy: {@link #zeroGrad()} only marks the gradient as zero, and the next backward
 * pass that writes it asks {@link #gradBeta()} and overwrites it (beta 0) instead of adding to a
 * filled buffer (beta 1), which saves a full pass over every gradient per training step. Anyone
 * who reads {@link #grad()} while it is marked zero gets it filled with zeros first, so the
 * observable values are exactly PyTorch's. Renamed copies share the mark with the original.
 */
public final class Parameter implements AutoCloseable {
    private final String name;
    private final Tensor value;
    private final Tensor grad;
    /** Shared by renamed copies: whether {@link #grad} is logically zero but not yet filled. */
    private final boolean[] zeroPending;

    /** Takes ownership of {@code value}; allocates a zero gradient of the same shape. */
    public Parameter(String name, Tensor value) {
        this.name = name;
        this.value = value;
        this.grad = value.backend().zeros(value.dtype(), value.shape());
        this.zeroPending = new boolean[1];
    }

    private Parameter(String name, Tensor value, Tensor grad, boolean[] zeroPending) {
        this.name = name;
        this.value = value;
        this.grad = grad;
        this.zeroPending = zeroPending;
    }

    public String name() {
        return name;
    }

    public Tensor value() {
        return value;
    }

    /** The gradient, filled with zeros first if {@link #zeroGrad()} left it marked zero. */
    public Tensor grad() {
        if (zeroPending[0]) {
            value.backend().fill(grad, 0f);
            zeroPending[0] = false;
        }
        return grad;
    }

    /**
     * For a backward pass about to write the gradient as {@code grad = beta * grad + new}: returns
     * 0 when the gradient is marked zero (so the write overwrites it and need not read it), else 1
     * (it accumulates). Either way the gradient holds data afterwards, so call this only right
     * before the write, and pass the result as the op's beta on {@link #gradBuffer()}.
     */
    public float gradBeta() {
        if (zeroPending[0]) {
            zeroPending[0] = false;
            return 0f;
        }
        return 1f;
    }

    /**
     * Undoes {@link #gradBeta()} when the write it was for threw: with beta 0 the gradient is
     * marked zero again (whatever the failed write left in it), so nothing of a failed backward
     * pass shows through {@link #grad()}.
     */
    public void gradWriteFailed(float beta) {
        if (beta == 0f) {
            zeroPending[0] = true;
        }
    }

    /** The gradient tensor as is, for a write with {@link #gradBeta()}'s beta (no zero fill). */
    public Tensor gradBuffer() {
        return grad;
    }

    /** The same tensors under another name (used by containers to add their prefix). */
    public Parameter renamed(String newName) {
        return new Parameter(newName, value, grad, zeroPending);
    }

    /** Sets the gradient to zero (lazily: see the class comment). */
    public void zeroGrad() {
        if (grad.isClosed()) {
            throw new IllegalStateException(this + " is closed");
        }
        zeroPending[0] = true;
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
