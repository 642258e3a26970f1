package dev.kiln.cuda;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumMap;
import java.util.Map;

/**
 * Loads JCuda's JNI libraries from a private folder instead of JCuda's default, a fixed file name
 * in the shared {@code java.io.tmpdir}.
 *
 * <p>Why: JCuda's {@code LibUtils} extracts {@code libJCudaDriver-12.6.0-linux-x86_64.so} to
 * {@code $java.io.tmpdir/<that name>} and, if a file of that name already exists, loads it
 * without checking it: another user of {@code /tmp} could plant one, and two JCuda versions
 * would clash. Where the library comes from, in order:
 * <ol>
 *   <li>{@code -Dkiln.cuda.natives=DIR}, a folder holding the pre-extracted libraries (the GPU
 *       bundle does this);
 *   <li>{@code -Djava.library.path}, when the library is found there;
 *   <li>else the JAR's copy, written to a new {@code Files.createTempDirectory} folder readable
 *       only by this user and deleted at exit.
 * </ol>
 * The library is {@link System#load}ed from there. JCuda's own loader then runs when its class
 * initialises: it first tries {@code System.loadLibrary} (found on {@code java.library.path} in
 * case 2) and otherwise looks for the file in {@code java.io.tmpdir}; for that one moment the
 * property points at our folder, where the file already exists, so JCuda loads the same,
 * already-loaded file and writes nothing to the shared folder.
 */
final class NativeLibs {
    private static final System.Logger LOG = System.getLogger("dev.kiln.cuda");

    /** The JCuda release whose natives are on the class path. */
    static final String JCUDA_VERSION = "12.6.0";
    /** The CUDA major version JCuda's natives link against (libcublas.so.12, libnvrtc.so.12). */
    static final int CUDA_MAJOR = 12;

    /** One JCuda JNI library. */
    enum Lib {
        DRIVER("JCudaDriver"), NVRTC("JNvrtc"), CUBLAS2("JCublas2");

        private final String base;

        Lib(String base) {
            this.base = base;
        }

        /** The name JCuda passes to {@code System.loadLibrary}, like {@code JCudaDriver-12.6.0-linux-x86_64}. */
        String libraryName() {
            return base + "-" + JCUDA_VERSION + "-linux-x86_64";
        }

        /** The file name, like {@code libJCudaDriver-12.6.0-linux-x86_64.so}. */
        String fileName() {
            return System.mapLibraryName(libraryName());
        }
    }

    private static final Map<Lib, Path> LOADED = new EnumMap<>(Lib.class);
    private static Path privateDir;

    private NativeLibs() {
    }

    /**
     * Loads {@code lib} (once), then runs {@code initJCuda}, which must be the first touch of the
     * JCuda class that loads it (so that JCuda's loader finds the file we loaded).
     *
     * @throws UnsatisfiedLinkError when the library or one it needs (libcuda.so.1, ...) cannot be loaded
     * @throws IOException          when the library cannot be extracted
     */
    static synchronized Path load(Lib lib, Runnable initJCuda) throws IOException {
        Path done = LOADED.get(lib);
        if (done != null) {
            return done;
        }
        Path file = locate(lib);
        System.load(file.toString());
        String saved = System.getProperty("java.io.tmpdir");
        try {
            // JCuda's LibUtils reads java.io.tmpdir at each load; see the class comment.
            System.setProperty("java.io.tmpdir", file.getParent().toString());
            initJCuda.run();
        } finally {
            System.setProperty("java.io.tmpdir", saved);
        }
        LOADED.put(lib, file);
        LOG.log(Level.DEBUG, () -> "loaded " + file);
        return file;
    }

    /** Where {@code lib} will be loaded from, extracting it if needed. */
    static synchronized Path locate(Lib lib) throws IOException {
        String dir = System.getProperty("kiln.cuda.natives");
        if (dir != null && !dir.isBlank()) {
            Path p = Path.of(dir).toAbsolutePath().resolve(lib.fileName());
            if (!Files.isRegularFile(p)) {
                throw new UnsatisfiedLinkError(p + ": " + lib.fileName()
                        + ": cannot open shared object file: not in -Dkiln.cuda.natives=" + dir);
            }
            return p;
        }
        String libPath = System.getProperty("java.library.path", "");
        for (String entry : libPath.split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                Path p = Path.of(entry).toAbsolutePath().resolve(lib.fileName());
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
        }
        return extract(lib);
    }

    /** Copies the JAR's {@code /lib/<file>} into this JVM's private folder. */
    static synchronized Path extract(Lib lib) throws IOException {
        String resource = "/lib/" + lib.fileName();
        Path dir = privateDir();
        Path target = dir.resolve(lib.fileName());
        if (Files.isRegularFile(target)) {
            return target;
        }
        try (InputStream in = NativeLibs.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new UnsatisfiedLinkError(lib.fileName() + ": cannot open shared object file: the JAR "
                        + (lib == Lib.CUBLAS2 ? "org.jcuda:jcublas-natives" : "org.jcuda:jcuda-natives") + ":"
                        + JCUDA_VERSION + ":linux-x86_64 is not on the class path");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        target.toFile().deleteOnExit();
        return target;
    }

    /** A folder only this user can read, made once per JVM and deleted at exit (after its files). */
    static synchronized Path privateDir() throws IOException {
        if (privateDir == null) {
            Path d;
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                d = Files.createTempDirectory("kiln-jcuda-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } else {
                d = Files.createTempDirectory("kiln-jcuda-");
            }
            // deleteOnExit runs in reverse order of registration: files (registered later) go first.
            d.toFile().deleteOnExit();
            privateDir = d;
        }
        return privateDir;
    }
}
