package dev.kiln.cli;

/** A mistake on the command line or in a user-supplied file: printed as one line, no stack trace. */
public class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    public UsageException(String message) {
        this(message, 2);
    }

    public UsageException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
