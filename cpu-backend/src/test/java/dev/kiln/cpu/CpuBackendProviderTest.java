package dev.kiln.cpu;

import dev.kiln.core.Backend;
import dev.kiln.core.Backends;
import dev.kiln.core.Tensor;
import dev.kiln.core.spi.BackendProvider;
import dev.kiln.core.spi.DeviceType;
import dev.kiln.core.spi.ProbeResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The provider's probe, its ServiceLoader registration, and the plain-loop fallback. */
class CpuBackendProviderTest {

    @Test
    void probeShowsOneCpuDeviceWithSimdOn() {
        ProbeResult r = new CpuBackendProvider().probe();
        assertTrue(r.isAvailable());
        assertEquals(1, r.devices().size());
        var d = r.devices().get(0);
        assertEquals("cpu", d.backend());
        assertEquals(0, d.index());
        assertEquals(DeviceType.CPU, d.type());
        assertTrue(d.memoryBytes() > 0);
        assertFalse(d.name().isBlank());
        assertEquals(Integer.toString(Runtime.getRuntime().availableProcessors()), r.details().get("threads"));
        // surefire starts the JVM with --add-modules jdk.incubator.vector
        assertTrue(r.details().get("simd").startsWith("on (jdk.incubator.vector, "), r.details().get("simd"));
        assertEquals(100, new CpuBackendProvider().priority(d));
    }

    @Test
    void registeredForServiceLoader() {
        boolean found = false;
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            found |= p instanceof CpuBackendProvider;
        }
        assertTrue(found);
    }

    @Test
    void worksThroughTheFrontDoor() {
        try (Backend b = Backends.open("cpu");
             Tensor a = b.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
             Tensor c = b.fromArray(new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
             Tensor p = b.matmul(a, c)) {
            assertArrayEquals(new float[] {4, 5, 10, 11}, p.toFloatArray());
        }
    }

    @Test
    void simdCanBeSwitchedOffByProperty() {
        String old = System.getProperty("kiln.cpu.simd");
        System.setProperty("kiln.cpu.simd", "false");
        try {
            CpuBackendProvider provider = new CpuBackendProvider();
            ProbeResult r = provider.probe();
            assertTrue(r.details().get("simd").startsWith("off"), r.details().get("simd"));
            try (CpuEngine e = (CpuEngine) provider.open(r.devices().get(0))) {
                assertFalse(e.simd());
                assertTrue(e.gemmKernel().startsWith("scalar"), e.gemmKernel());
                GemmTest.check(e, true, false, 70, 50, 300, 1f, 0f, 42);
            }
        } finally {
            if (old == null) {
                System.clearProperty("kiln.cpu.simd");
            } else {
                System.setProperty("kiln.cpu.simd", old);
            }
        }
    }

    /** Runs a main class of this package in a child JVM with the test class path; returns its output. */
    static String runChild(List<String> jvmArgs, Class<?> main) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
        assertEquals(0, proc.exitValue(), out);
        return out;
    }

    /** A JVM without --add-modules jdk.incubator.vector: the backend must load and compute with plain loops. */
    @Test
    void worksOnAJvmWithoutTheVectorModule() throws Exception {
        String out = runChild(List.of(), NoVectorMain.class);
        assertTrue(out.contains("simd=off (start the JVM with --add-modules jdk.incubator.vector)"), out);
        assertTrue(out.contains("result=[4.0, 5.0, 10.0, 11.0]"), out);
    }

    /**
     * The AVX2 (256-bit) tiles of both heights, forced on any machine and JDK by properties: 6 rows
     * (JDK 17) and 4 (later JDKs, whose C2 spills the 6-row tile).
     */
    @ParameterizedTest
    @ValueSource(ints = {6, 4})
    void avx2VectorTilesMatchThePlainKernel(int rows) throws Exception {
        String out = runChild(List.of("--add-modules", "jdk.incubator.vector", "-Dkiln.cpu.simd.bits=256",
                "-D" + Simd.ROWS_PROPERTY + "=" + rows), NarrowVectorMain.class);
        assertTrue(out.contains("kernel=vector " + rows + "x16 (256-bit)"), out);
        assertTrue(out.contains("all equal"), out);
    }

    /** A tile height other than 6 or 4 is reported and this JVM's default is used. */
    @Test
    void anUnknownTileHeightIsReportedAndIgnored() throws Exception {
        String out = runChild(List.of("--add-modules", "jdk.incubator.vector", "-Dkiln.cpu.simd.bits=256",
                "-D" + Simd.ROWS_PROPERTY + "=5", "-Dkiln.test.shapes=small"), NarrowVectorMain.class);
        int rows = Simd.avx2TileRows(null, Runtime.version().feature());
        assertTrue(out.contains("-D" + Simd.ROWS_PROPERTY + "=5 ignored (the AVX2 tile has 6 or 4 rows); using " + rows),
                out);
        assertTrue(out.contains("kernel=vector " + rows + "x16 (256-bit)"), out);
        assertTrue(out.contains("all equal"), out);
    }

    /** The AVX2 tile height: 6 rows on JDK 17, 4 on later JDKs, and the property overrides either. */
    @Test
    void avx2TileHeightFollowsTheJdkUnlessSet() {
        assertEquals(6, Simd.avx2TileRows(null, 17));
        assertEquals(4, Simd.avx2TileRows(null, 21));
        assertEquals(4, Simd.avx2TileRows(null, 25));
        assertEquals(4, Simd.avx2TileRows("4", 17));
        assertEquals(6, Simd.avx2TileRows(" 6 ", 25));
        assertEquals(6, Simd.avx2TileRows("12", 17));
        assertEquals(4, Simd.avx2TileRows("", 25));
        assertEquals(4, Simd.avx2TileRows("six", 25));
    }
}
