package dev.kiln.core;

/**
 * A failure inside a backend or device (a native error, a device-side error flag, a lost device),
 * as opposed to a bad argument, which is an {@link IllegalArgumentException}.
 */
public class KilnException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String backend;
    private final String op;
    private final String nativeError;

    public KilnException(String backend, String op, String nativeError, String message, Throwable cause) {
        super(format(backend, op, nativeError, message), cause);
        this.backend = backend;
        this.op = op;
        this.nativeError = nativeError;
    }

    public KilnException(String backend, String op, String nativeError, String message) {
        this(backend, op, nativeError, message, null);
    }

    private static String format(String backend, String op, String nativeError, String message) {
        StringBuilder sb = new StringBuilder();
        if (backend != null) {
            sb.append(backend);
        }
        if (op != null) {
            sb.append(sb.length() > 0 ? " " : "").append(op);
        }
        if (nativeError != null) {
            sb.append(sb.length() > 0 ? " " : "").append("[").append(nativeError).append("]");
        }
        if (sb.length() > 0) {
            sb.append(": ");
        }
        return sb.append(message).toString();
    }

    /** The backend that failed, like {@code opencl}; may be null. */
    public String backend() {
        return backend;
    }

    /** The op that failed, like {@code gemm}; may be null. */
    public String op() {
        return op;
    }

    /** The native error name, like {@code CL_OUT_OF_RESOURCES}; may be null. */
    public String nativeError() {
        return nativeError;
    }
}
