package dev.kiln.cuda;

import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.DeviceType;
import dev.kiln.core.spi.ProbeResult;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Finds out, once per JVM, whether CUDA can run Kiln here: the driver binding, a device, kernels
 * the driver can load (the fatbin, else NVRTC), and cuBLAS (optional). Every failure becomes the
 * one-line reason of an unavailable {@link ProbeResult}; nothing escapes.
 */
final class CudaProbe {
    private static final System.Logger LOG = System.getLogger("dev.kiln.cuda");

    /** How the engine gets its kernels. */
    enum KernelSource { FATBIN, NVRTC }

    /**
     * What {@link CudaEngine} needs to open a device, beyond the public result.
     *
     * @param result        the public probe result
     * @param image         the bundled fatbin, or null
     * @param kernels       where kernels come from, or null when unavailable
     * @param driverVersion {@code cuDriverGetVersion}, or 0 when the driver did not load
     * @param nvrtcReason   null when NVRTC loaded, else why not (or "not checked")
     * @param cublasReason  null when JCublas2 loaded, else why not
     */
    record State(ProbeResult result, KernelImage image, KernelSource kernels, int driverVersion, String nvrtcReason,
                 String cublasReason) {
        boolean cublasLoaded() {
            return cublasReason == null;
        }
    }

    private static State cached;

    private CudaProbe() {
    }

    /** The cached probe; the first call does the work. */
    static synchronized State get() {
        if (cached == null) {
            State s;
            try {
                s = run();
            } catch (LinkageError | RuntimeException e) {
                // One catch for everything native (LinkageError, JCuda's CudaException, ...): a
                // failure here means unavailable, never a crash.
                s = new State(ProbeResult.unavailable(e instanceof LinkageError ? LinkErrors.reason(e)
                        : "CUDA probe failed: " + e), null, null, 0, "not checked", "not checked");
            }
            cached = s;
            LOG.log(Level.DEBUG, () -> "cuda probe: " + (cached.result().isAvailable() ? cached.result().devices()
                    : cached.result().reason()));
        }
        return cached;
    }

