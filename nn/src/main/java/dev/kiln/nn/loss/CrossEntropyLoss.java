package dev.kiln.nn.loss;

import dev.kiln.core.Backend;
import dev.kiln.core.Reduction;
import dev.kiln.core.Tensor;

/**
 * Softmax cross-entropy from logits [batch, classes] against int32 class labels [batch], as
 * {@code torch.nn.CrossEntropyLoss} (reduction mean or sum, label smoothing), on the fused op
 * that computes loss and gradient in one pass.
 */
public final class CrossEntropyLoss implements Loss {
    private final Reduction reduction;
    private final float labelSmoothing;
    private final LossBuffers buffers = new LossBuffers();

    /** Mean reduction, no label smoothing: PyTorch's defaults. */
    public CrossEntropyLoss() {
        this(Reduction.MEAN, 0f);
    }

    public CrossEntropyLoss(Reduction reduction, float labelSmoothing) {
        if (reduction != Reduction.MEAN && reduction != Reduction.SUM) {
            throw new IllegalArgumentException("CrossEntropyLoss reduction must be MEAN or SUM, got " + reduction);
        }
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1], got " + labelSmoothing);
        }
        this.reduction = reduction;
        this.labelSmoothing = labelSmoothing;
    }

    public Reduction reduction() {
        return reduction;
    }

    public float labelSmoothing() {
        return labelSmoothing;
    }

    @Override
    public Tensor forward(Tensor logits, Tensor labels) {
        Backend b = logits.backend();
        Tensor value = buffers.value(b);
        Tensor grad = buffers.grad(b, logits.shape());
        b.softmaxCrossEntropy(logits, labels, value, grad, reduction, labelSmoothing);
        return value;
    }

    /** The loss alone, without the gradient (evaluation); writes into {@code out} [1]. */
    public void value(Tensor logits, Tensor labels, Tensor out) {
        logits.backend().softmaxCrossEntropy(logits, labels, out, null, reduction, labelSmoothing);
    }

    @Override
    public Tensor backward() {
        return buffers.lastGrad("CrossEntropyLoss");
    }

    @Override
    public void close() {
        buffers.close();
    }
}
