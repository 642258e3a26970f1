package dev.kiln.nn.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads the IDX files of MNIST: images (magic 2051, count, rows, cols, then unsigned bytes) and
 * labels (magic 2049, count, then one byte each), big-endian, raw or gzip-compressed (detected by
 * the gzip magic bytes 1f 8b, whatever the file name). Every problem is an
 * {@link IdxFormatException} naming the source and what is wrong.
 *
 * <p>Memory: nothing is allocated from a declared size that the input cannot back. For a raw file
 * the declared size is checked against the file's length first; a gzip stream is read in chunks,
 * so a header that claims billions of pixels fails at the real end of the data, not in the
 * allocator.
 */
public final class IdxReader {
    /** Magic number of an IDX file of unsigned bytes with 3 dimensions (images). */
    public static final int IMAGES_MAGIC = 2051;
    /** Magic number of an IDX file of unsigned bytes with 1 dimension (labels). */
    public static final int LABELS_MAGIC = 2049;

    private IdxReader() {
    }

    /** Images as read: {@code count} images of {@code rows x cols} unsigned bytes, row-major. */
    public record Images(int count, int rows, int cols, byte[] pixels) {
    }

    /** Reads an images file. */
    public static Images readImages(Path file) throws IOException {
        try (InputStream in = open(file)) {
            return readImages(in, file.toString(), rawLength(file));
        }
    }

    /** Reads a labels file; each label is an unsigned byte (0..255; range checks are the data set's job). */
    public static int[] readLabels(Path file) throws IOException {
        try (InputStream in = open(file)) {
            return readLabels(in, file.toString(), rawLength(file));
        }
    }

    /** Reads images from a stream (raw or gzip); {@code source} names it in errors. */
    public static Images readImages(InputStream raw, String source) throws IOException {
        return readImages(maybeGunzip(raw, source), source, -1);
    }

    /** Reads labels from a stream (raw or gzip); {@code source} names it in errors. */
    public static int[] readLabels(InputStream raw, String source) throws IOException {
        return readLabels(maybeGunzip(raw, source), source, -1);
    }

    private static long rawLength(Path file) throws IOException {
        return isGzip(file) ? -1 : Files.size(file);
    }

    private static boolean isGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(2);
            return b.length == 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b;
        }
    }

    private static InputStream open(Path file) throws IOException {
        return maybeGunzip(Files.newInputStream(file), file.toString());
    }

    private static InputStream maybeGunzip(InputStream raw, String source) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            try {
                return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
            } catch (ZipException | EOFException e) {
                in.close();
                throw new IdxFormatException(source + ": starts like gzip but is not a valid gzip stream ("
                        + e.getMessage() + ")", e);
            }
        }
        return in;
    }

    private static Images readImages(InputStream in, String source, long rawLength) throws IOException {
        int magic = readInt(in, source, "magic number");
        if (magic != IMAGES_MAGIC) {
            throw new IdxFormatException(source + ": bad magic number " + magic + " for an IDX images file (expected "
                    + IMAGES_MAGIC + (magic == LABELS_MAGIC ? "; this looks like a labels file" : "") + ")");
        }
        int count = readInt(in, source, "image count");
        int rows = readInt(in, source, "row count");
        int cols = readInt(in, source, "column count");
        if (count < 0 || rows <= 0 || cols <= 0) {
            throw new IdxFormatException(source + ": bad dimensions " + count + " x " + rows + " x " + cols);
        }
        // Three ints can overflow a long (872415238 x 2147483647 x 5 wraps negative), so saturate.
        long size = multiplySaturated(multiplySaturated(count, rows), cols);
        if (size > Integer.MAX_VALUE - 16) {
            throw new IdxFormatException(source + ": declares " + count + " images of " + rows + "x" + cols
                    + " = " + (size == Long.MAX_VALUE ? "over 2^63" : Long.toString(size))
                    + " bytes, more than one Java array can hold");
        }
        checkRawLength(source, rawLength, 16 + size);
        byte[] pixels = readExactly(in, (int) size, source, count + " images of " + rows + "x" + cols, true);
        return new Images(count, rows, cols, pixels);
    }

    private static int[] readLabels(InputStream in, String source, long rawLength) throws IOException {
        int magic = readInt(in, source, "magic number");
        if (magic != LABELS_MAGIC) {
            throw new IdxFormatException(source + ": bad magic number " + magic + " for an IDX labels file (expected "
                    + LABELS_MAGIC + (magic == IMAGES_MAGIC ? "; this looks like an images file" : "") + ")");
        }
        int count = readInt(in, source, "label count");
        if (count < 0) {
            throw new IdxFormatException(source + ": negative label count " + count);
        }
        checkRawLength(source, rawLength, 8 + (long) count);
        byte[] bytes = readExactly(in, count, source, count + " labels", true);
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = bytes[i] & 0xff;
        }
        return labels;
    }

    /** {@code a * b} for non-negative factors, or {@link Long#MAX_VALUE} where it overflows. */
    private static long multiplySaturated(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
    }

    private static void checkRawLength(String source, long rawLength, long expected) throws IdxFormatException {
        if (rawLength < 0) {
            return;
        }
        if (rawLength < expected) {
            throw new IdxFormatException(source + ": truncated: the header declares " + expected + " bytes but the file"
                    + " has " + rawLength);
        }
        if (rawLength > expected) {
            throw new IdxFormatException(source + ": " + (rawLength - expected) + " unexpected bytes after the "
                    + expected + " the header declares");
        }
    }

    private static int readInt(InputStream in, String source, String what) throws IOException {
        byte[] b = readExactly(in, 4, source, "the header's " + what, false);
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    private static byte[] readExactly(InputStream in, int n, String source, String what, boolean last)
            throws IOException {
        byte[] data;
        try {
            // readNBytes grows its buffer as data arrives, so a lying header cannot force a huge allocation.
            data = in.readNBytes(n);
        } catch (ZipException | EOFException e) {
            throw new IdxFormatException(source + ": corrupt gzip data while reading " + what + " ("
                    + e.getMessage() + ")", e);
        }
        if (data.length < n) {
            throw new IdxFormatException(source + ": truncated: expected " + n + " bytes for " + what + ", found "
                    + data.length);
        }
        if (last) {
            // The payload is the end of the file: anything after it means the header is wrong.
            int extra;
            try {
                extra = in.read();
            } catch (ZipException | EOFException e) {
                throw new IdxFormatException(source + ": corrupt gzip data after " + what + " (" + e.getMessage()
                        + ")", e);
            }
            if (extra >= 0) {
                throw new IdxFormatException(source + ": unexpected bytes after " + what
                        + " declared by the header");
            }
        }
        return data;
    }
}
