package dev.kiln.nn.optim;

import dev.kiln.core.Backend;
import dev.kiln.core.Backends;
import dev.kiln.core.KilnException;
import dev.kiln.core.LeakDetection;
import dev.kiln.nn.Parameter;
import dev.kiln.nn.Rng;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.testkit.FaultInjectingEngine;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every optimizer's step is applied whole or marked invalid: an update that fails on a later
 * parameter leaves the optimizer refusing to step (IllegalStateException naming the backend,
 * step, parameter and the cause) until {@link Optimizer#loadState} restores a checkpoint; a
 * failure on the first parameter, before anything moved, is treated the same (the op may have
 * half-written it).
 */
class FailedStepTest {
    private static final Map<String, String> OPS = Map.of("sgd", "sgdStep", "adam", "adamStep", "adamw", "adamStep",
            "rmsprop", "rmspropStep", "adagrad", "adagradStep");

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "adam", "adamw", "rmsprop", "adagrad"})
    void aFailedUpdateInvalidatesTheStateUntilACheckpointIsLoaded(String name) {
        var report = Backends.probeAll().stream().filter(r -> r.name().equals("cpu")).findFirst().orElseThrow();
        FaultInjectingEngine engine = new FaultInjectingEngine("cpu", report.provider().open(report.result().devices().get(0)));
        try (Backend b = new Backend("cpu", engine, LeakDetection.fromSystemProperty());
             Sequential m = Sequential.mlp(b, new int[] {5, 4, 3}, "relu", new Rng(1));
             Optimizer opt = Optimizers.create(name, m.parameters(), 0.1, name.equals("sgd") ? 0.9f : 0f, null)) {
            for (Parameter p : m.parameters()) {
                p.grad().copyFrom(filled(p.grad().size(), 0.25f));
            }
            opt.step();
            Map<String, float[]> saved = new LinkedHashMap<>();
            opt.state().forEach((k, t) -> saved.put(k, t.toFloatArray()));

            engine.failOn(OPS.get(name), 3, "CL_OUT_OF_RESOURCES");
            KilnException e = assertThrows(KilnException.class, opt::step);
            assertEquals("CL_OUT_OF_RESOURCES", e.nativeError());
            assertTrue(opt.isInvalid());
            assertEquals(1, opt.stepCount(), "the failed step is not counted");
            IllegalStateException s = assertThrows(IllegalStateException.class, opt::step);
            assertTrue(s.getMessage().startsWith("optimizer state is invalid after a failed step on cpu (" + name
                    + " step 2, parameter '2.weight', 2 of 4 updated before it: cpu " + OPS.get(name)
                    + " [CL_OUT_OF_RESOURCES]"), s.getMessage());
            assertTrue(s.getMessage().endsWith("restore a checkpoint (model weights and loadState)"), s.getMessage());
            assertSame(s.getMessage(), e.getSuppressed()[0].getMessage());

            opt.loadState(1, saved);
            assertFalse(opt.isInvalid());
            opt.step();
            assertEquals(2, opt.stepCount());

            // A failure on the very first parameter invalidates too: the op may have half-written it.
            engine.failOn(OPS.get(name), 1, "CUDA_ERROR_LAUNCH_FAILED");
            assertThrows(KilnException.class, opt::step);
            assertTrue(opt.isInvalid());
            float[] w = m.parameters().get(0).value().toFloatArray();
            assertThrows(IllegalStateException.class, opt::step);
            assertArrayEquals(w, m.parameters().get(0).value().toFloatArray(), "a refused step changes nothing");
        }
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
