package dev.kiln.opencl;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Loads JOCL's and CLBlast's native libraries from a private folder.
 *
 * <p>Why: JOCL's {@code org.jocl.LibUtils} first tries {@code System.loadLibrary} (so a library on
 * {@code java.library.path} wins), and otherwise copies the library out of its jar to a FIXED name
 * under {@code java.io.tmpdir} ({@code /tmp/libJOCL_2_0_6-linux-x86_64.so},
 * {@code /tmp/JOCLBlast_1_5_2-linux-x86_64_dependents/linux/x86_64/libclblast.so}), and if that
 * file already exists it loads it without rewriting it. In a shared {@code /tmp} that lets any
 * other user plant the library we load, and two versions of Kiln would clobber each other.
 * {@code java.io.tmpdir} is the only knob LibUtils reads (it reads it on every load), so while
 * the native classes initialise we point it at a fresh owner-only folder from
 * {@link Files#createTempDirectory}, restore it at once, and delete the folder once the
 * libraries are mapped (Linux and macOS allow that). {@code -Dkiln.native.dir=PATH} chooses the
 * folder instead; it is then kept.
 *
 * <p>The swap is process-wide for a few milliseconds; it is done under this class's lock and
 * only on the first touch of each native class.
 */
final class JoclNatives {
    private static final System.Logger LOG = System.getLogger(JoclNatives.class.getName());
    private static boolean clTried;
    private static Throwable clFailure;
    private static boolean blastTried;
    private static Throwable blastFailure;

    private JoclNatives() {
    }

    /**
     * Initialises {@code org.jocl.CL}: loads libJOCL and, through it, the system's libOpenCL.so.1.
     * Returns null on success, else the failure, the same one on every later call (a class whose
     * initialiser failed cannot be retried; it would only give a vaguer NoClassDefFoundError).
     */
    static synchronized Throwable loadOpenCl() {
        if (!clTried) {
            clTried = true;
            clFailure = initialise("org.jocl.CL");
        }
        return clFailure;
    }

    /** Initialises {@code org.jocl.blast.CLBlast} (the bundled libclblast and its JNI glue); null or the failure. */
    static synchronized Throwable loadClBlast() {
        if (!blastTried) {
            blastTried = true;
            blastFailure = initialise("org.jocl.blast.CLBlast");
        }
        return blastFailure;
    }

    /** Where the natives were put, for {@code kiln info}. */
    static String extractionNote() {
        String chosen = System.getProperty("kiln.native.dir");
        return chosen != null && !chosen.isBlank() ? "extracted to " + chosen + " (kiln.native.dir)"
                : "extracted to a private temporary folder, deleted once loaded";
    }

    private static Throwable initialise(String className) {
        try {
            initialiseInPrivateTmpdir(className);
            return null;
        } catch (Throwable t) {  // LinkageError above all; nothing here may escape a probe
            return t;
        }
    }

    private static void initialiseInPrivateTmpdir(String className) throws ClassNotFoundException {
        String chosen = System.getProperty("kiln.native.dir");
        Path dir;
        try {
            if (chosen != null && !chosen.isBlank()) {
                dir = Files.createDirectories(Path.of(chosen));
            } else {
                dir = Files.createTempDirectory("kiln-natives-");  // rwx------ on POSIX file systems
            }
        } catch (IOException e) {
            throw new UnsatisfiedLinkError("cannot create a private folder for native libraries: " + e.getMessage());
        }
        String saved = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", dir.toString());
        try {
            Class.forName(className, true, JoclNatives.class.getClassLoader());
        } finally {
            System.setProperty("java.io.tmpdir", saved);
            if (chosen == null || chosen.isBlank()) {
                deleteTree(dir);
            }
        }
        LOG.log(Level.DEBUG, () -> "initialised " + className + " with natives extracted under " + dir);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                if (!p.toFile().delete()) {
                    p.toFile().deleteOnExit();  // Windows keeps loaded DLLs locked: remove at exit instead
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, () -> "could not delete " + dir + ": " + e);
        }
    }
}
