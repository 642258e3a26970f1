package dev.kiln.cli;

import dev.kiln.nn.train.TrainingListener;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Shows training progress on {@code err}: a redrawn bar with loss and throughput on a terminal,
 * an occasional plain line otherwise (logs, pipes, CI). The loss shown costs a device sync, so
 * it is read only when something is printed.
 */
final class ProgressReporter implements TrainingListener {
    private static final long TERMINAL_EVERY_NANOS = 100_000_000L;
    private static final long PLAIN_EVERY_NANOS = 5_000_000_000L;
    private static final int WIDTH = 30;

    private final PrintStream err;
    private final boolean interactive;
    private final int epochs;
    private long lastPrint;
    private boolean barShown;

    ProgressReporter(PrintStream err, boolean interactive, int epochs) {
        this.err = err;
        this.interactive = interactive;
        this.epochs = epochs;
        this.lastPrint = System.nanoTime();
    }

    @Override
    public void onBatch(Progress p) {
        long now = System.nanoTime();
        boolean last = p.batch() == p.batches();
        if (interactive) {
            if (now - lastPrint < TERMINAL_EVERY_NANOS && !last) {
                return;
            }
            lastPrint = now;
            double frac = p.samplesDone() / (double) p.samplesTotal();
            int filled = (int) Math.round(frac * WIDTH);
            String bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? ">" : "") + " ".repeat(WIDTH - filled);
            err.print(String.format(Locale.ROOT, "\repoch %d/%d [%s] %3.0f%%  loss %.4f  %,.0f samples/s ",
                    p.epoch(), epochs, bar, frac * 100, p.meanLoss(), p.samplesDone() / Math.max(p.seconds(), 1e-9)));
            err.flush();
            barShown = true;
        } else {
            if (now - lastPrint < PLAIN_EVERY_NANOS || last) {
                return;
            }
            lastPrint = now;
            err.println(String.format(Locale.ROOT, "epoch %d/%d: %d/%d samples, loss %.4f, %.0f samples/s",
                    p.epoch(), epochs, p.samplesDone(), p.samplesTotal(), p.meanLoss(),
                    p.samplesDone() / Math.max(p.seconds(), 1e-9)));
        }
    }

    /** Clears the bar before a summary line is printed. */
    void clear() {
        if (barShown) {
            err.print("\r" + " ".repeat(WIDTH + 70) + "\r");
            err.flush();
            barShown = false;
        }
        lastPrint = System.nanoTime();
    }
}
