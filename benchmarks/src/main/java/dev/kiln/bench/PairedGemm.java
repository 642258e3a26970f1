package dev.kiln.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Kiln's CPU GEMM against OpenBLAS, interleaved in one process: each round times a batch of
 * calls on one, then the same on the other, and the round's ratio compares the two. On a shared
 * machine whose speed drifts from minute to minute (10-40% on the reference VM), the per-round
 * ratios stay tight where JMH's separate forks, minutes apart, do not; JMH remains the record
 * in {@code docs/benchmarks.md}, this is the check of a "1.0x OpenBLAS" claim.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar dev.kiln.bench.PairedGemm \
 *     [--rounds 15] [shape ...]
 * </pre>
 * A shape is a square size ({@code 512}) or {@code MxNxK} with an optional {@code _TT} suffix
 * for the transposes ({@code 64x128x784_NT}; {@link GemmShape}, which also takes
 * {@link MlpGemmBenchmark}'s names). Default: 256, 512, 1024 and 2048 square.
 *
 * <p>One thread each: with two, OpenBLAS's worker threads keep spinning after each of its calls
 * and hold the core that Kiln's helper needs in the next batch (Kiln's 1024^3 ran at its
 * 1-thread speed in such a pairing), so the pairing would measure the interference. JMH's
 * separate forks are the multi-threaded comparison.
 */
public final class PairedGemm {
    private PairedGemm() {
    }

    public static void main(String[] args) {
        int rounds = 15;
        java.util.List<String> shapes = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "-h", "--help" -> {
                    System.out.println("usage: PairedGemm [--rounds R] [size | MxNxK[_TT] ...]   (1 thread each)");
                    return;
                }
                default -> {
                    if (args[i].startsWith("-")) {
                        throw new IllegalArgumentException("unknown option " + args[i]
                                + " (PairedGemm runs both libraries on 1 thread; see its Javadoc)");
                    }
                    shapes.add(args[i]);
                }
            }
        }
        if (rounds < 3) {
            throw new IllegalArgumentException("--rounds must be at least 3");
        }
        if (shapes.isEmpty()) {
            shapes.addAll(java.util.List.of("256", "512", "1024", "2048"));
        }
        System.out.printf(Locale.ROOT, "1 thread, %d rounds; ratio = OpenBLAS time / Kiln time per round%n", rounds);
        System.out.printf(Locale.ROOT, "%-22s %12s %12s %8s %8s %s%n", "shape", "kiln us", "openblas us",
                "kiln GF", "ratio", "ratio p10-p90");
        for (String shape : shapes) {
            run(shape, rounds);
        }
    }

    private static void run(String shape, int rounds) {
        GemmShape g = GemmShape.parse(shape);
        GemmTarget kiln = g.open("cpu", 1);
        GemmTarget blas = g.open("openblas", 1);
        try {
            double flops = g.flops();
            // About 20 ms per batch: long enough to drown the switch, short enough to pair closely.
            int reps = (int) Math.max(3, Math.min(1_000_000, 20e-3 * 80e9 / flops));
            double[] tk = new double[rounds];
            double[] tb2 = new double[rounds];
            double[] ratio = new double[rounds];
            for (int r = -2; r < rounds; r++) {
                double a = time(kiln, reps);
                double b = time(blas, reps);
                if (r >= 0) {
                    tk[r] = a;
                    tb2[r] = b;
                    ratio[r] = b / a;
                }
            }
            Arrays.sort(tk);
            Arrays.sort(tb2);
            Arrays.sort(ratio);
            double medK = tk[rounds / 2];
            System.out.printf(Locale.ROOT, "%-22s %12.2f %12.2f %8.1f %7.2fx %5.2f-%.2f%n", shape, medK,
                    tb2[rounds / 2], flops / medK / 1e3, ratio[rounds / 2], ratio[rounds / 10],
                    ratio[rounds - 1 - rounds / 10]);
        } finally {
            kiln.close();
            blas.close();
        }
    }

    /** Mean microseconds per call over {@code reps} calls. */
    private static double time(GemmTarget t, int reps) {
        long s = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            t.run();
        }
        return (System.nanoTime() - s) / 1e3 / reps;
    }
}
