package dev.kiln.cpu;

/**
 * A GEMM micro-kernel: one MR x NR tile of C from a packed A micro-panel and a packed B
 * micro-panel.
 *
 * <p>Operands: element (r, p) of the A micro-panel (row r of the tile, step p) is at
 * {@code aOff + r * aRowStride + p * aStep}; step p of the B micro-panel {@code nr()} values (row p of the tile's
 * columns) at {@code bOff + p * bStep}. Packed panels have row stride 1 and steps {@link #packStep()} and {@code nr()}
 * and are zero-padded; an operand whose layout already fits is read in place with its own
 * stride (only for whole panels, so nothing past the array is read). Every kernel computes, for each element,
 * {@code acc = fma(a_p, b_p, acc)} for p ascending from 0, then applies {@link #update}: so all
 * kernels give bit-identical results, whatever their tile shape or SIMD width.
 */
interface GemmKernel {

    /** Rows per tile. */
    int mr();

    /** Columns per tile. */
    int nr();

    /**
     * Rows of multiply-adds this kernel runs for an operand of {@code m} rows: whole tiles of
     * {@link #mr()} (edge tiles on zero padding) unless the kernel has smaller remainder tiles.
     */
    default long rowsComputed(int m) {
        return ((long) m + mr() - 1) / mr() * mr();
    }

    /**
     * Floats per step in a packed A micro-panel: {@link #mr()}, or more where the kernel reads
     * packed panels faster with padding (the 6-row AVX2 tile takes 8: a power-of-two stride lets
     * the JIT drop the bounds checks from its loop). Rows past {@code mr()} are zero and unread.
     */
    default int packStep() {
        return mr();
    }

    /**
     * An operand used at least this many times per element (A's elements n times, B's m times) is
     * packed even when it is small enough to be read in place: for kernels whose packed-panel body
     * is faster than the general one. No limit by default.
     */
    default int packedReuse() {
        return Integer.MAX_VALUE;
    }

    /** A short description for logs and {@code kiln info}. */
    String describe();

    /**
     * Computes the tile and merges it into C at {@code c[cOff..]} (row stride {@code ldc}); only
     * {@code rows x cols} of the tile are written. {@code first} says whether this is the first
     * K block (then C is scaled by beta, and not read when beta is 0). {@code scratch} holds at
     * least {@code mr() * nr()} floats that the calling thread owns.
     */
    void tile(int kc, float[] ap, int aOff, int aRowStride, int aStep, float[] bp, int bOff, int bStep, float[] c,
              int cOff, int ldc, int rows, int cols, float alpha, float beta, boolean first, float[] scratch);

    /** The merge of one accumulated value into C; the SIMD kernels do exactly this per lane. */
    static float update(float acc, float old, float alpha, float beta, boolean first) {
        if (!first) {
            return Math.fma(acc, alpha, old);
        }
        return beta == 0f ? acc * alpha : Math.fma(old, beta, acc * alpha);
    }
}
