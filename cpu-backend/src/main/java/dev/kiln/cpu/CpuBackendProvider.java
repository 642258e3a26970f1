package dev.kiln.cpu;

import dev.kiln.core.spi.BackendProvider;
import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.DeviceType;
import dev.kiln.core.spi.ProbeResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pure-Java backend's provider: always available, one device (the host CPU).
 *
 * <p>{@code -Dkiln.cpu.threads=N} sets the worker thread count (default: the available
 * processors); {@code -Dkiln.cpu.simd=false} forces the plain-loop GEMM. ({@code -Dkiln.cpu.shortKernel},
 * an opt-in 8-row kernel of earlier versions, is gone: the 12-row kernel's 4-row remainder tiles
 * do its job, faster; setting it logs a warning.)
 */
public final class CpuBackendProvider implements BackendProvider {
    private static final System.Logger LOG = System.getLogger("dev.kiln.cpu");

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public ProbeResult probe() {
        try {
            int threads = configuredThreads();
            String simd = Simd.describe();
            Map<String, String> props = new LinkedHashMap<>();
            props.put("threads", Integer.toString(threads));
            props.put("simd", simd);
            props.put("gemm kernel", Gemm.describe(Simd.gemmKernel(Simd.enabledByDefault()),
                    Simd.narrowGemmKernel(Simd.enabledByDefault())));
            DeviceInfo device = new DeviceInfo(name(), 0, cpuModel(), DeviceType.CPU, Runtime.getRuntime().maxMemory(),
                    props);
            Map<String, String> details = new LinkedHashMap<>();
            details.put("threads", Integer.toString(threads));
            details.put("simd", simd);
            return ProbeResult.available(List.of(device), details);
        } catch (RuntimeException | LinkageError e) {
            return ProbeResult.unavailable("cpu backend probe failed: " + e);
        }
    }

    @Override
    public int priority(DeviceInfo device) {
        return 100;
    }

    @Override
    public ComputeEngine open(DeviceInfo device) {
        if (System.getProperty("kiln.cpu.shortKernel") != null) {
            LOG.log(System.Logger.Level.WARNING, "ignoring -Dkiln.cpu.shortKernel: the 8-row kernel is gone; the"
                    + " 12-row kernel's 4-row remainder tiles compute short operands without padding");
        }
        CpuEngine engine = new CpuEngine(device, configuredThreads(), Simd.enabledByDefault());
        LOG.log(System.Logger.Level.DEBUG, () -> "cpu engine opened: " + engine.threads() + " threads, GEMM "
                + engine.gemmKernel());
        return engine;
    }

    /** {@code -Dkiln.cpu.threads} if it is a positive integer, else the available processors. */
    static int configuredThreads() {
        String s = System.getProperty("kiln.cpu.threads");
        if (s != null && !s.isBlank()) {
            try {
                int n = Integer.parseInt(s.trim());
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // fall through to the default, and say so
            }
            LOG.log(System.Logger.Level.WARNING, "ignoring -Dkiln.cpu.threads=" + s + ": not a positive integer");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** The CPU's model name from /proc/cpuinfo where there is one, else the architecture. */
    static String cpuModel() {
        try {
            Path info = Path.of("/proc/cpuinfo");
            if (Files.isReadable(info)) {
                for (String line : Files.readAllLines(info, StandardCharsets.UTF_8)) {
                    if (line.startsWith("model name")) {
                        int colon = line.indexOf(':');
                        if (colon >= 0 && !line.substring(colon + 1).isBlank()) {
                            return line.substring(colon + 1).trim();
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: the architecture will do
        }
        return System.getProperty("os.arch", "unknown");
    }
}
