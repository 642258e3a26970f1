package dev.kiln.core;

/** An explicitly requested backend cannot be used; the message carries its probe's reason. */
public class BackendUnavailableException extends KilnException {
    private static final long serialVersionUID = 1L;
    private final String reason;

    public BackendUnavailableException(String backend, String reason) {
        super(backend, null, null, "unavailable: " + reason);
        this.reason = reason;
    }

    /** The probe's one-line reason. */
    public String reason() {
        return reason;
    }
}
