package dev.kiln.cli;

import dev.kiln.core.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainCommandTest {
    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> epochs(Path metrics) throws IOException {
        Map<String, Object> root = (Map<String, Object>) Json.parse(Files.readString(metrics));
        return (List<Map<String, Object>>) root.get("epochs");
    }

    static double num(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }

    @Test
    @SuppressWarnings("unchecked")
    void defaultRunReachesNinetyTwoPercentAndWritesMetrics() throws IOException {
        Path metrics = dir.resolve("m.json");
        CliRun r = CliRun.of("train", "--backend", "cpu", "--metrics-json", metrics.toString()).succeeds();
        String[] lines = r.out().strip().split("\n");
        assertEquals(5, lines.length, r.out());
        assertTrue(lines[4].startsWith("epoch 5/5  lr 0.001  train loss "), lines[4]);
        assertTrue(lines[4].contains("samples/s"), lines[4]);
        Map<String, Object> root = (Map<String, Object>) Json.parse(Files.readString(metrics));
        assertEquals("cpu", root.get("backend"));
        assertTrue(root.get("device") instanceof String);
        assertEquals("784-128-64-10", root.get("model"));
        List<Map<String, Object>> e = epochs(metrics);
        assertEquals(5, e.size());
        double acc = num(e.get(4), "test_accuracy");
        assertTrue(acc >= 0.92, "test accuracy " + acc);
        assertTrue(num(e.get(4), "samples_per_second") > 0);
        assertTrue(r.err().contains("kiln train: 784-128-64-10 relu, adam lr 0.001, batch 64"), r.err());
    }

    @Test
    void sgdMomentumReachesNinetyOnePercent() throws IOException {
        Path metrics = dir.resolve("m.json");
        CliRun.of("train", "--backend", "cpu", "--optimizer", "sgd", "--lr", "0.01", "--momentum", "0.9",
                "--metrics-json", metrics.toString()).succeeds();
        double acc = num(epochs(metrics).get(4), "test_accuracy");
        assertTrue(acc >= 0.91, "test accuracy " + acc);
    }

    @Test
    void resumeReproducesTheUninterruptedRunAndEvaluateAgrees() throws IOException {
        Path full = dir.resolve("full.json");
        Path part = dir.resolve("part.json");
        Path rest = dir.resolve("rest.json");
        Path ck = dir.resolve("ck.safetensors");
        String[] common = {"train", "--backend", "cpu", "--optimizer", "rmsprop", "--lr", "0.001", "--momentum", "0.5",
                "--step-size", "2", "--gamma", "0.5", "--hidden", "32", "--seed", "3"};
        CliRun.of(concat(common, "--epochs", "5", "--metrics-json", full.toString())).succeeds();
        CliRun.of(concat(common, "--epochs", "2", "--save", ck.toString(), "--metrics-json", part.toString()))
                .succeeds();
        CliRun.of("train", "--backend", "cpu", "--resume", ck.toString(), "--epochs", "5", "--save", ck.toString(),
                "--metrics-json", rest.toString()).succeeds();
        List<Map<String, Object>> f = epochs(full);
        List<Map<String, Object>> p = epochs(part);
        List<Map<String, Object>> r = epochs(rest);
        assertEquals(2, p.size());
        assertEquals(3, r.size());
        for (String k : List.of("epoch", "lr", "train_loss", "train_accuracy", "test_loss", "test_accuracy")) {
            for (int i = 0; i < 2; i++) {
                assertEquals(num(f.get(i), k), num(p.get(i), k), 0.0, k + " epoch " + (i + 1));
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(num(f.get(i + 2), k), num(r.get(i), k), 0.0, k + " epoch " + (i + 3));
            }
        }
        // The checkpoint, now at epoch 5, evaluates to the last epoch's test figures.
        CliRun ev = CliRun.of("evaluate", "--model", ck.toString(), "--backend", "cpu").succeeds();
        String acc = String.format(java.util.Locale.ROOT, "accuracy %.4f", num(f.get(4), "test_accuracy"));
        assertTrue(ev.out().contains(acc), acc + " in " + ev.out());
        assertTrue(ev.out().contains("confusion matrix"), ev.out());
        String[] lines = ev.out().strip().split("\n");
        long total = 0;
        for (int i = lines.length - 10; i < lines.length; i++) {
            String[] cells = lines[i].trim().split("\\s+");
            assertEquals(11, cells.length, lines[i]);
            for (int j = 1; j < 11; j++) {
                total += Long.parseLong(cells[j]);
            }
        }
        assertEquals(2000, total, "the confusion matrix counts every test digit");
    }

    @Test
    void batchSizeOneAndAllWorkOnASmallDataSet() throws IOException {
        Path data = dir.resolve("small");
        Files.createDirectory(data);
        IdxTestFiles.dataSet(data, 40, 10, true, 10);
        CliRun all = CliRun.of("train", "--backend", "cpu", "--data", data.toString(), "--epochs", "2",
                "--batch-size", "all", "--hidden", "8").succeeds();
        assertEquals(2, all.out().strip().split("\n").length);
        assertTrue(all.err().contains("batch 40"), all.err());
        CliRun one = CliRun.of("train", "--backend", "cpu", "--data", data.toString(), "--epochs", "1",
                "--batch-size", "1", "--optimizer", "adagrad", "--lr", "0.01", "--no-shuffle").succeeds();
        assertTrue(one.err().contains("batch 1,"), one.err());
        CliRun.of("train", "--backend", "cpu", "--data", data.toString(), "--epochs", "1", "--batch-size", "7",
                "--optimizer", "adamw", "--weight-decay", "0.1", "--activation", "gelu").succeeds();
    }

    @Test
    void badFlagValuesAreOneLineErrors() {
        CliRun.of("train", "--lr", "-1").failsWith("--lr must be a finite number > 0");
        CliRun.of("train", "--lr", "0").failsWith("--lr");
        CliRun.of("train", "--lr", "NaN").failsWith("--lr");
        CliRun.of("train", "--batch-size", "0").failsWith("--batch-size must be at least 1");
        CliRun.of("train", "--batch-size", "lots").failsWith("--batch-size must be a whole number");
        CliRun.of("train", "--optimizer", "lion").failsWith("--optimizer must be one of sgd|adam|adamw|rmsprop|adagrad");
        CliRun.of("train", "--epochs", "0").failsWith("--epochs must be at least 1");
        CliRun.of("train", "--momentum", "0.9").failsWith("--momentum applies to sgd and rmsprop, not adam");
        CliRun.of("train", "--momentum", "1.5", "--optimizer", "sgd").failsWith("--momentum must be in [0, 1)");
        CliRun.of("train", "--gamma", "0.5").failsWith("--gamma needs --step-size");
        CliRun.of("train", "--hidden", "128,,64").failsWith("--hidden");
        CliRun.of("train", "--frobnicate").failsWith("unknown option --frobnicate");
        CliRun.of("train", "--lr").failsWith("--lr needs a value");
        CliRun.of("train", "--seed", "1", "--seed", "2").failsWith("--seed given twice");
        CliRun.of("train", "--backend", "nosuch").failsWith("unknown backend 'nosuch'");
        CliRun.of("train", "--resume", "x.safetensors", "--lr", "0.1").failsWith("--lr cannot be combined with --resume");
        CliRun.of("train", "--data", dir.resolve("absent").toString()).failsWith("not a directory");
        CliRun.of("evaluate").failsWith("--model FILE is required");
        CliRun.of("evaluate", "--model", dir.resolve("none.safetensors").toString()).failsWith("no such file");
    }

    @Test
    void badDataFilesAreOneLineErrorsAndLeaveFilesAlone() throws IOException {
        Path save = dir.resolve("keep.safetensors");
        Files.writeString(save, "precious");
        Path data = dir.resolve("d");
        Files.createDirectory(data);

        IdxTestFiles.dataSet(data, 20, 5, false, 11);
        CliRun.of("train", "--backend", "cpu", "--data", data.toString(), "--save", save.toString())
                .failsWith("is out of range [0, 10)");

        IdxTestFiles.dataSet(data, 20, 5, false, 10);
        byte[] images = Files.readAllBytes(data.resolve("train-images-idx3-ubyte"));
        Files.write(data.resolve("train-images-idx3-ubyte"), Arrays.copyOf(images, images.length - 5));
        CliRun.of("train", "--backend", "cpu", "--data", data.toString(), "--save", save.toString())
                .failsWith("truncated");

        ByteBuffer bad = ByteBuffer.wrap(images.clone());
        bad.putInt(0, 1234);
        Files.write(data.resolve("train-images-idx3-ubyte"), bad.array());
        CliRun.of("train", "--backend", "cpu", "--data", data.toString()).failsWith("bad magic number 1234");

        Files.write(data.resolve("train-images-idx3-ubyte"), images);
        Files.write(data.resolve("train-labels-idx1-ubyte"), IdxTestFiles.labels(1, 2, 3));
        CliRun.of("train", "--backend", "cpu", "--data", data.toString()).failsWith("20 images but 3 labels");

        Files.delete(data.resolve("train-labels-idx1-ubyte"));
        Files.write(data.resolve("train-labels-idx1-ubyte.gz"), new byte[] {0x1f, (byte) 0x8b, 8, 0, 1});
        CliRun.of("train", "--backend", "cpu", "--data", data.toString()).failsWith("gzip");

        assertEquals("precious", Files.readString(save));
        CliRun.of("train", "--save", dir.resolve("no/such/dir/x.safetensors").toString())
                .failsWith("does not exist");
    }

    @Test
    void modelFilesThatDoNotFitAreOneLineErrors() throws IOException {
        Path m = dir.resolve("m.safetensors");
        Path data = dir.resolve("d");
        Files.createDirectory(data);
        IdxTestFiles.dataSet(data, 20, 5, true, 10);
        CliRun.of("train", "--backend", "cpu", "--data", data.toString(), "--epochs", "1", "--hidden", "16",
                "--save", m.toString()).succeeds();
        byte[] saved = Files.readAllBytes(m);
        CliRun.of("train", "--backend", "cpu", "--data", data.toString(), "--init", m.toString(), "--hidden", "32")
                .failsWith("tensor '0.weight' has shape [16, 6] but the model 6-32-10 needs [32, 6]");
        CliRun.of("train", "--backend", "cpu", "--data", data.toString(), "--init", m.toString(), "--hidden", "16")
                .succeeds();
        // Evaluate infers 6-16-10 from the file; on the bundled 784-pixel data it does not fit.
        CliRun.of("evaluate", "--backend", "cpu", "--model", m.toString()).failsWith("the model is 6-16-10");
        CliRun.of("evaluate", "--backend", "cpu", "--model", m.toString(), "--data", data.toString()).succeeds();

        Path broken = dir.resolve("broken.safetensors");
        Files.write(broken, Arrays.copyOf(saved, saved.length - 7));
        CliRun.of("train", "--backend", "cpu", "--data", data.toString(), "--init", broken.toString(), "--hidden", "16")
                .failsWith("run past the end of the data");
        CliRun.of("evaluate", "--model", broken.toString()).failsWith("broken.safetensors");
        Files.write(broken, new byte[] {(byte) 0xff, 1, 0, 0, 0, 0, 0, 0, '{', '}'});
        CliRun.of("evaluate", "--model", broken.toString()).failsWith("header length");
        Files.write(broken, "\u0004\0\0\0\0\0\0\0{{{{".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        CliRun.of("train", "--resume", broken.toString()).failsWith("not valid JSON");
        CliRun.of("train", "--resume", m.toString(), "--epochs", "1", "--data", data.toString())
                .failsWith("has finished epoch 1");
        assertArrayEquals(saved, Files.readAllBytes(m), "failed runs leave the checkpoint alone");
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
