package dev.kiln.core;

import dev.kiln.core.spi.DeviceBuffer;

/**
 * A dense, row-major array of float32 (data) or int32 (labels, counters) living on one
 * {@link Backend}'s device. Tensors own device memory: close them, or make them inside a
 * {@link TensorScope}. Using a closed tensor is an {@link IllegalStateException}.
 *
 * <p>Reading values back ({@link #toFloatArray()}, {@link #item()}, ...) waits for the backend's
 * pending work: on GPU backends it is the sync point.
 */
public final class Tensor implements AutoCloseable {
    static final int UNKNOWN = Integer.MIN_VALUE;

    private final Backend backend;
    private final Shape shape;
    private final DType dtype;
    private final DeviceBuffer buffer;
    private final Throwable allocationSite;
    private volatile boolean closed;
    private final String name;

    // For int32 tensors uploaded from the host: the smallest and largest value and where they sit,
    // so that a label out of range is caught before a kernel sees it.
    int minValue = UNKNOWN;
    int maxValue = UNKNOWN;
    int minIndex = -1;
    int maxIndex = -1;

    Tensor(Backend backend, Shape shape, DType dtype, DeviceBuffer buffer, Throwable allocationSite, String name) {
        this.backend = backend;
        this.shape = shape;
        this.dtype = dtype;
        this.buffer = buffer;
        this.allocationSite = allocationSite;
        this.name = name;
    }

    public Shape shape() {
        return shape;
    }

    public DType dtype() {
        return dtype;
    }

    public Backend backend() {
        return backend;
    }

    /** Number of elements. */
    public int size() {
        return shape.size();
    }

    /** An optional label given at allocation, shown in leak reports; may be null. */
    public String name() {
        return name;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Where this tensor was allocated, when leak detection is paranoid; else null. */
    public Throwable allocationSite() {
        return allocationSite;
    }

    DeviceBuffer buffer() {
        return buffer;
    }

    void markClosed() {
        closed = true;
    }

    void recordHostInts(int[] values, int offset, int count) {
        if (count == 0) {
            return;
        }
        int min = Integer.MAX_VALUE;
        int max = Integer.MIN_VALUE;
        int minAt = -1;
        int maxAt = -1;
        for (int i = 0; i < count; i++) {
            int v = values[offset + i];
            if (v < min) {
                min = v;
                minAt = i;
            }
            if (v > max) {
                max = v;
                maxAt = i;
            }
        }
        if (count == size()) {
            minValue = min;
            maxValue = max;
            minIndex = minAt;
            maxIndex = maxAt;
        } else {
            forgetValues();
        }
    }

    void forgetValues() {
        minValue = UNKNOWN;
        maxValue = UNKNOWN;
        minIndex = -1;
        maxIndex = -1;
    }

    /** All values as floats (float32 tensors). */
    public float[] toFloatArray() {
        float[] out = new float[size()];
        backend.download(this, out);
        return out;
    }

    /** All values as ints (int32 tensors). */
    public int[] toIntArray() {
        int[] out = new int[size()];
        backend.download(this, out);
        return out;
    }

    /** Copies all values into {@code dst}, which must hold exactly {@link #size()} floats. */
    public void copyTo(float[] dst) {
        backend.download(this, dst);
    }

    /** Replaces all values with {@code src}, which must hold exactly {@link #size()} floats. */
    public void copyFrom(float[] src) {
        backend.upload(src, 0, this);
    }

    /** Replaces all values with {@code src[offset .. offset + size())}. */
    public void copyFrom(float[] src, int offset) {
        backend.upload(src, offset, this);
    }

    /** Replaces all values with {@code src}, which must hold exactly {@link #size()} ints. */
    public void copyFrom(int[] src) {
        backend.upload(src, 0, this);
    }

    /** Replaces all values with {@code src[offset .. offset + size())}. */
    public void copyFrom(int[] src, int offset) {
        backend.upload(src, offset, this);
    }

    /**
     * Replaces all values of this float32 tensor with {@code (src[offset + i] & 0xFF) / divisor}:
     * unsigned bytes (8-bit pixels, say) to floats without a float array on the host. With
     * divisor 255 these are exactly torchvision's {@code ToTensor} values.
     *
     * @throws IllegalArgumentException when {@code src} is too short from {@code offset}, or the
     *                                  divisor is zero or not finite
     */
    public void copyFromUnsignedBytes(byte[] src, int offset, float divisor) {
        backend.uploadUnsignedBytes(src, offset, divisor, this);
    }

    /** The single value of a one-element float32 tensor. */
    public float item() {
        if (size() != 1) {
            throw new IllegalArgumentException("item() needs a one-element tensor, got shape " + shape);
        }
        return toFloatArray()[0];
    }

    /** The single value of a one-element int32 tensor. */
    public int intItem() {
        if (size() != 1) {
            throw new IllegalArgumentException("intItem() needs a one-element tensor, got shape " + shape);
        }
        return toIntArray()[0];
    }

    /** Frees the device memory. Idempotent. */
    @Override
    public void close() {
        backend.release(this);
    }

    /** Like {@code Tensor[64, 784] f32 on cpu}. */
    @Override
    public String toString() {
        return "Tensor" + shape + " " + dtype + " on " + backend.name() + (name != null ? " '" + name + "'" : "")
                + (closed ? " (closed)" : "");
    }
}
