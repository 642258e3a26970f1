package dev.kiln.nn.loss;

import dev.kiln.core.Backend;
import dev.kiln.core.LossKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.Tensor;

/** A loss over an input and a float target of the same shape, on the backend's fused loss op. */
public abstract class ElementwiseLoss implements Loss {
    private final LossKind kind;
    private final Reduction reduction;
    private final LossBuffers buffers = new LossBuffers();

    protected ElementwiseLoss(LossKind kind, Reduction reduction) {
        if (reduction == null) {
            throw new IllegalArgumentException("reduction is null");
        }
        this.kind = kind;
        this.reduction = reduction;
    }

    public LossKind kind() {
        return kind;
    }

    public Reduction reduction() {
        return reduction;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        Backend b = input.backend();
        Tensor value = buffers.value(b);
        Tensor grad = buffers.grad(b, input.shape());
        b.loss(kind, input, target, value, grad, reduction);
        return value;
    }

    @Override
    public Tensor backward() {
        return buffers.lastGrad(getClass().getSimpleName());
    }

    @Override
    public void close() {
        buffers.close();
    }
}
