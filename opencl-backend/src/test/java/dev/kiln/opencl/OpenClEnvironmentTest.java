package dev.kiln.opencl;

import dev.kiln.core.KilnException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The probe and the engine where the environment is wrong: no driver, an unwritable POCL cache,
 * a kernel that does not compile; and where the native libraries go. The environment cases run
 * the probe in a child JVM, because JOCL's natives, once loaded, stay loaded.
 */
class OpenClEnvironmentTest {

    @Test
    void withoutAnyDriverTheProbeGivesAOneLineReason(@TempDir Path tmp) throws Exception {
        OpenClTestSupport.deviceOrSkip();  // needs libOpenCL (ocl-icd) to be installed at all
        Path emptyVendors = Files.createDirectories(tmp.resolve("vendors"));
        String out = runChild(Map.of("OCL_ICD_VENDORS", emptyVendors.toString()), List.of());
        assertEquals("UNAVAILABLE " + OpenClBackendProvider.NO_PLATFORM + " | clblast-error=-", out);
    }

    @Test
    void withoutLibOpenClTheProbeSaysWhatToInstall() throws Exception {
        OpenClTestSupport.deviceOrSkip();
        // Hide the ICD loader from one child JVM only: a private mount namespace (unshare -m, whose
        // default propagation is private) with /dev/null bound over libOpenCL.so.1. Needs root.
        Path lib = Path.of("/usr/lib/x86_64-linux-gnu/libOpenCL.so.1");
        Path unshare = Path.of("/usr/bin/unshare");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(lib) && Files.isExecutable(unshare),
                "needs " + lib + " and " + unshare);
        String real = lib.toRealPath().toString();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String script = "mount --bind /dev/null '" + real + "' || exit 42; exec '" + java + "' -cp \"$KILN_CP\" "
                + ProbeChild.class.getName();
        ProcessBuilder pb = new ProcessBuilder(unshare.toString(), "-m", "sh", "-c", script).redirectErrorStream(true);
        pb.environment().put("KILN_CP", System.getProperty("java.class.path"));
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        org.junit.jupiter.api.Assumptions.assumeTrue(p.exitValue() != 42 && !text.contains("unshare failed"),
                "cannot make a private mount namespace here: " + text);
        assertEquals(0, p.exitValue(), text);
        String last = text.lines().filter(l -> l.contains("| clblast-error=")).findFirst().orElse(text);
        assertEquals("UNAVAILABLE " + OpenClBackendProvider.NO_LIBOPENCL + " | clblast-error=-", last);
    }

    @Test
    void anUnwritablePoclCacheIsAReasonNotACrash(@TempDir Path tmp) throws Exception {
        OpenClTestSupport.deviceOrSkip();
        Assumptions.assumePocl();
        Path file = Files.writeString(tmp.resolve("not-a-folder"), "x");
        String out = runChild(Map.of("POCL_CACHE_DIR", file.resolve("cache").toString()), List.of());
        assertTrue(out.startsWith("UNAVAILABLE "), out);
        assertTrue(out.contains("POCL_CACHE_DIR " + file.resolve("cache") + " is not writable"), out);
    }

    @Test
    void nativeLibrariesAreNotLeftInTheSharedTempFolder(@TempDir Path tmp) throws Exception {
        OpenClTestSupport.deviceOrSkip();
        Path fakeTmp = Files.createDirectories(tmp.resolve("tmp"));
        String out = runChild(Map.of(), List.of("-Djava.io.tmpdir=" + fakeTmp));
        assertTrue(out.startsWith("AVAILABLE "), out);
        assertTrue(out.endsWith("clblast-error=null"), "CLBlast loaded: " + out);
        // JOCL would have written libJOCL_*.so and JOCLBlast_*_dependents/ here; the private folder is gone too.
        try (Stream<Path> left = Files.list(fakeTmp)) {
            assertEquals(List.of(), left.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void aChosenNativeFolderReceivesTheLibraries(@TempDir Path tmp) throws Exception {
        OpenClTestSupport.deviceOrSkip();
        Path dir = tmp.resolve("natives");
        String out = runChild(Map.of(), List.of("-Dkiln.native.dir=" + dir));
        assertTrue(out.startsWith("AVAILABLE "), out);
        try (Stream<Path> s = Files.walk(dir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.stream().anyMatch(n -> n.startsWith("libJOCL_2_0_6")), names.toString());
            assertTrue(names.contains("libclblast.so") || names.contains("libclblast.dylib")
                    || names.contains("clblast.dll"), names.toString());
        }
    }

    @Test
    void aKernelThatDoesNotCompileRaisesTheBuildLog() {
        var device = OpenClTestSupport.deviceOrSkip();
        KilnException e = assertThrows(KilnException.class, () -> OpenClTestSupport.PROVIDER.open(device,
                new OpenClEngine.Options(OpenClEngine.GemmPath.PORTABLE,
                        src -> src + "\nKERNEL void broken(GLOBAL float* x) { x[0] = undeclared_thing; }\n")));
        assertEquals("build", e.op());
        assertEquals("CL_BUILD_PROGRAM_FAILURE", e.nativeError());
        assertTrue(e.getMessage().contains("Build log:"), e.getMessage());
        assertTrue(e.getMessage().contains("undeclared_thing"), e.getMessage());
    }

    /** Small holder so the POCL-only check reads as an assumption. */
    static final class Assumptions {
        static void assumePocl() {
            boolean pocl = OpenClTestSupport.PROVIDER.probe().devices().stream()
                    .anyMatch(d -> "Portable Computing Language".equals(d.properties().get("platform")));
            org.junit.jupiter.api.Assumptions.assumeTrue(pocl, "the device is not POCL");
        }
    }

    private static String runChild(Map<String, String> env, List<String> jvmArgs) throws IOException,
            InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ProbeChild.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] all = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child finished");
        String text = new String(all, StandardCharsets.UTF_8).strip();
        assertEquals(0, p.exitValue(), "child exit code; output:\n" + text);
        String[] lines = text.split("\\R");
        return lines[lines.length - 1];
    }
}
