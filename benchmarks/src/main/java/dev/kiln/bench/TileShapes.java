package dev.kiln.bench;

import java.util.Arrays;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Which AVX2 register tile this JVM's JIT compiles well: the multiply-add loops of four tile shapes
 * with 256-bit vectors, alone, on packed panels that stay in cache, in rotated order, in GFLOPS.
 * Kiln picks its AVX2 tile height by JDK version ({@code Simd.avx2TileRows}: 6 rows on JDK 17,
 * whose C2 keeps the 6 x 16 tile in registers, 4 on later JDKs, where JDK 25's C2 spills one of its
 * accumulators every step and runs it at half speed). On a JDK that was not measured, run this and
 * compare the 6 x 16 and 4 x 16 lines; {@code -Dkiln.cpu.simd.rows=6} or {@code 4} then sets the
 * tile. The peak is two 8-lane FMAs per cycle: 32 flops per cycle, about 85 GFLOPS at 2.45 GHz.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar dev.kiln.bench.TileShapes [rounds]
 * </pre>
 * Run it on an idle machine; on a shared one compare shapes only within one run (the order rotates
 * each round; the median of the last two thirds of the rounds is printed, and the best round).
 */
public final class TileShapes {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int KC = 256;
    private static final int A_PANELS = 16;
    private static final int B_PANELS = 16;

    private TileShapes() {
    }

    /** One tile loop: C (rows x cols, at cOff, row stride ldc) = A panel (kc steps) x B panel. */
    private interface Tile {
        void run(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc);
    }

    private record Shape(String name, int rows, int cols, int aStep, Tile tile) {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        if (rounds < 3) {
            throw new IllegalArgumentException("rounds must be at least 3");
        }
        Shape[] shapes = {
            new Shape("6 x 16", 6, 16, 8, TileShapes::t6x16),
            new Shape("5 x 16", 5, 16, 8, TileShapes::t5x16),
            new Shape("4 x 16", 4, 16, 4, TileShapes::t4x16),
            new Shape("3 x 24", 3, 24, 4, TileShapes::t3x24),
        };
        float[] a = new float[A_PANELS * KC * 8];
        float[] b = new float[B_PANELS * KC * 24];
        int ldc = B_PANELS * 24;
        float[] c = new float[A_PANELS * 6 * ldc];
        java.util.Random random = new java.util.Random(1);
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextFloat();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = random.nextFloat();
        }
        double[][] gflops = new double[shapes.length][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < shapes.length; i++) {
                int s = (i + round) % shapes.length;
                gflops[s][round] = time(shapes[s], a, b, c, ldc);
            }
        }
        System.out.printf(Locale.ROOT, "JVM %s, %d-bit vectors, kc %d, %d rounds (median of the last %d, best)%n",
                Runtime.version(), S.vectorBitSize(), KC, rounds, rounds - rounds / 3);
        for (int s = 0; s < shapes.length; s++) {
            double[] kept = Arrays.copyOfRange(gflops[s], rounds / 3, rounds);
            Arrays.sort(kept);
            System.out.printf(Locale.ROOT, "%-8s %6.1f GFLOPS  best %6.1f%n", shapes[s].name(), kept[kept.length / 2],
                    kept[kept.length - 1]);
        }
    }

    private static double time(Shape shape, float[] a, float[] b, float[] c, int ldc) {
        int reps = 40;
        long start = System.nanoTime();
        for (int rep = 0; rep < reps; rep++) {
            for (int j = 0; j < B_PANELS; j++) {
                for (int i = 0; i < A_PANELS; i++) {
                    shape.tile().run(KC, a, i * KC * shape.aStep(), b, j * KC * shape.cols(), c,
                            i * shape.rows() * ldc + j * shape.cols(), ldc);
                }
            }
        }
        long nanos = System.nanoTime() - start;
        return 2.0 * KC * shape.rows() * shape.cols() * A_PANELS * B_PANELS * reps / nanos;
    }

    /** 6 x 16: Kiln's AVX2 tile on JDK 17 (12 accumulators, A padded to 8 floats a step). */
    static void t6x16(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * 8;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 8);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
            bi += 16;
        }
        c00.intoArray(c, cOff + 0 * ldc); c01.intoArray(c, cOff + 0 * ldc + 8);
        c10.intoArray(c, cOff + 1 * ldc); c11.intoArray(c, cOff + 1 * ldc + 8);
        c20.intoArray(c, cOff + 2 * ldc); c21.intoArray(c, cOff + 2 * ldc + 8);
        c30.intoArray(c, cOff + 3 * ldc); c31.intoArray(c, cOff + 3 * ldc + 8);
        c40.intoArray(c, cOff + 4 * ldc); c41.intoArray(c, cOff + 4 * ldc + 8);
        c50.intoArray(c, cOff + 5 * ldc); c51.intoArray(c, cOff + 5 * ldc + 8);
    }

    /** 5 x 16 (10 accumulators). */
    static void t5x16(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * 8;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 8);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            bi += 16;
        }
        c00.intoArray(c, cOff + 0 * ldc); c01.intoArray(c, cOff + 0 * ldc + 8);
        c10.intoArray(c, cOff + 1 * ldc); c11.intoArray(c, cOff + 1 * ldc + 8);
        c20.intoArray(c, cOff + 2 * ldc); c21.intoArray(c, cOff + 2 * ldc + 8);
        c30.intoArray(c, cOff + 3 * ldc); c31.intoArray(c, cOff + 3 * ldc + 8);
        c40.intoArray(c, cOff + 4 * ldc); c41.intoArray(c, cOff + 4 * ldc + 8);
    }

    /** 4 x 16: Kiln's AVX2 tile on later JDKs (8 accumulators). */
    static void t4x16(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * 4;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 8);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            bi += 16;
        }
        c00.intoArray(c, cOff + 0 * ldc); c01.intoArray(c, cOff + 0 * ldc + 8);
        c10.intoArray(c, cOff + 1 * ldc); c11.intoArray(c, cOff + 1 * ldc + 8);
        c20.intoArray(c, cOff + 2 * ldc); c21.intoArray(c, cOff + 2 * ldc + 8);
        c30.intoArray(c, cOff + 3 * ldc); c31.intoArray(c, cOff + 3 * ldc + 8);
    }

    /** 3 x 24 (9 accumulators, 3 B vectors). */
    static void t3x24(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S);
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * 4;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 8);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 16);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01); c02 = a0.fma(b2, c02);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11); c12 = a1.fma(b2, c12);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21); c22 = a2.fma(b2, c22);
            bi += 24;
        }
        c00.intoArray(c, cOff + 0 * ldc); c01.intoArray(c, cOff + 0 * ldc + 8); c02.intoArray(c, cOff + 0 * ldc + 16);
        c10.intoArray(c, cOff + 1 * ldc); c11.intoArray(c, cOff + 1 * ldc + 8); c12.intoArray(c, cOff + 1 * ldc + 16);
        c20.intoArray(c, cOff + 2 * ldc); c21.intoArray(c, cOff + 2 * ldc + 8); c22.intoArray(c, cOff + 2 * ldc + 16);
    }
}
