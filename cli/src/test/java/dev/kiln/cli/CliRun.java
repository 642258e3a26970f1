package dev.kiln.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One in-process {@code kiln} run with captured output. */
record CliRun(int status, String out, String err) {
    static CliRun of(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            int status = Main.run(args, new Console(o, e, false));
            return new CliRun(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
    }

    /** Asserts a failure reported as one clear line containing {@code fragment}, without a stack trace. */
    CliRun failsWith(String fragment) {
        assertNotEquals(0, status, "exit status; err: " + err);
        String[] lines = err.strip().split("\n");
        assertEquals(1, lines.length, "one line: " + err);
        assertTrue(lines[0].startsWith("kiln "), err);
        assertTrue(err.contains(fragment), "expected '" + fragment + "' in: " + err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace or exception name: " + err);
        return this;
    }

    CliRun succeeds() {
        assertEquals(0, status, "exit status; err: " + err + " out: " + out);
        return this;
    }
}
