package dev.kiln.cuda;

import dev.kiln.core.DType;
import dev.kiln.core.KilnException;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.kernels.KernelSources;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The CUDA compute engine, on the driver API: the device's primary context, one non-blocking
 * stream, the shared kernels (fatbin or NVRTC), a caching allocator, and GEMM through cuBLAS or
 * the portable tiled kernel.
 *
 * <p>Every op is enqueued on the stream and returns at once. Uploads are stream-ordered copies
 * from the caller's (pageable) array, which the driver stages before returning, so the array may
 * be reused at once. Downloads and {@link #synchronize()} wait for the stream: they are the sync
 * points, where the device error flag (a label out of range) becomes a {@link KilnException}
 * naming the row. The context is made current at every entry, so any thread may call (one at a
 * time, as the SPI says).
 */
final class CudaEngine extends KernelOps {
    private static final System.Logger LOG = System.getLogger("dev.kiln.cuda");
    /** Threads per block for kernels compiled by NVRTC (the fatbin records its own). */
    private static final int NVRTC_WG = 256;
    private static final int NVRTC_GEMM_TS = 64;
    private static final int NVRTC_GEMM_WPT = 4;
    /**
     * One extra retain of each device's primary context for the JVM's life: without it, closing
     * the last engine destroys the context, and a test suite that opens and closes backends would
     * pay for a new context (and lose cuBLAS's warm state) every time.
     */
    private static final Map<Integer, CUcontext> KEEP_ALIVE = new HashMap<>();
    /** NVRTC output per compute capability: compiling takes seconds, so once per JVM. */
    private static final Map<Integer, Nvrtc.Output> NVRTC_CACHE = new HashMap<>();

    private final DeviceInfo info;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUstream stream = new CUstream();
    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final DeviceAllocator allocator = new DeviceAllocator(
            () -> JCudaDriver.cuStreamSynchronize(stream));  // errors surface at the next sync
    private final Set<CudaBuffer> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private final int wg;
    private final int gemmTs;
    private final int gemmWpt;
    private final String kernelOrigin;
    private final CudaBuffer errorFlag;
    private Cublas cublas;
    private String gemmName;
    private boolean contextRetained;
    private boolean streamCreated;
    private boolean moduleLoaded;
    private boolean flagPending;
    private boolean closed;

    /** {@code -Dkiln.cuda.gemm=auto|cublas|portable} (default auto: cuBLAS when it loads). */
    static String gemmMode() {
        String g = System.getProperty("kiln.cuda.gemm", "auto").trim().toLowerCase(Locale.ROOT);
        return switch (g) {
            case "auto", "cublas", "portable" -> g;
            default -> throw new IllegalArgumentException("kiln.cuda.gemm must be auto, cublas or portable, got '"
                    + g + "'");
        };
    }

    /** {@code -Dkiln.cuda.tf32=true} lets cuBLAS use TF32 tensor cores (off: strict FP32, as the conformance suite needs). */
    static boolean tf32() {
        return Boolean.getBoolean("kiln.cuda.tf32");
    }

    CudaEngine(CudaProbe.State state, DeviceInfo info, String gemmMode) {
        this.info = info;
        try {
            check(JCudaDriver.cuDeviceGet(device, info.index()), "open", "cuDeviceGet");
            check(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "open", "cuDevicePrimaryCtxRetain");
            contextRetained = true;
            synchronized (KEEP_ALIVE) {
                if (!KEEP_ALIVE.containsKey(info.index())) {
                    CUcontext keep = new CUcontext();
                    check(JCudaDriver.cuDevicePrimaryCtxRetain(keep, device), "open", "cuDevicePrimaryCtxRetain");
                    KEEP_ALIVE.put(info.index(), keep);
                }
            }
            enter();
            check(JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "open", "cuStreamCreate");
            streamCreated = true;
            int cc = capability();
            KernelImage image = state.image();
            String origin = null;
            int w = NVRTC_WG;
            int ts = NVRTC_GEMM_TS;
            int wpt = NVRTC_GEMM_WPT;
            int loadError = CUresult.CUDA_SUCCESS;
            if (state.kernels() == CudaProbe.KernelSource.FATBIN && image != null) {
                // cuModuleLoadData takes fatbins too. Not cuModuleLoadFatBinary: JCuda 12.6's binding
                // of it never stores the loaded module in the CUmodule (seen on an H200: every
                // cuModuleGetFunction then fails with CUDA_ERROR_INVALID_HANDLE).
                loadError = JCudaDriver.cuModuleLoadData(module, image.fatbin());
                if (loadError == CUresult.CUDA_SUCCESS) {
                    moduleLoaded = true;
                    origin = "fatbin (nvcc " + image.nvccVersion() + ")";
                    w = image.workGroup();
                    ts = image.gemmTs();
                    wpt = image.gemmWpt();
                }
            }
            if (!moduleLoaded) {
                String nvrtc = Nvrtc.load();
                if (nvrtc != null) {
                    throw new KilnException("cuda", "open", loadError == CUresult.CUDA_SUCCESS ? null
                            : CudaErrors.name(loadError), (image == null ? "this build has no fatbin"
                            : "the fatbin does not load on sm_" + cc) + " and NVRTC is unavailable: " + nvrtc);
                }
                Nvrtc.Output out;
                synchronized (NVRTC_CACHE) {
                    out = NVRTC_CACHE.get(cc);
                    if (out == null) {
                        String source = KernelSources.program(KernelSources.Dialect.CUDA);
                        String defines = "#define GEMM_TS " + ts + "\n#define GEMM_TK 16\n#define GEMM_WPT " + wpt
                                + "\n";
                        out = Nvrtc.compile(defines + source, cc, w);
                        NVRTC_CACHE.put(cc, out);
                    }
                }
                check(JCudaDriver.cuModuleLoadData(module, out.image()), "open",
                        "cuModuleLoadData (NVRTC " + out.arch() + ")");
                moduleLoaded = true;
                origin = "NVRTC " + Nvrtc.version() + " (" + out.arch() + ")";
            }
            this.wg = w;
            this.gemmTs = ts;
            this.gemmWpt = wpt;
            this.kernelOrigin = origin;
            // Resolve every entry point now: a kernel missing from the image fails the open, not a later op.
            for (String name : KernelSources.KERNEL_NAMES) {
                CUfunction f = new CUfunction();
                check(JCudaDriver.cuModuleGetFunction(f, module, name), "open", "cuModuleGetFunction(" + name + ") in "
                        + origin);
                functions.put(name, f);
            }
            this.errorFlag = allocate(DType.I32, 4);
            upload(new int[] {Integer.MAX_VALUE, 0, 0, 0}, 0, errorFlag, 0, 4);
            chooseGemm(state, gemmMode);
        } catch (RuntimeException | LinkageError e) {
            release();
            throw e;
        }
        LOG.log(Level.DEBUG, () -> "opened " + info.spec() + " (" + info.name() + "), kernels: " + kernelOrigin
                + ", gemm: " + gemmName);
    }

    private void chooseGemm(CudaProbe.State state, String mode) {
        if (mode.equals("portable")) {
            gemmName = "portable kernel";
            return;
        }
        String why = state.cublasReason();
        if (why == null) {
            try {
                cublas = new Cublas(stream, tf32());
                gemmName = "cuBLAS" + (tf32() ? " (TF32)" : "");
                return;
            } catch (KilnException e) {
                why = "cublasCreate failed: " + e.nativeError();
            }
        }
        if (mode.equals("cublas")) {
            throw new KilnException("cuda", "open", null, "kiln.cuda.gemm=cublas but cuBLAS is unavailable: " + why);
        }
        gemmName = "portable kernel (cuBLAS unavailable: " + why + ")";
    }

    private int capability() {
        int[] major = new int[1];
        int[] minor = new int[1];
        check(JCudaDriver.cuDeviceGetAttribute(major,
                jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device), "open",
                "cuDeviceGetAttribute");
        check(JCudaDriver.cuDeviceGetAttribute(minor,
                jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device), "open",
                "cuDeviceGetAttribute");
        return major[0] * 10 + minor[0];
    }

    /** Which GEMM runs, like {@code cuBLAS} or {@code portable kernel (...)}. */
    String gemmImplementation() {
        return gemmName;
    }

    /** Where the kernels came from, like {@code fatbin (nvcc 13.0)}. */
    String kernelOrigin() {
        return kernelOrigin;
    }

    /** {@code cuMemAlloc} calls so far: constant across warm training steps. */
    long deviceAllocations() {
        return allocator.deviceAllocations();
    }

    @Override
    public DeviceInfo device() {
        return info;
    }

    /** Makes this engine's context current on the calling thread; every entry point calls it. */
    private void enter() {
        if (closed) {
            throw new KilnException("cuda", null, null, "engine is closed");
        }
        check(JCudaDriver.cuCtxSetCurrent(context), "enter", "cuCtxSetCurrent");
    }

    // ================================================================ memory

    @Override
    public CudaBuffer allocate(DType dtype, int elements) {
        enter();
        CudaBuffer b = new CudaBuffer(dtype, elements,
                allocator.allocate((long) Math.max(1, elements) * dtype.byteSize()));
        live.add(b);
        return b;
    }

    @Override
    public void free(DeviceBuffer buffer) {
        CudaBuffer b = (CudaBuffer) buffer;
        if (!closed && live.remove(b)) {
            // No sync needed: the block's next user is enqueued on the same in-order stream.
            allocator.release(b.block);
        }
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        write(Pointer.to(src).withByteOffset(4L * srcOffset), dst, dstOffset, count);
    }

    @Override
    public void upload(int[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        write(Pointer.to(src).withByteOffset(4L * srcOffset), dst, dstOffset, count);
    }

    private void write(Pointer src, DeviceBuffer dst, int dstOffset, int count) {
        if (count == 0) {
            return;
        }
        enter();
        // From pageable memory the driver copies into a staging buffer before returning, so the
        // caller may reuse its array at once; the transfer itself stays ordered on the stream.
        check(JCudaDriver.cuMemcpyHtoDAsync(buf(dst).at(dstOffset), src, 4L * count, stream), "upload",
                "cuMemcpyHtoDAsync");
    }

    @Override
    protected void uploadBytes(String op, byte[] src, int srcOffset, DeviceBuffer dst, int count) {
        enter();
        check(JCudaDriver.cuMemcpyHtoDAsync(buf(dst).ptr(), Pointer.to(src).withByteOffset(srcOffset), count, stream),
                op, "cuMemcpyHtoDAsync");
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
        synchronize();
        if (count > 0) {
            // The stream is idle now, so a plain synchronous copy sees every op's result.
            check(JCudaDriver.cuMemcpyDtoH(dst, buf(src).at(srcOffset), 4L * count), "download", "cuMemcpyDtoH");
        }
    }

    @Override
    public void synchronize() {
        enter();
        check(JCudaDriver.cuStreamSynchronize(stream), "synchronize", "cuStreamSynchronize");
        checkErrorFlag();
    }

    /** Reads the device error flag if a flag-raising op ran since the last check; clears and raises it. */
    private void checkErrorFlag() {
        if (!flagPending) {
            return;
        }
        flagPending = false;
        int[] err = new int[4];
        check(JCudaDriver.cuMemcpyDtoH(Pointer.to(err), errorFlag.ptr(), 16), "synchronize", "cuMemcpyDtoH");
        if (err[0] != Integer.MAX_VALUE) {
            int[] clear = {Integer.MAX_VALUE, 0, 0, 0};
            check(JCudaDriver.cuMemcpyHtoD(errorFlag.ptr(), Pointer.to(clear), 16), "synchronize", "cuMemcpyHtoD");
            // err[0] = 4 * row + op, set by one atomic_min (common.kc), so the lowest row wins.
            String op = (err[0] & 3) == 2 ? "countCorrect" : "softmaxCrossEntropy";
            throw new KilnException("cuda", op, null, "label out of range at row " + (err[0] >>> 2)
                    + ": labels must lie in [0, " + err[1] + ")");
        }
    }

    // ================================================================ primitives for KernelOps

    @Override
    protected int workGroup() {
        return wg;
    }

    @Override
    protected int gemmTile() {
        return gemmTs;
    }

    @Override
    protected int gemmWorkPerThread() {
        return gemmWpt;
    }

    @Override
    protected DeviceBuffer errorFlag() {
        return errorFlag;
    }

    @Override
    protected void flagRaised() {
        flagPending = true;
    }

    @Override
    protected boolean vendorGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                                 DeviceBuffer b, float beta, DeviceBuffer c) {
        if (cublas == null) {
            return false;
        }
        enter();
        cublas.sgemm(transA, transB, m, n, k, alpha, buf(a).ptr(), buf(b).ptr(), beta, buf(c).ptr());
        return true;
    }

    @Override
    protected void memset32(String op, DeviceBuffer x, int bits, int n) {
        enter();
        check(JCudaDriver.cuMemsetD32Async(buf(x).ptr(), bits, n, stream), op, "cuMemsetD32Async");
    }

    @Override
    public void copy(DeviceBuffer src, DeviceBuffer dst, int n) {
        if (n <= 0) {
            return;
        }
        enter();
        check(JCudaDriver.cuMemcpyDtoDAsync(buf(dst).ptr(), buf(src).ptr(), 4L * n, stream), "copy",
                "cuMemcpyDtoDAsync");
    }

    /**
     * Enqueues {@code kernel} on the stream. Arguments: buffers (null for an optional buffer the
     * kernel will not touch: a null device pointer), Integers and Floats, in the kernel's order.
     *
     * <p>The values go into one direct buffer of 8-byte slots, reused by every launch
     * ({@code cuLaunchKernel} copies the arguments before it returns), and the parameter array
     * points at those slots. Wrapping each argument in a new {@code Pointer} to a new Java array,
     * as JCuda's examples do, made a launch cost 7 us of host time on an H200's host.
     */
    @Override
    protected void launch(String op, String kernel, int gridX, int gridY, int blockX, int blockY, Object... args) {
        enter();
        CUfunction f = functions.get(kernel);
        if (f == null) {
            f = new CUfunction();
            check(JCudaDriver.cuModuleGetFunction(f, module, kernel), op, "cuModuleGetFunction(" + kernel + ")");
            functions.put(kernel, f);
        }
        if (!argSlotsEnabled) {
            launchWithPointers(op, kernel, f, gridX, gridY, blockX, blockY, args);
            return;
        }
        if (args.length > MAX_ARGS) {
            throw new IllegalStateException(kernel + ": " + args.length + " arguments, at most " + MAX_ARGS);
        }
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            int at = 8 * i;
            if (a == null) {
                argSlots.putLong(at, 0L);
            } else if (a instanceof CudaBuffer b) {
                argSlots.putLong(at, b.address());
            } else if (a instanceof Integer v) {
                argSlots.putInt(at, v);
            } else if (a instanceof Float v) {
                argSlots.putFloat(at, v);
            } else {
                throw new IllegalStateException("unsupported kernel argument " + a.getClass() + " for " + kernel);
            }
        }
        check(JCudaDriver.cuLaunchKernel(f, gridX, gridY, 1, blockX, blockY, 1, 0, stream, argLists[args.length], null),
                op, "cuLaunchKernel(" + kernel + ")");
    }

    /**
     * {@code -Dkiln.cuda.launchArgs=pointers} passes each argument through its own JCuda
     * {@code Pointer} instead of the slot buffer (for comparison; default {@code slots}).
     */
    static boolean argSlotsDefault() {
        String v = System.getProperty("kiln.cuda.launchArgs", "slots").trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "slots" -> true;
            case "pointers" -> false;
            default -> throw new IllegalArgumentException("kiln.cuda.launchArgs must be slots or pointers, got '" + v
                    + "'");
        };
    }

    /** Whether launches use the slot buffer (package-private: the benchmark compares both). */
    boolean argSlotsEnabled = argSlotsDefault();

    private void launchWithPointers(String op, String kernel, CUfunction f, int gridX, int gridY, int blockX,
                                    int blockY, Object... args) {
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) {
                params[i] = Pointer.to(new jcuda.driver.CUdeviceptr());
            } else if (a instanceof CudaBuffer b) {
                params[i] = Pointer.to(b.ptr());
            } else if (a instanceof Integer v) {
                params[i] = Pointer.to(new int[] {v});
            } else if (a instanceof Float v) {
                params[i] = Pointer.to(new float[] {v});
            } else {
                throw new IllegalStateException("unsupported kernel argument " + a.getClass() + " for " + kernel);
            }
        }
        check(JCudaDriver.cuLaunchKernel(f, gridX, gridY, 1, blockX, blockY, 1, 0, stream, Pointer.to(params), null),
                op, "cuLaunchKernel(" + kernel + ")");
    }

    /** The most arguments a kernel may take (adam_step, the longest, has 14). */
    static final int MAX_ARGS = 24;
    /** Slot i holds argument i (little-endian, as the device reads it). */
    private final ByteBuffer argSlots = ByteBuffer.allocateDirect(8 * MAX_ARGS).order(ByteOrder.nativeOrder());
    /** argLists[n]: the kernelParams pointer for n arguments (an array of pointers to the first n slots). */
    private final Pointer[] argLists = argLists(argSlots);

    private static Pointer[] argLists(ByteBuffer slots) {
        Pointer base = Pointer.to(slots);
        Pointer[] slot = new Pointer[MAX_ARGS];
        for (int i = 0; i < MAX_ARGS; i++) {
            slot[i] = base.withByteOffset(8L * i);
        }
        Pointer[] lists = new Pointer[MAX_ARGS + 1];
        for (int n = 0; n <= MAX_ARGS; n++) {
            lists[n] = Pointer.to(java.util.Arrays.copyOf(slot, n));
        }
        return lists;
    }

    private static CudaBuffer buf(DeviceBuffer b) {
        return (CudaBuffer) b;
    }

    private void check(int result, String op, String call) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new KilnException("cuda", op, CudaErrors.name(result), call + " failed on " + info.name());
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            enter();
            int r = JCudaDriver.cuStreamSynchronize(stream);
            if (r != CUresult.CUDA_SUCCESS) {
                LOG.log(Level.WARNING, "cuda: pending work failed while closing: " + CudaErrors.name(r));
            }
        } catch (KilnException e) {
            LOG.log(Level.WARNING, "cuda: cannot make the context current while closing: " + e.getMessage());
        }
        release();
    }

    /** Frees everything this engine made; used by close and by a failed open. */
    private void release() {
        closed = true;
        JCudaDriver.cuCtxSetCurrent(context);
        for (CudaBuffer b : live) {
            allocator.release(b.block);
        }
        live.clear();
        allocator.close();
        if (cublas != null) {
            cublas.close();
            cublas = null;
        }
        functions.clear();
        if (moduleLoaded) {
            JCudaDriver.cuModuleUnload(module);
            moduleLoaded = false;
        }
        if (streamCreated) {
            JCudaDriver.cuStreamDestroy(stream);
            streamCreated = false;
        }
        if (contextRetained) {
            JCudaDriver.cuDevicePrimaryCtxRelease(device);
            contextRetained = false;
        }
    }
}
