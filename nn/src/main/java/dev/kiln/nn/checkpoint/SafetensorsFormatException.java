package dev.kiln.nn.checkpoint;

import java.io.IOException;

/**
 * A safetensors file that cannot be read, or whose tensors do not fit the model: bad header
 * length, invalid JSON, unknown dtype, offsets out of range or overlapping, shape and byte length
 * that disagree, missing or unexpected tensors, wrong shapes. The message names the file.
 */
public class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public SafetensorsFormatException(String message) {
        super(message);
    }

    public SafetensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
