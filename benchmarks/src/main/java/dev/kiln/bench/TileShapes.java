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
 * <p>Where the JVM's preferred vectors are 512 bits wide (AVX-512), it also times Kiln's 12 x 32
 * AVX-512 tile against an 8 x 32 one: 24 accumulators, 2 B vectors and 12 broadcasts are more than
 * 32 registers, so a JIT that issues all broadcasts early (as JDK 25's does on AVX2) would spill the
 * 12-row tile too. That was not measured (no AVX-512 machine was at hand); {@code --512} forces
 * these shapes on a narrower machine, where the Vector API runs them without intrinsics (slowly; a
 * check that the code runs, not a measurement).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar dev.kiln.bench.TileShapes [rounds] [--512]
 * </pre>
 * Each shape's loop is written out with named accumulators, as in {@code VectorGemmKernel}: C2
 * keeps only named locals in registers, so a loop over an accumulator array would measure spills.
 *
 * <p>Run it on an idle machine; on a shared one compare shapes only within one run (the order rotates
 * each round; the median of the last two thirds of the rounds is printed, and the best round).
 */
public final class TileShapes {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;
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

    /** The widest tile here (rows, columns and A step) sizes the buffers. */
    private static final int MAX_ROWS = 12;
    private static final int MAX_COLS = 32;

    public static void main(String[] args) {
        int rounds = 15;
        boolean wide = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
        for (String arg : args) {
            if (arg.equals("--512")) {
                wide = true;
            } else if (arg.matches("\\d+")) {
                rounds = Integer.parseInt(arg);
            } else {
                throw new IllegalArgumentException("usage: TileShapes [rounds] [--512]; unknown argument " + arg);
            }
        }
        if (rounds < 3) {
            throw new IllegalArgumentException("rounds must be at least 3");
        }
        java.util.List<Shape> list = new java.util.ArrayList<>(java.util.List.of(
            new Shape("6 x 16", 6, 16, 8, TileShapes::t6x16),
            new Shape("5 x 16", 5, 16, 8, TileShapes::t5x16),
            new Shape("4 x 16", 4, 16, 4, TileShapes::t4x16),
            new Shape("3 x 24", 3, 24, 4, TileShapes::t3x24)));
        if (wide) {
            list.add(new Shape("12 x 32", 12, 32, 12, TileShapes::t12x32));
            list.add(new Shape("8 x 32", 8, 32, 8, TileShapes::t8x32));
        }
        Shape[] shapes = list.toArray(new Shape[0]);
        float[] a = new float[A_PANELS * KC * MAX_ROWS];
        float[] b = new float[B_PANELS * KC * MAX_COLS];
        int ldc = B_PANELS * MAX_COLS;
        float[] c = new float[A_PANELS * MAX_ROWS * ldc];
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
        System.out.printf(Locale.ROOT, "JVM %s, preferred vectors %d-bit, kc %d, %d rounds (median of the last %d, best)%n",
                Runtime.version(), FloatVector.SPECIES_PREFERRED.vectorBitSize(), KC, rounds, rounds - rounds / 3);
        for (int s = 0; s < shapes.length; s++) {
            // 16-column tiles and narrower use 256-bit vectors, the 32-column ones 512-bit
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

    /** 12 x 32 (512-bit): Kiln's AVX-512 tile (24 accumulators). */
    static void t12x32(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(W), c01 = FloatVector.zero(W);
        FloatVector c10 = FloatVector.zero(W), c11 = FloatVector.zero(W);
        FloatVector c20 = FloatVector.zero(W), c21 = FloatVector.zero(W);
        FloatVector c30 = FloatVector.zero(W), c31 = FloatVector.zero(W);
        FloatVector c40 = FloatVector.zero(W), c41 = FloatVector.zero(W);
        FloatVector c50 = FloatVector.zero(W), c51 = FloatVector.zero(W);
        FloatVector c60 = FloatVector.zero(W), c61 = FloatVector.zero(W);
        FloatVector c70 = FloatVector.zero(W), c71 = FloatVector.zero(W);
        FloatVector c80 = FloatVector.zero(W), c81 = FloatVector.zero(W);
        FloatVector c90 = FloatVector.zero(W), c91 = FloatVector.zero(W);
        FloatVector c100 = FloatVector.zero(W), c101 = FloatVector.zero(W);
        FloatVector c110 = FloatVector.zero(W), c111 = FloatVector.zero(W);
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * 12;
            FloatVector b0 = FloatVector.fromArray(W, bp, bi);
            FloatVector b1 = FloatVector.fromArray(W, bp, bi + 16);
            FloatVector a0 = FloatVector.broadcast(W, ap[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(W, ap[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(W, ap[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(W, ap[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(W, ap[ai + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(W, ap[ai + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(W, ap[ai + 6]);
            c60 = a6.fma(b0, c60); c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(W, ap[ai + 7]);
            c70 = a7.fma(b0, c70); c71 = a7.fma(b1, c71);
            FloatVector a8 = FloatVector.broadcast(W, ap[ai + 8]);
            c80 = a8.fma(b0, c80); c81 = a8.fma(b1, c81);
            FloatVector a9 = FloatVector.broadcast(W, ap[ai + 9]);
            c90 = a9.fma(b0, c90); c91 = a9.fma(b1, c91);
            FloatVector a10 = FloatVector.broadcast(W, ap[ai + 10]);
            c100 = a10.fma(b0, c100); c101 = a10.fma(b1, c101);
            FloatVector a11 = FloatVector.broadcast(W, ap[ai + 11]);
            c110 = a11.fma(b0, c110); c111 = a11.fma(b1, c111);
            bi += 32;
        }
        c00.intoArray(c, cOff + 0 * ldc); c01.intoArray(c, cOff + 0 * ldc + 16);
        c10.intoArray(c, cOff + 1 * ldc); c11.intoArray(c, cOff + 1 * ldc + 16);
        c20.intoArray(c, cOff + 2 * ldc); c21.intoArray(c, cOff + 2 * ldc + 16);
        c30.intoArray(c, cOff + 3 * ldc); c31.intoArray(c, cOff + 3 * ldc + 16);
        c40.intoArray(c, cOff + 4 * ldc); c41.intoArray(c, cOff + 4 * ldc + 16);
        c50.intoArray(c, cOff + 5 * ldc); c51.intoArray(c, cOff + 5 * ldc + 16);
        c60.intoArray(c, cOff + 6 * ldc); c61.intoArray(c, cOff + 6 * ldc + 16);
        c70.intoArray(c, cOff + 7 * ldc); c71.intoArray(c, cOff + 7 * ldc + 16);
        c80.intoArray(c, cOff + 8 * ldc); c81.intoArray(c, cOff + 8 * ldc + 16);
        c90.intoArray(c, cOff + 9 * ldc); c91.intoArray(c, cOff + 9 * ldc + 16);
        c100.intoArray(c, cOff + 10 * ldc); c101.intoArray(c, cOff + 10 * ldc + 16);
        c110.intoArray(c, cOff + 11 * ldc); c111.intoArray(c, cOff + 11 * ldc + 16);
    }

    /** 8 x 32 (512-bit): 16 accumulators, which fit 32 registers with all eight broadcasts. */
    static void t8x32(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(W), c01 = FloatVector.zero(W);
        FloatVector c10 = FloatVector.zero(W), c11 = FloatVector.zero(W);
        FloatVector c20 = FloatVector.zero(W), c21 = FloatVector.zero(W);
        FloatVector c30 = FloatVector.zero(W), c31 = FloatVector.zero(W);
        FloatVector c40 = FloatVector.zero(W), c41 = FloatVector.zero(W);
        FloatVector c50 = FloatVector.zero(W), c51 = FloatVector.zero(W);
        FloatVector c60 = FloatVector.zero(W), c61 = FloatVector.zero(W);
        FloatVector c70 = FloatVector.zero(W), c71 = FloatVector.zero(W);
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * 8;
            FloatVector b0 = FloatVector.fromArray(W, bp, bi);
            FloatVector b1 = FloatVector.fromArray(W, bp, bi + 16);
            FloatVector a0 = FloatVector.broadcast(W, ap[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(W, ap[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(W, ap[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(W, ap[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(W, ap[ai + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(W, ap[ai + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(W, ap[ai + 6]);
            c60 = a6.fma(b0, c60); c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(W, ap[ai + 7]);
            c70 = a7.fma(b0, c70); c71 = a7.fma(b1, c71);
            bi += 32;
        }
        c00.intoArray(c, cOff + 0 * ldc); c01.intoArray(c, cOff + 0 * ldc + 16);
        c10.intoArray(c, cOff + 1 * ldc); c11.intoArray(c, cOff + 1 * ldc + 16);
        c20.intoArray(c, cOff + 2 * ldc); c21.intoArray(c, cOff + 2 * ldc + 16);
        c30.intoArray(c, cOff + 3 * ldc); c31.intoArray(c, cOff + 3 * ldc + 16);
        c40.intoArray(c, cOff + 4 * ldc); c41.intoArray(c, cOff + 4 * ldc + 16);
        c50.intoArray(c, cOff + 5 * ldc); c51.intoArray(c, cOff + 5 * ldc + 16);
        c60.intoArray(c, cOff + 6 * ldc); c61.intoArray(c, cOff + 6 * ldc + 16);
        c70.intoArray(c, cOff + 7 * ldc); c71.intoArray(c, cOff + 7 * ldc + 16);
    }
}
