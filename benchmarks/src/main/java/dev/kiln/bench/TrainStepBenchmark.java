package dev.kiln.bench;

import dev.kiln.core.Backend;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Rng;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.nn.loss.CrossEntropyLoss;
import dev.kiln.nn.optim.Optimizer;
import dev.kiln.nn.optim.Optimizers;
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
 * One full training step of 784-128-64-10 (ReLU): upload the batch, forward, fused
 * softmax-cross-entropy, backward, optimizer update; synchronised at the end so GPU backends
 * are timed to completion. The report turns time into samples/s (batch / time).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class TrainStepBenchmark {
    @Param({"cpu", "opencl", "cuda"})
    public String backend;

    @Param({"64", "128"})
    public int batch;

    @Param({"sgd", "adam"})
    public String optimizer;

    /** CPU threads; 1 is what the training target is measured with (PyTorch's best was 1 thread). */
    @Param({"1", "2"})
    public int threads;

    private Backend b;
    private Sequential model;
    private CrossEntropyLoss loss;
    private Optimizer opt;
    private Tensor x;
    private Tensor y;
    private float[] images;
    private int[] labels;
    /** The latest step's loss (owned by {@link #loss}; read only by tests). */
    private Tensor lossValue;

    @Setup(Level.Trial)
    public void setUp() {
        b = BenchBackends.open(backend, threads);
        model = Sequential.mlp(b, new int[] {784, 128, 64, 10}, "relu", new Rng(1));
        loss = new CrossEntropyLoss();
        opt = Optimizers.create(optimizer, model.parameters(), optimizer.equals("sgd") ? 0.01 : 1e-3,
                optimizer.equals("sgd") ? 0.9f : 0f, null);
        images = new float[batch * 784];
        java.util.SplittableRandom r = new java.util.SplittableRandom(2);
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) r.nextDouble();
        }
        labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = r.nextInt(10);
        }
        x = b.zeros(batch, 784);
        y = b.labels(labels);
    }

    @Benchmark
    public void step() {
        x.copyFrom(images);
        y.copyFrom(labels);
        opt.zeroGrad();
        Tensor logits = model.forward(x);
        lossValue = loss.forward(logits, y);
        model.backward(loss.backward(), false);
        opt.step();
        b.synchronize();
    }

    /** The latest step's loss (tests). */
    float lastLoss() {
        return lossValue.item();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (b == null) {
            return;
        }
        x.close();
        y.close();
        loss.close();
        opt.close();  // its state (momentum, Adam moments): the backend reports what is left open as leaks
        model.close();
        b.close();
    }
}
