package dev.kiln.opencl;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * POCL's LLVM replaces the JVM's SIGSEGV handler when the OpenCL driver loads, and a JVM without
 * the JDK's signal-chaining library then dies at a later safepoint (docs/backends.md). The build
 * preloads libjsig into test JVMs where the JDK has it; this pins that, and the probe's check.
 */
class SignalChainingTest {
    @Test
    void testJvmsRunWithTheSignalChainingLibraryWhereTheJdkHasIt() {
        Path jsig = Path.of(System.getProperty("java.home"), "lib", "libjsig.so");
        String preload = System.getenv("LD_PRELOAD");
        if (Files.isRegularFile(jsig)) {
            assertTrue(preload != null && preload.contains(jsig.toString()),
                    "the parent POM's jvm-signal-chaining profile should preload " + jsig + ", LD_PRELOAD=" + preload);
        }
        assertEquals(preload != null && preload.contains("libjsig"), OpenClBackendProvider.signalChainingPreloaded());
    }
}
