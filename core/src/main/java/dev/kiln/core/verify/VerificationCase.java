package dev.kiln.core.verify;

import dev.kiln.core.Backend;

/**
 * One cell of the {@link VerificationGrid}, not yet run: an op variant on one shape, with its
 * seeded inputs. {@link #run} computes it on the backend under test and on the reference and
 * compares; it never throws for a backend's failure, which becomes a failed result instead.
 */
public final class VerificationCase {
    /** What a case does: computes on both backends and records the comparison. */
    @FunctionalInterface
    interface Body {
        void run(Backend backend, Backend reference, ErrorTally tally);
    }

    private final String op;
    private final String shape;
    private final boolean large;
    private final Body body;

    VerificationCase(String op, String shape, boolean large, Body body) {
        this.op = op;
        this.shape = shape;
        this.large = large;
        this.body = body;
    }

    /** The op and variant, like {@code gemm NT a=1.5 b=0.5}. */
    public String op() {
        return op;
    }

    /** The shape label (MxKxN for GEMM, rowsxcols otherwise). */
    public String shape() {
        return shape;
    }

    /** Whether this is one of the large (1024) cases that quick mode skips. */
    public boolean large() {
        return large;
    }

    /** {@code op @ shape}. */
    public String name() {
        return op + " @ " + shape;
    }

    /**
     * Runs the case on {@code backend} and {@code reference} (with identical inputs) and compares.
     * Every tensor it makes is closed before it returns, also when an op throws.
     */
    public VerificationResult run(Backend backend, Backend reference) {
        ErrorTally tally = new ErrorTally();
        try {
            body.run(backend, reference, tally);
        } catch (RuntimeException | AssertionError | LinkageError e) {
            tally.threw(e);
        }
        return tally.result(op, shape);
    }

    @Override
    public String toString() {
        return name();
    }
}
