package dev.kiln.reliability;

import dev.kiln.cli.Main;
import dev.kiln.core.json.Json;
import dev.kiln.nn.checkpoint.Safetensors;
import dev.kiln.nn.data.MnistData;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash safety of {@code kiln train --save}: a child JVM trains and writes a checkpoint after
 * every epoch, and is killed with SIGKILL ({@link Process#destroyForcibly()}) at a random moment or
 * as soon as a checkpoint write has begun, eight times, each run resuming from what the previous one left. After every kill the checkpoint
 * on disk loads and is a whole epoch (the previous one intact); a killed write's temporary file
 * never gets in the way and the next save deletes it; and resuming from the survivor gives exactly
 * the figures of a run that was never interrupted.
 */
class CheckpointCrashTest {
    private static final System.Logger LOG = System.getLogger("dev.kiln.reliability.CheckpointCrashTest");
    private static final int TRIES = 8;

    @TempDir
    Path dir;

    @Test
    void killedTrainingLeavesALoadableCheckpointAndResumesExactly() throws Exception {
        Path data = Files.createDirectory(dir.resolve("data"));
        writeDataSet(data);
        Path ckpt = dir.resolve("model.safetensors");
        Random random = new Random(20261126);
        int epoch = 0;
        int killedMidWrite = 0;
        for (int t = 0; t < TRIES; t++) {
            List<String> args = new ArrayList<>(List.of("train", "--backend", "cpu", "--data", data.toString(),
                    "--epochs", "1000000", "--save", ckpt.toString()));
            if (t == 0) {
                args.addAll(List.of("--hidden", "256,128"));
            } else {
                args.addAll(List.of("--resume", ckpt.toString()));
            }
            java.util.Set<String> before = temporaries();
            // Odd tries aim at a checkpoint write (kill as soon as its temporary file appears); even ones at any moment.
            runAndKill(args, ckpt, random.nextInt(400), t % 2 == 1, t);
            // The survivor loads, is a whole epoch, and never goes backwards.
            Safetensors.Contents c = Safetensors.read(ckpt);
            int e = Integer.parseInt(c.metadata().get("epoch"));
            assertTrue(e >= Math.max(1, epoch), "try " + t + ": checkpoint epoch " + e + " after " + epoch);
            epoch = e;
            java.util.Set<String> now = temporaries();
            assertTrue(now.size() <= t + 1, "at most one temporary file per killed run: " + now);
            killedMidWrite += now.stream().anyMatch(f -> !before.contains(f)) ? 1 : 0;
        }
        LOG.log(Level.INFO, TRIES + " kills; " + killedMidWrite + " of them during a checkpoint write; reached epoch " + epoch);

        // Whatever the random kills hit, also plant what a kill in the middle of a write leaves: half a
        // checkpoint in the writer's temporary file. It must not disturb reading or resuming.
        byte[] whole = Files.readAllBytes(ckpt);
        Path half = dir.resolve("." + ckpt.getFileName() + ".4242424242.tmp");
        Files.write(half, java.util.Arrays.copyOf(whole, whole.length / 2));
        assertEquals(epoch, Integer.parseInt(Safetensors.read(ckpt).metadata().get("epoch")));

        // Resume from the survivor for two more epochs: it finishes, cleans up, and matches an uninterrupted run.
        Path resumed = dir.resolve("resumed.json");
        run("train", "--resume", ckpt.toString(), "--data", data.toString(), "--epochs", Integer.toString(epoch + 2),
                "--save", ckpt.toString(), "--metrics-json", resumed.toString());
        assertEquals(java.util.Set.of(), temporaries(), "the next save deleted the killed writes' temporary files");
        assertEquals(Integer.toString(epoch + 2), Safetensors.read(ckpt).metadata().get("epoch"));
        Path straight = dir.resolve("straight.json");
        run("train", "--backend", "cpu", "--hidden", "256,128", "--data", data.toString(), "--epochs",
                Integer.toString(epoch + 2), "--metrics-json", straight.toString());
        List<?> r = epochs(resumed);
        List<?> s = epochs(straight);
        assertEquals(2, r.size());
        for (int i = 0; i < 2; i++) {
            Map<?, ?> got = (Map<?, ?>) r.get(i);
            Map<?, ?> want = (Map<?, ?>) s.get(epoch + i);
            for (String k : List.of("epoch", "lr", "train_loss", "train_accuracy", "test_loss", "test_accuracy")) {
                assertEquals(want.get(k), got.get(k), k + " of epoch " + (epoch + 1 + i) + " after resuming");
            }
        }
    }

    /** The names of the checkpoint writers' temporary files in the directory. */
    private java.util.Set<String> temporaries() throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".tmp"))
                    .collect(java.util.stream.Collectors.toSet());
        }
    }

    /**
     * Starts {@code kiln} in a child JVM, waits for its first finished epoch and for a checkpoint
     * to exist (the first run's is saved after its epoch line is printed), then {@code delayMs}
     * (and, when {@code duringWrite}, until a checkpoint's temporary file exists), then SIGKILL.
     */
    private void runAndKill(List<String> args, Path ckpt, int delayMs, boolean duringWrite, int attempt)
            throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Dkiln.leaks=simple", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        Path err = dir.resolve("child-" + attempt + ".err");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        CountDownLatch firstEpoch = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("epoch ")) {
                        firstEpoch.countDown();
                    }
                }
            } catch (IOException e) {
                // the child was killed
            }
        });
        reader.setDaemon(true);
        reader.start();
        try {
            boolean started = firstEpoch.await(120, TimeUnit.SECONDS);
            assertTrue(started || !p.isAlive(), "the child never finished an epoch");
            assertTrue(p.isAlive(), "the child exited by itself: " + Files.readString(err));
            // The epoch line comes before that epoch's save: without this wait, a kill soon after the
            // first run's first epoch (a fresh JVM's first save can take over 45 ms) found no file.
            // The save renames a finished file into place, so existing means whole.
            long saved = System.nanoTime() + 120_000_000_000L;
            while (!Files.exists(ckpt) && p.isAlive() && System.nanoTime() < saved) {
                Thread.sleep(1);
            }
            assertTrue(Files.exists(ckpt), "the child never saved a checkpoint: " + Files.readString(err));
            Thread.sleep(delayMs);
            // A write has begun when a temporary file appears that was not there before this run.
            java.util.Set<String> old = temporaries();
            long until = System.nanoTime() + 5_000_000_000L;
            while (duringWrite && old.containsAll(temporaries()) && p.isAlive() && System.nanoTime() < until) {
                Thread.onSpinWait();
            }
        } finally {
            p.destroyForcibly();
            p.waitFor(60, TimeUnit.SECONDS);
        }
        Files.delete(err);
    }

    private static void run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            int status = Main.run(args, new dev.kiln.cli.Console(o, e, false));
            assertEquals(0, status, String.join(" ", args) + ": " + err.toString(StandardCharsets.UTF_8));
        }
    }

    private static List<?> epochs(Path metrics) throws IOException {
        return (List<?>) ((Map<?, ?>) Json.parse(Files.readString(metrics))).get("epochs");
    }

    /** 300 training and 100 test images of 8x8 pixels (small: an epoch and its checkpoint take milliseconds). */
    static void writeDataSet(Path data) throws IOException {
        writeIdx(data.resolve(MnistData.TRAIN_IMAGES), data.resolve(MnistData.TRAIN_LABELS), 300, 1);
        writeIdx(data.resolve(MnistData.TEST_IMAGES), data.resolve(MnistData.TEST_LABELS), 100, 2);
    }

    private static void writeIdx(Path images, Path labels, int count, long seed) throws IOException {
        dev.kiln.nn.data.Dataset d = Training.synthetic("d", count, seed);
        ByteBuffer im = ByteBuffer.allocate(16 + count * 64).putInt(2051).putInt(count).putInt(8).putInt(8);
        ByteBuffer lb = ByteBuffer.allocate(8 + count).putInt(2049).putInt(count);
        float[] px = new float[64];
        for (int i = 0; i < count; i++) {
            d.copyImage(i, px, 0);
            for (float v : px) {
                im.put((byte) Math.round(v * 255));
            }
            lb.put((byte) d.label(i));
        }
        Files.write(images, im.array());
        Files.write(labels, lb.array());
    }
}
