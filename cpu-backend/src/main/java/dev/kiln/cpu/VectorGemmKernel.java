package dev.kiln.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD micro-kernel (jdk.incubator.vector): a 12 x 2-vector tile of C held in registers
 * (24 accumulators, 2 B vectors and a broadcast fit AVX-512's 32 registers), one FMA per lane and
 * step. Edge tiles with at most 8 or 4 rows, or one vector of columns, run smaller bodies on the
 * same packed panels rather than multiplying padding. Loaded only when the module is present.
 *
 * <p>Generated code: the tile bodies are unrolled by hand because C2 keeps only named locals in
 * registers.
 */
final class VectorGemmKernel implements GemmKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    static final int MR = 12;
    static final int NR = 2 * L;

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public String describe() {
        return "vector " + MR + "x" + NR + " (" + S.vectorBitSize() + "-bit)";
    }

    /** A read in place from row-major storage: element (r, p) at aOff + r * lda + p. */
    private static void tileRowA(int kc, float[] ap, int aOff, int lda, float[] bp, int bOff, int bStep, float[] c,
                                 int cOff, int ldc, int rows, int cols, float alpha, float beta, boolean first,
                                 float[] t) {
        if (cols > L) {
            if (rows > 8) {
                rows12x2(kc, ap, aOff, lda, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);
            } else if (rows > 4) {
                rows8x2(kc, ap, aOff, lda, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);
            } else {
                rows4x2(kc, ap, aOff, lda, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);
            }
        } else if (rows > 8) {
            rows12x1(kc, ap, aOff, lda, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);
        } else if (rows > 4) {
            rows8x1(kc, ap, aOff, lda, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);
        } else {
            rows4x1(kc, ap, aOff, lda, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);
        }
    }

    @Override
    public void tile(int kc, float[] ap, int aOff, int aRowStride, int aStep, float[] bp, int bOff, int bStep,
                     float[] c, int cOff, int ldc, int rows, int cols, float alpha, float beta, boolean first,
                     float[] t) {
        if (aRowStride != 1) {
            tileRowA(kc, ap, aOff, aRowStride, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);
            return;
        }
        if (cols > L) {
            if (rows > 8) {
                tile12x2(kc, ap, aOff, aStep, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);
            } else if (rows > 4) {
                tile8x2(kc, ap, aOff, aStep, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);
            } else {
                tile4x2(kc, ap, aOff, aStep, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);
            }
        } else if (rows > 8) {
            tile12x1(kc, ap, aOff, aStep, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);
        } else if (rows > 4) {
            tile8x1(kc, ap, aOff, aStep, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);
        } else {
            tile4x1(kc, ap, aOff, aStep, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);
        }
    }

    /** The 12 x 2-vector tile. */
    private static void tile12x2(int kc, float[] ap, int aOff, int aStep, float[] bp, int bOff, int bStep, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first, float[] t) {
        FloatVector c0_0 = FloatVector.zero(S);
        FloatVector c0_1 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S);
        FloatVector c1_1 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S);
        FloatVector c2_1 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S);
        FloatVector c3_1 = FloatVector.zero(S);
        FloatVector c4_0 = FloatVector.zero(S);
        FloatVector c4_1 = FloatVector.zero(S);
        FloatVector c5_0 = FloatVector.zero(S);
        FloatVector c5_1 = FloatVector.zero(S);
        FloatVector c6_0 = FloatVector.zero(S);
        FloatVector c6_1 = FloatVector.zero(S);
        FloatVector c7_0 = FloatVector.zero(S);
        FloatVector c7_1 = FloatVector.zero(S);
        FloatVector c8_0 = FloatVector.zero(S);
        FloatVector c8_1 = FloatVector.zero(S);
        FloatVector c9_0 = FloatVector.zero(S);
        FloatVector c9_1 = FloatVector.zero(S);
        FloatVector c10_0 = FloatVector.zero(S);
        FloatVector c10_1 = FloatVector.zero(S);
        FloatVector c11_0 = FloatVector.zero(S);
        FloatVector c11_1 = FloatVector.zero(S);
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a0.fma(b0, c0_0);
            c0_1 = a0.fma(b1, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a1.fma(b0, c1_0);
            c1_1 = a1.fma(b1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a2.fma(b0, c2_0);
            c2_1 = a2.fma(b1, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a3.fma(b0, c3_0);
            c3_1 = a3.fma(b1, c3_1);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a4.fma(b0, c4_0);
            c4_1 = a4.fma(b1, c4_1);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a5.fma(b0, c5_0);
            c5_1 = a5.fma(b1, c5_1);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a6.fma(b0, c6_0);
            c6_1 = a6.fma(b1, c6_1);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = a7.fma(b0, c7_0);
            c7_1 = a7.fma(b1, c7_1);
            FloatVector a8 = FloatVector.broadcast(S, ap[ai + 8]);
            c8_0 = a8.fma(b0, c8_0);
            c8_1 = a8.fma(b1, c8_1);
            FloatVector a9 = FloatVector.broadcast(S, ap[ai + 9]);
            c9_0 = a9.fma(b0, c9_0);
            c9_1 = a9.fma(b1, c9_1);
            FloatVector a10 = FloatVector.broadcast(S, ap[ai + 10]);
            c10_0 = a10.fma(b0, c10_0);
            c10_1 = a10.fma(b1, c10_1);
            FloatVector a11 = FloatVector.broadcast(S, ap[ai + 11]);
            c11_0 = a11.fma(b0, c11_0);
            c11_1 = a11.fma(b1, c11_1);
            ai += aStep;
            bi += bStep;
        }
        c0_0.intoArray(t, 0 * L);
        c0_1.intoArray(t, 0 * L + L);
        c1_0.intoArray(t, 2 * L);
        c1_1.intoArray(t, 2 * L + L);
        c2_0.intoArray(t, 4 * L);
        c2_1.intoArray(t, 4 * L + L);
        c3_0.intoArray(t, 6 * L);
        c3_1.intoArray(t, 6 * L + L);
        c4_0.intoArray(t, 8 * L);
        c4_1.intoArray(t, 8 * L + L);
        c5_0.intoArray(t, 10 * L);
        c5_1.intoArray(t, 10 * L + L);
        c6_0.intoArray(t, 12 * L);
        c6_1.intoArray(t, 12 * L + L);
        c7_0.intoArray(t, 14 * L);
        c7_1.intoArray(t, 14 * L + L);
        c8_0.intoArray(t, 16 * L);
        c8_1.intoArray(t, 16 * L + L);
        c9_0.intoArray(t, 18 * L);
        c9_1.intoArray(t, 18 * L + L);
        c10_0.intoArray(t, 20 * L);
        c10_1.intoArray(t, 20 * L + L);
        c11_0.intoArray(t, 22 * L);
        c11_1.intoArray(t, 22 * L + L);
        merge(t, 2 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
    }

    /** The 8 x 2-vector tile. */
    private static void tile8x2(int kc, float[] ap, int aOff, int aStep, float[] bp, int bOff, int bStep, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first, float[] t) {
        FloatVector c0_0 = FloatVector.zero(S);
        FloatVector c0_1 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S);
        FloatVector c1_1 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S);
        FloatVector c2_1 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S);
        FloatVector c3_1 = FloatVector.zero(S);
        FloatVector c4_0 = FloatVector.zero(S);
        FloatVector c4_1 = FloatVector.zero(S);
        FloatVector c5_0 = FloatVector.zero(S);
        FloatVector c5_1 = FloatVector.zero(S);
        FloatVector c6_0 = FloatVector.zero(S);
        FloatVector c6_1 = FloatVector.zero(S);
        FloatVector c7_0 = FloatVector.zero(S);
        FloatVector c7_1 = FloatVector.zero(S);
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a0.fma(b0, c0_0);
            c0_1 = a0.fma(b1, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a1.fma(b0, c1_0);
            c1_1 = a1.fma(b1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a2.fma(b0, c2_0);
            c2_1 = a2.fma(b1, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a3.fma(b0, c3_0);
            c3_1 = a3.fma(b1, c3_1);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a4.fma(b0, c4_0);
            c4_1 = a4.fma(b1, c4_1);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a5.fma(b0, c5_0);
            c5_1 = a5.fma(b1, c5_1);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a6.fma(b0, c6_0);
            c6_1 = a6.fma(b1, c6_1);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = a7.fma(b0, c7_0);
            c7_1 = a7.fma(b1, c7_1);
            ai += aStep;
            bi += bStep;
        }
        c0_0.intoArray(t, 0 * L);
        c0_1.intoArray(t, 0 * L + L);
        c1_0.intoArray(t, 2 * L);
        c1_1.intoArray(t, 2 * L + L);
        c2_0.intoArray(t, 4 * L);
        c2_1.intoArray(t, 4 * L + L);
        c3_0.intoArray(t, 6 * L);
        c3_1.intoArray(t, 6 * L + L);
        c4_0.intoArray(t, 8 * L);
        c4_1.intoArray(t, 8 * L + L);
        c5_0.intoArray(t, 10 * L);
        c5_1.intoArray(t, 10 * L + L);
        c6_0.intoArray(t, 12 * L);
        c6_1.intoArray(t, 12 * L + L);
        c7_0.intoArray(t, 14 * L);
        c7_1.intoArray(t, 14 * L + L);
        merge(t, 2 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
    }

    /** The 4 x 2-vector tile. */
    private static void tile4x2(int kc, float[] ap, int aOff, int aStep, float[] bp, int bOff, int bStep, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first, float[] t) {
        FloatVector c0_0 = FloatVector.zero(S);
        FloatVector c0_1 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S);
        FloatVector c1_1 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S);
        FloatVector c2_1 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S);
        FloatVector c3_1 = FloatVector.zero(S);
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a0.fma(b0, c0_0);
            c0_1 = a0.fma(b1, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a1.fma(b0, c1_0);
            c1_1 = a1.fma(b1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a2.fma(b0, c2_0);
            c2_1 = a2.fma(b1, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a3.fma(b0, c3_0);
            c3_1 = a3.fma(b1, c3_1);
            ai += aStep;
            bi += bStep;
        }
        c0_0.intoArray(t, 0 * L);
        c0_1.intoArray(t, 0 * L + L);
        c1_0.intoArray(t, 2 * L);
        c1_1.intoArray(t, 2 * L + L);
        c2_0.intoArray(t, 4 * L);
        c2_1.intoArray(t, 4 * L + L);
        c3_0.intoArray(t, 6 * L);
        c3_1.intoArray(t, 6 * L + L);
        merge(t, 2 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
    }

    /** The 12 x 1-vector tile. */
    private static void tile12x1(int kc, float[] ap, int aOff, int aStep, float[] bp, int bOff, int bStep, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first, float[] t) {
        FloatVector c0_0 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S);
        FloatVector c4_0 = FloatVector.zero(S);
        FloatVector c5_0 = FloatVector.zero(S);
        FloatVector c6_0 = FloatVector.zero(S);
        FloatVector c7_0 = FloatVector.zero(S);
        FloatVector c8_0 = FloatVector.zero(S);
        FloatVector c9_0 = FloatVector.zero(S);
        FloatVector c10_0 = FloatVector.zero(S);
        FloatVector c11_0 = FloatVector.zero(S);
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a0.fma(b0, c0_0);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a1.fma(b0, c1_0);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a2.fma(b0, c2_0);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a3.fma(b0, c3_0);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a4.fma(b0, c4_0);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a5.fma(b0, c5_0);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a6.fma(b0, c6_0);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = a7.fma(b0, c7_0);
            FloatVector a8 = FloatVector.broadcast(S, ap[ai + 8]);
            c8_0 = a8.fma(b0, c8_0);
            FloatVector a9 = FloatVector.broadcast(S, ap[ai + 9]);
            c9_0 = a9.fma(b0, c9_0);
            FloatVector a10 = FloatVector.broadcast(S, ap[ai + 10]);
            c10_0 = a10.fma(b0, c10_0);
            FloatVector a11 = FloatVector.broadcast(S, ap[ai + 11]);
            c11_0 = a11.fma(b0, c11_0);
            ai += aStep;
            bi += bStep;
        }
        c0_0.intoArray(t, 0 * L);
        c1_0.intoArray(t, 1 * L);
        c2_0.intoArray(t, 2 * L);
        c3_0.intoArray(t, 3 * L);
        c4_0.intoArray(t, 4 * L);
        c5_0.intoArray(t, 5 * L);
        c6_0.intoArray(t, 6 * L);
        c7_0.intoArray(t, 7 * L);
        c8_0.intoArray(t, 8 * L);
        c9_0.intoArray(t, 9 * L);
        c10_0.intoArray(t, 10 * L);
        c11_0.intoArray(t, 11 * L);
        merge(t, 1 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
    }

    /** The 8 x 1-vector tile. */
    private static void tile8x1(int kc, float[] ap, int aOff, int aStep, float[] bp, int bOff, int bStep, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first, float[] t) {
        FloatVector c0_0 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S);
        FloatVector c4_0 = FloatVector.zero(S);
        FloatVector c5_0 = FloatVector.zero(S);
        FloatVector c6_0 = FloatVector.zero(S);
        FloatVector c7_0 = FloatVector.zero(S);
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a0.fma(b0, c0_0);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a1.fma(b0, c1_0);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a2.fma(b0, c2_0);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a3.fma(b0, c3_0);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a4.fma(b0, c4_0);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a5.fma(b0, c5_0);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a6.fma(b0, c6_0);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = a7.fma(b0, c7_0);
            ai += aStep;
            bi += bStep;
        }
        c0_0.intoArray(t, 0 * L);
        c1_0.intoArray(t, 1 * L);
        c2_0.intoArray(t, 2 * L);
        c3_0.intoArray(t, 3 * L);
        c4_0.intoArray(t, 4 * L);
        c5_0.intoArray(t, 5 * L);
        c6_0.intoArray(t, 6 * L);
        c7_0.intoArray(t, 7 * L);
        merge(t, 1 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
    }

    /** The 4 x 1-vector tile. */
    private static void tile4x1(int kc, float[] ap, int aOff, int aStep, float[] bp, int bOff, int bStep, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first, float[] t) {
        FloatVector c0_0 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S);
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a0.fma(b0, c0_0);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a1.fma(b0, c1_0);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a2.fma(b0, c2_0);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a3.fma(b0, c3_0);
            ai += aStep;
            bi += bStep;
        }
        c0_0.intoArray(t, 0 * L);
        c1_0.intoArray(t, 1 * L);
        c2_0.intoArray(t, 2 * L);
        c3_0.intoArray(t, 3 * L);
        merge(t, 1 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
    }

    /** The 12 x 2-vector tile with A read in place from row-major storage (row stride lda). */
    private static void rows12x2(int kc, float[] ap, int aOff, int lda, float[] bp, int bOff, int bStep, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first, float[] t) {
        FloatVector c0_0 = FloatVector.zero(S);
        FloatVector c0_1 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S);
        FloatVector c1_1 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S);
        FloatVector c2_1 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S);
        FloatVector c3_1 = FloatVector.zero(S);
        FloatVector c4_0 = FloatVector.zero(S);
        FloatVector c4_1 = FloatVector.zero(S);
        FloatVector c5_0 = FloatVector.zero(S);
        FloatVector c5_1 = FloatVector.zero(S);
        FloatVector c6_0 = FloatVector.zero(S);
        FloatVector c6_1 = FloatVector.zero(S);
        FloatVector c7_0 = FloatVector.zero(S);
        FloatVector c7_1 = FloatVector.zero(S);
        FloatVector c8_0 = FloatVector.zero(S);
        FloatVector c8_1 = FloatVector.zero(S);
        FloatVector c9_0 = FloatVector.zero(S);
        FloatVector c9_1 = FloatVector.zero(S);
        FloatVector c10_0 = FloatVector.zero(S);
        FloatVector c10_1 = FloatVector.zero(S);
        FloatVector c11_0 = FloatVector.zero(S);
        FloatVector c11_1 = FloatVector.zero(S);
        int ai = aOff;
        int o1 = 1 * lda;
        int o2 = 2 * lda;
        int o3 = 3 * lda;
        int o4 = 4 * lda;
        int o5 = 5 * lda;
        int o6 = 6 * lda;
        int o7 = 7 * lda;
        int o8 = 8 * lda;
        int o9 = 9 * lda;
        int o10 = 10 * lda;
        int o11 = 11 * lda;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a0.fma(b0, c0_0);
            c0_1 = a0.fma(b1, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + o1]);
            c1_0 = a1.fma(b0, c1_0);
            c1_1 = a1.fma(b1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + o2]);
            c2_0 = a2.fma(b0, c2_0);
            c2_1 = a2.fma(b1, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + o3]);
            c3_0 = a3.fma(b0, c3_0);
            c3_1 = a3.fma(b1, c3_1);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + o4]);
            c4_0 = a4.fma(b0, c4_0);
            c4_1 = a4.fma(b1, c4_1);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + o5]);
            c5_0 = a5.fma(b0, c5_0);
            c5_1 = a5.fma(b1, c5_1);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + o6]);
            c6_0 = a6.fma(b0, c6_0);
            c6_1 = a6.fma(b1, c6_1);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + o7]);
            c7_0 = a7.fma(b0, c7_0);
            c7_1 = a7.fma(b1, c7_1);
            FloatVector a8 = FloatVector.broadcast(S, ap[ai + o8]);
            c8_0 = a8.fma(b0, c8_0);
            c8_1 = a8.fma(b1, c8_1);
            FloatVector a9 = FloatVector.broadcast(S, ap[ai + o9]);
            c9_0 = a9.fma(b0, c9_0);
            c9_1 = a9.fma(b1, c9_1);
            FloatVector a10 = FloatVector.broadcast(S, ap[ai + o10]);
            c10_0 = a10.fma(b0, c10_0);
            c10_1 = a10.fma(b1, c10_1);
            FloatVector a11 = FloatVector.broadcast(S, ap[ai + o11]);
            c11_0 = a11.fma(b0, c11_0);
            c11_1 = a11.fma(b1, c11_1);
            ai++;
            bi += bStep;
        }
        c0_0.intoArray(t, 0 * L);
        c0_1.intoArray(t, 0 * L + L);
        c1_0.intoArray(t, 2 * L);
        c1_1.intoArray(t, 2 * L + L);
        c2_0.intoArray(t, 4 * L);
        c2_1.intoArray(t, 4 * L + L);
        c3_0.intoArray(t, 6 * L);
        c3_1.intoArray(t, 6 * L + L);
        c4_0.intoArray(t, 8 * L);
        c4_1.intoArray(t, 8 * L + L);
        c5_0.intoArray(t, 10 * L);
        c5_1.intoArray(t, 10 * L + L);
        c6_0.intoArray(t, 12 * L);
        c6_1.intoArray(t, 12 * L + L);
        c7_0.intoArray(t, 14 * L);
        c7_1.intoArray(t, 14 * L + L);
        c8_0.intoArray(t, 16 * L);
        c8_1.intoArray(t, 16 * L + L);
        c9_0.intoArray(t, 18 * L);
        c9_1.intoArray(t, 18 * L + L);
        c10_0.intoArray(t, 20 * L);
        c10_1.intoArray(t, 20 * L + L);
        c11_0.intoArray(t, 22 * L);
        c11_1.intoArray(t, 22 * L + L);
        merge(t, 2 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
    }

    /** The 8 x 2-vector tile with A read in place from row-major storage (row stride lda). */
    private static void rows8x2(int kc, float[] ap, int aOff, int lda, float[] bp, int bOff, int bStep, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first, float[] t) {
        FloatVector c0_0 = FloatVector.zero(S);
        FloatVector c0_1 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S);
        FloatVector c1_1 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S);
        FloatVector c2_1 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S);
        FloatVector c3_1 = FloatVector.zero(S);
        FloatVector c4_0 = FloatVector.zero(S);
        FloatVector c4_1 = FloatVector.zero(S);
        FloatVector c5_0 = FloatVector.zero(S);
        FloatVector c5_1 = FloatVector.zero(S);
        FloatVector c6_0 = FloatVector.zero(S);
        FloatVector c6_1 = FloatVector.zero(S);
        FloatVector c7_0 = FloatVector.zero(S);
        FloatVector c7_1 = FloatVector.zero(S);
        int ai = aOff;
        int o1 = 1 * lda;
        int o2 = 2 * lda;
        int o3 = 3 * lda;
        int o4 = 4 * lda;
        int o5 = 5 * lda;
        int o6 = 6 * lda;
        int o7 = 7 * lda;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a0.fma(b0, c0_0);
            c0_1 = a0.fma(b1, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + o1]);
            c1_0 = a1.fma(b0, c1_0);
            c1_1 = a1.fma(b1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + o2]);
            c2_0 = a2.fma(b0, c2_0);
            c2_1 = a2.fma(b1, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + o3]);
            c3_0 = a3.fma(b0, c3_0);
            c3_1 = a3.fma(b1, c3_1);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + o4]);
            c4_0 = a4.fma(b0, c4_0);
            c4_1 = a4.fma(b1, c4_1);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + o5]);
            c5_0 = a5.fma(b0, c5_0);
            c5_1 = a5.fma(b1, c5_1);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + o6]);
            c6_0 = a6.fma(b0, c6_0);
            c6_1 = a6.fma(b1, c6_1);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + o7]);
            c7_0 = a7.fma(b0, c7_0);
            c7_1 = a7.fma(b1, c7_1);
            ai++;
            bi += bStep;
        }
        c0_0.intoArray(t, 0 * L);
        c0_1.intoArray(t, 0 * L + L);
        c1_0.intoArray(t, 2 * L);
        c1_1.intoArray(t, 2 * L + L);
        c2_0.intoArray(t, 4 * L);
        c2_1.intoArray(t, 4 * L + L);
        c3_0.intoArray(t, 6 * L);
        c3_1.intoArray(t, 6 * L + L);
        c4_0.intoArray(t, 8 * L);
        c4_1.intoArray(t, 8 * L + L);
        c5_0.intoArray(t, 10 * L);
        c5_1.intoArray(t, 10 * L + L);
        c6_0.intoArray(t, 12 * L);
        c6_1.intoArray(t, 12 * L + L);
        c7_0.intoArray(t, 14 * L);
        c7_1.intoArray(t, 14 * L + L);
        merge(t, 2 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
    }

    /** The 4 x 2-vector tile with A read in place from row-major storage (row stride lda). */
    private static void rows4x2(int kc, float[] ap, int aOff, int lda, float[] bp, int bOff, int bStep, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first, float[] t) {
        FloatVector c0_0 = FloatVector.zero(S);
        FloatVector c0_1 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S);
        FloatVector c1_1 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S);
        FloatVector c2_1 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S);
        FloatVector c3_1 = FloatVector.zero(S);
        int ai = aOff;
        int o1 = 1 * lda;
        int o2 = 2 * lda;
        int o3 = 3 * lda;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a0.fma(b0, c0_0);
            c0_1 = a0.fma(b1, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + o1]);
            c1_0 = a1.fma(b0, c1_0);
            c1_1 = a1.fma(b1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + o2]);
            c2_0 = a2.fma(b0, c2_0);
            c2_1 = a2.fma(b1, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + o3]);
            c3_0 = a3.fma(b0, c3_0);
            c3_1 = a3.fma(b1, c3_1);
            ai++;
            bi += bStep;
        }
        c0_0.intoArray(t, 0 * L);
        c0_1.intoArray(t, 0 * L + L);
        c1_0.intoArray(t, 2 * L);
        c1_1.intoArray(t, 2 * L + L);
        c2_0.intoArray(t, 4 * L);
        c2_1.intoArray(t, 4 * L + L);
        c3_0.intoArray(t, 6 * L);
        c3_1.intoArray(t, 6 * L + L);
        merge(t, 2 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
    }

    /** The 12 x 1-vector tile with A read in place from row-major storage (row stride lda). */
    private static void rows12x1(int kc, float[] ap, int aOff, int lda, float[] bp, int bOff, int bStep, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first, float[] t) {
        FloatVector c0_0 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S);
        FloatVector c4_0 = FloatVector.zero(S);
        FloatVector c5_0 = FloatVector.zero(S);
        FloatVector c6_0 = FloatVector.zero(S);
        FloatVector c7_0 = FloatVector.zero(S);
        FloatVector c8_0 = FloatVector.zero(S);
        FloatVector c9_0 = FloatVector.zero(S);
        FloatVector c10_0 = FloatVector.zero(S);
        FloatVector c11_0 = FloatVector.zero(S);
        int ai = aOff;
        int o1 = 1 * lda;
        int o2 = 2 * lda;
        int o3 = 3 * lda;
        int o4 = 4 * lda;
        int o5 = 5 * lda;
        int o6 = 6 * lda;
        int o7 = 7 * lda;
        int o8 = 8 * lda;
        int o9 = 9 * lda;
        int o10 = 10 * lda;
        int o11 = 11 * lda;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a0.fma(b0, c0_0);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + o1]);
            c1_0 = a1.fma(b0, c1_0);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + o2]);
            c2_0 = a2.fma(b0, c2_0);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + o3]);
            c3_0 = a3.fma(b0, c3_0);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + o4]);
            c4_0 = a4.fma(b0, c4_0);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + o5]);
            c5_0 = a5.fma(b0, c5_0);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + o6]);
            c6_0 = a6.fma(b0, c6_0);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + o7]);
            c7_0 = a7.fma(b0, c7_0);
            FloatVector a8 = FloatVector.broadcast(S, ap[ai + o8]);
            c8_0 = a8.fma(b0, c8_0);
            FloatVector a9 = FloatVector.broadcast(S, ap[ai + o9]);
            c9_0 = a9.fma(b0, c9_0);
            FloatVector a10 = FloatVector.broadcast(S, ap[ai + o10]);
            c10_0 = a10.fma(b0, c10_0);
            FloatVector a11 = FloatVector.broadcast(S, ap[ai + o11]);
            c11_0 = a11.fma(b0, c11_0);
            ai++;
            bi += bStep;
        }
        c0_0.intoArray(t, 0 * L);
        c1_0.intoArray(t, 1 * L);
        c2_0.intoArray(t, 2 * L);
        c3_0.intoArray(t, 3 * L);
        c4_0.intoArray(t, 4 * L);
        c5_0.intoArray(t, 5 * L);
        c6_0.intoArray(t, 6 * L);
        c7_0.intoArray(t, 7 * L);
        c8_0.intoArray(t, 8 * L);
        c9_0.intoArray(t, 9 * L);
        c10_0.intoArray(t, 10 * L);
        c11_0.intoArray(t, 11 * L);
        merge(t, 1 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
    }

    /** The 8 x 1-vector tile with A read in place from row-major storage (row stride lda). */
    private static void rows8x1(int kc, float[] ap, int aOff, int lda, float[] bp, int bOff, int bStep, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first, float[] t) {
        FloatVector c0_0 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S);
        FloatVector c4_0 = FloatVector.zero(S);
        FloatVector c5_0 = FloatVector.zero(S);
        FloatVector c6_0 = FloatVector.zero(S);
        FloatVector c7_0 = FloatVector.zero(S);
        int ai = aOff;
        int o1 = 1 * lda;
        int o2 = 2 * lda;
        int o3 = 3 * lda;
        int o4 = 4 * lda;
        int o5 = 5 * lda;
        int o6 = 6 * lda;
        int o7 = 7 * lda;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a0.fma(b0, c0_0);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + o1]);
            c1_0 = a1.fma(b0, c1_0);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + o2]);
            c2_0 = a2.fma(b0, c2_0);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + o3]);
            c3_0 = a3.fma(b0, c3_0);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + o4]);
            c4_0 = a4.fma(b0, c4_0);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + o5]);
            c5_0 = a5.fma(b0, c5_0);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + o6]);
            c6_0 = a6.fma(b0, c6_0);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + o7]);
            c7_0 = a7.fma(b0, c7_0);
            ai++;
            bi += bStep;
        }
        c0_0.intoArray(t, 0 * L);
        c1_0.intoArray(t, 1 * L);
        c2_0.intoArray(t, 2 * L);
        c3_0.intoArray(t, 3 * L);
        c4_0.intoArray(t, 4 * L);
        c5_0.intoArray(t, 5 * L);
        c6_0.intoArray(t, 6 * L);
        c7_0.intoArray(t, 7 * L);
        merge(t, 1 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
    }

    /** The 4 x 1-vector tile with A read in place from row-major storage (row stride lda). */
    private static void rows4x1(int kc, float[] ap, int aOff, int lda, float[] bp, int bOff, int bStep, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first, float[] t) {
        FloatVector c0_0 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S);
        int ai = aOff;
        int o1 = 1 * lda;
        int o2 = 2 * lda;
        int o3 = 3 * lda;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a0.fma(b0, c0_0);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + o1]);
            c1_0 = a1.fma(b0, c1_0);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + o2]);
            c2_0 = a2.fma(b0, c2_0);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + o3]);
            c3_0 = a3.fma(b0, c3_0);
            ai++;
            bi += bStep;
        }
        c0_0.intoArray(t, 0 * L);
        c1_0.intoArray(t, 1 * L);
        c2_0.intoArray(t, 2 * L);
        c3_0.intoArray(t, 3 * L);
        merge(t, 1 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
    }

    /** Merges the rows x cols corner of a tile spilled to {@code t} (row stride {@code width}) into C. */
    private static void merge(float[] t, int width, float[] c, int cOff, int ldc, int rows, int cols, float alpha,
                              float beta, boolean first) {
        if (cols == width) {
            FloatVector av = FloatVector.broadcast(S, alpha);
            FloatVector bv = FloatVector.broadcast(S, beta);
            for (int r = 0; r < rows; r++) {
                for (int v = 0; v < width; v += L) {
                    int o = cOff + r * ldc + v;
                    FloatVector acc = FloatVector.fromArray(S, t, r * width + v);
                    // exactly GemmKernel.update, lane by lane
                    if (!first) {
                        acc.fma(av, FloatVector.fromArray(S, c, o)).intoArray(c, o);
                    } else if (beta == 0f) {
                        acc.mul(av).intoArray(c, o);
                    } else {
                        FloatVector.fromArray(S, c, o).fma(bv, acc.mul(av)).intoArray(c, o);
                    }
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            int row = cOff + r * ldc;
            for (int j = 0; j < cols; j++) {
                c[row + j] = GemmKernel.update(t[r * width + j], first && beta == 0f ? 0f : c[row + j], alpha, beta,
                        first);
            }
        }
    }
}
