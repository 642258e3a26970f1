package dev.kiln.opencl;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.DType;
import dev.kiln.core.KilnException;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.DeviceType;
import dev.kiln.kernels.GemmPlan;
import dev.kiln.kernels.KernelSources;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

import java.lang.System.Logger.Level;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

import static org.jocl.CL.*;

/**
 * The OpenCL compute engine: one context (shared per device), one in-order queue, the portable
 * kernels of kiln-kernels built once, pooled buffers, and GEMM through CLBlast or the portable
 * tiled kernel.
 *
 * <p>Ops only enqueue. Uploads are blocking writes (the caller may reuse its array at once);
 * downloads are blocking reads and the only sync points, where the device error flag (a label
 * out of range) is checked and turned into a {@link KilnException} naming the row.
 */
public final class OpenClEngine implements ComputeEngine {
    private static final System.Logger LOG = System.getLogger(OpenClEngine.class.getName());
    /** Work-group size of the 1-D and row kernels; a fixed power of two so reductions are reproducible. */
    private static final int PREFERRED_WG = 128;
    /**
     * Rows up to this wide run the row-wise kernels (softmax, log-softmax, softmax-cross-entropy,
     * argmax, countCorrect) one work-item per row instead of a work-group per row: at most one
     * GPU warp's width, where a work-group of 128 per row would idle three quarters or more of
     * its work-items through barrier-separated reductions. The bias gradient's column sums take a
     * work-item per column under the same limit on the number of rows.
     */
    static final int NARROW_COLS = 32;
    /**
     * The same limit on a CPU device, where a work-group's barriers are loops over its work-items:
     * on POCL (2 cores) one work-item per row was faster up to 256 columns at every row count
     * measured (64-row softmax-cross-entropy of 10 classes 287 to 138 us, 100,000 rows 201 to 8.2
     * ms; 250 rows of 256 1.24 to 0.61 ms), and slower at 1,000 columns with few rows (64 rows: 0.99
     * ms against 0.77), which therefore keep a work-group per row.
     */
    static final int NARROW_COLS_CPU = 256;
    /** Upper bound on first-stage reduction groups: the grid depends on n only, never on the device. */
    private static final int MAX_PARTIALS = 256;
    private static final Map<Integer, SharedContext> CONTEXTS = new HashMap<>();

    /** Which GEMM implementation runs. */
    public enum GemmPath {
        /** CLBlast when it loads and works, else the portable kernel. */
        AUTO,
        /** CLBlast, or fail. */
        CLBLAST,
        /** The tiled kernel from kiln-kernels. */
        PORTABLE
    }

    /**
     * How to open an engine.
     *
     * @param gemm           the GEMM path
     * @param sourceOverride rewrites the kernel source before it is built (tests plant bugs with it); null for none
     */
    public record Options(GemmPath gemm, UnaryOperator<String> sourceOverride) {
        /** {@code -Dkiln.opencl.gemm=clblast|portable|auto} (default auto), no source override. */
        public static Options fromSystemProperties() {
            String g = System.getProperty("kiln.opencl.gemm", "auto").trim().toUpperCase(Locale.ROOT);
            try {
                return new Options(GemmPath.valueOf(g), null);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("kiln.opencl.gemm must be clblast, portable or auto, got '"
                        + System.getProperty("kiln.opencl.gemm") + "'");
            }
        }
    }

    /** A context and its built programs, kept for the JVM's life: built once per context, and CLBlast caches by context too. */
    private static final class SharedContext {
        final cl_context context;
        final Map<String, cl_program> programs = new HashMap<>();

        SharedContext(cl_context context) {
            this.context = context;
        }
    }

