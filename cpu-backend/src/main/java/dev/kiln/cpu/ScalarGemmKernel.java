package dev.kiln.cpu;

/** The plain-Java micro-kernel, used when the Vector API is absent or disabled. */
final class ScalarGemmKernel implements GemmKernel {
    static final int MR = 4;
    static final int NR = 8;

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
                     float[] acc) {
        java.util.Arrays.fill(acc, 0, MR * NR, 0f);
        for (int p = 0; p < kc; p++) {
            int ab = aOff + p * aStep;
            int bb = bOff + p * bStep;
            for (int r = 0; r < MR; r++) {
                float a = ap[ab + r * aRowStride];
                int o = r * NR;
                for (int j = 0; j < NR; j++) {
                    acc[o + j] = Math.fma(a, bp[bb + j], acc[o + j]);
                }
            }
        }
        for (int r = 0; r < rows; r++) {
            int row = cOff + r * ldc;
            for (int j = 0; j < cols; j++) {
                c[row + j] = GemmKernel.update(acc[r * NR + j], first && beta == 0f ? 0f : c[row + j], alpha, beta,
                        first);
            }
        }
    }
}
