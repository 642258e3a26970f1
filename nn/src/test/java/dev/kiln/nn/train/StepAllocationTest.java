package dev.kiln.nn.train;

import dev.kiln.core.Backend;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Rng;
import dev.kiln.nn.TestBackends;
import dev.kiln.nn.data.BatchLoader;
import dev.kiln.nn.data.MnistData;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.nn.loss.CrossEntropyLoss;
import dev.kiln.nn.optim.Optimizer;
import dev.kiln.nn.optim.Optimizers;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The "no allocation in the hot loop": after warm-up, a training step of 784-128-64-10
 * (batch assembly, upload, forward, loss, backward, SGD momentum update) on the CPU backend makes
 * no new tensors, and the calling thread allocates at most {@link #MAX_BYTES_PER_STEP} bytes of heap
 * per step with one thread (the ops' captured lambdas: about 570 bytes measured), twice that with two
 * (the worker pool's hand-off adds a latch and a few small objects per parallel op: about 970
 * measured). Before the GEMM reused its job and tiles, a step allocated about 33 KB (72 KB with two
 * threads).
 */
class StepAllocationTest {
    /** A small allowance for the captured lambdas the engine's ops create; no arrays, no tensors. */
    static final long MAX_BYTES_PER_STEP = 1024;

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2})
    void warmedUpStepMakesNoTensorsAndNearlyNoHeap(int threads) throws IOException {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertTrue(mx.isThreadAllocatedMemorySupported(), "this JVM cannot count allocated bytes");
        mx.setThreadAllocatedMemoryEnabled(true);
        MnistData data = MnistData.bundled();
        String old = System.getProperty("kiln.cpu.threads");
        System.setProperty("kiln.cpu.threads", Integer.toString(threads));
        try (Backend b = TestBackends.cpu();
             Sequential model = Sequential.mlp(b, new int[] {784, 128, 64, 10}, "relu", new Rng(3));
             CrossEntropyLoss loss = new CrossEntropyLoss();
             Optimizer opt = Optimizers.create("sgd", model.parameters(), 0.01, 0.9f, null)) {
            BatchLoader loader = new BatchLoader(data.train(), 64, true, 3);
            Tensor x = b.zeros(64, 784);
            Tensor y = b.labels(new int[64]);
            try {
                int steps = 0;
                long bytes = 0;
                Set<Tensor> warm = null;
                for (int epoch = 1; epoch <= 400 && steps < 2100; epoch++) {
                    loader.startEpoch(epoch);
                    while (loader.next() && steps < 2100) {
                        if (loader.rows() != 64) {
                            continue; // the partial last batch would need its own input tensors
                        }
                        if (steps == 2000) {
                            warm = identitySet(b.liveTensors());
                        }
                        long before = mx.getCurrentThreadAllocatedBytes();
                        x.copyFrom(loader.images(), 0);
                        y.copyFrom(loader.labels(), 0);
                        opt.zeroGrad();
                        Tensor logits = model.forward(x);
                        loss.forward(logits, y);
                        model.backward(loss.backward(), false);
                        opt.step();
                        b.synchronize();
                        long after = mx.getCurrentThreadAllocatedBytes();
                        if (steps >= 2000) {
                            bytes += after - before;
                        }
                        steps++;
                    }
                }
                assertEquals(2100, steps);
                Set<Tensor> end = identitySet(b.liveTensors());
                assertEquals(warm, end, "a warmed-up step made or freed tensors");
                double perStep = bytes / 100.0;
                System.getLogger(StepAllocationTest.class.getName()).log(System.Logger.Level.INFO,
                        "heap allocated per warmed-up training step (calling thread, " + threads + " CPU threads): " + perStep
                                + " bytes");
                assertTrue(perStep <= MAX_BYTES_PER_STEP * threads, "a warmed-up step allocated " + perStep + " bytes");
            } finally {
                x.close();
                y.close();
            }
        } finally {
            if (old == null) {
                System.clearProperty("kiln.cpu.threads");
            } else {
                System.setProperty("kiln.cpu.threads", old);
            }
        }
    }

    private static Set<Tensor> identitySet(List<Tensor> tensors) {
        Set<Tensor> s = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        s.addAll(tensors);
        return s;
    }
}
