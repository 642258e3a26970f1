package dev.kiln.cli;

import dev.kiln.core.Backend;
import dev.kiln.core.Backends;
import dev.kiln.core.KilnException;
import dev.kiln.nn.data.MnistData;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** What train and evaluate share: opening data and backends, checking and writing output files. */
final class CliSupport {
    private CliSupport() {
    }

    /** The bundled subset, or the four IDX files in {@code dir}; any problem is one line. */
    static MnistData loadData(Path dir) {
        try {
            return dir == null ? MnistData.bundled() : MnistData.load(dir);
        } catch (NoSuchFileException e) {
            throw new UsageException("--data: no such file: " + e.getMessage());
        } catch (IOException e) {
            throw new UsageException("--data: " + message(e));
        }
    }

    static Backend openBackend(String spec) {
        try {
            return Backends.open(spec == null ? Backends.requestedSpec() : spec);
        } catch (KilnException | IllegalArgumentException e) {
            throw new UsageException("--backend " + (spec == null ? Backends.requestedSpec() : spec) + ": "
                    + e.getMessage());
        }
    }

    /** Fails now, before any work, when {@code file} could not be written later. */
    static void checkWritable(String flag, Path file) {
        if (file == null) {
            return;
        }
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UsageException(flag + " " + file + ": the directory " + dir + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new UsageException(flag + " " + file + ": the directory " + dir + " is not writable");
        }
        if (Files.isDirectory(abs)) {
            throw new UsageException(flag + " " + file + ": is a directory");
        }
        if (Files.exists(abs) && !Files.isWritable(abs)) {
            throw new UsageException(flag + " " + file + ": exists and is not writable");
        }
    }

    /** Fails now when {@code file} cannot be read. */
    static void checkReadable(String flag, Path file) {
        if (file == null) {
            return;
        }
        if (!Files.exists(file)) {
            throw new UsageException(flag + " " + file + ": no such file");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new UsageException(flag + " " + file + ": not a readable file");
        }
    }

    /** Writes text through a temporary file and a rename, so readers never see half a file. */
    static void writeAtomically(Path file, String text) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** An exception's message, or its type when it has none. */
    static String message(Exception e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
