package dev.kiln.testkit;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.LossKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.core.Shape;
import dev.kiln.core.json.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PyTorch 1.13's own results for Kiln's ops, losses, optimizers and learning-rate schedules, read
 * from the bundled {@code pytorch-reference.json} (see {@code PROVENANCE.md} beside it) as typed
 * records. Tensors are flattened row-major into {@link NdArray}s with their shapes.
 *
 * <p>Use {@link #load()}; the file is parsed once per class loader.
 */
public final class PyTorchCases {
    /** The class-path location of the JSON. */
    public static final String RESOURCE = "/dev/kiln/testkit/pytorch-reference.json";

    private static volatile PyTorchCases instance;

    private final String generator;
    private final String dtype;
    private final List<GemmCase> gemm;
    private final List<LinearCase> linear;
    private final List<ActivationCase> activations;
    private final List<LossCase> losses;
    private final List<OptimizerCase> optimizers;
    private final List<ScheduleCase> schedules;

    // ================================================================ values

    /**
     * A dense double array, row-major, with its shape (rank 1 or 2 here; rank 0 is a scalar).
     * Immutable, since the cases are shared: the accessors return copies.
     */
    public record NdArray(double[] data, int[] shape) {
        public NdArray {
            data = data.clone();
            shape = shape.clone();
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n
                        + " values, got " + data.length);
            }
        }

        /** A copy of the values. */
        @Override
        public double[] data() {
            return data.clone();
        }

        /** A copy of the dimensions. */
        @Override
        public int[] shape() {
            return shape.clone();
        }

        /** The number of values. */
        public int size() {
            return data.length;
        }

        /** The value at flat index i. */
        public double get(int i) {
            return data[i];
        }

        /** The first dimension of a rank-2 array, 1 for rank 1 (as {@link Shape#rows()}). */
        public int rows() {
            return shape.length == 2 ? shape[0] : 1;
        }

        /** The last dimension. */
        public int cols() {
            return shape.length == 0 ? 1 : shape[shape.length - 1];
        }

        /** The value at row r, column c of a rank-2 array. */
        public double at(int r, int c) {
            return data[r * cols() + c];
        }

        /** A copy of the values (the same as {@link #data()}), for ops that write in place. */
        public double[] copy() {
            return data.clone();
        }

        /** The values as float32 (they were float32 in PyTorch, so this is exact). */
        public float[] toFloats() {
            float[] f = new float[data.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) data[i];
            }
            return f;
        }

        /** The shape as Kiln's {@link Shape}. */
        public Shape kilnShape() {
            return Shape.of(shape);
        }

        @Override
        public String toString() {
            return "NdArray" + Arrays.toString(shape);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof NdArray a && Arrays.equals(data, a.data) && Arrays.equals(shape, a.shape);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(data) + Arrays.hashCode(shape);
        }
    }

    /** Any case: its op kind (like {@code gemm}) and name. */
    public sealed interface Case permits GemmCase, LinearCase, ActivationCase, LossCase, OptimizerCase, ScheduleCase {
        String op();

        String name();
    }

    /**
     * {@code out = alpha op(a) op(b) + beta c}; {@code a} is stored k x m when {@code transA}, else
     * m x k; {@code b} n x k when {@code transB}, else k x n.
     */
    public record GemmCase(String name, boolean transA, boolean transB, double alpha, double beta, NdArray a,
                           NdArray b, NdArray c, NdArray out) implements Case {
        @Override
        public String op() {
            return "gemm";
        }

        public int m() {
            return c.rows();
        }

        public int n() {
            return c.cols();
        }

        public int k() {
            return transA ? a.rows() : a.cols();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * {@code torch.nn.Linear}: {@code y = x w^T + b} with x [batch, in], w [out, in], b [out]; given
     * the upstream gradient {@code dy}, PyTorch's {@code dx}, {@code dw}, {@code db}.
     */
    public record LinearCase(String name, NdArray x, NdArray w, NdArray b, NdArray dy, NdArray y, NdArray dx,
                             NdArray dw, NdArray db) implements Case {
        @Override
        public String op() {
            return "linear";
        }

        public int batch() {
            return x.rows();
        }

        public int in() {
            return x.cols();
        }

        public int out() {
            return w.rows();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * An activation's forward {@code y = act(x)} and backward {@code dx} for upstream {@code dy};
     * {@code param} is LeakyReLU's slope (0 for the others).
     */
    public record ActivationCase(String name, Activation activation, double param, NdArray x, NdArray dy,
                                 NdArray y, NdArray dx) implements Case {
        @Override
        public String op() {
            return "activation";
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * A loss value and its gradient {@code dinput}. For cross-entropy ({@link #crossEntropy()}),
     * {@code input} holds logits, {@code labels} the class per row, {@code kind} and {@code target}
     * are null; otherwise {@code target} is like {@code input} and {@code labels} is null.
     */
    public record LossCase(String name, String function, LossKind kind, NdArray input, NdArray target, int[] labels,
                           Reduction reduction, double labelSmoothing, double loss, NdArray dinput)
            implements Case {
        public LossCase {
            labels = labels == null ? null : labels.clone();
        }

        /** A copy of the class labels (cross-entropy), or null. */
        @Override
        public int[] labels() {
            return labels == null ? null : labels.clone();
        }

        @Override
        public String op() {
            return "loss";
        }

        /** Whether this is {@code F.cross_entropy} (Kiln's fused softmax-cross-entropy). */
        public boolean crossEntropy() {
            return kind == null;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Which {@code torch.optim} class an optimizer case ran. */
    public enum Optimizer {
        SGD, ADAM, ADAMW, RMSPROP, ADAGRAD
    }

    /**
     * Steps of one optimizer from {@code params} with fixed gradients: {@code after.get(s)} is the
     * parameter after step {@code s + 1}. {@code hyper} is PyTorch's {@code defaults} dict
     * (numbers as Double or Long, {@code betas} a list), read with the typed accessors.
     */
    public record OptimizerCase(String name, Optimizer optimizer, Map<String, Object> hyper, NdArray params,
                                List<NdArray> grads, List<NdArray> after) implements Case {
        @Override
        public String op() {
            return "optimizer";
        }

        public int steps() {
            return grads.size();
        }

        /** A numeric hyper-parameter, like {@code lr} or {@code weight_decay}. */
        public double number(String key) {
            Object v = hyper.get(key);
            if (!(v instanceof Number num)) {
                throw new IllegalArgumentException(name + ": hyper-parameter '" + key + "' is " + v);
            }
            return num.doubleValue();
        }

        /** A boolean hyper-parameter, like {@code nesterov}. */
        public boolean flag(String key) {
            Object v = hyper.get(key);
            if (!(v instanceof Boolean b)) {
                throw new IllegalArgumentException(name + ": hyper-parameter '" + key + "' is " + v);
            }
            return b;
        }

        public double lr() {
            return number("lr");
        }

        /** Adam's (beta1, beta2). */
        public double[] betas() {
            List<?> b = (List<?>) hyper.get("betas");
            return new double[] {((Number) b.get(0)).doubleValue(), ((Number) b.get(1)).doubleValue()};
        }

        public SgdParams sgdParams() {
            require(Optimizer.SGD);
            return new SgdParams((float) number("momentum"), (float) number("dampening"),
                    (float) number("weight_decay"), flag("nesterov"));
        }

        public AdamParams adamParams() {
            if (optimizer != Optimizer.ADAM && optimizer != Optimizer.ADAMW) {
                throw new IllegalStateException(name + " is " + optimizer + ", not Adam/AdamW");
            }
            double[] b = betas();
            return new AdamParams((float) b[0], (float) b[1], (float) number("eps"), (float) number("weight_decay"),
                    flag("amsgrad"), optimizer == Optimizer.ADAMW);
        }

        public RmsPropParams rmsPropParams() {
            require(Optimizer.RMSPROP);
            return new RmsPropParams((float) number("alpha"), (float) number("eps"), (float) number("weight_decay"),
                    (float) number("momentum"), flag("centered"));
        }

        public AdagradParams adagradParams() {
            require(Optimizer.ADAGRAD);
            return new AdagradParams((float) number("lr_decay"), (float) number("eps"),
                    (float) number("weight_decay"), (float) number("initial_accumulator_value"));
        }

        private void require(Optimizer o) {
            if (optimizer != o) {
                throw new IllegalStateException(name + " is " + optimizer + ", not " + o);
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Which {@code torch.optim.lr_scheduler} a schedule case ran. */
    public enum Scheduler {
        STEP_LR, MULTI_STEP_LR, EXPONENTIAL_LR, COSINE_ANNEALING_LR
    }

    /**
     * The learning rate in force at epochs 0..n-1 ({@code lrs}), SGD with {@code baseLr}, the
     * scheduler stepped once per epoch. Its settings, parsed from the case name: {@code stepSize}
     * (STEP_LR), {@code milestones} (MULTI_STEP_LR), {@code gamma} (all but cosine; NaN there),
     * {@code tMax} (COSINE_ANNEALING_LR, eta_min 0). Unused ones are 0 or empty.
     */
    public record ScheduleCase(String name, Scheduler scheduler, double baseLr, double[] lrs, int stepSize,
                               int[] milestones, double gamma, int tMax) implements Case {
        public ScheduleCase {
            lrs = lrs.clone();
            milestones = milestones.clone();
        }

        /** A copy of the learning rates at epochs 0..n-1. */
        @Override
        public double[] lrs() {
            return lrs.clone();
        }

        /** A copy of the milestones (MULTI_STEP_LR), else empty. */
        @Override
        public int[] milestones() {
            return milestones.clone();
        }

        @Override
        public String op() {
            return "schedule";
        }

        @Override
        public String toString() {
            return name;
        }
    }

    // ================================================================ loading

    /** The bundled cases, parsed once. */
    public static PyTorchCases load() {
        PyTorchCases c = instance;
        if (c == null) {
            synchronized (PyTorchCases.class) {
                c = instance;
                if (c == null) {
                    c = parse(readResource());
                    instance = c;
                }
            }
        }
        return c;
    }

    private static String readResource() {
        try (InputStream in = PyTorchCases.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** Parses a document in the layout of {@code pytorch-reference.json}. */
    public static PyTorchCases parse(String json) {
        return new PyTorchCases(asMap(Json.parse(json), "document"));
    }

    private PyTorchCases(Map<String, Object> doc) {
        generator = String.valueOf(doc.get("generator"));
        dtype = String.valueOf(doc.get("dtype"));
        List<GemmCase> g = new ArrayList<>();
        List<LinearCase> l = new ArrayList<>();
        List<ActivationCase> a = new ArrayList<>();
        List<LossCase> lo = new ArrayList<>();
        List<OptimizerCase> o = new ArrayList<>();
        List<ScheduleCase> s = new ArrayList<>();
        for (Object item : asList(doc.get("cases"), "cases")) {
            Map<String, Object> c = asMap(item, "case");
            String op = str(c, "op");
            String name = str(c, "name");
            switch (op) {
                case "gemm" -> g.add(new GemmCase(name, bool(c, "transA"), bool(c, "transB"), num(c, "alpha"),
                        num(c, "beta"), arr(c, "A"), arr(c, "B"), arr(c, "C"), arr(c, "out")));
                case "linear" -> l.add(new LinearCase(name, arr(c, "x"), arr(c, "W"), arr(c, "b"), arr(c, "dy"),
                        arr(c, "y"), arr(c, "dx"), arr(c, "dW"), arr(c, "db")));
                case "activation" -> a.add(activation(name, c));
                case "loss" -> lo.add(loss(name, c));
                case "optimizer" -> o.add(optimizer(name, c));
                case "schedule" -> s.add(schedule(name, c));
                default -> throw new IllegalArgumentException("case " + name + ": unknown op '" + op + "'");
            }
        }
        gemm = List.copyOf(g);
        linear = List.copyOf(l);
        activations = List.copyOf(a);
        losses = List.copyOf(lo);
        optimizers = List.copyOf(o);
        schedules = List.copyOf(s);
    }

    private static ActivationCase activation(String name, Map<String, Object> c) {
        Activation act;
        double param = 0;
        if (name.startsWith("leaky_relu_")) {
            act = Activation.LEAKY_RELU;
            param = Double.parseDouble(name.substring("leaky_relu_".length()));
        } else {
            act = switch (name) {
                case "softmax_rows" -> Activation.SOFTMAX;
                case "log_softmax_rows" -> Activation.LOG_SOFTMAX;
                default -> Activation.byId(name);
            };
        }
        return new ActivationCase(name, act, param, arr(c, "x"), arr(c, "dy"), arr(c, "y"), arr(c, "dx"));
    }

    private static LossCase loss(String name, Map<String, Object> c) {
        Reduction red = Reduction.valueOf(str(c, "reduction").toUpperCase(java.util.Locale.ROOT));
        NdArray input = arr(c, "input");
        double lossValue = num(c, "loss");
        NdArray dinput = arr(c, "dinput");
        if (name.startsWith("cross_entropy")) {
            List<Object> t = asList(c.get("target"), name + ".target");
            int[] labels = new int[t.size()];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = ((Number) t.get(i)).intValue();
            }
            return new LossCase(name, "cross_entropy", null, input, null, labels, red, num(c, "label_smoothing"),
                    lossValue, dinput);
        }
        LossKind kind = null;
        String function = null;
        // Longest id first, so that "bce_with_logits" is not read as "bce".
        List<LossKind> kinds = new ArrayList<>(List.of(LossKind.values()));
        kinds.sort((x, y) -> y.id().length() - x.id().length());
        for (LossKind k : kinds) {
            if (name.startsWith(k.id() + "_")) {
                kind = k;
                function = k.id();
                break;
            }
        }
        if (kind == null) {
            throw new IllegalArgumentException("loss case " + name + ": unknown loss function");
        }
        return new LossCase(name, function, kind, input, arr(c, "target"), null, red, 0, lossValue, dinput);
    }

    private static OptimizerCase optimizer(String name, Map<String, Object> c) {
        Optimizer o;
        if (name.startsWith("sgd")) {
            o = Optimizer.SGD;
        } else if (name.startsWith("adamw")) {
            o = Optimizer.ADAMW;
        } else if (name.startsWith("adam")) {
            o = Optimizer.ADAM;
        } else if (name.startsWith("rmsprop")) {
            o = Optimizer.RMSPROP;
        } else if (name.startsWith("adagrad")) {
            o = Optimizer.ADAGRAD;
        } else {
            throw new IllegalArgumentException("optimizer case " + name + ": unknown optimizer");
        }
        List<NdArray> grads = new ArrayList<>();
        for (Object g : asList(c.get("grads"), name + ".grads")) {
            grads.add(toArray(g, name + ".grads"));
        }
        List<NdArray> after = new ArrayList<>();
        for (Object p : asList(c.get("after"), name + ".after")) {
            after.add(toArray(p, name + ".after"));
        }
        if (grads.size() != after.size()) {
            throw new IllegalArgumentException(name + ": " + grads.size() + " gradients but " + after.size()
                    + " results");
        }
        Map<String, Object> hyper = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, Object> e : asMap(c.get("hyper"), name + ".hyper").entrySet()) {
            // Lists (betas) are copied unmodifiable too: the cases are shared by every test.
            hyper.put(e.getKey(), e.getValue() instanceof List<?> l ? List.copyOf(l) : e.getValue());
        }
        return new OptimizerCase(name, o, Collections.unmodifiableMap(hyper),
                arr(c, "params"), List.copyOf(grads), List.copyOf(after));
    }

    private static final Pattern STEP = Pattern.compile("step_lr_step(\\d+)_gamma([0-9.eE+-]+)");
    private static final Pattern MULTI = Pattern.compile("multistep_lr_((?:\\d+_)+)gamma([0-9.eE+-]+)");
    private static final Pattern EXP = Pattern.compile("exponential_lr_gamma([0-9.eE+-]+)");
    private static final Pattern COS = Pattern.compile("cosine_annealing_tmax(\\d+)");

    private static ScheduleCase schedule(String name, Map<String, Object> c) {
        double base = num(c, "base_lr");
        double[] lrs = toDoubles(asList(c.get("lrs"), name + ".lrs"));
        Matcher m;
        if ((m = STEP.matcher(name)).matches()) {
            return new ScheduleCase(name, Scheduler.STEP_LR, base, lrs, Integer.parseInt(m.group(1)), new int[0],
                    Double.parseDouble(m.group(2)), 0);
        }
        if ((m = MULTI.matcher(name)).matches()) {
            int[] ms = Arrays.stream(m.group(1).split("_")).filter(x -> !x.isEmpty()).mapToInt(Integer::parseInt)
                    .toArray();
            return new ScheduleCase(name, Scheduler.MULTI_STEP_LR, base, lrs, 0, ms, Double.parseDouble(m.group(2)),
                    0);
        }
        if ((m = EXP.matcher(name)).matches()) {
            return new ScheduleCase(name, Scheduler.EXPONENTIAL_LR, base, lrs, 0, new int[0],
                    Double.parseDouble(m.group(1)), 0);
        }
        if ((m = COS.matcher(name)).matches()) {
            return new ScheduleCase(name, Scheduler.COSINE_ANNEALING_LR, base, lrs, 0, new int[0], Double.NaN,
                    Integer.parseInt(m.group(1)));
        }
        throw new IllegalArgumentException("schedule case " + name + ": unknown scheduler (name not understood)");
    }

    // ---------------------------------------------------------------- JSON helpers

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o, String what) {
        if (!(o instanceof Map)) {
            throw new IllegalArgumentException(what + " must be a JSON object");
        }
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> asList(Object o, String what) {
        if (!(o instanceof List)) {
            throw new IllegalArgumentException(what + " must be a JSON array");
        }
        return (List<Object>) o;
    }

    private static String str(Map<String, Object> c, String key) {
        Object v = c.get(key);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("'" + key + "' must be a string, got " + v);
        }
        return s;
    }

    private static double num(Map<String, Object> c, String key) {
        Object v = c.get(key);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("'" + key + "' must be a number, got " + v);
        }
        return n.doubleValue();
    }

    private static boolean bool(Map<String, Object> c, String key) {
        Object v = c.get(key);
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException("'" + key + "' must be true or false, got " + v);
        }
        return b;
    }

    private static NdArray arr(Map<String, Object> c, String key) {
        if (!c.containsKey(key)) {
            throw new IllegalArgumentException("case " + c.get("name") + " has no '" + key + "'");
        }
        return toArray(c.get(key), c.get("name") + "." + key);
    }

    /** Flattens a nested list (rectangular) into an NdArray; a bare number is rank 0. */
    static NdArray toArray(Object o, String what) {
        List<Integer> shape = new ArrayList<>();
        Object probe = o;
        while (probe instanceof List<?> l) {
            shape.add(l.size());
            if (l.isEmpty()) {
                break;
            }
            probe = l.get(0);
        }
        int[] dims = shape.stream().mapToInt(Integer::intValue).toArray();
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        double[] data = new double[(int) n];
        int[] at = {0};
        flatten(o, 0, dims, data, at, what);
        return new NdArray(data, dims);
    }

    private static void flatten(Object o, int depth, int[] dims, double[] out, int[] at, String what) {
        if (depth == dims.length) {
            if (!(o instanceof Number num)) {
                throw new IllegalArgumentException(what + ": expected a number at depth " + depth + ", got " + o);
            }
            out[at[0]++] = num.doubleValue();
            return;
        }
        if (!(o instanceof List<?> l) || l.size() != dims[depth]) {
            throw new IllegalArgumentException(what + ": not a rectangular array of shape " + Arrays.toString(dims));
        }
        for (Object e : l) {
            flatten(e, depth + 1, dims, out, at, what);
        }
    }

    private static double[] toDoubles(List<Object> l) {
        double[] d = new double[l.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = ((Number) l.get(i)).doubleValue();
        }
        return d;
    }

    // ================================================================ access

    /** Who made the file, like {@code PyTorch 1.13.0a0}. */
    public String generator() {
        return generator;
    }

    /** The dtype PyTorch computed in ({@code float32}). */
    public String dtype() {
        return dtype;
    }

    public List<GemmCase> gemm() {
        return gemm;
    }

    public List<LinearCase> linear() {
        return linear;
    }

    public List<ActivationCase> activations() {
        return activations;
    }

    public List<LossCase> losses() {
        return losses;
    }

    public List<OptimizerCase> optimizers() {
        return optimizers;
    }

    public List<ScheduleCase> schedules() {
        return schedules;
    }

    /** Every case, in file order within each kind. */
    public List<Case> all() {
        List<Case> all = new ArrayList<>();
        all.addAll(gemm);
        all.addAll(linear);
        all.addAll(activations);
        all.addAll(losses);
        all.addAll(optimizers);
        all.addAll(schedules);
        return Collections.unmodifiableList(all);
    }
}
