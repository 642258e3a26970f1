package dev.kiln.opencl;

import dev.kiln.core.KilnException;
import dev.kiln.core.spi.BackendProvider;
import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.ProbeResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The OpenCL backend: any OpenCL 1.2 device through JOCL, GEMM through CLBlast when it loads.
 * Lists every platform's devices; {@code opencl:N} picks device N in that global order.
 */
public final class OpenClBackendProvider implements BackendProvider {
    /** Message when the ICD loader itself is missing. */
    static final String NO_LIBOPENCL =
            "libOpenCL.so.1 not found (install an OpenCL ICD loader and driver, e.g. pocl-opencl-icd)";
    /** Message when the loader is present but no vendor driver registered a platform. */
    static final String NO_PLATFORM =
            "no OpenCL platform (the ICD loader found no driver; install one, e.g. pocl-opencl-icd)";

    private static final String POCL = "Portable Computing Language";

    private volatile ProbeResult cached;

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public ProbeResult probe() {
        ProbeResult r = cached;
        if (r == null) {
            synchronized (this) {
                r = cached;
                if (r == null) {
                    r = probeOnce();
                    cached = r;
                }
            }
        }
        return r;
    }

    @Override
    public int priority(DeviceInfo device) {
        return switch (device.type()) {
            case GPU -> 200;
            case ACCELERATOR -> 150;
            case CPU -> 50;  // below the Java CPU backend (100): POCL on the same cores is slower
            case OTHER -> 40;
        };
    }

    @Override
    public ComputeEngine open(DeviceInfo device) {
        return open(device, OpenClEngine.Options.fromSystemProperties());
    }

    /** Opens {@code device} with explicit options (GEMM path; tests also override the kernel source). */
    OpenClEngine open(DeviceInfo device, OpenClEngine.Options options) {
        ProbeResult r = probe();
        if (!r.isAvailable()) {
            throw new KilnException("opencl", "open", null, "unavailable: " + r.reason());
        }
        for (ClDevices.Found f : ClDevices.scan().devices()) {
            if (f.info().index() == device.index()) {
                if (!f.info().name().equals(device.name())) {
                    throw new KilnException("opencl", "open", null, "device " + device.index()
                            + " is now '" + f.info().name() + "', not '" + device.name() + "'");
                }
                return new OpenClEngine(f, options);
            }
        }
        throw new KilnException("opencl", "open", null, "no OpenCL device " + device.index());
    }

    private static final System.Logger LOG = System.getLogger(OpenClBackendProvider.class.getName());

    /** What POCL's LLVM does to the JVM, and the cure; measured with -Xcheck:jni on POCL 5 / LLVM 15. */
    static final String POCL_SIGNALS = "POCL's LLVM replaced the JVM's SIGSEGV, SIGBUS and SIGILL handlers when the"
            + " OpenCL driver loaded; the JVM can then die at a later safepoint with exit code 139 and no hs_err"
            + " file. Start java with LD_PRELOAD=$JAVA_HOME/lib/libjsig.so (bin/kiln and Kiln's test runs do)";

    /**
     * Whether the JVM's signal-chaining library is preloaded: with libjsig, a native library's
     * sigaction() is recorded as a chained handler instead of replacing the JVM's.
     */
    static boolean signalChainingPreloaded() {
        String preload = System.getenv("LD_PRELOAD");
        return preload != null && preload.contains("libjsig");
    }

    private static ProbeResult probeOnce() {
        Throwable loadFailure = JoclNatives.loadOpenCl();
        if (loadFailure instanceof UnsatisfiedLinkError) {
            String msg = String.valueOf(loadFailure.getMessage());
            if (msg.contains("Could not initialize native OpenCL library")) {
                return ProbeResult.unavailable(NO_LIBOPENCL);
            }
            return ProbeResult.unavailable("JOCL's native library could not be loaded: " + msg);
        } else if (loadFailure != null) {  // NoClassDefFoundError (JOCL not on the class path), other errors
            return ProbeResult.unavailable("JOCL is not usable: " + loadFailure);
        }
        try {
            ClDevices.Scan scan = ClDevices.scan();
            if (scan.platforms().isEmpty()) {
                return ProbeResult.unavailable(NO_PLATFORM);
            }
            List<DeviceInfo> devices = new ArrayList<>();
            List<String> skipped = new ArrayList<>();
            String poclCacheProblem = null;
            for (String problem : scan.problems()) {
                // POCL hides its device (CL_DEVICE_NOT_FOUND) when it cannot write its kernel cache.
                if (problem.startsWith(POCL + ":")) {
                    poclCacheProblem = checkPoclCache();
                    if (!poclCacheProblem.isEmpty()) {
                        problem = POCL + ": " + poclCacheProblem;
                    }
                }
                skipped.add(problem);
            }
            for (ClDevices.Found f : scan.devices()) {
                if (f.platformName().equals(POCL)) {
                    if (poclCacheProblem == null) {
                        poclCacheProblem = checkPoclCache();
                    }
                    if (!poclCacheProblem.isEmpty()) {
                        skipped.add(f.info().name() + ": " + poclCacheProblem);
                        continue;
                    }
                }
                devices.add(f.info());
            }
            if (devices.isEmpty()) {
                return ProbeResult.unavailable(skipped.isEmpty()
                        ? "no OpenCL device on platform(s) " + String.join(", ", scan.platforms())
                        : "no usable OpenCL device: " + String.join("; ", skipped));
            }
            Map<String, String> details = new LinkedHashMap<>();
            details.put("platforms", String.join(", ", scan.platforms()));
            if (scan.platforms().stream().anyMatch(n -> n.startsWith(POCL)) && !signalChainingPreloaded()) {
                details.put("jvm signal handlers", POCL_SIGNALS);
                LOG.log(System.Logger.Level.WARNING, POCL_SIGNALS);
            }
            details.put("gemm", gemmDescription());
            details.put("natives", JoclNatives.extractionNote());
            if (!skipped.isEmpty()) {
                details.put("skipped", String.join("; ", skipped));
            }
            return ProbeResult.available(devices, details);
        } catch (Throwable t) {
            return ProbeResult.unavailable("OpenCL enumeration failed: " + t);
        }
    }

    /** What GEMM will run on: CLBlast, or the portable kernel and why. */
    static String gemmDescription() {
        String want = System.getProperty("kiln.opencl.gemm", "auto").trim().toLowerCase(Locale.ROOT);
        if (want.equals("portable")) {
            return "portable kernel (kiln.opencl.gemm=portable)";
        }
        String err = ClBlastGemm.load();
        return err == null ? ClBlastGemm.version() : "portable kernel (CLBlast unavailable: " + err + ")";
    }

    /**
     * POCL compiles kernels into POCL_CACHE_DIR (else $XDG_CACHE_HOME/pocl, else ~/.cache/pocl) and
     * fails every build when it cannot write there. Returns "" when writable, else the reason.
     */
    static String checkPoclCache() {
        String env = System.getenv("POCL_CACHE_DIR");
        Path dir;
        String what;
        if (env != null && !env.isBlank()) {
            dir = Path.of(env);
            what = "POCL_CACHE_DIR " + env;
        } else {
            String xdg = System.getenv("XDG_CACHE_HOME");
            Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
            dir = base.resolve("pocl");
            what = "POCL's kernel cache " + dir;
        }
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".kiln-probe", ".tmp");
            Files.delete(probe);
            return "";
        } catch (IOException | RuntimeException e) {
            return what + " is not writable (" + e.getClass().getSimpleName()
                    + "); set POCL_CACHE_DIR to a writable folder";
        }
    }
}