    private final DeviceInfo info;
    private final cl_device_id device;
    private final cl_context context;
    private final cl_command_queue queue;
    private final cl_program program;
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    private final BufferPool pool;
    private final Set<ClBuffer> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private final int wg;
    /** {@link #NARROW_COLS}, or {@link #NARROW_COLS_CPU} on a CPU device. */
    private final int narrowCols;
    private final int gemmTs;
    private final int gemmWpt;
    private final ClBuffer errorFlag;
    private final ClBuffer dummy;
    private final GemmPath requestedGemm;
    /** Whether gemm_big fits: work-groups of GemmPlan.BIG_THREADS and its local memory. */
    private final boolean bigGemmFits;
    private GemmPath gemmPath;
    private String gemmName;
    private boolean flagPending;
    private boolean closed;

    OpenClEngine(ClDevices.Found found, Options options) {
        this.info = found.info();
        this.device = found.device();
        long maxWg = ClDevices.deviceSizeT(device, CL_DEVICE_MAX_WORK_GROUP_SIZE);
        int w = PREFERRED_WG;
        while (w > maxWg && w > 1) {
            w >>= 1;
        }
        this.wg = w;
        this.narrowCols = info.type() == DeviceType.CPU ? NARROW_COLS_CPU : NARROW_COLS;
        // 64x64 tiles computed by 8x8 work-items with an 8x8 register block each (measured on POCL:
        // about twice the throughput of 16x16 work-items with 4x4 blocks); tiny devices get 16x16 tiles.
        this.gemmTs = maxWg >= 64 ? 64 : 16;
        this.gemmWpt = maxWg >= 64 ? 8 : 4;
        this.bigGemmFits = maxWg >= GemmPlan.BIG_THREADS
                && ClDevices.deviceLong(device, CL_DEVICE_LOCAL_MEM_SIZE) >= GemmPlan.BIG_LOCAL_BYTES;
        this.requestedGemm = options.gemm();
        chooseGemm(options.gemm());  // first: an explicit clblast request that cannot be met fails before we hold anything
        try {
            SharedContext shared = sharedContext(found);
            this.context = shared.context;
            String source = KernelSources.program(KernelSources.Dialect.OPENCL);
            if (options.sourceOverride() != null) {
                source = options.sourceOverride().apply(source);
            }
            String buildOptions = "-cl-std=CL1.2 -DKILN_WG=" + wg + " -DGEMM_TS=" + gemmTs + " -DGEMM_TK=16 -DGEMM_WPT="
                    + gemmWpt;
            this.program = program(shared, device, source, buildOptions, info);
            this.queue = inOrderQueue(context, device);
        } catch (CLException e) {
            throw fail("open", e);
        }
        this.pool = new BufferPool(context);
        this.errorFlag = allocate(DType.I32, 4);
        this.dummy = allocate(DType.F32, 1);
        upload(new int[] {Integer.MAX_VALUE, 0, 0, 0}, 0, errorFlag, 0, 4);
        LOG.log(Level.DEBUG, () -> "opened " + info.spec() + " (" + info.name() + "), gemm: " + gemmName);
    }

    /**
     * An in-order queue without profiling. clCreateCommandQueue is deprecated since OpenCL 2.0, but
     * its replacement does not exist on 1.2 devices, which we support.
     */
    @SuppressWarnings("deprecation")
    private static cl_command_queue inOrderQueue(cl_context context, cl_device_id device) {
        return clCreateCommandQueue(context, device, 0, null);
    }

    private void chooseGemm(GemmPath want) {
        if (want == GemmPath.PORTABLE) {
            gemmPath = GemmPath.PORTABLE;
            gemmName = "portable kernel";
            return;
        }
        String err = ClBlastGemm.load();
        if (err == null) {
            gemmPath = GemmPath.CLBLAST;
            gemmName = ClBlastGemm.version();
        } else if (want == GemmPath.CLBLAST) {
            throw new KilnException("opencl", "open", null, "kiln.opencl.gemm=clblast but CLBlast is unavailable: " + err);
        } else {
            gemmPath = GemmPath.PORTABLE;
            gemmName = "portable kernel (CLBlast unavailable: " + err + ")";
        }
    }

