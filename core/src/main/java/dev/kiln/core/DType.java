package dev.kiln.core;

/** The element types a {@link Tensor} can hold: float32 for data, int32 for class labels and counters. */
public enum DType {
    F32(4, "f32"),
    I32(4, "i32");

    private final int byteSize;
    private final String shortName;

    DType(int byteSize, String shortName) {
        this.byteSize = byteSize;
        this.shortName = shortName;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    @Override
    public String toString() {
        return shortName;
    }
}
