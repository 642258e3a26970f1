package dev.kiln.bench;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.Backend;
import dev.kiln.core.Reduction;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.core.Tensor;
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

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The memory-bound ops: activations, fused softmax-cross-entropy and every fused optimizer update,
 * from the MLP's sizes (8,192 = 64×128 activations; 100,352 = the 784×128 weight) up to 16M
 * elements. The report turns time into GB/s with {@link #bytesPerOp}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class OpBenchmark {
    @Param({"cpu", "opencl", "cuda"})
    public String backend;

    @Param({"8192", "100352", "1048576", "16777216"})
    public int elements;

    private Backend b;
    private Tensor x;
    private Tensor y;
    private Tensor dy;
    private Tensor s1;
    private Tensor s2;
    private Tensor logits;
    private Tensor labels;
    private Tensor loss;
    private long step;
    private final SgdParams sgd = SgdParams.momentum(0.9f);
    private final AdamParams adam = AdamParams.adam();
    private final AdamParams adamW = AdamParams.adamW();
    private final RmsPropParams rms = RmsPropParams.defaults();
    private final AdagradParams adagrad = AdagradParams.defaults();

    @Setup(Level.Trial)
    public void setUp() {
        b = BenchBackends.open(backend, 1);
        x = b.fromArray(BenchBackends.random(elements, 1), elements);
        y = b.zeros(elements);
        dy = b.fromArray(BenchBackends.random(elements, 2), elements);
        s1 = b.zeros(elements);
        s2 = b.zeros(elements);
        int rows = elements / 10;
        logits = b.fromArray(BenchBackends.random(rows * 10, 3), rows, 10);
        int[] l = new int[rows];
        for (int i = 0; i < rows; i++) {
            l[i] = i % 10;
        }
        labels = b.labels(l);
        loss = b.zeros(1);
    }

    /** Bytes each op reads and writes once per call, for {@code elements} (MemoryBandwidthBenchmark too). */
    static double bytesPerOp(String method, Map<String, String> params) {
        double n = Double.parseDouble(params.getOrDefault("elements", "0"));
        return switch (method) {
            case "relu", "gelu", "sigmoid", "tanh", "copy" -> 8 * n;
            case "reluBackward" -> 12 * n;
            case "softmaxCrossEntropy" -> 8 * n + 4 * (n / 10);
            case "sgdMomentum", "rmsprop", "adagrad" -> 20 * n;
            case "adam", "adamw" -> 28 * n;
            default -> throw new IllegalArgumentException("no byte count for " + method);
        };
    }

    @Benchmark
    public void relu() {
        b.activation(Activation.RELU, x, y);
        b.synchronize();
    }

    @Benchmark
    public void reluBackward() {
        b.activationBackward(Activation.RELU, x, x, dy, y);
        b.synchronize();
    }

    @Benchmark
    public void gelu() {
        b.activation(Activation.GELU_ERF, x, y);
        b.synchronize();
    }

    @Benchmark
    public void sigmoid() {
        b.activation(Activation.SIGMOID, x, y);
        b.synchronize();
    }

    @Benchmark
    public void tanh() {
        b.activation(Activation.TANH, x, y);
        b.synchronize();
    }

    @Benchmark
    public void softmaxCrossEntropy() {
        b.softmaxCrossEntropy(logits, labels, loss, logits, Reduction.MEAN, 0f);
        b.synchronize();
    }

    @Benchmark
    public void sgdMomentum() {
        b.sgdStep(y, dy, s1, sgd, 1e-3f, ++step);
        b.synchronize();
    }

    @Benchmark
    public void adam() {
        b.adamStep(y, dy, s1, s2, null, adam, 1e-3f, ++step);
        b.synchronize();
    }

    @Benchmark
    public void adamw() {
        b.adamStep(y, dy, s1, s2, null, adamW, 1e-3f, ++step);
        b.synchronize();
    }

    @Benchmark
    public void rmsprop() {
        b.rmspropStep(y, dy, s1, null, null, rms, 1e-3f, ++step);
        b.synchronize();
    }

    @Benchmark
    public void adagrad() {
        b.adagradStep(y, dy, s1, adagrad, 1e-3f, ++step);
        b.synchronize();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (b != null) {
            for (Tensor t : new Tensor[] {x, y, dy, s1, s2, logits, labels, loss}) {
                if (t != null) {
                    t.close();
                }
            }
            b.close();
        }
    }
}