    private static SharedContext sharedContext(ClDevices.Found found) {
        synchronized (CONTEXTS) {
            return CONTEXTS.computeIfAbsent(found.info().index(), i -> {
                cl_context_properties props = new cl_context_properties();
                props.addProperty(CL_CONTEXT_PLATFORM, found.platform());
                return new SharedContext(clCreateContext(props, 1, new cl_device_id[] {found.device()}, null, null,
                        null));
            });
        }
    }

    private static cl_program program(SharedContext shared, cl_device_id device, String source, String options,
                                      DeviceInfo info) {
        String key = options + "\n" + source;
        synchronized (shared) {
            cl_program p = shared.programs.get(key);
            if (p != null) {
                return p;
            }
            p = clCreateProgramWithSource(shared.context, 1, new String[] {source}, null, null);
            try {
                clBuildProgram(p, 1, new cl_device_id[] {device}, options, null, null);
            } catch (CLException e) {
                String log = buildLog(p, device);
                clReleaseProgram(p);
                throw new KilnException("opencl", "build", CL.stringFor_errorCode(e.getStatus()),
                        "the kernel program failed to build on " + info.name() + ". Build log:\n" + log, e);
            }
            shared.programs.put(key, p);
            return p;
        }
    }

    private static String buildLog(cl_program p, cl_device_id device) {
        try {
            long[] size = new long[1];
            clGetProgramBuildInfo(p, device, CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] buf = new byte[(int) size[0]];
            clGetProgramBuildInfo(p, device, CL_PROGRAM_BUILD_LOG, buf.length, Pointer.to(buf), null);
            int n = buf.length;
            while (n > 0 && buf[n - 1] == 0) {
                n--;
            }
            return new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8).strip();
        } catch (CLException e) {
            return "(no build log: " + CL.stringFor_errorCode(e.getStatus()) + ")";
        }
    }

    /** Which GEMM runs now, like {@code CLBlast 1.5.2} or {@code portable kernel}. */
    public String gemmImplementation() {
        return gemmName;
    }

    /** The kernels the built program defines (CL_PROGRAM_KERNEL_NAMES), for tests. */
    java.util.List<String> programKernelNames() {
        long[] size = new long[1];
        clGetProgramInfo(program, CL_PROGRAM_KERNEL_NAMES, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        clGetProgramInfo(program, CL_PROGRAM_KERNEL_NAMES, buf.length, Pointer.to(buf), null);
        int n = buf.length;
        while (n > 0 && buf[n - 1] == 0) {
            n--;
        }
        return java.util.List.of(new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8).split(";"));
    }

    /** Device buffers created so far (a pool statistic: constant across warm training steps). */
    long bufferCreations() {
        return pool.creations();
    }

    @Override
    public DeviceInfo device() {
        return info;
    }

    // ================================================================ memory

    @Override
    public ClBuffer allocate(DType dtype, int elements) {
        long cls = BufferPool.sizeClass((long) Math.max(1, elements) * dtype.byteSize());
        try {
            ClBuffer b = new ClBuffer(pool.take(cls), cls, dtype, elements);
            live.add(b);
            return b;
        } catch (CLException e) {
            throw fail("allocate", e);
        }
    }

    @Override
    public void free(DeviceBuffer buffer) {
        ClBuffer b = (ClBuffer) buffer;
        if (live.remove(b)) {
            pool.give(b.mem, b.capacityBytes);
        }
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        write("upload", Pointer.to(src).withByteOffset(4L * srcOffset), dst, dstOffset, count);
    }

    @Override
    public void upload(int[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        write("upload", Pointer.to(src).withByteOffset(4L * srcOffset), dst, dstOffset, count);
    }

    private void write(String op, Pointer src, DeviceBuffer dst, int dstOffset, int count) {
        if (count == 0) {
            return;
        }
        try {
            // Blocking: the caller may overwrite its array as soon as we return.
            clEnqueueWriteBuffer(queue, mem(dst), CL_TRUE, 4L * dstOffset, 4L * count, src, 0, null, null);
        } catch (CLException e) {
            throw fail(op, e);
        }
    }

    @Override
    public void download(DeviceBuffer src, int srcOffset, float[] dst, int dstOffset, int count) {
        read(src, srcOffset, Pointer.to(dst).withByteOffset(4L * dstOffset), count);
    }

    @Override
    public void download(DeviceBuffer src, int srcOffset, int[] dst, int dstOffset, int count) {
        read(src, srcOffset, Pointer.to(dst).withByteOffset(4L * dstOffset), count);
    }

    private void read(DeviceBuffer src, int srcOffset, Pointer dst, int count) {
        try {
            if (count > 0) {
                clEnqueueReadBuffer(queue, mem(src), CL_TRUE, 4L * srcOffset, 4L * count, dst, 0, null, null);
            }
        } catch (CLException e) {
            throw fail("download", e);
        }
        checkErrorFlag();
    }

    @Override
    public void synchronize() {
        try {
            clFinish(queue);
        } catch (CLException e) {
            throw fail("synchronize", e);
        }
        checkErrorFlag();
    }

    /** Reads the device error flag if a flag-raising op ran since the last check; clears and raises it. */
    private void checkErrorFlag() {
        if (!flagPending) {
            return;
        }
        flagPending = false;
        int[] err = new int[4];
        try {
            clEnqueueReadBuffer(queue, errorFlag.mem, CL_TRUE, 0, 16, Pointer.to(err), 0, null, null);
        } catch (CLException e) {
            throw fail("synchronize", e);
        }
        if (err[0] != Integer.MAX_VALUE) {
            upload(new int[] {Integer.MAX_VALUE, 0, 0, 0}, 0, errorFlag, 0, 4);
            String op = (err[0] & 3) == 2 ? "countCorrect" : "softmaxCrossEntropy";
            throw new KilnException("opencl", op, null, "label out of range at row " + (err[0] >>> 2)
                    + ": labels must lie in [0, " + err[1] + ")");
        }
    }

    // ================================================================ BLAS-like

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b,
                     float beta, DeviceBuffer c) {
        if (k == 0) {
            // C = beta C, and C is not read when beta == 0.
            if (beta == 0f) {
                fill(c, 0f, m * n);
            } else {
                scale(c, beta, m * n);
            }
            return;
        }
        if (gemmPath == GemmPath.CLBLAST && clblastGemm(transA, transB, m, n, k, alpha, a, b, beta, c)) {
            return;
        }
        portableGemm(transA, transB, m, n, k, alpha, a, b, beta, c);
    }

    /**
     * Runs the portable kernels (also used directly by tests and the benchmark harness). On GPUs,
     * {@link GemmPlan}'s choice by shape, as on CUDA: split-K, {@code gemm_big} or
     * {@code gemm_tiled}. On CPU devices (POCL), {@code gemm_tiled}, the kernel measured fastest
     * there ({@code gemm_big} was 7x slower on a 64 x 128 x 784 product).
     */
    void portableGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                      DeviceBuffer b, float beta, DeviceBuffer c) {
        boolean gpu = info.type() == DeviceType.GPU;
        if (gpu && GemmPlan.splits(m, n, k, gemmTs) > 1) {
            splitGemm(transA, transB, m, n, k, alpha, a, b, beta, c);
        } else if (gpu && bigGemmFits && GemmPlan.big(m, n)) {
            bigGemm(transA, transB, m, n, k, alpha, a, b, beta, c);
        } else {
            tiledGemm(transA, transB, m, n, k, alpha, a, b, beta, c);
        }
    }

    /** {@code gemm_tiled_split} + {@code gemm_split_reduce}, with GemmPlan's splits (at least 2 where k allows). */
    void splitGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                   DeviceBuffer b, float beta, DeviceBuffer c) {
        int chunk = GemmPlan.splitChunk(m, n, k, gemmTs);
        int splits = ceilDiv(k, chunk);
        int rts = gemmTs / gemmWpt;
        ClBuffer work = allocate(DType.F32, Math.multiplyExact(splits, m * n));
        try {
            run("gemm", "gemm_tiled_split", new long[] {(long) ceilDiv(n, gemmTs) * rts,
                (long) ceilDiv(m, gemmTs) * splits * rts}, new long[] {rts, rts},
                    transA ? 1 : 0, transB ? 1 : 0, m, n, k, chunk, a, b, work);
            run1("gemm", "gemm_split_reduce", m * n, work, splits, m * n, alpha, beta, c);
        } finally {
            free(work);  // in-order queue: the next user of this memory runs after the reduction
        }
    }

    /** Whether this device can run {@code gemm_big} (work-groups of 256, 17 KiB of local memory). */
    boolean bigGemmFits() {
        return bigGemmFits;
    }

    /** {@code gemm_big} whatever the shape; needs {@link #bigGemmFits()}. */
    void bigGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                 DeviceBuffer b, float beta, DeviceBuffer c) {
        if (!bigGemmFits) {
            throw new IllegalStateException("gemm_big does not fit " + info.name());
        }
        run("gemm", "gemm_big", new long[] {(long) ceilDiv(n, GemmPlan.BIG_TILE) * GemmPlan.BIG_THREADS,
            ceilDiv(m, GemmPlan.BIG_TILE)}, new long[] {GemmPlan.BIG_THREADS, 1},
                transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, b, beta, c);
    }

    /** {@code gemm_tiled} whatever the shape. */
    void tiledGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                   DeviceBuffer b, float beta, DeviceBuffer c) {
        int rts = gemmTs / gemmWpt;
        long gx = (long) ceilDiv(n, gemmTs) * rts;
        long gy = (long) ceilDiv(m, gemmTs) * rts;
        run("gemm", "gemm_tiled", new long[] {gx, gy}, new long[] {rts, rts},
                transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, b, beta, c);
    }

    /** Enqueues CLBlast's SGEMM; false when it failed in AUTO mode and the portable kernel should take over. */
    private boolean clblastGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                                DeviceBuffer b, float beta, DeviceBuffer c) {
        ClBuffer temp = null;
        int status;
        try {
            long tempBytes = ClBlastGemm.tempBufferBytes(queue, transA, transB, m, n, k);
            if (tempBytes > 0) {
                temp = allocate(DType.F32, (int) Math.min(Integer.MAX_VALUE, (tempBytes + 3) / 4));
            }
            status = tempBytes < 0 ? (int) tempBytes
                    : ClBlastGemm.sgemm(queue, transA, transB, m, n, k, alpha, mem(a), mem(b), beta, mem(c),
                    temp == null ? null : temp.mem);
        } finally {
            if (temp != null) {
                free(temp);  // in-order queue: later users of this memory run after the GEMM
            }
        }
        if (status == 0) {
            return true;
        }
        String name = ClBlastGemm.statusName(status);
        if (requestedGemm == GemmPath.CLBLAST) {
            throw new KilnException("opencl", "gemm", name, "CLBlast SGEMM failed");
        }
        LOG.log(Level.WARNING, "CLBlast SGEMM failed with " + name + " on " + info.name()
                + "; using the portable GEMM kernel from now on");
        gemmPath = GemmPath.PORTABLE;
        gemmName = "portable kernel (CLBlast failed: " + name + ")";
        return false;
    }

    @Override
    public void biasAdd(DeviceBuffer x, DeviceBuffer bias, DeviceBuffer y, int rows, int cols) {
        run1("biasAdd", "bias_add", rows * cols, x, bias, y, rows, cols);
    }

    @Override
    public void biasGrad(DeviceBuffer dy, DeviceBuffer db, int rows, int cols, float beta) {
        // Columns of at most narrowCols rows: a work-item per column (64 x 128 on POCL: 226 -> 61 us).
        if (rows <= narrowCols) {
            run1("biasGrad", "bias_grad_cols", cols, dy, db, rows, cols, beta);
        } else {
            runRows("biasGrad", "bias_grad", cols, dy, db, rows, cols, beta);
        }
    }

    // ================================================================ activations

    @Override
    public void activation(Activation act, float param, DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
        String op = "activation(" + act.id() + ")";
        if (act.rowWise()) {
            runRowWise(op, "softmax_fwd", "softmax_fwd_narrow", rows, cols, x, y, rows, cols,
                    act == Activation.LOG_SOFTMAX ? 1 : 0);
        } else {
            run1(op, act.id() + "_fwd", rows * cols, x, y, param, rows * cols);
        }
    }

    @Override
    public void activationBackward(Activation act, float param, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
                                   DeviceBuffer dx, int rows, int cols) {
        String op = "activationBackward(" + act.id() + ")";
        if (act.rowWise()) {
            runRowWise(op, "softmax_bwd", "softmax_bwd_narrow", rows, cols, y, dy, dx, rows, cols,
                    act == Activation.LOG_SOFTMAX ? 1 : 0);
        } else {
            run1(op, act.id() + "_bwd", rows * cols, x, y, dy, dx, param, rows * cols);
        }
    }

    // ================================================================ losses

    @Override
    public void softmaxCrossEntropy(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer loss, DeviceBuffer grad,
                                    int rows, int cols, Reduction reduction, float labelSmoothing) {
        String op = "softmaxCrossEntropy";
        float scale = reduction == Reduction.SUM ? 1f : (float) (1.0 / rows);
        ClBuffer rowLoss = allocate(DType.F32, rows);
        try {
            runRowWise(op, "softmax_xent", "softmax_xent_narrow", rows, cols, logits, labels, rowLoss, grad,
                    grad == null ? 0 : 1, rows, cols, labelSmoothing, scale, errorFlag);
            flagPending = true;
            finish(op, rowLoss, rows, loss, scale, 0);
        } finally {
            free(rowLoss);
        }
    }

    @Override
    public void loss(LossKind kind, DeviceBuffer input, DeviceBuffer target, DeviceBuffer loss, DeviceBuffer grad,
                     int rows, int cols, Reduction reduction) {
        String op = "loss(" + kind.id() + ")";
        int n = rows * cols;
        float scale = switch (reduction) {
            case SUM -> 1f;
            case MEAN -> (float) (1.0 / n);
            case BATCHMEAN -> (float) (1.0 / rows);
        };
        int groups = partialGroups(n);
        ClBuffer partials = allocate(DType.F32, groups);
        try {
            run(op, "loss_partials", new long[] {(long) groups * wg}, new long[] {wg}, lossCode(kind), input, target,
                    grad, grad == null ? 0 : 1, scale, n, partials);
            finish(op, partials, groups, loss, scale, 0);
        } finally {
            free(partials);
        }
    }

    /** The {@code kind} codes of losses.kc. */
    private static int lossCode(LossKind kind) {
        return switch (kind) {
            case MSE -> 0;
            case L1 -> 1;
            case BCE -> 2;
            case BCE_WITH_LOGITS -> 3;
            case KL_DIV -> 4;
        };
    }

    // ================================================================ optimizers

    @Override
    public void sgdStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer momentumBuf, int n, SgdParams p, float lr,
                        long step) {
        run1("sgdStep", "sgd_step", n, param, grad, momentumBuf, momentumBuf != null && p.hasMomentum() ? 1 : 0,
                step == 1 ? 1 : 0, p.nesterov() ? 1 : 0, lr, p.momentum(), p.dampening(), p.weightDecay(), n);
    }

    @Override
    public void adamStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer expAvg, DeviceBuffer expAvgSq,
                         DeviceBuffer maxExpAvgSq, int n, AdamParams p, float lr, long step) {
        // Bias corrections in double on the host, as torch.optim does in Python floats.
        double bc1 = 1.0 - Math.pow(p.beta1(), step);
        double bc2 = 1.0 - Math.pow(p.beta2(), step);
        float stepSize = (float) (lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float decay = p.decoupled() ? (float) (1.0 - (double) lr * p.weightDecay()) : 1f;
        float l2 = p.decoupled() ? 0f : p.weightDecay();
        boolean ams = p.amsgrad() && maxExpAvgSq != null;
        run1("adamStep", "adam_step", n, param, grad, expAvg, expAvgSq, maxExpAvgSq, ams ? 1 : 0, decay, l2,
                p.beta1(), p.beta2(), p.eps(), stepSize, bc2Sqrt, n);
    }

    @Override
    public void rmspropStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer squareAvg, DeviceBuffer gradAvg,
                            DeviceBuffer momentumBuf, int n, RmsPropParams p, float lr, long step) {
        boolean centered = p.centered() && gradAvg != null;
        boolean mom = p.momentum() > 0 && momentumBuf != null;
        run1("rmspropStep", "rmsprop_step", n, param, grad, squareAvg, gradAvg, momentumBuf, centered ? 1 : 0,
                mom ? 1 : 0, lr, p.alpha(), p.eps(), p.weightDecay(), p.momentum(), n);
    }

    @Override
    public void adagradStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer stateSum, int n, AdagradParams p,
                            float lr, long step) {
        float clr = (float) (lr / (1.0 + (step - 1) * (double) p.lrDecay()));
        run1("adagradStep", "adagrad_step", n, param, grad, stateSum, clr, p.eps(), p.weightDecay(), n);
    }

    // ================================================================ reductions and utilities

    @Override
    public void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols) {
        runRowWise("argmax", "argmax_rows", "argmax_rows_narrow", rows, cols, x, out, rows, cols);
    }

    @Override
    public void countCorrect(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer counter, int rows, int cols) {
        runRowWise("countCorrect", "count_correct", "count_correct_narrow", rows, cols, logits, labels, counter, rows,
                cols, errorFlag);
        flagPending = true;
    }

    @Override
    public void fill(DeviceBuffer x, float value, int n) {
        run1("fill", "fill_f32", n, x, value, n);
    }

    @Override
    public void fillInt(DeviceBuffer x, int value, int n) {
        run1("fillInt", "fill_i32", n, x, value, n);
    }

    @Override
    public void copy(DeviceBuffer src, DeviceBuffer dst, int n) {
        if (n == 0 || src == dst) {  // OpenCL refuses overlapping copies; copying onto itself is a no-op
            return;
        }
        try {
            clEnqueueCopyBuffer(queue, mem(src), mem(dst), 0, 0, 4L * n, 0, null, null);
        } catch (CLException e) {
            throw fail("copy", e);
        }
    }

    @Override
    public void scale(DeviceBuffer x, float alpha, int n) {
        run1("scale", "scale_f32", n, x, alpha, n);
    }

    @Override
    public void axpy(float alpha, DeviceBuffer x, DeviceBuffer y, int n) {
        run1("axpy", "axpy_f32", n, alpha, x, y, n);
    }

    @Override
    public void norm(NormKind kind, DeviceBuffer x, DeviceBuffer out, int n) {
        switch (kind) {
            case L1 -> reduceAll("norm(L1)", x, out, n, 1, 0);
            case L2 -> reduceAll("norm(L2)", x, out, n, 2, 1);
            case LINF -> reduceAll("norm(LINF)", x, out, n, 3, 2);
        }
    }

    @Override
    public void sum(DeviceBuffer x, DeviceBuffer out, int n) {
        reduceAll("sum", x, out, n, 0, 0);
    }

    private void reduceAll(String op, DeviceBuffer x, DeviceBuffer out, int n, int mode, int finishMode) {
        int groups = partialGroups(n);
        ClBuffer partials = allocate(DType.F32, groups);
        try {
            run(op, "reduce_partials", new long[] {(long) groups * wg}, new long[] {wg}, x, n, mode, partials);
            finish(op, partials, groups, out, 1f, finishMode);
        } finally {
            free(partials);
        }
    }

    private void finish(String op, ClBuffer partials, int count, DeviceBuffer out, float scale, int mode) {
        run(op, "reduce_finish", new long[] {wg}, new long[] {wg}, partials, count, out, scale, mode);
    }

    private int partialGroups(int n) {
        return Math.max(1, Math.min(MAX_PARTIALS, ceilDiv(n, wg)));
    }

    // ================================================================ launching

    /** One work-item per element (or per row, or column), n of them. */
    private void run1(String op, String kernel, int n, Object... args) {
        if (n <= 0) {
            return;
        }
        run(op, kernel, new long[] {(long) ceilDiv(n, wg) * wg}, new long[] {wg}, args);
    }

    /** The widest rows that run one work-item per row on this device (for tests). */
    int narrowCols() {
        return narrowCols;
    }

    /**
     * A row-wise kernel over {@code rows} rows of {@code cols} columns: rows of at most
     * {@link #narrowCols} columns take its {@code _narrow} variant, one work-item per row, and
     * wider ones a work-group per row (its work-items split the columns and fold them in the
     * work-group). Both give deterministic results; their sums run in different orders.
     */
    private void runRowWise(String op, String kernel, String narrowKernel, int rows, int cols, Object... args) {
        if (cols <= narrowCols) {
            run1(op, narrowKernel, rows, args);
        } else {
            runRows(op, kernel, rows, args);
        }
    }

    /** One work-group per row (or column). */
    private void runRows(String op, String kernel, int groups, Object... args) {
        if (groups <= 0) {
            return;
        }
        run(op, kernel, new long[] {(long) groups * wg}, new long[] {wg}, args);
    }

    private void run(String op, String kernelName, long[] global, long[] local, Object... args) {
        if (closed) {
            throw new KilnException("opencl", op, null, "engine is closed");
        }
        try {
            cl_kernel k = kernels.get(kernelName);
            if (k == null) {
                k = clCreateKernel(program, kernelName, null);
                kernels.put(kernelName, k);
            }
            for (int i = 0; i < args.length; i++) {
                Object a = args[i];
                if (a == null) {
                    a = dummy;  // an optional buffer the kernel will not touch
                }
                if (a instanceof ClBuffer b) {
                    clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(b.mem));
                } else if (a instanceof Integer v) {
                    clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
                } else if (a instanceof Float v) {
                    clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[] {v}));
                } else {
                    throw new IllegalStateException("unsupported kernel argument " + a.getClass());
                }
            }
            clEnqueueNDRangeKernel(queue, k, global.length, null, global, local, 0, null, null);
        } catch (CLException e) {
            throw fail(op, e);
        }
    }

    private static cl_mem mem(DeviceBuffer b) {
        return ((ClBuffer) b).mem;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private KilnException fail(String op, CLException e) {
        return new KilnException("opencl", op, CL.stringFor_errorCode(e.getStatus()), e.getMessage()
                + " on " + info.name(), e);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            clFinish(queue);
        } catch (CLException e) {
            LOG.log(Level.WARNING, "opencl: pending work failed while closing: " + e.getMessage());
        }
        closed = true;
        for (ClBuffer b : live) {
            clReleaseMemObject(b.mem);
        }
        live.clear();
        pool.releaseAll();
        for (cl_kernel k : kernels.values()) {
            clReleaseKernel(k);
        }
        kernels.clear();
        clReleaseCommandQueue(queue);
        // The context and its programs stay cached for the next engine on this device (see SharedContext).
    }
}
