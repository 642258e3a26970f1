package dev.kiln.core;

/**
 * Activation functions, with PyTorch's exact semantics.
 *
 * <p>The elementwise ones apply to every element. {@link #SOFTMAX} and {@link #LOG_SOFTMAX} apply
 * to each row of a rank-2 tensor (PyTorch's {@code dim=1}); a rank-1 tensor is one row.
 *
 * <ul>
 *   <li>RELU: {@code max(x, 0)}; gradient 0 at {@code x == 0}.
 *   <li>LEAKY_RELU(slope): {@code x > 0 ? x : slope*x}; gradient {@code x > 0 ? 1 : slope}.
 *       Default slope 0.01.
 *   <li>SIGMOID, TANH.
 *   <li>GELU_ERF: {@code x * Phi(x)}, the exact form ({@code F.gelu(x)}).
 *   <li>GELU_TANH: {@code 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))} ({@code approximate="tanh"}).
 *   <li>SOFTPLUS: {@code log(1 + exp(x))} with beta 1, and {@code x} itself where {@code x > 20}
 *       (PyTorch's threshold).
 *   <li>SOFTMAX / LOG_SOFTMAX: over each row, max-subtracted for stability.
 * </ul>
 */
public enum Activation {
    RELU("relu", false),
    LEAKY_RELU("leaky_relu", false),
    SIGMOID("sigmoid", false),
    TANH("tanh", false),
    GELU_ERF("gelu_erf", false),
    GELU_TANH("gelu_tanh", false),
    SOFTPLUS("softplus", false),
    SOFTMAX("softmax", true),
    LOG_SOFTMAX("log_softmax", true);

    /** PyTorch's default negative slope for LeakyReLU. */
    public static final float DEFAULT_LEAKY_SLOPE = 0.01f;

    private final String id;
    private final boolean rowWise;

    Activation(String id, boolean rowWise) {
        this.id = id;
        this.rowWise = rowWise;
    }

    /** A stable lower-case name, used by the CLI, reports and kernels. */
    public String id() {
        return id;
    }

    /** True for softmax and log-softmax, which couple the elements of a row. */
    public boolean rowWise() {
        return rowWise;
    }

    /** The activation whose {@link #id()} is {@code id}. */
    public static Activation byId(String id) {
        for (Activation a : values()) {
            if (a.id.equals(id)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown activation '" + id + "'");
    }
}
