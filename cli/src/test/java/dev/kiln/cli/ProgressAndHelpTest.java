package dev.kiln.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressAndHelpTest {
    @TempDir
    Path dir;

    @Test
    void terminalGetsARedrawnBarAndPipesDoNot() throws IOException {
        IdxTestFiles.dataSet(dir, 30, 10, false, 10);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            int status = Main.run(new String[] {"train", "--backend", "cpu", "--data", dir.toString(), "--epochs", "2",
                    "--batch-size", "8"}, new Console(o, e, true));
            assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        }
        String bar = err.toString(StandardCharsets.UTF_8);
        assertTrue(bar.contains("\repoch 1/2 [") && bar.contains("100%") && bar.contains("loss ")
                && bar.contains("samples/s"), bar);
        String summary = out.toString(StandardCharsets.UTF_8);
        assertFalse(summary.contains("\r"), "summaries stay clean for pipes: " + summary);
        assertEquals(2, summary.strip().split("\n").length);

        CliRun plain = CliRun.of("train", "--backend", "cpu", "--data", dir.toString(), "--epochs", "1").succeeds();
        assertFalse(plain.err().contains("\r"), "no carriage returns when not on a terminal");
    }

    @Test
    void helpListsTheCommandsAndOptions() {
        CliRun top = CliRun.of("--help");
        assertEquals(0, top.status());
        assertTrue(top.out().contains("train") && top.out().contains("evaluate"), top.out());
        CliRun train = CliRun.of("train", "--help");
        assertEquals(0, train.status());
        for (String flag : new String[] {"--backend", "--data", "--epochs", "--batch-size", "--optimizer", "--lr",
                "--momentum", "--weight-decay", "--step-size", "--gamma", "--hidden", "--seed", "--no-shuffle",
                "--init", "--save", "--resume", "--metrics-json"}) {
            assertTrue(train.out().contains(flag), flag);
        }
        assertTrue(CliRun.of("evaluate", "--help").out().contains("--model FILE"));
    }
}
