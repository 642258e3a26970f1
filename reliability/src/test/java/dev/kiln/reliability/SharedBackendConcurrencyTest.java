package dev.kiln.reliability;

import dev.kiln.core.Backend;
import dev.kiln.nn.Rng;
import dev.kiln.nn.data.Dataset;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.nn.train.EpochMetrics;
import dev.kiln.nn.train.Evaluation;
import dev.kiln.nn.train.Trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Several threads share one backend, each training its own model (with its own optimizer) or
 * evaluating its own model, and get the results they get alone: bit-identical on the CPU backend,
 * within the elementwise tolerance elsewhere. This is the threading model of docs/architecture.md.
 */
class SharedBackendConcurrencyTest {
    private static final String[] OPTIMIZERS = {"sgd", "adam", "rmsprop", "adagrad"};
    private static final int EPOCHS = 2;

    @TestFactory
    Stream<DynamicTest> threadsSharingABackendGetTheResultsTheyGetAlone() {
        Dataset train = Training.synthetic("train", 600, 1);
        Dataset test = Training.synthetic("test", 200, 2);
        return Available.names().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            try (Backend b = Available.open(name)) {
                int threads = OPTIMIZERS.length + 1;
                Training.Result[] alone = new Training.Result[OPTIMIZERS.length];
                for (int i = 0; i < OPTIMIZERS.length; i++) {
                    alone[i] = Training.run(b, OPTIMIZERS[i], 100 + i, EPOCHS, train, test);
                }
                float[][] evalAlone = evaluate(b, test, 1);

                ExecutorService pool = Executors.newFixedThreadPool(threads);
                try {
                    CyclicBarrier start = new CyclicBarrier(threads);
                    List<Future<Training.Result>> trained = new ArrayList<>();
                    for (int i = 0; i < OPTIMIZERS.length; i++) {
                        int k = i;
                        trained.add(pool.submit(() -> {
                            start.await();
                            return Training.run(b, OPTIMIZERS[k], 100 + k, EPOCHS, train, test);
                        }));
                    }
                    Future<float[][]> evaluated = pool.submit(() -> {
                        start.await();
                        return evaluate(b, test, 6);
                    });
                    for (int i = 0; i < OPTIMIZERS.length; i++) {
                        Training.Result together = trained.get(i).get(5, TimeUnit.MINUTES);
                        compare(name, OPTIMIZERS[i], alone[i], together);
                    }
                    float[][] evalTogether = evaluated.get(5, TimeUnit.MINUTES);
                    for (float[] e : evalTogether) {
                        assertArrayEquals(evalAlone[0], e, tolerance(name), "evaluation while others train");
                    }
                } finally {
                    pool.shutdownNow();
                }
                assertEquals(0, b.liveTensors().size(), "every thread closed what it made");
            }
        }));
    }

    /** Evaluates a fixed model {@code times} times: test loss and accuracy each time. */
    private static float[][] evaluate(Backend b, Dataset test, int times) {
        float[][] out = new float[times][];
        try (Sequential model = Sequential.mlp(b, new int[] {Training.SIDE * Training.SIDE, 32, Training.CLASSES}, "relu",
                new Rng(9))) {
            for (int i = 0; i < times; i++) {
                Evaluation e = Trainer.evaluate(model, test, false);
                out[i] = new float[] {(float) e.loss(), (float) e.accuracy()};
            }
        }
        return out;
    }

    private static float tolerance(String name) {
        return name.equals("cpu") ? 0f : 1e-5f;
    }

    private static void compare(String backend, String opt, Training.Result alone, Training.Result together) {
        String what = opt + " on " + backend;
        for (int e = 0; e < EPOCHS; e++) {
            EpochMetrics a = alone.epochs().get(e);
            EpochMetrics t = together.epochs().get(e);
            double tol = tolerance(backend) * Math.max(1, Math.abs(a.trainLoss()));
            assertEquals(a.trainLoss(), t.trainLoss(), tol, what + " train loss, epoch " + (e + 1));
            assertEquals(a.testLoss(), t.testLoss(), tol, what + " test loss, epoch " + (e + 1));
            assertEquals(a.trainAccuracy(), t.trainAccuracy(), backend.equals("cpu") ? 0 : 0.01, what);
            assertEquals(a.testAccuracy(), t.testAccuracy(), backend.equals("cpu") ? 0 : 0.01, what);
        }
        assertArrayEquals(alone.weights(), together.weights(), tolerance(backend), what + " final weights");
    }
}
