package dev.kiln.cpu;

/**
 * The plain-Java micro-kernel, used when the Vector API is absent or disabled: a 4 x 4 tile in
 * sixteen local accumulators (C2 keeps them in registers; it does not auto-vectorize Math.fma).
 */
final class ScalarGemmKernel implements GemmKernel {
    static final int MR = 4;
    static final int NR = 4;

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
        return "scalar " + MR + "x" + NR;
    }

    @Override
    public void tile(int kc, float[] ap, int aOff, int aRowStride, int aStep, float[] bp, int bOff, int bStep,
                     float[] c, int cOff, int ldc, int rows, int cols, float alpha, float beta, boolean first,
                     float[] t) {
        float c00 = 0f; float c01 = 0f; float c02 = 0f; float c03 = 0f;
        float c10 = 0f; float c11 = 0f; float c12 = 0f; float c13 = 0f;
        float c20 = 0f; float c21 = 0f; float c22 = 0f; float c23 = 0f;
        float c30 = 0f; float c31 = 0f; float c32 = 0f; float c33 = 0f;
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            float b0 = bp[bi]; float b1 = bp[bi + 1]; float b2 = bp[bi + 2]; float b3 = bp[bi + 3];
            float a0 = ap[ai];
            float a1 = ap[ai + 1 * aRowStride];
            float a2 = ap[ai + 2 * aRowStride];
            float a3 = ap[ai + 3 * aRowStride];
            c00 = Math.fma(a0, b0, c00);
            c01 = Math.fma(a0, b1, c01);
            c02 = Math.fma(a0, b2, c02);
            c03 = Math.fma(a0, b3, c03);
            c10 = Math.fma(a1, b0, c10);
            c11 = Math.fma(a1, b1, c11);
            c12 = Math.fma(a1, b2, c12);
            c13 = Math.fma(a1, b3, c13);
            c20 = Math.fma(a2, b0, c20);
            c21 = Math.fma(a2, b1, c21);
            c22 = Math.fma(a2, b2, c22);
            c23 = Math.fma(a2, b3, c23);
            c30 = Math.fma(a3, b0, c30);
            c31 = Math.fma(a3, b1, c31);
            c32 = Math.fma(a3, b2, c32);
            c33 = Math.fma(a3, b3, c33);
            ai += aStep;
            bi += bStep;
        }
        t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
        t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
        t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
        t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
        for (int r = 0; r < rows; r++) {
            int row = cOff + r * ldc;
            for (int j = 0; j < cols; j++) {
                c[row + j] = GemmKernel.update(t[r * NR + j], first && beta == 0f ? 0f : c[row + j], alpha, beta,
                        first);
            }
        }
    }
}
