package dev.kiln.nn.data;

import dev.kiln.core.Tensor;
import dev.kiln.nn.Rng;

/**
 * Cuts a {@link Dataset} into mini-batches on the host, in preallocated arrays (no boxing, no
 * allocation per batch). Each epoch's order is a Fisher-Yates shuffle by {@code new Rng(seed + epoch)}
 * (or the file order without shuffling), so any epoch can be replayed on its own, which is what
 * resuming from a checkpoint needs. The last batch holds the remainder when the size does not divide.
 * Batch size 1 is stochastic gradient descent, the data set's size is full-batch descent.
 *
 * <p>Use: {@code loader.startEpoch(e); while (loader.next()) { use rows(), images(), labels() }}.
 * A batch is gathered as the data set's bytes; {@link #copyImagesTo(Tensor)} hands them to the
 * backend, which converts them to floats (on the CPU backend with SIMD, straight into the tensor);
 * {@link #images()} converts on the host, the first time it is called for a batch.
 */
public final class BatchLoader {
    private final Dataset data;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final int[] order;
    private final byte[] pixels;
    private final float[] images;
    private final int[] labels;
    private int position;
    private int rows;
    /** Whether {@link #images} holds the current batch (it is converted on demand). */
    private boolean imagesReady;
    /** Keeps {@link Dataset#touch}'s loads alive. */
    private int touched;

    /** {@code batchSize} is clamped to the data set's size (so {@code Integer.MAX_VALUE} means all). */
    public BatchLoader(Dataset data, int batchSize, boolean shuffle, long seed) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        if (data.size() == 0) {
            throw new IllegalArgumentException(data.name() + " is empty");
        }
        this.data = data;
        this.batchSize = Math.min(batchSize, data.size());
        this.shuffle = shuffle;
        this.seed = seed;
        this.order = new int[data.size()];
        this.pixels = new byte[this.batchSize * data.features()];
        this.images = new float[this.batchSize * data.features()];
        this.labels = new int[this.batchSize];
        this.position = data.size();
    }

    public Dataset data() {
        return data;
    }

    /** The batch size in force (after clamping). */
    public int batchSize() {
        return batchSize;
    }

    /** Batches per epoch, the last one possibly partial. */
    public int batchesPerEpoch() {
        return (data.size() + batchSize - 1) / batchSize;
    }

    /** Starts epoch {@code epoch} (1-based in the trainer), fixing its order. */
    public void startEpoch(int epoch) {
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (shuffle) {
            new Rng(seed + epoch).shuffle(order);
        }
        position = 0;
        rows = 0;
    }

    /** Fills the next batch; false when the epoch is done. */
    public boolean next() {
        if (position >= order.length) {
            rows = 0;
            return false;
        }
        rows = Math.min(batchSize, order.length - position);
        int f = data.features();
        touched += data.touch(order, position, position + rows);
        for (int r = 0; r < rows; r++) {
            int idx = order[position + r];
            data.copyPixels(idx, pixels, r * f);
            labels[r] = data.label(idx);
        }
        position += rows;
        imagesReady = false;
        return true;
    }

    /** Rows in the current batch. */
    public int rows() {
        return rows;
    }

    /**
     * The current batch's pixels as floats in [0, 1], [rows, features] row-major at the start of a
     * batchSize-row array (converted from the bytes on the first call per batch).
     */
    public float[] images() {
        if (!imagesReady) {
            float[] unit = Dataset.UNIT;
            int n = rows * data.features();
            for (int i = 0; i < n; i++) {
                images[i] = unit[pixels[i] & 0xff];
            }
            imagesReady = true;
        }
        return images;
    }

    /** The current batch's pixel bytes (unsigned), [rows, features] row-major at the start of the array. */
    public byte[] pixels() {
        return pixels;
    }

    /**
     * Writes the current batch's images, as floats in [0, 1], to {@code x}, which must be
     * [rows(), features] float32: the backend converts the bytes (a quarter of the data of
     * {@code x.copyFrom(images())}, and no host-side float pass).
     */
    public void copyImagesTo(Tensor x) {
        if (x.size() != (long) rows * data.features()) {
            throw new IllegalArgumentException("the batch has " + rows + " x " + data.features()
                    + " pixels; tensor " + x.shape() + " does not match");
        }
        x.copyFromUnsignedBytes(pixels, 0, Dataset.PIXEL_SCALE);
    }

    /** The current batch's labels in the first {@link #rows()} entries. */
    public int[] labels() {
        return labels;
    }
}
