package dev.kiln.nn.layers;

import dev.kiln.core.Activation;
import dev.kiln.core.Backend;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Module;
import dev.kiln.nn.Parameter;

import java.util.List;

/** An elementwise activation as a layer: no parameters, buffers taken from the input's backend. */
public abstract class ActivationLayer implements Module {
    private final Activation activation;
    private final float param;
    private final RowBuffers outputs;
    private final RowBuffers inputGrads;
    private Tensor lastInput;
    private Tensor lastOutput;

    protected ActivationLayer(Activation activation, float param) {
        this.activation = activation;
        this.param = param;
        this.outputs = new RowBuffers(activation.id() + ".y");
        this.inputGrads = new RowBuffers(activation.id() + ".dx");
    }

    /** The activation function. */
    public Activation activation() {
        return activation;
    }

    /** LeakyReLU's slope; unused by the others. */
    public float param() {
        return param;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.shape().rank() != 2) {
            throw new IllegalArgumentException(this + ": input must be [batch, features], got " + x.shape());
        }
        Backend b = x.backend();
        Tensor y = outputs.get(b, x.shape().dim(0), x.shape().dim(1));
        b.activation(activation, param, x, y);
        lastInput = x;
        lastOutput = y;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        if (lastInput == null || lastInput.isClosed()) {
            throw new IllegalStateException(this + ": backward needs a forward pass first");
        }
        if (!needInputGrad) {
            return null;
        }
        Backend b = dy.backend();
        Tensor dx = inputGrads.get(b, dy.shape().dim(0), dy.shape().dim(1));
        b.activationBackward(activation, param, lastInput, lastOutput, dy, dx);
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    @Override
    public void close() {
        outputs.close();
        inputGrads.close();
        lastInput = null;
        lastOutput = null;
    }
}
