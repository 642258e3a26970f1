package dev.kiln.core;

import java.util.Arrays;

/**
 * The dimensions of a tensor, row-major. Immutable; every dimension is at least 0 and the element
 * count fits in an {@code int}, so that every backend can index with 32-bit integers.
 */
public final class Shape {
    private final int[] dims;
    private final int size;

    private Shape(int[] dims) {
        long n = 1;
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(dims));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims)
                        + " has more than 2^31-1 elements, which Kiln cannot index");
            }
        }
        this.dims = dims;
        this.size = (int) n;
    }

    /** A shape with the given dimensions; {@code Shape.of()} is a scalar. */
    public static Shape of(int... dims) {
        if (dims.length > 8) {
            throw new IllegalArgumentException("rank " + dims.length + " is over the supported 8");
        }
        return new Shape(dims.clone());
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int i) {
        return dims[i];
    }

    public int[] dims() {
        return dims.clone();
    }

    /** Number of elements. */
    public int size() {
        return size;
    }

    /** The first dimension of a rank-2 shape, or 1 for rank 1. */
    public int rows() {
        return dims.length == 2 ? dims[0] : 1;
    }

    /** The last dimension (1 for a scalar). */
    public int cols() {
        return dims.length == 0 ? 1 : dims[dims.length - 1];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** Like {@code [64, 784]}. */
    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
