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
 * The GEMMs of one training step of 784-128-64-10 at batch 64, forward and backward, exactly as
 * {@code Linear} issues them ({@code y = x W^T}, {@code dW = dy^T x}, {@code dx = dy W}).
 * Shape strings are {@code name_MxNxK_TT} with T/N for transA/transB.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class MlpGemmBenchmark {
    @Param({"cpu", "openblas", "opencl", "opencl-portable", "cuda", "cuda-portable"})
    public String backend;

    @Param({"fwd1_64x128x784_NT", "dW1_128x784x64_TN", "fwd2_64x64x128_NT", "dW2_64x128x64_TN",
            "dx2_64x128x64_NN", "fwd3_64x10x64_NT", "dW3_10x64x64_TN", "dx3_64x64x10_NN"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    private GemmTarget target;

    @Setup(Level.Trial)
    public void setUp() {
        target = GemmShape.parse(shape).open(backend, threads);
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
