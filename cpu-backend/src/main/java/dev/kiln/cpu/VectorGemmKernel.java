package dev.kiln.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD micro-kernel: a 12 x 2-vector tile of C held in registers, updated with one FMA
 * per lane and step (jdk.incubator.vector). Loaded only when that module is present.
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
        FloatVector c0_0 = FloatVector.zero(S); FloatVector c0_1 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S); FloatVector c1_1 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S); FloatVector c2_1 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S); FloatVector c3_1 = FloatVector.zero(S);
        FloatVector c4_0 = FloatVector.zero(S); FloatVector c4_1 = FloatVector.zero(S);
        FloatVector c5_0 = FloatVector.zero(S); FloatVector c5_1 = FloatVector.zero(S);
        FloatVector c6_0 = FloatVector.zero(S); FloatVector c6_1 = FloatVector.zero(S);
        FloatVector c7_0 = FloatVector.zero(S); FloatVector c7_1 = FloatVector.zero(S);
        FloatVector c8_0 = FloatVector.zero(S); FloatVector c8_1 = FloatVector.zero(S);
        FloatVector c9_0 = FloatVector.zero(S); FloatVector c9_1 = FloatVector.zero(S);
        FloatVector c10_0 = FloatVector.zero(S); FloatVector c10_1 = FloatVector.zero(S);
        FloatVector c11_0 = FloatVector.zero(S); FloatVector c11_1 = FloatVector.zero(S);
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * L);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1);
            a = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1);
            a = FloatVector.broadcast(S, ap[ai + 8]);
            c8_0 = a.fma(b0, c8_0); c8_1 = a.fma(b1, c8_1);
            a = FloatVector.broadcast(S, ap[ai + 9]);
            c9_0 = a.fma(b0, c9_0); c9_1 = a.fma(b1, c9_1);
            a = FloatVector.broadcast(S, ap[ai + 10]);
            c10_0 = a.fma(b0, c10_0); c10_1 = a.fma(b1, c10_1);
            a = FloatVector.broadcast(S, ap[ai + 11]);
            c11_0 = a.fma(b0, c11_0); c11_1 = a.fma(b1, c11_1);
            ai += MR;
            bi += NR;
        }
        if (rows == MR && cols == NR) {
            FloatVector av = FloatVector.broadcast(S, alpha);
            FloatVector bv = FloatVector.broadcast(S, beta);
            merge(c0_0, c, cOff + 0 * ldc, av, bv, beta == 0f, first);
            merge(c0_1, c, cOff + 0 * ldc + 1 * L, av, bv, beta == 0f, first);
            merge(c1_0, c, cOff + 1 * ldc, av, bv, beta == 0f, first);
            merge(c1_1, c, cOff + 1 * ldc + 1 * L, av, bv, beta == 0f, first);
            merge(c2_0, c, cOff + 2 * ldc, av, bv, beta == 0f, first);
            merge(c2_1, c, cOff + 2 * ldc + 1 * L, av, bv, beta == 0f, first);
            merge(c3_0, c, cOff + 3 * ldc, av, bv, beta == 0f, first);
            merge(c3_1, c, cOff + 3 * ldc + 1 * L, av, bv, beta == 0f, first);
            merge(c4_0, c, cOff + 4 * ldc, av, bv, beta == 0f, first);
            merge(c4_1, c, cOff + 4 * ldc + 1 * L, av, bv, beta == 0f, first);
            merge(c5_0, c, cOff + 5 * ldc, av, bv, beta == 0f, first);
            merge(c5_1, c, cOff + 5 * ldc + 1 * L, av, bv, beta == 0f, first);
            merge(c6_0, c, cOff + 6 * ldc, av, bv, beta == 0f, first);
            merge(c6_1, c, cOff + 6 * ldc + 1 * L, av, bv, beta == 0f, first);
            merge(c7_0, c, cOff + 7 * ldc, av, bv, beta == 0f, first);
            merge(c7_1, c, cOff + 7 * ldc + 1 * L, av, bv, beta == 0f, first);
            merge(c8_0, c, cOff + 8 * ldc, av, bv, beta == 0f, first);
            merge(c8_1, c, cOff + 8 * ldc + 1 * L, av, bv, beta == 0f, first);
            merge(c9_0, c, cOff + 9 * ldc, av, bv, beta == 0f, first);
            merge(c9_1, c, cOff + 9 * ldc + 1 * L, av, bv, beta == 0f, first);
            merge(c10_0, c, cOff + 10 * ldc, av, bv, beta == 0f, first);
            merge(c10_1, c, cOff + 10 * ldc + 1 * L, av, bv, beta == 0f, first);
            merge(c11_0, c, cOff + 11 * ldc, av, bv, beta == 0f, first);
            merge(c11_1, c, cOff + 11 * ldc + 1 * L, av, bv, beta == 0f, first);
        } else {
            float[] t = new float[MR * NR];
            c0_0.intoArray(t, 0 * NR); c0_1.intoArray(t, 0 * NR + 1 * L);
            c1_0.intoArray(t, 1 * NR); c1_1.intoArray(t, 1 * NR + 1 * L);
            c2_0.intoArray(t, 2 * NR); c2_1.intoArray(t, 2 * NR + 1 * L);
            c3_0.intoArray(t, 3 * NR); c3_1.intoArray(t, 3 * NR + 1 * L);
            c4_0.intoArray(t, 4 * NR); c4_1.intoArray(t, 4 * NR + 1 * L);
            c5_0.intoArray(t, 5 * NR); c5_1.intoArray(t, 5 * NR + 1 * L);
            c6_0.intoArray(t, 6 * NR); c6_1.intoArray(t, 6 * NR + 1 * L);
            c7_0.intoArray(t, 7 * NR); c7_1.intoArray(t, 7 * NR + 1 * L);
            c8_0.intoArray(t, 8 * NR); c8_1.intoArray(t, 8 * NR + 1 * L);
            c9_0.intoArray(t, 9 * NR); c9_1.intoArray(t, 9 * NR + 1 * L);
            c10_0.intoArray(t, 10 * NR); c10_1.intoArray(t, 10 * NR + 1 * L);
            c11_0.intoArray(t, 11 * NR); c11_1.intoArray(t, 11 * NR + 1 * L);
            for (int r = 0; r < rows; r++) {
                int row = cOff + r * ldc;
                for (int j = 0; j < cols; j++) {
                    c[row + j] = GemmKernel.update(t[r * NR + j], first && beta == 0f ? 0f : c[row + j], alpha, beta,
                            first);
                }
            }
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
}
