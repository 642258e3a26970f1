package dev.kiln.nn.data;

import java.io.IOException;

/**
 * An IDX file (or a data set made of them) that cannot be used: wrong magic, bad dimensions,
 * truncated, trailing bytes, not valid gzip, labels out of range, images and labels that do not
 * pair up. The message names the file and the problem. An {@link IOException}, so callers that
 * handle unreadable files handle these too.
 */
public class IdxFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public IdxFormatException(String message) {
        super(message);
    }

    public IdxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
