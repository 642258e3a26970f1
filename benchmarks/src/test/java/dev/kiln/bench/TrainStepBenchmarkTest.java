package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The training-step benchmark's set-up, step and tear-down on the CPU backend, as JMH runs them:
 * the step trains (the loss falls on its fixed batch), and tear-down closes every tensor the
 * model, loss and optimizer opened (LeakCheck fails the class otherwise; the optimizer's
 * momentum and Adam moments were once left open and reported as leaks by every fork).
 */
class TrainStepBenchmarkTest {
    @ParameterizedTest
    @ValueSource(strings = {"sgd", "adam"})
    void stepsTrainAndTearDownClosesEverything(String optimizer) {
        TrainStepBenchmark s = new TrainStepBenchmark();
        s.backend = "cpu";
        s.batch = 64;
        s.optimizer = optimizer;
        s.threads = 1;
        s.setUp();
        try {
            s.step();
            float first = s.lastLoss();
            for (int i = 0; i < 20; i++) {
                s.step();
            }
            assertTrue(s.lastLoss() < first, optimizer + ": loss " + first + " -> " + s.lastLoss());
        } finally {
            s.tearDown();
        }
    }
}
