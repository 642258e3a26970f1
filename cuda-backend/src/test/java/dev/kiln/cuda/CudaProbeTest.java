package dev.kiln.cuda;

import dev.kiln.core.BackendUnavailableException;
import dev.kiln.core.spi.BackendProvider;
import dev.kiln.core.spi.ProbeResult;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** The probe on this host: never throws, caches, and on a host without a driver says libcuda.so.1 is missing. */
class CudaProbeTest {

    /** Whether the dynamic linker could find libcuda.so.1 in the usual places. */
    static boolean libcudaPresent() {
        List<String> dirs = List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu",
                "/usr/local/nvidia/lib64", "/usr/lib/wsl/lib");
        if (dirs.stream().anyMatch(d -> Files.exists(Path.of(d, "libcuda.so.1")))) {
            return true;
        }
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) {
                if (!d.isBlank() && Files.exists(Path.of(d, "libcuda.so.1"))) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void isFoundByServiceLoaderUnderItsName() {
        boolean found = false;
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            found |= p instanceof CudaBackendProvider && p.name().equals("cuda");
        }
        assertTrue(found, "META-INF/services must register CudaBackendProvider");
    }

    @Test
    void probeNeverThrowsAndIsCached() {
        CudaBackendProvider p = new CudaBackendProvider();
        ProbeResult first = assertDoesNotThrow(p::probe);
        assertSame(first, new CudaBackendProvider().probe(), "the probe runs once per JVM");
        if (!first.isAvailable()) {
            assertFalse(first.reason().isBlank());
            assertFalse(first.reason().contains("\n"), "one line: " + first.reason());
        }
    }

    @Test
    void withoutDriverTheReasonNamesLibcuda() {
        assumeFalse(libcudaPresent(), "this host has libcuda.so.1");
        ProbeResult r = new CudaBackendProvider().probe();
        assertFalse(r.isAvailable());
        assertTrue(r.reason().contains("libcuda.so.1"), r.reason());
        assertTrue(r.reason().startsWith("libcuda.so.1 not found"), r.reason());
        // The kernels line is there even when the driver is missing, for kiln info.
        assertTrue(r.details().containsKey("kernels"), r.details().toString());
        System.getLogger("dev.kiln.cuda").log(System.Logger.Level.INFO, "cuda probe on this host: " + r.reason());
    }

    @Test
    void openingAnUnavailableBackendFailsWithTheProbeReason() {
        CudaBackendProvider p = new CudaBackendProvider();
        ProbeResult r = p.probe();
        assumeFalse(r.isAvailable(), "CUDA is available here");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> p.open(
                new dev.kiln.core.spi.DeviceInfo("cuda", 0, "none", dev.kiln.core.spi.DeviceType.GPU, 0, null)));
        assertEquals(r.reason(), e.reason());
    }

    @Test
    void priorityPutsGpusFirst() {
        var gpu = new dev.kiln.core.spi.DeviceInfo("cuda", 0, "x", dev.kiln.core.spi.DeviceType.GPU, 0, null);
        assertEquals(300, new CudaBackendProvider().priority(gpu));
    }

    @Test
    void probeLeavesTheTempDirPropertyAsItWas() {
        String before = System.getProperty("java.io.tmpdir");
        new CudaBackendProvider().probe();
        assertEquals(before, System.getProperty("java.io.tmpdir"));
    }
}
