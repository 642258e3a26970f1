package dev.kiln.core;

import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.core.spi.DeviceInfo;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An opened backend device and the one front door to its ops: every call is validated here
 * (shapes, dtypes, ownership, closed tensors, label ranges) before the backend sees it, so every
 * backend gives the same clear error for the same mistake.
 *
 * <p>Get one from {@link Backends#open()} (the best available, or as {@code -Dkiln.backend} /
 * {@code KILN_BACKEND} says) or {@link Backends#open(String)}. Close it when done: tensors still
 * open then are reported as leaks and freed.
 *
 * <p>Thread safety: a backend may be shared by threads; calls are serialised by one lock per
 * backend. Tensors are not synchronised for concurrent writes by several threads.
 */
public final class Backend implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.kiln.core.Backend");
    // Observation hooks for leak checks in test suites (testkit's LeakCheck): open backends are held
    // weakly so that the registry itself never keeps a backend (or its device memory) alive.
    private static final Map<Backend, Boolean> OPEN = Collections.synchronizedMap(new WeakHashMap<>());
    private static final List<BiConsumer<Backend, String>> LEAK_LISTENERS = new CopyOnWriteArrayList<>();

    private final String name;
    private final ComputeEngine engine;
    private final LeakDetection leaks;
    private final Set<Tensor> live = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
    private final ThreadLocal<ArrayDeque<TensorScope>> scopes = ThreadLocal.withInitial(ArrayDeque::new);
    private volatile boolean closed;

    /** Wraps an opened engine. Users call {@link Backends#open}; tests and tools may call this. */
    public Backend(String name, ComputeEngine engine, LeakDetection leaks) {
        this.name = name;
        this.engine = engine;
        this.leaks = leaks;
        OPEN.put(this, Boolean.TRUE);
    }

    /**
     * The backends constructed and not yet closed in this JVM, weakly held (one that became
     * unreachable drops out). For leak checks in test suites and for diagnostics.
     */
    public static List<Backend> openBackends() {
        synchronized (OPEN) {
            return List.copyOf(OPEN.keySet());
        }
    }

    /**
     * Registers {@code listener}, which {@link #close()} tells about every backend closed with live
     * tensors, with the leak report (allocation sites included in paranoid mode), whatever the
     * {@code -Dkiln.leaks} level. For leak checks in test suites.
     */
    public static void addLeakListener(BiConsumer<Backend, String> listener) {
        LEAK_LISTENERS.add(java.util.Objects.requireNonNull(listener, "listener"));
    }

    /** Removes a listener added by {@link #addLeakListener}. */
    public static void removeLeakListener(BiConsumer<Backend, String> listener) {
        LEAK_LISTENERS.remove(listener);
    }

    /** The backend's name, like {@code cpu}. */
    public String name() {
        return name;
    }

    /** The device this backend runs on. */
    public DeviceInfo device() {
        return engine.device();
    }

    /** The engine behind the front door, for decorators and diagnostics. */
    public ComputeEngine engine() {
        return engine;
    }

    public boolean isClosed() {
        return closed;
    }

    /** The tensors allocated and not yet closed. */
    public List<Tensor> liveTensors() {
        return List.copyOf(live);
    }

    /** Opens a scope that closes the tensors this thread makes on this backend until it closes. */
    public TensorScope scope() {
        checkOpen();
        TensorScope s = new TensorScope(this);
        scopes.get().push(s);
        return s;
    }

    void popScope(TensorScope s) {
        scopes.get().remove(s);
    }

    // ================================================================ allocation and transfer

    /** A new float32 tensor of zeros. */
    public Tensor zeros(int... dims) {
        Tensor t = allocate(DType.F32, Shape.of(dims), null);
        fill(t, 0f);
        return t;
    }

    /** A new tensor of zeros. */
    public Tensor zeros(DType dtype, Shape shape) {
        Tensor t = allocate(dtype, shape, null);
        if (dtype == DType.F32) {
            fill(t, 0f);
        } else {
            fillInt(t, 0);
        }
        return t;
    }

    /** A new tensor whose contents are unspecified until written. */
    public Tensor empty(DType dtype, Shape shape) {
        return allocate(dtype, shape, null);
    }

    /** A new tensor with a name shown in leak reports. */
    public Tensor empty(DType dtype, Shape shape, String name) {
        return allocate(dtype, shape, name);
    }

    /** A new float32 tensor holding {@code data}, whose length must match the dimensions. */
    public Tensor fromArray(float[] data, int... dims) {
        Shape shape = Shape.of(dims);
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("data has " + data.length + " values but shape " + shape + " needs "
                    + shape.size());
        }
        Tensor t = allocate(DType.F32, shape, null);
        upload(data, 0, t);
        return t;
    }

    /** A new int32 tensor holding {@code data}, whose length must match the dimensions. */
    public Tensor fromInts(int[] data, int... dims) {
        Shape shape = Shape.of(dims);
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("data has " + data.length + " values but shape " + shape + " needs "
                    + shape.size());
        }
        Tensor t = allocate(DType.I32, shape, null);
        upload(data, 0, t);
        return t;
    }

    /** A new rank-1 int32 tensor of class labels. */
    public Tensor labels(int... labels) {
        return fromInts(labels, labels.length);
    }

    private Tensor allocate(DType dtype, Shape shape, String tensorName) {
        if (dtype == null || shape == null) {
            throw new IllegalArgumentException("dtype and shape must not be null");
        }
        lock.lock();
        try {
            checkOpen();
            // Zero-size tensors are legal; they get a one-element buffer so engines never see 0.
            DeviceBuffer buf = engine.allocate(dtype, Math.max(1, shape.size()));
            Throwable site = leaks.recordsSites() ? new Throwable("allocated here") : null;
            Tensor t = new Tensor(this, shape, dtype, buf, site, tensorName);
            live.add(t);
            TensorScope s = scopes.get().peek();
            if (s != null) {
                s.add(t);
            }
            return t;
        } finally {
            lock.unlock();
        }
    }

    void release(Tensor t) {
        lock.lock();
        try {
            if (t.isClosed()) {
                return;
            }
            t.markClosed();
            if (live.remove(t) && !closed) {
                engine.free(t.buffer());
            }
        } finally {
            lock.unlock();
        }
    }

    void upload(float[] src, int offset, Tensor dst) {
        lock.lock();
        try {
            checkUpload(src == null ? -1 : src.length, offset, dst, DType.F32);
            if (dst.size() > 0) {
                engine.upload(src, offset, dst.buffer(), 0, dst.size());
            }
        } finally {
            lock.unlock();
        }
    }

    void upload(int[] src, int offset, Tensor dst) {
        lock.lock();
        try {
            checkUpload(src == null ? -1 : src.length, offset, dst, DType.I32);
            if (dst.size() > 0) {
                engine.upload(src, offset, dst.buffer(), 0, dst.size());
            }
            dst.recordHostInts(src, offset, dst.size());
        } finally {
            lock.unlock();
        }
    }

    void uploadUnsignedBytes(byte[] src, int offset, float divisor, Tensor dst) {
        lock.lock();
        try {
            checkUpload(src == null ? -1 : src.length, offset, dst, DType.F32);
            if (!(divisor != 0f) || !Float.isFinite(divisor)) {
                throw new IllegalArgumentException("upload: divisor must be finite and non-zero, got " + divisor);
            }
            if (dst.size() > 0) {
                engine.uploadUnsignedBytes(src, offset, dst.buffer(), 0, dst.size(), divisor);
            }
        } finally {
            lock.unlock();
        }
    }

    /** What every upload checks: a source array ({@code length} -1 when null), a usable {@code dst} of {@code dtype}, the range. */
    private void checkUpload(int length, int offset, Tensor dst, DType dtype) {
        if (length < 0) {
            throw new IllegalArgumentException("source array is null");
        }
        checkUsable("upload", dst, "dst", dtype);
        checkRange(length, offset, dst);
    }

    private static void checkRange(int length, int offset, Tensor t) {
        if (offset < 0 || (long) offset + t.size() > length) {
            throw new IllegalArgumentException("array of length " + length + " from offset " + offset
                    + " cannot fill tensor " + t.shape() + " (" + t.size() + " values)");
        }
    }

    void download(Tensor src, float[] dst) {
        lock.lock();
        try {
            checkUsable("download", src, "src", DType.F32);
            if (dst == null || dst.length != src.size()) {
                throw new IllegalArgumentException("destination must hold " + src.size() + " floats for tensor "
                        + src.shape() + ", got " + (dst == null ? "null" : dst.length));
            }
            if (src.size() > 0) {
                engine.download(src.buffer(), 0, dst, 0, src.size());
            }
        } finally {
            lock.unlock();
        }
    }

    void download(Tensor src, int[] dst) {
        lock.lock();
        try {
            checkUsable("download", src, "src", DType.I32);
            if (dst == null || dst.length != src.size()) {
                throw new IllegalArgumentException("destination must hold " + src.size() + " ints for tensor "
                        + src.shape() + ", got " + (dst == null ? "null" : dst.length));
            }
            if (src.size() > 0) {
                engine.download(src.buffer(), 0, dst, 0, src.size());
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits for all pending work on the device, raising any deferred device error. */
    public void synchronize() {
        lock.lock();
        try {
            checkOpen();
            engine.synchronize();
        } finally {
            lock.unlock();
        }
    }

    // ================================================================ GEMM and bias

    /**
     * {@code c = alpha * op(a) * op(b) + beta * c}, with {@code op} transposing when asked.
     * All three are rank-2 float32; see {@link ComputeEngine#gemm} for the exact contract.
     */
    public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        lock.lock();
        try {
            String op = "gemm";
            checkMatrix(op, a, "a");
            checkMatrix(op, b, "b");
            checkMatrix(op, c, "c");
            checkFiniteScalar(op, "alpha", alpha);
            checkFiniteScalar(op, "beta", beta);
            int m = transA ? a.shape().dim(1) : a.shape().dim(0);
            int ka = transA ? a.shape().dim(0) : a.shape().dim(1);
            int kb = transB ? b.shape().dim(1) : b.shape().dim(0);
            int n = transB ? b.shape().dim(0) : b.shape().dim(1);
            if (ka != kb || c.shape().dim(0) != m || c.shape().dim(1) != n) {
                throw new IllegalArgumentException("gemm: shapes do not fit: op(a) is " + m + "x" + ka + " (a "
                        + a.shape() + (transA ? " transposed" : "") + "), op(b) is " + kb + "x" + n + " (b "
                        + b.shape() + (transB ? " transposed" : "") + "), c is " + c.shape() + "; need c [" + m
                        + ", " + n + "] and equal inner dimensions");
            }
            checkNoAlias(op, c, "c", a, "a");
            checkNoAlias(op, c, "c", b, "b");
            if (m == 0 || n == 0) {
                return;
            }
            engine.gemm(transA, transB, m, n, ka, alpha, a.buffer(), b.buffer(), beta, c.buffer());
        } finally {
            lock.unlock();
        }
    }

    /** A new tensor {@code a * b} for rank-2 {@code a} [m, k] and {@code b} [k, n]. */
    public Tensor matmul(Tensor a, Tensor b) {
        checkMatrix("matmul", a, "a");
        checkMatrix("matmul", b, "b");
        Tensor c = allocate(DType.F32, Shape.of(a.shape().dim(0), b.shape().dim(1)), null);
        try {
            gemm(false, false, 1f, a, b, 0f, c);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** {@code y = x + bias}, bias broadcast over rows: x, y [rows, cols], bias [cols]. {@code y} may be {@code x}. */
    public void biasAdd(Tensor x, Tensor bias, Tensor y) {
        lock.lock();
        try {
            String op = "biasAdd";
            checkMatrixOrVector(op, x, "x");
            checkUsable(op, bias, "bias", DType.F32);
            checkUsable(op, y, "y", DType.F32);
            requireSameShape(op, x, "x", y, "y");
            if (bias.shape().rank() != 1 || bias.shape().dim(0) != x.shape().cols()) {
                throw new IllegalArgumentException("biasAdd: bias " + bias.shape() + " must be [" + x.shape().cols()
                        + "] for x " + x.shape());
            }
            checkNoAlias(op, y, "y", bias, "bias");
            if (x.size() == 0) {
                return;
            }
            engine.biasAdd(x.buffer(), bias.buffer(), y.buffer(), x.shape().rows(), x.shape().cols());
        } finally {
            lock.unlock();
        }
    }

    /** The bias gradient: {@code db = colsum(dy) + beta * db}; dy [rows, cols], db [cols]. */
    public void biasGrad(Tensor dy, Tensor db, float beta) {
        lock.lock();
        try {
            String op = "biasGrad";
            checkMatrixOrVector(op, dy, "dy");
            checkUsable(op, db, "db", DType.F32);
            checkFiniteScalar(op, "beta", beta);
            if (db.shape().rank() != 1 || db.shape().dim(0) != dy.shape().cols()) {
                throw new IllegalArgumentException("biasGrad: db " + db.shape() + " must be [" + dy.shape().cols()
                        + "] for dy " + dy.shape());
            }
            checkNoAlias(op, db, "db", dy, "dy");
            if (db.size() == 0) {
                return;
            }
            if (dy.shape().rows() == 0) {
                engine.scale(db.buffer(), beta, db.size());
                return;
            }
            engine.biasGrad(dy.buffer(), db.buffer(), dy.shape().rows(), dy.shape().cols(), beta);
        } finally {
            lock.unlock();
        }
    }

    // ================================================================ activations

    /** {@code y = act(x)}; LeakyReLU uses the default slope 0.01. */
    public void activation(Activation act, Tensor x, Tensor y) {
        activation(act, Activation.DEFAULT_LEAKY_SLOPE, x, y);
    }

    /** {@code y = act(x)}; {@code param} is LeakyReLU's negative slope. {@code y} may be {@code x} unless row-wise. */
    public void activation(Activation act, float param, Tensor x, Tensor y) {
        lock.lock();
        try {
            String op = ACTIVATION_OPS[act.ordinal()];
            requireNonNull(op, act, "act");
            checkMatrixOrVector(op, x, "x");
            checkUsable(op, y, "y", DType.F32);
            requireSameShape(op, x, "x", y, "y");
            checkFiniteScalar(op, "param", param);
            if (act.rowWise()) {
                checkNoAlias(op, y, "y", x, "x");
            }
            if (x.size() == 0) {
                return;
            }
            engine.activation(act, param, x.buffer(), y.buffer(), x.shape().rows(), x.shape().cols());
        } finally {
            lock.unlock();
        }
    }

    /** {@code dx} from {@code dy} and the forward pass's {@code x} and {@code y}; LeakyReLU slope 0.01. */
    public void activationBackward(Activation act, Tensor x, Tensor y, Tensor dy, Tensor dx) {
        activationBackward(act, Activation.DEFAULT_LEAKY_SLOPE, x, y, dy, dx);
    }

    /** {@code dx} from {@code dy} and the forward pass's {@code x} and {@code y}. {@code dx} may be {@code dy}. */
    public void activationBackward(Activation act, float param, Tensor x, Tensor y, Tensor dy, Tensor dx) {
        lock.lock();
        try {
            String op = ACTIVATION_BACKWARD_OPS[act.ordinal()];
            requireNonNull(op, act, "act");
            checkMatrixOrVector(op, x, "x");
            checkUsable(op, y, "y", DType.F32);
            checkUsable(op, dy, "dy", DType.F32);
            checkUsable(op, dx, "dx", DType.F32);
            requireSameShape(op, x, "x", y, "y");
            requireSameShape(op, x, "x", dy, "dy");
            requireSameShape(op, x, "x", dx, "dx");
            checkFiniteScalar(op, "param", param);
            checkNoAlias(op, dx, "dx", x, "x");
            checkNoAlias(op, dx, "dx", y, "y");
            if (x.size() == 0) {
                return;
            }
            engine.activationBackward(act, param, x.buffer(), y.buffer(), dy.buffer(), dx.buffer(),
                    x.shape().rows(), x.shape().cols());
        } finally {
            lock.unlock();
        }
    }

    // ================================================================ losses

    /**
     * Fused softmax-cross-entropy: {@code loss} [1] gets the loss of logits [rows, classes]
     * against int32 labels [rows]; {@code grad} (same shape as logits, or null) its gradient.
     * A label outside {@code [0, classes)} is an {@link IllegalArgumentException} naming the row.
     */
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor loss, Tensor grad, Reduction reduction,
                                    float labelSmoothing) {
        lock.lock();
        try {
            String op = "softmaxCrossEntropy";
            requireNonNull(op, reduction, "reduction");
            checkMatrix(op, logits, "logits");
            checkLabels(op, labels, logits);
            checkScalarOut(op, loss, "loss");
            if (grad != null) {
                checkUsable(op, grad, "grad", DType.F32);
                requireSameShape(op, logits, "logits", grad, "grad");
                checkNoAlias(op, grad, "grad", loss, "loss");
            }
            checkNoAlias(op, loss, "loss", logits, "logits");
            if (reduction == Reduction.BATCHMEAN) {
                throw new IllegalArgumentException(op + ": reduction BATCHMEAN is for kl_div; use MEAN or SUM");
            }
            if (!(labelSmoothing >= 0f && labelSmoothing <= 1f)) {
                throw new IllegalArgumentException(op + ": label smoothing must be in [0, 1], got " + labelSmoothing);
            }
            int rows = logits.shape().dim(0);
            int cols = logits.shape().dim(1);
            if (cols == 0) {
                throw new IllegalArgumentException(op + ": logits " + logits.shape() + " have no classes");
            }
            if (rows == 0) {
                // PyTorch gives NaN for the mean over no rows and 0 for the sum.
                engine.fill(loss.buffer(), reduction == Reduction.MEAN ? Float.NaN : 0f, 1);
                return;
            }
            engine.softmaxCrossEntropy(logits.buffer(), labels.buffer(), loss.buffer(),
                    grad == null ? null : grad.buffer(), rows, cols, reduction, labelSmoothing);
        } finally {
            lock.unlock();
        }
    }

    /** An elementwise loss (see {@link LossKind}); {@code loss} [1], {@code grad} like input or null. */
    public void loss(LossKind kind, Tensor input, Tensor target, Tensor loss, Tensor grad, Reduction reduction) {
        lock.lock();
        try {
            String op = kind == null ? "loss(null)" : LOSS_OPS[kind.ordinal()];
            requireNonNull(op, kind, "kind");
            requireNonNull(op, reduction, "reduction");
            checkMatrixOrVector(op, input, "input");
            checkUsable(op, target, "target", DType.F32);
            requireSameShape(op, input, "input", target, "target");
            checkScalarOut(op, loss, "loss");
            checkNoAlias(op, loss, "loss", input, "input");
            checkNoAlias(op, loss, "loss", target, "target");
            if (grad != null) {
                checkUsable(op, grad, "grad", DType.F32);
                requireSameShape(op, input, "input", grad, "grad");
                checkNoAlias(op, grad, "grad", loss, "loss");
                checkNoAlias(op, grad, "grad", target, "target");
            }
            if (input.size() == 0) {
                engine.fill(loss.buffer(), reduction == Reduction.SUM ? 0f : Float.NaN, 1);
                return;
            }
            // A rank-1 input is a batch of n scalars, as in PyTorch (batchmean divides by input.size(0) = n).
            int rows = input.shape().rank() == 1 ? input.size() : input.shape().rows();
            int cols = input.shape().rank() == 1 ? 1 : input.shape().cols();
            engine.loss(kind, input.buffer(), target.buffer(), loss.buffer(), grad == null ? null : grad.buffer(),
                    rows, cols, reduction);
        } finally {
            lock.unlock();
        }
    }

    // ================================================================ optimizers

    /** One SGD step on {@code param} in place; {@code momentumBuf} is null without momentum; {@code step} is 1-based. */
    public void sgdStep(Tensor param, Tensor grad, Tensor momentumBuf, SgdParams p, float lr, long step) {
        lock.lock();
        try {
            String op = "sgdStep";
            checkOptimizer(op, param, grad, p, lr, step);
            if (p.hasMomentum()) {
                checkState(op, param, momentumBuf, "momentumBuf");
            } else if (momentumBuf != null) {
                checkState(op, param, momentumBuf, "momentumBuf");
            }
            if (param.size() == 0) {
                return;
            }
            engine.sgdStep(param.buffer(), grad.buffer(), p.hasMomentum() ? momentumBuf.buffer() : null,
                    param.size(), p, lr, step);
        } finally {
            lock.unlock();
        }
    }

    /** One Adam or AdamW step; {@code maxExpAvgSq} is null unless AMSGrad; {@code step} is 1-based. */
    public void adamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq, AdamParams p,
                         float lr, long step) {
        lock.lock();
        try {
            String op = p != null && p.decoupled() ? "adamwStep" : "adamStep";
            checkOptimizer(op, param, grad, p, lr, step);
            checkState(op, param, expAvg, "expAvg");
            checkState(op, param, expAvgSq, "expAvgSq");
            checkNoAlias(op, expAvg, "expAvg", expAvgSq, "expAvgSq");
            if (p.amsgrad()) {
                checkState(op, param, maxExpAvgSq, "maxExpAvgSq");
                checkNoAlias(op, maxExpAvgSq, "maxExpAvgSq", expAvgSq, "expAvgSq");
                checkNoAlias(op, maxExpAvgSq, "maxExpAvgSq", expAvg, "expAvg");
            }
            if (param.size() == 0) {
                return;
            }
            engine.adamStep(param.buffer(), grad.buffer(), expAvg.buffer(), expAvgSq.buffer(),
                    p.amsgrad() ? maxExpAvgSq.buffer() : null, param.size(), p, lr, step);
        } finally {
            lock.unlock();
        }
    }

    /** One RMSprop step; {@code gradAvg} is null unless centered, {@code momentumBuf} null without momentum. */
    public void rmspropStep(Tensor param, Tensor grad, Tensor squareAvg, Tensor gradAvg, Tensor momentumBuf,
                            RmsPropParams p, float lr, long step) {
        lock.lock();
        try {
            String op = "rmspropStep";
            checkOptimizer(op, param, grad, p, lr, step);
            checkState(op, param, squareAvg, "squareAvg");
            if (p.centered()) {
                checkState(op, param, gradAvg, "gradAvg");
                checkNoAlias(op, gradAvg, "gradAvg", squareAvg, "squareAvg");
            }
            if (p.momentum() != 0) {
                checkState(op, param, momentumBuf, "momentumBuf");
                checkNoAlias(op, momentumBuf, "momentumBuf", squareAvg, "squareAvg");
            }
            if (param.size() == 0) {
                return;
            }
            engine.rmspropStep(param.buffer(), grad.buffer(), squareAvg.buffer(),
                    p.centered() ? gradAvg.buffer() : null, p.momentum() != 0 ? momentumBuf.buffer() : null,
                    param.size(), p, lr, step);
        } finally {
            lock.unlock();
        }
    }

    /** One Adagrad step; {@code step} is 1-based. */
    public void adagradStep(Tensor param, Tensor grad, Tensor stateSum, AdagradParams p, float lr, long step) {
        lock.lock();
        try {
            String op = "adagradStep";
            checkOptimizer(op, param, grad, p, lr, step);
            checkState(op, param, stateSum, "stateSum");
            if (param.size() == 0) {
                return;
            }
            engine.adagradStep(param.buffer(), grad.buffer(), stateSum.buffer(), param.size(), p, lr, step);
        } finally {
            lock.unlock();
        }
    }

    // ================================================================ reductions and utilities

    /** {@code out[r]} = index of the first maximum in row r of x [rows, cols]; out is int32 [rows]. */
    public void argmax(Tensor x, Tensor out) {
        lock.lock();
        try {
            String op = "argmax";
            checkMatrix(op, x, "x");
            checkUsable(op, out, "out", DType.I32);
            if (out.shape().rank() != 1 || out.shape().dim(0) != x.shape().dim(0)) {
                throw new IllegalArgumentException(op + ": out " + out.shape() + " must be [" + x.shape().dim(0)
                        + "] for x " + x.shape());
            }
            if (x.shape().dim(1) == 0 && x.shape().dim(0) > 0) {
                throw new IllegalArgumentException(op + ": x " + x.shape() + " has no columns");
            }
            out.forgetValues();
            if (x.size() == 0) {
                return;
            }
            engine.argmax(x.buffer(), out.buffer(), x.shape().dim(0), x.shape().dim(1));
        } finally {
            lock.unlock();
        }
    }

    /** Adds to int32 {@code counter} [1] the number of rows of logits whose argmax equals the label. */
    public void countCorrect(Tensor logits, Tensor labels, Tensor counter) {
        lock.lock();
        try {
            String op = "countCorrect";
            checkMatrix(op, logits, "logits");
            checkLabels(op, labels, logits);
            checkUsable(op, counter, "counter", DType.I32);
            if (counter.size() != 1) {
                throw new IllegalArgumentException(op + ": counter must have one element, got " + counter.shape());
            }
            counter.forgetValues();
            if (logits.size() == 0) {
                return;
            }
            engine.countCorrect(logits.buffer(), labels.buffer(), counter.buffer(), logits.shape().dim(0),
                    logits.shape().dim(1));
        } finally {
            lock.unlock();
        }
    }

    /** Sets every element of a float32 tensor to {@code value}. */
    public void fill(Tensor x, float value) {
        lock.lock();
        try {
            checkUsable("fill", x, "x", DType.F32);
            if (x.size() > 0) {
                engine.fill(x.buffer(), value, x.size());
            }
        } finally {
            lock.unlock();
        }
    }

    /** Sets every element of an int32 tensor to {@code value}. */
    public void fillInt(Tensor x, int value) {
        lock.lock();
        try {
            checkUsable("fillInt", x, "x", DType.I32);
            if (x.size() > 0) {
                engine.fillInt(x.buffer(), value, x.size());
                x.minValue = value;
                x.maxValue = value;
                x.minIndex = 0;
                x.maxIndex = 0;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Copies {@code src} into {@code dst}; same dtype and element count. */
    public void copy(Tensor src, Tensor dst) {
        lock.lock();
        try {
            String op = "copy";
            checkUsable(op, src, "src", src == null ? null : src.dtype());
            checkUsable(op, dst, "dst", src.dtype());
            if (src.size() != dst.size()) {
                throw new IllegalArgumentException(op + ": src " + src.shape() + " and dst " + dst.shape()
                        + " differ in size");
            }
            if (src == dst || src.size() == 0) {
                return;
            }
            engine.copy(src.buffer(), dst.buffer(), src.size());
            dst.minValue = src.minValue;
            dst.maxValue = src.maxValue;
            dst.minIndex = src.minIndex;
            dst.maxIndex = src.maxIndex;
        } finally {
            lock.unlock();
        }
    }

    /** {@code x *= alpha}. */
    public void scale(Tensor x, float alpha) {
        lock.lock();
        try {
            checkUsable("scale", x, "x", DType.F32);
            if (x.size() > 0) {
                engine.scale(x.buffer(), alpha, x.size());
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@code y += alpha * x}; same shape. */
    public void axpy(float alpha, Tensor x, Tensor y) {
        lock.lock();
        try {
            String op = "axpy";
            checkUsable(op, x, "x", DType.F32);
            checkUsable(op, y, "y", DType.F32);
            requireSameShape(op, x, "x", y, "y");
            if (x.size() > 0) {
                engine.axpy(alpha, x.buffer(), y.buffer(), x.size());
            }
        } finally {
            lock.unlock();
        }
    }

    /** Writes the norm of all of {@code x}'s elements to the one-element {@code out}. */
    public void norm(NormKind kind, Tensor x, Tensor out) {
        lock.lock();
        try {
            String op = "norm";
            requireNonNull(op, kind, "kind");
            checkUsable(op, x, "x", DType.F32);
            checkScalarOut(op, out, "out");
            checkNoAlias(op, out, "out", x, "x");
            if (x.size() == 0) {
                engine.fill(out.buffer(), 0f, 1);
                return;
            }
            engine.norm(kind, x.buffer(), out.buffer(), x.size());
        } finally {
            lock.unlock();
        }
    }

    /** Writes the sum of all of {@code x}'s elements to the one-element {@code out}. */
    public void sum(Tensor x, Tensor out) {
        lock.lock();
        try {
            String op = "sum";
            checkUsable(op, x, "x", DType.F32);
            checkScalarOut(op, out, "out");
            checkNoAlias(op, out, "out", x, "x");
            if (x.size() == 0) {
                engine.fill(out.buffer(), 0f, 1);
                return;
            }
            engine.sum(x.buffer(), out.buffer(), x.size());
        } finally {
            lock.unlock();
        }
    }

    // ================================================================ lifecycle

    /**
     * Closes the device. Tensors still open are leaks: they are reported through
     * {@link System.Logger} (with their allocation sites in paranoid mode) and freed. With
     * {@code -Dkiln.leaks=fail} (or {@link LeakDetection#FAIL}) closing with leaks throws.
     */
    @Override
    public void close() {
        lock.lock();
        List<Tensor> leaked;
        try {
            if (closed) {
                return;
            }
            leaked = new ArrayList<>(live);
            for (Tensor t : leaked) {
                t.markClosed();
                engine.free(t.buffer());
            }
            live.clear();
            closed = true;
            OPEN.remove(this);
            engine.close();
        } finally {
            lock.unlock();
        }
        if (!leaked.isEmpty() && !LEAK_LISTENERS.isEmpty()) {
            String report = leakReport(leaked);
            for (BiConsumer<Backend, String> l : LEAK_LISTENERS) {
                l.accept(this, report);
            }
        }
        if (!leaked.isEmpty() && leaks != LeakDetection.OFF) {
            String report = leakReport(leaked);
            LOG.log(Level.WARNING, report);
            if (leaks.failOnLeak()) {
                throw new IllegalStateException(report);
            }
        }
    }

    /** A human report of leaked tensors: count, shapes, and allocation sites where recorded. */
    public String leakReport(List<Tensor> leaked) {
        StringBuilder sb = new StringBuilder();
        sb.append("LEAK: backend ").append(name).append(" closed with ").append(leaked.size())
                .append(" tensor(s) still open");
        int shown = 0;
        for (Tensor t : leaked) {
            if (shown++ == 20) {
                sb.append("\n  ... and ").append(leaked.size() - 20).append(" more");
                break;
            }
            sb.append("\n  ").append(t.shape()).append(' ').append(t.dtype());
            if (t.name() != null) {
                sb.append(" '").append(t.name()).append('\'');
            }
            Throwable site = t.allocationSite();
            if (site != null) {
                sb.append(" allocated at ").append(allocationFrame(site));
            }
        }
        if (!leaks.recordsSites()) {
            sb.append("\n  (run with -Dkiln.leaks=paranoid to record where each tensor was allocated)");
        }
        return sb.toString();
    }

    private static String allocationFrame(Throwable site) {
        for (StackTraceElement e : site.getStackTrace()) {
            String c = e.getClassName();
            if (!c.startsWith("dev.kiln.core.Backend") && !c.startsWith("dev.kiln.core.Tensor")) {
                return e.toString();
            }
        }
        StackTraceElement[] st = site.getStackTrace();
        return st.length > 0 ? st[0].toString() : "unknown";
    }

    @Override
    public String toString() {
        return "Backend[" + name + " on " + engine.device().name() + (closed ? ", closed" : "") + "]";
    }

    // ================================================================ validation

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("backend " + name + " is closed");
        }
    }

    private void checkUsable(String op, Tensor t, String role, DType dtype) {
        checkOpen();
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + role + " is null");
        }
        if (t.backend() != this) {
            throw new IllegalArgumentException(op + ": " + role + " " + t.shape() + " belongs to backend "
                    + t.backend().name() + (t.backend().isClosed() ? " (closed)" : "") + ", not to this "
                    + name + " backend; copy it over with toFloatArray()/fromArray()");
        }
        if (t.isClosed()) {
            Throwable site = t.allocationSite();
            throw new IllegalStateException(op + ": " + role + " " + t.shape() + " " + t.dtype() + " is closed"
                    + (site != null ? " (allocated at " + allocationFrame(site) + ")" : ""));
        }
        if (dtype != null && t.dtype() != dtype) {
            throw new IllegalArgumentException(op + ": " + role + " " + t.shape() + " must be " + dtype + ", got "
                    + t.dtype());
        }
    }

    private void checkMatrix(String op, Tensor t, String role) {
        checkUsable(op, t, role, DType.F32);
        if (t.shape().rank() != 2) {
            throw new IllegalArgumentException(op + ": " + role + " must be rank 2 [rows, cols], got " + t.shape());
        }
    }

    private void checkMatrixOrVector(String op, Tensor t, String role) {
        checkUsable(op, t, role, DType.F32);
        int r = t.shape().rank();
        if (r != 1 && r != 2) {
            throw new IllegalArgumentException(op + ": " + role + " must be rank 1 or 2, got " + t.shape());
        }
    }

    private void checkScalarOut(String op, Tensor t, String role) {
        checkUsable(op, t, role, DType.F32);
        if (t.size() != 1) {
            throw new IllegalArgumentException(op + ": " + role + " must have one element, got " + t.shape());
        }
    }

    private void checkLabels(String op, Tensor labels, Tensor logits) {
        checkUsable(op, labels, "labels", DType.I32);
        int rows = logits.shape().dim(0);
        int classes = logits.shape().dim(1);
        if (labels.shape().rank() != 1 || labels.shape().dim(0) != rows) {
            throw new IllegalArgumentException(op + ": labels " + labels.shape() + " must be [" + rows
                    + "] for logits " + logits.shape());
        }
        if (labels.minValue != Tensor.UNKNOWN && labels.minValue < 0) {
            throw new IllegalArgumentException(op + ": label " + labels.minValue + " at row " + labels.minIndex
                    + " is out of range [0, " + classes + ") for logits " + logits.shape());
        }
        if (labels.maxValue != Tensor.UNKNOWN && labels.maxValue >= classes) {
            throw new IllegalArgumentException(op + ": label " + labels.maxValue + " at row " + labels.maxIndex
                    + " is out of range [0, " + classes + ") for logits " + logits.shape());
        }
    }

    private void checkOptimizer(String op, Tensor param, Tensor grad, Object params, float lr, long step) {
        requireNonNull(op, params, "hyper-parameters");
        checkUsable(op, param, "param", DType.F32);
        checkUsable(op, grad, "grad", DType.F32);
        requireSameSize(op, param, "param", grad, "grad");
        checkNoAlias(op, param, "param", grad, "grad");
        if (!Float.isFinite(lr) || lr < 0) {
            throw new IllegalArgumentException(op + ": learning rate must be a finite number >= 0, got " + lr);
        }
        if (step < 1) {
            throw new IllegalArgumentException(op + ": step is 1-based, got " + step);
        }
    }

    private void checkState(String op, Tensor param, Tensor state, String role) {
        if (state == null) {
            throw new IllegalArgumentException(op + ": " + role + " is required with these hyper-parameters");
        }
        checkUsable(op, state, role, DType.F32);
        requireSameSize(op, param, "param", state, role);
        checkNoAlias(op, state, role, param, "param");
    }

    private static void requireSameShape(String op, Tensor a, String ra, Tensor b, String rb) {
        if (!a.shape().equals(b.shape())) {
            throw new IllegalArgumentException(op + ": " + ra + " " + a.shape() + " and " + rb + " " + b.shape()
                    + " must have the same shape");
        }
    }

    private static void requireSameSize(String op, Tensor a, String ra, Tensor b, String rb) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": " + ra + " " + a.shape() + " and " + rb + " " + b.shape()
                    + " must have the same number of elements");
        }
    }

    private static void checkNoAlias(String op, Tensor out, String ro, Tensor in, String ri) {
        if (out != null && out == in) {
            throw new IllegalArgumentException(op + ": " + ro + " must not be the same tensor as " + ri);
        }
    }

    private static void checkFiniteScalar(String op, String what, float v) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException(op + ": " + what + " must be finite, got " + v);
        }
    }

    // Op names for errors, made once: concatenating them on every call allocated in the training loop.
    private static final String[] ACTIVATION_OPS = opNames("activation(", Activation.values());
    private static final String[] ACTIVATION_BACKWARD_OPS = opNames("activationBackward(", Activation.values());
    private static final String[] LOSS_OPS = opNames("loss(", LossKind.values());

    private static String[] opNames(String prefix, Enum<?>[] values) {
        String[] names = new String[values.length];
        for (Enum<?> v : values) {
            String id = v instanceof Activation a ? a.id() : ((LossKind) v).id();
            names[v.ordinal()] = prefix + id + ")";
        }
        return names;
    }

    private static void requireNonNull(String op, Object o, String what) {
        if (o == null) {
            throw new IllegalArgumentException(op + ": " + what + " is null");
        }
    }
}
