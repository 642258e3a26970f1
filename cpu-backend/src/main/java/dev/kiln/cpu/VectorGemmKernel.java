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

    @Override
    public void tile(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc, int rows,
                     int cols, float alpha, float beta, boolean first) {
        if (cols > L) {
            if (rows > 8) {
                tile12x2(kc, ap, aOff, bp, bOff, c, cOff, ldc, rows, cols, alpha, beta, first);
            } else if (rows > 4) {
                tile8x2(kc, ap, aOff, bp, bOff, c, cOff, ldc, rows, cols, alpha, beta, first);
            } else {
                tile4x2(kc, ap, aOff, bp, bOff, c, cOff, ldc, rows, cols, alpha, beta, first);
            }
        } else if (rows > 8) {
            tile12x1(kc, ap, aOff, bp, bOff, c, cOff, ldc, rows, cols, alpha, beta, first);
        } else if (rows > 4) {
            tile8x1(kc, ap, aOff, bp, bOff, c, cOff, ldc, rows, cols, alpha, beta, first);
        } else {
            tile4x1(kc, ap, aOff, bp, bOff, c, cOff, ldc, rows, cols, alpha, beta, first);
        }
    }

    /** The 12 x 2-vector tile; the packed panels are MR and NR wide. */
    private static void tile12x2(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S);
        FloatVector c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S);
        FloatVector c71 = FloatVector.zero(S);
        FloatVector c80 = FloatVector.zero(S);
        FloatVector c81 = FloatVector.zero(S);
        FloatVector c90 = FloatVector.zero(S);
        FloatVector c91 = FloatVector.zero(S);
        FloatVector c100 = FloatVector.zero(S);
        FloatVector c101 = FloatVector.zero(S);
        FloatVector c110 = FloatVector.zero(S);
        FloatVector c111 = FloatVector.zero(S);
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
            FloatVector a8 = FloatVector.broadcast(S, ap[ai + 8]);
            c80 = a8.fma(b0, c80);
            c81 = a8.fma(b1, c81);
            FloatVector a9 = FloatVector.broadcast(S, ap[ai + 9]);
            c90 = a9.fma(b0, c90);
            c91 = a9.fma(b1, c91);
            FloatVector a10 = FloatVector.broadcast(S, ap[ai + 10]);
            c100 = a10.fma(b0, c100);
            c101 = a10.fma(b1, c101);
            FloatVector a11 = FloatVector.broadcast(S, ap[ai + 11]);
            c110 = a11.fma(b0, c110);
            c111 = a11.fma(b1, c111);
            ai += MR;
            bi += NR;
        }
        if (rows == 12 && cols == 2 * L) {
            FloatVector av = FloatVector.broadcast(S, alpha);
            FloatVector bv = FloatVector.broadcast(S, beta);
            boolean betaZero = beta == 0f;
            merge(c00, c, cOff, av, bv, betaZero, first);
            merge(c01, c, cOff + L, av, bv, betaZero, first);
            merge(c10, c, cOff + 1 * ldc, av, bv, betaZero, first);
            merge(c11, c, cOff + 1 * ldc + L, av, bv, betaZero, first);
            merge(c20, c, cOff + 2 * ldc, av, bv, betaZero, first);
            merge(c21, c, cOff + 2 * ldc + L, av, bv, betaZero, first);
            merge(c30, c, cOff + 3 * ldc, av, bv, betaZero, first);
            merge(c31, c, cOff + 3 * ldc + L, av, bv, betaZero, first);
            merge(c40, c, cOff + 4 * ldc, av, bv, betaZero, first);
            merge(c41, c, cOff + 4 * ldc + L, av, bv, betaZero, first);
            merge(c50, c, cOff + 5 * ldc, av, bv, betaZero, first);
            merge(c51, c, cOff + 5 * ldc + L, av, bv, betaZero, first);
            merge(c60, c, cOff + 6 * ldc, av, bv, betaZero, first);
            merge(c61, c, cOff + 6 * ldc + L, av, bv, betaZero, first);
            merge(c70, c, cOff + 7 * ldc, av, bv, betaZero, first);
            merge(c71, c, cOff + 7 * ldc + L, av, bv, betaZero, first);
            merge(c80, c, cOff + 8 * ldc, av, bv, betaZero, first);
            merge(c81, c, cOff + 8 * ldc + L, av, bv, betaZero, first);
            merge(c90, c, cOff + 9 * ldc, av, bv, betaZero, first);
            merge(c91, c, cOff + 9 * ldc + L, av, bv, betaZero, first);
            merge(c100, c, cOff + 10 * ldc, av, bv, betaZero, first);
            merge(c101, c, cOff + 10 * ldc + L, av, bv, betaZero, first);
            merge(c110, c, cOff + 11 * ldc, av, bv, betaZero, first);
            merge(c111, c, cOff + 11 * ldc + L, av, bv, betaZero, first);
        } else {
            float[] t = new float[12 * 2 * L];
            c00.intoArray(t, 0 * L);
            c01.intoArray(t, 0 * L + L);
            c10.intoArray(t, 2 * L);
            c11.intoArray(t, 2 * L + L);
            c20.intoArray(t, 4 * L);
            c21.intoArray(t, 4 * L + L);
            c30.intoArray(t, 6 * L);
            c31.intoArray(t, 6 * L + L);
            c40.intoArray(t, 8 * L);
            c41.intoArray(t, 8 * L + L);
            c50.intoArray(t, 10 * L);
            c51.intoArray(t, 10 * L + L);
            c60.intoArray(t, 12 * L);
            c61.intoArray(t, 12 * L + L);
            c70.intoArray(t, 14 * L);
            c71.intoArray(t, 14 * L + L);
            c80.intoArray(t, 16 * L);
            c81.intoArray(t, 16 * L + L);
            c90.intoArray(t, 18 * L);
            c91.intoArray(t, 18 * L + L);
            c100.intoArray(t, 20 * L);
            c101.intoArray(t, 20 * L + L);
            c110.intoArray(t, 22 * L);
            c111.intoArray(t, 22 * L + L);
            mergeTail(t, 2 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
        }
    }

    /** The 8 x 2-vector tile; the packed panels are MR and NR wide. */
    private static void tile8x2(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S);
        FloatVector c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S);
        FloatVector c71 = FloatVector.zero(S);
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
            ai += MR;
            bi += NR;
        }
        if (rows == 8 && cols == 2 * L) {
            FloatVector av = FloatVector.broadcast(S, alpha);
            FloatVector bv = FloatVector.broadcast(S, beta);
            boolean betaZero = beta == 0f;
            merge(c00, c, cOff, av, bv, betaZero, first);
            merge(c01, c, cOff + L, av, bv, betaZero, first);
            merge(c10, c, cOff + 1 * ldc, av, bv, betaZero, first);
            merge(c11, c, cOff + 1 * ldc + L, av, bv, betaZero, first);
            merge(c20, c, cOff + 2 * ldc, av, bv, betaZero, first);
            merge(c21, c, cOff + 2 * ldc + L, av, bv, betaZero, first);
            merge(c30, c, cOff + 3 * ldc, av, bv, betaZero, first);
            merge(c31, c, cOff + 3 * ldc + L, av, bv, betaZero, first);
            merge(c40, c, cOff + 4 * ldc, av, bv, betaZero, first);
            merge(c41, c, cOff + 4 * ldc + L, av, bv, betaZero, first);
            merge(c50, c, cOff + 5 * ldc, av, bv, betaZero, first);
            merge(c51, c, cOff + 5 * ldc + L, av, bv, betaZero, first);
            merge(c60, c, cOff + 6 * ldc, av, bv, betaZero, first);
            merge(c61, c, cOff + 6 * ldc + L, av, bv, betaZero, first);
            merge(c70, c, cOff + 7 * ldc, av, bv, betaZero, first);
            merge(c71, c, cOff + 7 * ldc + L, av, bv, betaZero, first);
        } else {
            float[] t = new float[8 * 2 * L];
            c00.intoArray(t, 0 * L);
            c01.intoArray(t, 0 * L + L);
            c10.intoArray(t, 2 * L);
            c11.intoArray(t, 2 * L + L);
            c20.intoArray(t, 4 * L);
            c21.intoArray(t, 4 * L + L);
            c30.intoArray(t, 6 * L);
            c31.intoArray(t, 6 * L + L);
            c40.intoArray(t, 8 * L);
            c41.intoArray(t, 8 * L + L);
            c50.intoArray(t, 10 * L);
            c51.intoArray(t, 10 * L + L);
            c60.intoArray(t, 12 * L);
            c61.intoArray(t, 12 * L + L);
            c70.intoArray(t, 14 * L);
            c71.intoArray(t, 14 * L + L);
            mergeTail(t, 2 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
        }
    }

    /** The 4 x 2-vector tile; the packed panels are MR and NR wide. */
    private static void tile4x2(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            ai += MR;
            bi += NR;
        }
        if (rows == 4 && cols == 2 * L) {
            FloatVector av = FloatVector.broadcast(S, alpha);
            FloatVector bv = FloatVector.broadcast(S, beta);
            boolean betaZero = beta == 0f;
            merge(c00, c, cOff, av, bv, betaZero, first);
            merge(c01, c, cOff + L, av, bv, betaZero, first);
            merge(c10, c, cOff + 1 * ldc, av, bv, betaZero, first);
            merge(c11, c, cOff + 1 * ldc + L, av, bv, betaZero, first);
            merge(c20, c, cOff + 2 * ldc, av, bv, betaZero, first);
            merge(c21, c, cOff + 2 * ldc + L, av, bv, betaZero, first);
            merge(c30, c, cOff + 3 * ldc, av, bv, betaZero, first);
            merge(c31, c, cOff + 3 * ldc + L, av, bv, betaZero, first);
        } else {
            float[] t = new float[4 * 2 * L];
            c00.intoArray(t, 0 * L);
            c01.intoArray(t, 0 * L + L);
            c10.intoArray(t, 2 * L);
            c11.intoArray(t, 2 * L + L);
            c20.intoArray(t, 4 * L);
            c21.intoArray(t, 4 * L + L);
            c30.intoArray(t, 6 * L);
            c31.intoArray(t, 6 * L + L);
            mergeTail(t, 2 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
        }
    }

    /** The 12 x 1-vector tile; the packed panels are MR and NR wide. */
    private static void tile12x1(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S);
        FloatVector c80 = FloatVector.zero(S);
        FloatVector c90 = FloatVector.zero(S);
        FloatVector c100 = FloatVector.zero(S);
        FloatVector c110 = FloatVector.zero(S);
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = a6.fma(b0, c60);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = a7.fma(b0, c70);
            FloatVector a8 = FloatVector.broadcast(S, ap[ai + 8]);
            c80 = a8.fma(b0, c80);
            FloatVector a9 = FloatVector.broadcast(S, ap[ai + 9]);
            c90 = a9.fma(b0, c90);
            FloatVector a10 = FloatVector.broadcast(S, ap[ai + 10]);
            c100 = a10.fma(b0, c100);
            FloatVector a11 = FloatVector.broadcast(S, ap[ai + 11]);
            c110 = a11.fma(b0, c110);
            ai += MR;
            bi += NR;
        }
        if (rows == 12 && cols == 1 * L) {
            FloatVector av = FloatVector.broadcast(S, alpha);
            FloatVector bv = FloatVector.broadcast(S, beta);
            boolean betaZero = beta == 0f;
            merge(c00, c, cOff, av, bv, betaZero, first);
            merge(c10, c, cOff + 1 * ldc, av, bv, betaZero, first);
            merge(c20, c, cOff + 2 * ldc, av, bv, betaZero, first);
            merge(c30, c, cOff + 3 * ldc, av, bv, betaZero, first);
            merge(c40, c, cOff + 4 * ldc, av, bv, betaZero, first);
            merge(c50, c, cOff + 5 * ldc, av, bv, betaZero, first);
            merge(c60, c, cOff + 6 * ldc, av, bv, betaZero, first);
            merge(c70, c, cOff + 7 * ldc, av, bv, betaZero, first);
            merge(c80, c, cOff + 8 * ldc, av, bv, betaZero, first);
            merge(c90, c, cOff + 9 * ldc, av, bv, betaZero, first);
            merge(c100, c, cOff + 10 * ldc, av, bv, betaZero, first);
            merge(c110, c, cOff + 11 * ldc, av, bv, betaZero, first);
        } else {
            float[] t = new float[12 * 1 * L];
            c00.intoArray(t, 0 * L);
            c10.intoArray(t, 1 * L);
            c20.intoArray(t, 2 * L);
            c30.intoArray(t, 3 * L);
            c40.intoArray(t, 4 * L);
            c50.intoArray(t, 5 * L);
            c60.intoArray(t, 6 * L);
            c70.intoArray(t, 7 * L);
            c80.intoArray(t, 8 * L);
            c90.intoArray(t, 9 * L);
            c100.intoArray(t, 10 * L);
            c110.intoArray(t, 11 * L);
            mergeTail(t, 1 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
        }
    }

    /** The 8 x 1-vector tile; the packed panels are MR and NR wide. */
    private static void tile8x1(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S);
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = a6.fma(b0, c60);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = a7.fma(b0, c70);
            ai += MR;
            bi += NR;
        }
        if (rows == 8 && cols == 1 * L) {
            FloatVector av = FloatVector.broadcast(S, alpha);
            FloatVector bv = FloatVector.broadcast(S, beta);
            boolean betaZero = beta == 0f;
            merge(c00, c, cOff, av, bv, betaZero, first);
            merge(c10, c, cOff + 1 * ldc, av, bv, betaZero, first);
            merge(c20, c, cOff + 2 * ldc, av, bv, betaZero, first);
            merge(c30, c, cOff + 3 * ldc, av, bv, betaZero, first);
            merge(c40, c, cOff + 4 * ldc, av, bv, betaZero, first);
            merge(c50, c, cOff + 5 * ldc, av, bv, betaZero, first);
            merge(c60, c, cOff + 6 * ldc, av, bv, betaZero, first);
            merge(c70, c, cOff + 7 * ldc, av, bv, betaZero, first);
        } else {
            float[] t = new float[8 * 1 * L];
            c00.intoArray(t, 0 * L);
            c10.intoArray(t, 1 * L);
            c20.intoArray(t, 2 * L);
            c30.intoArray(t, 3 * L);
            c40.intoArray(t, 4 * L);
            c50.intoArray(t, 5 * L);
            c60.intoArray(t, 6 * L);
            c70.intoArray(t, 7 * L);
            mergeTail(t, 1 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
        }
    }

    /** The 4 x 1-vector tile; the packed panels are MR and NR wide. */
    private static void tile4x1(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc,
                                 int rows, int cols, float alpha, float beta, boolean first) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            ai += MR;
            bi += NR;
        }
        if (rows == 4 && cols == 1 * L) {
            FloatVector av = FloatVector.broadcast(S, alpha);
            FloatVector bv = FloatVector.broadcast(S, beta);
            boolean betaZero = beta == 0f;
            merge(c00, c, cOff, av, bv, betaZero, first);
            merge(c10, c, cOff + 1 * ldc, av, bv, betaZero, first);
            merge(c20, c, cOff + 2 * ldc, av, bv, betaZero, first);
            merge(c30, c, cOff + 3 * ldc, av, bv, betaZero, first);
        } else {
            float[] t = new float[4 * 1 * L];
            c00.intoArray(t, 0 * L);
            c10.intoArray(t, 1 * L);
            c20.intoArray(t, 2 * L);
            c30.intoArray(t, 3 * L);
            mergeTail(t, 1 * L, c, cOff, ldc, rows, cols, alpha, beta, first);
        }
    }

    /** Exactly {@link GemmKernel#update}, lane by lane. */
    private static void merge(FloatVector acc, float[] c, int off, FloatVector alpha, FloatVector beta,
                              boolean betaZero, boolean first) {
        if (!first) {
            acc.fma(alpha, FloatVector.fromArray(S, c, off)).intoArray(c, off);
        } else if (betaZero) {
            acc.mul(alpha).intoArray(c, off);
        } else {
            FloatVector.fromArray(S, c, off).fma(beta, acc.mul(alpha)).intoArray(c, off);
        }
    }

    /** Merges the rows x cols corner of a tile spilled to {@code t} (row stride {@code width}). */
    private static void mergeTail(float[] t, int width, float[] c, int cOff, int ldc, int rows, int cols, float alpha,
                                  float beta, boolean first) {
        for (int r = 0; r < rows; r++) {
            int row = cOff + r * ldc;
            for (int j = 0; j < cols; j++) {
                c[row + j] = GemmKernel.update(t[r * width + j], first && beta == 0f ? 0f : c[row + j], alpha, beta,
                        first);
            }
        }
    }
}
