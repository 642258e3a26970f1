package dev.kiln.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Closes every tensor made inside it, on the thread that opened it, when it closes:
 * {@code try (TensorScope s = backend.scope()) { ... }}. Use {@link #keep(Tensor)} to let one
 * outlive the scope.
 */
public final class TensorScope implements AutoCloseable {
    private final Backend backend;
    private final List<Tensor> tensors = new ArrayList<>();
    private boolean closed;

    TensorScope(Backend backend) {
        this.backend = backend;
    }

    void add(Tensor t) {
        tensors.add(t);
    }

    /** Takes {@code t} out of this scope, so that closing the scope leaves it open. Returns {@code t}. */
    public Tensor keep(Tensor t) {
        tensors.remove(t);
        return t;
    }

    /** Closes the tensors made in this scope, newest first. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        backend.popScope(this);
        for (int i = tensors.size() - 1; i >= 0; i--) {
            tensors.get(i).close();
        }
        tensors.clear();
    }
}
