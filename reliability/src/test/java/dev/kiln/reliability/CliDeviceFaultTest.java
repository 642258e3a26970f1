package dev.kiln.reliability;

import dev.kiln.cli.Console;
import dev.kiln.cli.Main;
import dev.kiln.nn.checkpoint.Safetensors;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A native failure in the middle of {@code kiln train} (on the test-only {@code faulty} backend,
 * the CPU backend with an armed fault injector): one line on stderr naming backend, op and native
 * error, exit status 1, the last checkpoint intact and loadable, and resuming from it works.
 */
class CliDeviceFaultTest {
    @TempDir
    Path dir;

    record Run(int status, String out, String err) {
    }

    private static Run kiln(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            int status = Main.run(args, new Console(o, e, false));
            return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aNativeFailureMidTrainingIsOneLineAndTheLastCheckpointSurvives() throws Exception {
        Path data = Files.createDirectory(dir.resolve("data"));
        CheckpointCrashTest.writeDataSet(data);
        Path ckpt = dir.resolve("m.safetensors");
        // 300 samples in batches of 64 are 5 batches; 64-16-10 has 4 parameters: 20 adamStep calls an epoch,
        // so call 47 is in epoch 3.
        System.setProperty(FaultyCpuProvider.PROPERTY, "adamStep:47:CL_OUT_OF_RESOURCES");
        Run r;
        try {
            r = kiln("train", "--backend", FaultyCpuProvider.NAME, "--data", data.toString(), "--hidden", "16",
                    "--epochs", "5", "--save", ckpt.toString());
        } finally {
            System.clearProperty(FaultyCpuProvider.PROPERTY);
        }
        assertEquals(1, r.status(), r.err());
        String[] lines = r.err().strip().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("kiln train: faulty adamStep [CL_OUT_OF_RESOURCES]: "), r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace: " + r.err());
        assertEquals(2, r.out().strip().split("\n").length, "epochs 1 and 2 finished: " + r.out());
        assertEquals("2", Safetensors.read(ckpt).metadata().get("epoch"), "the last whole epoch's checkpoint");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.filter(p -> p.toString().endsWith(".tmp")).count());
        }

        Run resumed = kiln("train", "--backend", FaultyCpuProvider.NAME, "--data", data.toString(), "--resume",
                ckpt.toString(), "--epochs", "4", "--save", ckpt.toString());
        assertEquals(0, resumed.status(), resumed.err());
        assertTrue(resumed.out().startsWith("epoch 3/4"), resumed.out());
        assertEquals("4", Safetensors.read(ckpt).metadata().get("epoch"));
    }
}
