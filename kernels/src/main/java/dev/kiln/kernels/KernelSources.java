package dev.kiln.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Loads Kiln's portable device kernels, with the prelude of one dialect, as one compilable source. */
public final class KernelSources {

    /** Which compiler the source is for; each has its own prelude mapping the portable macros. */
    public enum Dialect {
        OPENCL("opencl_prelude.h"),
        CUDA("cuda_prelude.h");

        private final String prelude;

        Dialect(String prelude) {
            this.prelude = prelude;
        }

        /** The resource name of this dialect's prelude. */
        public String prelude() {
            return prelude;
        }
    }

    /** The kernel files in the order they are concatenated: common.kc first, since the others use its helpers. */
    public static final List<String> FILES = List.of(
            "common.kc", "elementwise.kc", "activations.kc", "softmax.kc", "reductions.kc", "losses.kc",
            "optimizers.kc", "gemm.kc");

    /** Every kernel entry point the program defines, so hosts and tests can check they all built. */
    public static final List<String> KERNEL_NAMES = List.of(
            "reduce_finish",
            "fill_f32", "fill_i32", "copy_32", "scale_f32", "axpy_f32", "bias_add", "bias_grad", "bias_grad_cols",
            "relu_fwd", "relu_bwd", "leaky_relu_fwd", "leaky_relu_bwd", "sigmoid_fwd", "sigmoid_bwd",
            "tanh_fwd", "tanh_bwd", "gelu_erf_fwd", "gelu_erf_bwd", "gelu_tanh_fwd", "gelu_tanh_bwd",
            "softplus_fwd", "softplus_bwd",
            "softmax_fwd", "softmax_bwd", "softmax_xent",
            "softmax_fwd_narrow", "softmax_bwd_narrow", "softmax_xent_narrow",
            "reduce_partials", "argmax_rows", "count_correct", "argmax_rows_narrow", "count_correct_narrow",
            "loss_partials",
            "sgd_step", "adam_step", "rmsprop_step", "adagrad_step",
            "gemm_tiled", "gemm_big", "gemm_tiled_split", "gemm_split_reduce", "u8_to_f32");

    private static final String BASE = "/dev/kiln/kernels/";

    private KernelSources() {
    }

    /** The prelude of {@code dialect} followed by every kernel file, each introduced by a {@code #line}-style marker comment. */
    public static String program(Dialect dialect) {
        StringBuilder sb = new StringBuilder(64 * 1024);
        sb.append("/* ---- ").append(dialect.prelude()).append(" ---- */\n").append(read(dialect.prelude()));
        for (String f : FILES) {
            sb.append("\n/* ---- ").append(f).append(" ---- */\n").append(read(f));
        }
        return sb.toString();
    }

    /** One resource file of this package, like {@code gemm.kc}, as text. */
    public static String read(String file) {
        try (InputStream in = KernelSources.class.getResourceAsStream(BASE + file)) {
            if (in == null) {
                throw new IllegalStateException("kernel resource " + BASE + file + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kernel resource " + BASE + file, e);
        }
    }
}
