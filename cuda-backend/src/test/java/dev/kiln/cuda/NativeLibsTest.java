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

/** JCuda's natives go to a folder only this user can read, never to a fixed name in the shared tmpdir. */
class NativeLibsTest {

    @Test
    void extractsToAPrivateFolder() throws Exception {
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
        for (NativeLibs.Lib lib : NativeLibs.Lib.values()) {
            assertTrue(NativeLibs.class.getResource("/lib/" + lib.fileName()) != null, lib.fileName());
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
