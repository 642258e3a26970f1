package dev.kiln.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Flags out of range and paths that cannot be read or written are one-line errors naming the flag
 * and the problem, reported before any work, and leave no file behind (not even a partial one).
 */
class BadPathsAndRangesTest {
    @TempDir
    Path dir;

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p) + (Files.isDirectory(p) ? "/" : " " + size(p))).sorted()
                    .collect(Collectors.toList());
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    @Test
    void outOfRangeNumbersAreOneLineErrors() throws IOException {
        Path save = dir.resolve("m.safetensors");
        Path metrics = dir.resolve("m.json");
        List<String> before = listing();
        String[][] cases = {
            {"--lr", "-0.5", "--lr must be a finite number > 0"},
            {"--lr", "Infinity", "--lr"},
            {"--lr", "1e999", "--lr"},
            {"--batch-size", "0", "--batch-size must be at least 1"},
            {"--batch-size", "-64", "--batch-size must be at least 1"},
            {"--batch-size", "99999999999", "--batch-size"},
            {"--epochs", "-3", "--epochs must be at least 1"},
            {"--optimizer", "ADAMX", "--optimizer must be one of sgd|adam|adamw|rmsprop|adagrad"},
            {"--activation", "swish", "--activation must be one of"},
            {"--weight-decay", "-1", "--weight-decay"},
            {"--hidden", "0", "--hidden"},
            {"--hidden", "128,-4", "--hidden"},
            {"--step-size", "0", "--step-size must be at least 1"},
            {"--seed", "forty-two", "--seed"},
        };
        for (String[] c : cases) {
            CliRun.of("train", c[0], c[1], "--save", save.toString(), "--metrics-json", metrics.toString())
                    .failsWith(c[2]);
        }
        assertEquals(before, listing(), "failed runs leave no file behind");
    }

    @Test
    void unreadableAndUnwritablePathsAreOneLineErrors() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Path file = Files.writeString(dir.resolve("plain.txt"), "not a directory");
        List<String> before = listing();
        CliRun.of("train", "--save", sub.toString()).failsWith("--save " + sub + ": is a directory");
        CliRun.of("train", "--save", file.resolve("x.safetensors").toString()).failsWith("does not exist");
        CliRun.of("train", "--metrics-json", sub.toString()).failsWith("--metrics-json " + sub + ": is a directory");
        CliRun.of("train", "--metrics-json", dir.resolve("no/dir/m.json").toString()).failsWith("does not exist");
        CliRun.of("train", "--init", sub.toString()).failsWith("--init " + sub + ": not a readable file");
        CliRun.of("train", "--resume", dir.resolve("absent.safetensors").toString()).failsWith("no such file");
        CliRun.of("train", "--data", file.toString()).failsWith("not a directory");
        CliRun.of("evaluate", "--model", sub.toString()).failsWith(sub.toString());
        // Empty data directory: the missing IDX file is named.
        CliRun.of("train", "--backend", "cpu", "--data", sub.toString(), "--save", dir.resolve("x.safetensors").toString())
                .failsWith("train-images-idx3-ubyte");
        assertEquals(before, listing(), "failed runs leave no file behind");
    }

    @Test
    void unreadableAndUnwritableByPermissionsWhereTheyApply() throws IOException {
        // Permissions do not bind root (CI containers often run as root); where they bind, they are checked.
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Path secret = Files.writeString(dir.resolve("secret.safetensors"), "x");
        boolean applied = ro.toFile().setWritable(false, false) && secret.toFile().setReadable(false, false);
        try {
            if (applied && !Files.isWritable(ro)) {
                CliRun.of("train", "--save", ro.resolve("m.safetensors").toString()).failsWith("is not writable");
            }
            if (applied && !Files.isReadable(secret)) {
                CliRun.of("train", "--init", secret.toString()).failsWith("not a readable file");
            }
        } finally {
            ro.toFile().setWritable(true, false);
            secret.toFile().setReadable(true, false);
        }
        try (Stream<Path> s = Files.list(ro)) {
            assertEquals(0, s.count(), "nothing was written");
        }
    }
}
