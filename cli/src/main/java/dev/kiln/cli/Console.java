package dev.kiln.cli;

import java.io.PrintStream;

/** Where a command writes: results to {@code out}, progress and diagnostics to {@code err}. */
public record Console(PrintStream out, PrintStream err, boolean interactive) {
    /** The process's own streams; interactive when a terminal is attached. */
    public static Console system() {
        return new Console(System.out, System.err, System.console() != null);
    }
}
