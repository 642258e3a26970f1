package dev.kiln.cuda;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** JCuda's natives go to a folder only this user can read, never to a fixed name in the shared tmpdir. */
class NativeLibsTest {

    /** The GPU bundle ships the natives pre-extracted (-Dkiln.cuda.natives) instead of the natives jars. */
    static boolean nativesJarsOnClassPath() {
        return NativeLibs.class.getResource("/lib/" + NativeLibs.Lib.DRIVER.fileName()) != null;
    }

    @Test
    void extractsToAPrivateFolder() throws Exception {
        assumeTrue(nativesJarsOnClassPath(), "natives are pre-extracted here: -Dkiln.cuda.natives="
                + System.getProperty("kiln.cuda.natives"));
        Path p = NativeLibs.extract(NativeLibs.Lib.NVRTC);
        assertTrue(Files.isRegularFile(p));
        assertTrue(Files.size(p) > 10_000, "a real library, not an empty file");
        assertEquals("libJNvrtc-12.6.0-linux-x86_64.so", p.getFileName().toString());
        Path dir = p.getParent();
        assertTrue(dir.getFileName().toString().startsWith("kiln-jcuda-"), dir.toString());
        assertNotEquals(Path.of(System.getProperty("java.io.tmpdir")).toRealPath(), dir.toRealPath());
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
        assertEquals(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_EXECUTE), perms);
        assertEquals(dir, NativeLibs.extract(NativeLibs.Lib.CUBLAS2).getParent(), "one folder per JVM");
    }

    @Test
    void everyJniLibraryIsInTheNativesJars() {
        assumeTrue(System.getProperty("kiln.cuda.natives") == null, "natives come from -Dkiln.cuda.natives");
        for (NativeLibs.Lib lib : NativeLibs.Lib.values()) {
            assertTrue(NativeLibs.class.getResource("/lib/" + lib.fileName()) != null, lib.fileName());
        }
    }

    @Test
    void preExtractedNativesFolderHoldsEveryLibrary() {
        String dir = System.getProperty("kiln.cuda.natives");
        assumeTrue(dir != null, "no -Dkiln.cuda.natives (natives come from the jars)");
        for (NativeLibs.Lib lib : NativeLibs.Lib.values()) {
            assertTrue(Files.isRegularFile(Path.of(dir, lib.fileName())), lib.fileName() + " in " + dir);
        }
    }

    @Test
    void explicitNativesFolderMustHoldTheLibrary() throws Exception {
        Path empty = Files.createTempDirectory("kiln-natives-test");
        String saved = System.getProperty("kiln.cuda.natives");
        System.setProperty("kiln.cuda.natives", empty.toString());
        try {
            UnsatisfiedLinkError e = org.junit.jupiter.api.Assertions.assertThrows(UnsatisfiedLinkError.class,
                    () -> NativeLibs.locate(NativeLibs.Lib.DRIVER));
            assertTrue(LinkErrors.reason(e).startsWith("libJCudaDriver-12.6.0-linux-x86_64.so not found"),
                    LinkErrors.reason(e));
        } finally {
            if (saved == null) {
                System.clearProperty("kiln.cuda.natives");
            } else {
                System.setProperty("kiln.cuda.natives", saved);
            }
            Files.delete(empty);
        }
    }
}
