package dev.kiln.nn.train;

import dev.kiln.core.Backend;
import dev.kiln.core.SgdParams;
import dev.kiln.nn.Rng;
import dev.kiln.nn.TestBackends;
import dev.kiln.nn.checkpoint.Checkpoints;
import dev.kiln.nn.checkpoint.Safetensors;
import dev.kiln.nn.data.BatchLoader;
import dev.kiln.nn.data.MnistData;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.nn.loss.CrossEntropyLoss;
import dev.kiln.nn.optim.Adam;
import dev.kiln.nn.optim.Optimizer;
import dev.kiln.nn.optim.SGD;
import dev.kiln.nn.schedule.LrScheduler;
import dev.kiln.nn.schedule.StepLR;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The end-to-end figures on the bundled MNIST subset, on the CPU backend. */
class TrainingTest {
    private static final System.Logger LOG = System.getLogger(TrainingTest.class.getName());
    static MnistData data;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws IOException {
        data = MnistData.bundled();
    }

    /** Trains 784-128-64-10 ReLU from {@code seed} for epochs 1..epochs. */
    static List<EpochMetrics> run(Backend b, long seed, int epochs, Function<Sequential, Optimizer> optimizer,
                                  int stepSize) {
        List<EpochMetrics> out = new ArrayList<>();
        try (Sequential model = Sequential.mlp(b, new int[] {784, 128, 64, 10}, "relu", new Rng(seed));
             CrossEntropyLoss loss = new CrossEntropyLoss();
             Optimizer opt = optimizer.apply(model)) {
            LrScheduler sched = stepSize > 0 ? new StepLR(opt, stepSize, 0.5) : null;
            try (Trainer t = new Trainer(model, loss, opt, sched, new BatchLoader(data.train(), 64, true, seed),
                    data.test())) {
                for (int e = 1; e <= epochs; e++) {
                    EpochMetrics m = t.trainEpoch(e, TrainingListener.NONE);
                    LOG.log(System.Logger.Level.INFO, m.toString());
                    out.add(m);
                }
            }
        }
        return out;
    }

    private static void assertSameFigures(EpochMetrics a, EpochMetrics b) {
        assertEquals(a.epoch(), b.epoch());
        assertEquals(a.lr(), b.lr(), 0.0);
        assertEquals(a.trainLoss(), b.trainLoss(), 0.0, "train loss bit-identical, epoch " + a.epoch());
        assertEquals(a.trainAccuracy(), b.trainAccuracy(), 0.0);
        assertEquals(a.testLoss(), b.testLoss(), 0.0);
        assertEquals(a.testAccuracy(), b.testAccuracy(), 0.0);
    }

    @Test
    void defaultAdamReachesNinetyTwoPercentAndIsReproducible() {
        try (Backend b = TestBackends.cpu()) {
            List<EpochMetrics> first = run(b, 42, 5, m -> new Adam(m.parameters(), 1e-3), 0);
            EpochMetrics last = first.get(4);
            assertTrue(last.testAccuracy() >= 0.92, "test accuracy " + last.testAccuracy());
            assertTrue(first.get(0).trainLoss() > last.trainLoss(), "the loss goes down");
            List<EpochMetrics> second = run(b, 42, 5, m -> new Adam(m.parameters(), 1e-3), 0);
            for (int i = 0; i < 5; i++) {
                assertSameFigures(first.get(i), second.get(i));
            }
            assertEquals(0, b.liveTensors().size());
        }
    }

    @Test
    void sgdWithMomentumReachesNinetyOnePercent() {
        try (Backend b = TestBackends.cpu()) {
            List<EpochMetrics> ms = run(b, 7, 5, m -> new SGD(m.parameters(), 0.01, SgdParams.momentum(0.9f)), 0);
            assertTrue(ms.get(4).testAccuracy() >= 0.91, "test accuracy " + ms.get(4).testAccuracy());
        }
    }

    @Test
    void resumeFromEpochTwoReproducesEpochsThreeToFive() throws IOException {
        Path ck = dir.resolve("ck.safetensors");
        try (Backend b = TestBackends.cpu()) {
            Function<Sequential, Optimizer> sgd = m -> new SGD(m.parameters(), 0.05,
                    new SgdParams(0.9f, 0f, 1e-4f, true));
            List<EpochMetrics> straight = run(b, 5, 5, sgd, 2);
            // Interrupted run: two epochs, then a checkpoint.
            try (Sequential model = Sequential.mlp(b, new int[] {784, 128, 64, 10}, "relu", new Rng(5));
                 CrossEntropyLoss loss = new CrossEntropyLoss(); Optimizer opt = sgd.apply(model)) {
                LrScheduler sched = new StepLR(opt, 2, 0.5);
                try (Trainer t = new Trainer(model, loss, opt, sched, new BatchLoader(data.train(), 64, true, 5),
                        data.test())) {
                    for (int e = 1; e <= 2; e++) {
                        assertSameFigures(straight.get(e - 1), t.trainEpoch(e, TrainingListener.NONE));
                    }
                }
                Checkpoints.saveTraining(ck, model, opt, sched, Map.of("epoch", "2"));
            }
            // Fresh process state: a model with other weights, everything restored from the file.
            Safetensors.Contents c = Safetensors.read(ck);
            assertTrue(c.tensors().containsKey("optim.0.weight.momentum_buffer"));
            try (Sequential model = Sequential.mlp(b, new int[] {784, 128, 64, 10}, "relu", new Rng(999));
                 CrossEntropyLoss loss = new CrossEntropyLoss()) {
                Checkpoints.loadModel(c, model, ck.toString());
                try (Optimizer opt = Checkpoints.restoreOptimizer(c, model, ck.toString())) {
                    LrScheduler sched = Checkpoints.restoreScheduler(c, opt, ck.toString());
                    try (Trainer t = new Trainer(model, loss, opt, sched, new BatchLoader(data.train(), 64, true, 5),
                            data.test())) {
                        for (int e = 3; e <= 5; e++) {
                            assertSameFigures(straight.get(e - 1), t.trainEpoch(e, TrainingListener.NONE));
                        }
                    }
                }
            }
            assertEquals(0, b.liveTensors().size());
        }
    }

    @Test
    void metricsAreBitIdenticalAcrossThreadCounts() {
        List<List<EpochMetrics>> runs = new ArrayList<>();
        String before = System.getProperty("kiln.cpu.threads");
        try {
            for (String threads : new String[] {"1", "3"}) {
                System.setProperty("kiln.cpu.threads", threads);
                try (Backend b = TestBackends.cpu()) {
                    runs.add(run(b, 11, 2, m -> new Adam(m.parameters(), 1e-3), 0));
                }
            }
        } finally {
            if (before == null) {
                System.clearProperty("kiln.cpu.threads");
            } else {
                System.setProperty("kiln.cpu.threads", before);
            }
        }
        for (int i = 0; i < 2; i++) {
            assertSameFigures(runs.get(0).get(i), runs.get(1).get(i));
        }
    }
}