    private static State run() {
        Map<String, String> details = new LinkedHashMap<>();
        KernelImage image = KernelImage.bundled();
        details.put("kernels", image != null ? image.describe()
                : "no fatbin in this build (nvcc was not on PATH when it was built); needs NVRTC");
        try {
            NativeLibs.load(NativeLibs.Lib.DRIVER, () -> JCudaDriver.setExceptionsEnabled(false));
        } catch (UnsatisfiedLinkError e) {
            return unavailable(LinkErrors.reason(e), details, image);
        } catch (IOException e) {
            return unavailable("cannot extract the JCuda natives: " + e.getMessage(), details, image);
        }
        int r = JCudaDriver.cuInit(0);
        if (r != CUresult.CUDA_SUCCESS) {
            String why = switch (r) {
                case CUresult.CUDA_ERROR_NO_DEVICE -> "no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE)";
                case CUresult.CUDA_ERROR_SYSTEM_DRIVER_MISMATCH -> "the NVIDIA kernel module and libcuda.so.1 "
                        + "differ in version (cuInit: CUDA_ERROR_SYSTEM_DRIVER_MISMATCH)";
                default -> "cuInit failed: " + CudaErrors.name(r);
            };
            return unavailable(why, details, image);
        }
        int[] v = new int[1];
        CudaErrors.check(JCudaDriver.cuDriverGetVersion(v), "probe", "cuDriverGetVersion");
        int driver = v[0];
        details.put("driver", "CUDA " + CudaVersions.format(driver) + " (" + driver + ")");
        int[] count = new int[1];
        CudaErrors.check(JCudaDriver.cuDeviceGetCount(count), "probe", "cuDeviceGetCount");
        if (count[0] == 0) {
            return new State(ProbeResult.unavailable("no CUDA device", details), image, null, driver, "not checked",
                    "not checked");
        }

        // Kernels: the fatbin when the driver can load it, else NVRTC, else unavailable.
        KernelSource kernels;
        String nvrtcReason = "not needed (fatbin)";
        // -Dkiln.cuda.ignoreDriverVersion=true tries the fatbin on an older driver anyway (its SASS
        // may still load); open() then reports the driver's own error if it does not.
        boolean ignoreDriver = Boolean.getBoolean("kiln.cuda.ignoreDriverVersion");
        if (image != null && (driver >= image.minDriver() || ignoreDriver)) {
            kernels = KernelSource.FATBIN;
            if (driver < image.minDriver()) {
                details.put("kernels", image.describe() + "; driver " + CudaVersions.format(driver)
                        + " is older, tried anyway (-Dkiln.cuda.ignoreDriverVersion=true)");
            }
        } else {
            nvrtcReason = Nvrtc.load();
            if (nvrtcReason == null) {
                kernels = KernelSource.NVRTC;
                details.put("kernels", (image == null ? "" : "fatbin needs a newer driver; ") + "NVRTC "
                        + Nvrtc.version() + " compiles them at run time");
            } else if (image != null) {
                return new State(ProbeResult.unavailable("CUDA driver " + CudaVersions.format(driver)
                        + " too old for these kernels (built by nvcc " + image.nvccVersion() + ", they need a driver "
                        + "for CUDA " + CudaVersions.format(image.minDriver()) + " or newer) and NVRTC is unavailable: "
                        + nvrtcReason + " (-Dkiln.cuda.ignoreDriverVersion=true tries the fatbin anyway)", details), image, null, driver, nvrtcReason, "not checked");
            } else {
                return new State(ProbeResult.unavailable("no kernels: this build has no fatbin (built without nvcc) "
                        + "and NVRTC is unavailable: " + nvrtcReason, details), null, null, driver, nvrtcReason,
                        "not checked");
            }
        }

        // cuBLAS is optional: without it GEMM runs on the portable kernel.
        String cublasReason = Cublas.load();
        String gemmMode = CudaEngine.gemmMode();
        String gemm = gemmMode.equals("portable") ? "portable kernel (-Dkiln.cuda.gemm=portable)"
                : cublasReason == null ? "cuBLAS" : "portable kernel";
        details.put("cuBLAS", (cublasReason == null ? "available (libcublas.so." + NativeLibs.CUDA_MAJOR + ")"
                : "unavailable (" + cublasReason + ")") + "; GEMM: " + gemm);
        details.put("TF32", CudaEngine.tf32() ? "on (-Dkiln.cuda.tf32=true)" : "off (strict FP32)");

        List<DeviceInfo> devices = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            CUdevice dev = new CUdevice();
            CudaErrors.check(JCudaDriver.cuDeviceGet(dev, i), "probe", "cuDeviceGet");
            byte[] nameBytes = new byte[256];
            CudaErrors.check(JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, dev), "probe", "cuDeviceGetName");
            String name = cString(nameBytes);
            int major = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
            int minor = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
            int sms = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
            long[] mem = new long[1];
            CudaErrors.check(JCudaDriver.cuDeviceTotalMem(mem, dev), "probe", "cuDeviceTotalMem");
            int cc = major * 10 + minor;
            if (kernels == KernelSource.FATBIN && cc < image.lowestCapability()) {
                skipped.add("cuda:" + i + " " + name + " has compute capability " + major + "." + minor
                        + ", below the fatbin's lowest (" + image.lowestCapability() / 10 + "."
                        + image.lowestCapability() % 10 + ")");
                continue;
            }
            Map<String, String> props = new LinkedHashMap<>();
            props.put("compute capability", major + "." + minor);
            props.put("SMs", Integer.toString(sms));
            props.put("memory", String.format(Locale.ROOT, "%.1f GiB", mem[0] / (double) (1L << 30)));
            devices.add(new DeviceInfo("cuda", i, name, DeviceType.GPU, mem[0], props));
        }
        if (!skipped.isEmpty()) {
            details.put("skipped devices", String.join("; ", skipped));
        }
        if (devices.isEmpty()) {
            return new State(ProbeResult.unavailable("no usable CUDA device: " + String.join("; ", skipped), details),
                    image, kernels, driver, nvrtcReason, cublasReason);
        }
        return new State(ProbeResult.available(devices, details), image, kernels, driver, nvrtcReason, cublasReason);
    }

    private static State unavailable(String reason, Map<String, String> details, KernelImage image) {
        return new State(ProbeResult.unavailable(reason, details), image, null, 0, "not checked", "not checked");
    }

    private static int attribute(CUdevice dev, int attribute) {
        int[] v = new int[1];
        CudaErrors.check(JCudaDriver.cuDeviceGetAttribute(v, attribute, dev), "probe", "cuDeviceGetAttribute");
        return v[0];
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8).strip();
    }
}
