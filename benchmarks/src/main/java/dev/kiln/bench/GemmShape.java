package dev.kiln.bench;

/**
 * A GEMM's shape, C (m x n) = op(A) (m x k) op(B) (k x n), as the benchmarks name it:
 * {@code [name_]MxNxK[_TT]} ({@code fwd1_64x128x784_NT}, {@code 64x128x64_TN}) or a square size
 * ({@code 512}); the transposes default to NN.
 */
record GemmShape(int m, int n, int k, boolean transA, boolean transB) {

    static GemmShape parse(String text) {
        String[] parts = text.split("_", -1);
        int last = parts.length - 1;
        boolean ta = false;
        boolean tb = false;
        if (last > 0 && parts[last].matches("[NT]{2}")) {
            ta = parts[last].charAt(0) == 'T';
            tb = parts[last].charAt(1) == 'T';
            last--;
        }
        String dims = parts[last];
        try {
            if (dims.matches("\\d+")) {
                int s = Integer.parseInt(dims);
                return new GemmShape(s, s, s, ta, tb);
            }
            if (dims.matches("\\d+x\\d+x\\d+")) {
                String[] d = dims.split("x");
                return new GemmShape(Integer.parseInt(d[0]), Integer.parseInt(d[1]), Integer.parseInt(d[2]), ta, tb);
            }
        } catch (NumberFormatException e) {
            // too large for an int: reported below
        }
        throw new IllegalArgumentException("a GEMM shape is [name_]MxNxK[_NN|NT|TN|TT] or a size: " + text);
    }

    /** Floating-point operations of one product (a multiply-add counts two). */
    double flops() {
        return 2.0 * m * n * k;
    }

    GemmTarget open(String backend, int threads) {
        return GemmTarget.open(backend, threads, m, n, k, transA, transB);
    }
}
