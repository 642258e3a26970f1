package dev.kiln.nn.data;

/**
 * A labelled image set held on the host as bytes (one unsigned byte per pixel, row-major, image
 * after image) with int class labels, validated: labels lie in {@code [0, classes)} and there is
 * one label per image. Pixels become float32 {@code b / 255} in [0, 1] when batched, as
 * torchvision's {@code ToTensor} does.
 */
public final class Dataset {
    /** {@code b / 255f} for every byte value: a lookup gives the same floats as the division, faster. */
    static final float[] UNIT = new float[256];

    static {
        for (int v = 0; v < 256; v++) {
            UNIT[v] = v / 255f;
        }
    }

    private final String name;
    private final int size;
    private final int rows;
    private final int cols;
    private final int classes;
    private final byte[] pixels;
    private final int[] labels;

    /**
     * Pairs images and labels. {@code labelSource} names the labels in errors.
     *
     * @throws IdxFormatException when the counts differ or a label is outside {@code [0, classes)}
     */
    public Dataset(String name, IdxReader.Images images, int[] labels, int classes, String labelSource)
            throws IdxFormatException {
        if (images.count() != labels.length) {
            throw new IdxFormatException(name + ": " + images.count() + " images but " + labels.length + " labels in "
                    + labelSource);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IdxFormatException(labelSource + ": label " + labels[i] + " at index " + i
                        + " is out of range [0, " + classes + ")");
            }
        }
        if (images.pixels().length != (long) images.count() * images.rows() * images.cols()) {
            throw new IllegalArgumentException("pixel array does not match the image dimensions");
        }
        this.name = name;
        this.size = images.count();
        this.rows = images.rows();
        this.cols = images.cols();
        this.classes = classes;
        this.pixels = images.pixels();
        this.labels = labels;
    }

    public String name() {
        return name;
    }

    /** Number of examples. */
    public int size() {
        return size;
    }

    /** Pixels per image (rows x cols), the network's input width. */
    public int features() {
        return rows * cols;
    }

    public int imageRows() {
        return rows;
    }

    public int imageCols() {
        return cols;
    }

    public int classes() {
        return classes;
    }

    /** The label of example {@code i}. */
    public int label(int i) {
        return labels[i];
    }

    /** The divisor that maps a pixel byte to its float: {@code (b & 0xFF) / PIXEL_SCALE}, in [0, 1]. */
    public static final float PIXEL_SCALE = 255f;

    /** Writes example {@code i}'s raw pixel bytes (unsigned, 0..255) to {@code dst[offset ..]}. */
    public void copyPixels(int i, byte[] dst, int offset) {
        int f = features();
        System.arraycopy(pixels, i * f, dst, offset, f);
    }

    /**
     * Reads one byte per 64-byte cache line of each example in {@code indices[from, to)}, so that
     * the loads of a whole batch's scattered rows are in flight together (they are independent)
     * before the rows are copied one by one. On a data set larger than the cache this halves the
     * time a shuffled batch takes to gather. Returns a value only so the JIT keeps the loads.
     */
    int touch(int[] indices, int from, int to) {
        int f = features();
        int sum = 0;
        byte[] px = pixels;
        for (int r = from; r < to; r++) {
            int base = indices[r] * f;
            for (int k = 0; k < f; k += 64) {
                sum += px[base + k];
            }
        }
        return sum;
    }

    /** Writes example {@code i}'s pixels as floats in [0, 1] to {@code dst[offset ..]}. */
    public void copyImage(int i, float[] dst, int offset) {
        int f = features();
        int base = i * f;
        float[] unit = UNIT;
        byte[] px = pixels;
        for (int k = 0; k < f; k++) {
            dst[offset + k] = unit[px[base + k] & 0xff];
        }
    }

    @Override
    public String toString() {
        return name + " (" + size + " images of " + rows + "x" + cols + ", " + classes + " classes)";
    }
}
