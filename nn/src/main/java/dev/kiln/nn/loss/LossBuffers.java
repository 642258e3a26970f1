package dev.kiln.nn.loss;

import dev.kiln.core.Backend;
import dev.kiln.core.DType;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;

/** The value and gradient tensors of a loss, remade only when the input's shape or backend changes. */
final class LossBuffers implements AutoCloseable {
    private Tensor value;
    private Tensor grad;
    private boolean computed;

    Tensor value(Backend b) {
        if (value == null || value.backend() != b || value.isClosed()) {
            if (value != null) {
                value.close();
            }
            value = b.empty(DType.F32, Shape.of(1), "loss");
        }
        return value;
    }

    Tensor grad(Backend b, Shape shape) {
        if (grad == null || grad.backend() != b || grad.isClosed() || !grad.shape().equals(shape)) {
            if (grad != null) {
                grad.close();
            }
            grad = b.empty(DType.F32, shape, "loss.grad");
        }
        computed = true;
        return grad;
    }

    Tensor lastGrad(String loss) {
        if (!computed || grad == null || grad.isClosed()) {
            throw new IllegalStateException(loss + ": backward() needs a forward() first");
        }
        return grad;
    }

    @Override
    public void close() {
        if (value != null) {
            value.close();
        }
        if (grad != null) {
            grad.close();
        }
        value = null;
        grad = null;
        computed = false;
    }
}
