package dev.kiln.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Square SGEMM {@code C = A B} per backend and size, with OpenBLAS as the anchor in the same run.
 * The report turns the average time into GFLOPS ({@code 2 size^3 / t}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class GemmBenchmark {
    @Param({"cpu", "openblas", "opencl", "opencl-portable", "cuda", "cuda-portable"})
    public String backend;

    @Param({"64", "128", "256", "512", "1024", "2048"})
    public int size;

    /** Threads for cpu and openblas; GPU backends run only with 1. */
    @Param({"1", "2"})
    public int threads;

    private GemmTarget target;

    @Setup(Level.Trial)
    public void setUp() {
        target = GemmTarget.open(backend, threads, size, size, size, false, false);
    }

    @Benchmark
    public void gemm() {
        target.run();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (target != null) {
            target.close();
        }
    }
}
