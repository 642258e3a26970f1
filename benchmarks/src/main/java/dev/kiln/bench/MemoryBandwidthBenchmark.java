package dev.kiln.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/** The anchor for the memory-bound ops: copying a float array, same sizes, same run. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class MemoryBandwidthBenchmark {
    @Param({"8192", "100352", "1048576", "16777216"})
    public int elements;

    private float[] src;
    private float[] dst;

    @org.openjdk.jmh.annotations.Setup
    public void setUp() {
        src = BenchBackends.random(elements, 1);
        dst = new float[elements];
    }

    @Benchmark
    public float[] copy() {
        System.arraycopy(src, 0, dst, 0, elements);
        return dst;
    }
}
