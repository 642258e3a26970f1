package dev.kiln.nn.layers;

import dev.kiln.core.Backend;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Module;
import dev.kiln.nn.Parameter;
import dev.kiln.nn.Rng;

import java.util.List;

/**
 * A fully connected layer, {@code y = x W^T + b}, as {@code torch.nn.Linear}: {@code weight} is
 * [out, in] and {@code bias} [out]. The default initialisation is PyTorch's: every weight, then
 * every bias, drawn from U(-1/sqrt(in), 1/sqrt(in)) by the given {@link Rng}, in row-major order.
 */
public final class Linear implements Module {
    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;
    private final RowBuffers outputs = new RowBuffers("Linear.y");
    private final RowBuffers inputGrads = new RowBuffers("Linear.dx");
    private Tensor lastInput;

    /** A layer with PyTorch's default initialisation drawn from {@code rng}. */
    public Linear(Backend backend, int in, int out, Rng rng) {
        this(backend, in, out, initialWeights(in, out, rng));
    }

    private Linear(Backend backend, int in, int out, float[][] init) {
        this.in = in;
        this.out = out;
        Tensor w = backend.fromArray(init[0], out, in);
        Tensor b;
        try {
            b = backend.fromArray(init[1], out);
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
        this.weight = new Parameter("weight", w);
        this.bias = new Parameter("bias", b);
    }

    /** A layer with the given weights [out * in, row-major] and biases [out]. */
    public static Linear of(Backend backend, int in, int out, float[] weights, float[] biases) {
        checkSizes(in, out);
        if (weights.length != in * out || biases.length != out) {
            throw new IllegalArgumentException("Linear(" + in + " -> " + out + ") needs " + (in * out)
                    + " weights and " + out + " biases, got " + weights.length + " and " + biases.length);
        }
        return new Linear(backend, in, out, new float[][] {weights.clone(), biases.clone()});
    }

    private static void checkSizes(int in, int out) {
        if (in <= 0 || out <= 0 || (long) in * out > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Linear needs positive sizes whose product fits an int, got in=" + in
                    + " out=" + out);
        }
    }

    private static float[][] initialWeights(int in, int out, Rng rng) {
        checkSizes(in, out);
        float bound = (float) (1.0 / Math.sqrt(in));
        float[] w = new float[in * out];
        float[] b = new float[out];
        for (int i = 0; i < w.length; i++) {
            w[i] = rng.uniform(-bound, bound);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = rng.uniform(-bound, bound);
        }
        return new float[][] {w, b};
    }

    public int inFeatures() {
        return in;
    }

    public int outFeatures() {
        return out;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.shape().rank() != 2 || x.shape().dim(1) != in) {
            throw new IllegalArgumentException(this + ": input " + x.shape() + " must be [batch, " + in + "]");
        }
        Backend b = x.backend();
        Tensor y = outputs.get(b, x.shape().dim(0), out);
        b.gemm(false, true, 1f, x, weight.value(), 0f, y);
        b.biasAdd(y, bias.value(), y);
        lastInput = x;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Tensor x = lastInput;
        if (x == null || x.isClosed()) {
            throw new IllegalStateException(this + ": backward needs a forward pass first");
        }
        if (!dy.shape().equals(dev.kiln.core.Shape.of(x.shape().dim(0), out))) {
            throw new IllegalArgumentException(this + ": dy " + dy.shape() + " must be [" + x.shape().dim(0) + ", "
                    + out + "]");
        }
        Backend b = dy.backend();
        // Gradients accumulate (beta = 1), as PyTorch's .grad does until zero_grad(); right after
        // zeroGrad() they are overwritten (beta = 0) instead of being filled with zeros first.
        float wBeta = weight.gradBeta();
        try {
            b.gemm(true, false, 1f, dy, x, wBeta, weight.gradBuffer());
        } catch (RuntimeException e) {
            weight.gradWriteFailed(wBeta);
            throw e;
        }
        float bBeta = bias.gradBeta();
        try {
            b.biasGrad(dy, bias.gradBuffer(), bBeta);
        } catch (RuntimeException e) {
            bias.gradWriteFailed(bBeta);
            throw e;
        }
        if (!needInputGrad) {
            return null;
        }
        Tensor dx = inputGrads.get(b, x.shape().dim(0), in);
        b.gemm(false, false, 1f, dy, weight.value(), 0f, dx);
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(weight, bias);
    }

    @Override
    public void close() {
        outputs.close();
        inputGrads.close();
        weight.close();
        bias.close();
        lastInput = null;
    }

    @Override
    public String toString() {
        return "Linear(" + in + " -> " + out + ")";
    }
}
