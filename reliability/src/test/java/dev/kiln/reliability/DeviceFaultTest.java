package dev.kiln.reliability;

import dev.kiln.core.Backend;
import dev.kiln.core.KilnException;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Parameter;
import dev.kiln.nn.Rng;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.nn.loss.CrossEntropyLoss;
import dev.kiln.nn.optim.Adam;
import dev.kiln.nn.optim.Optimizer;
import dev.kiln.testkit.FaultInjectingEngine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Native failures, simulated by a {@link FaultInjectingEngine} behind the front door of every
 * available backend: the failure surfaces as a {@link KilnException} naming backend, op and native
 * error; an optimizer step that fails part way marks the optimizer invalid (never a silently
 * half-updated model); restoring a checkpoint makes training continue exactly as if nothing had
 * failed; and later calls on the same backend work.
 */
class DeviceFaultTest {
    private static final int[] SIZES = {12, 16, 8, 4};
    private static final int BATCH = 5;

    /** One model with its optimizer and a fixed batch, on one backend. */
    private static final class Model implements AutoCloseable {
        final Sequential net;
        final Optimizer opt;
        final CrossEntropyLoss loss = new CrossEntropyLoss();
        final Tensor x;
        final Tensor y;

        Model(Backend b) {
            net = Sequential.mlp(b, SIZES, "tanh", new Rng(7));
            opt = new Adam(net.parameters(), 0.01);
            float[] xs = new float[BATCH * SIZES[0]];
            Rng r = new Rng(3);
            for (int i = 0; i < xs.length; i++) {
                xs[i] = r.uniform(-1, 1);
            }
            x = b.fromArray(xs, BATCH, SIZES[0]);
            y = b.labels(0, 1, 2, 3, 1);
        }

        /** One whole training step. */
        float step() {
            opt.zeroGrad();
            Tensor l = loss.forward(net.forward(x), y);
            net.backward(loss.backward(), false);
            opt.step();
            return l.item();
        }

        @Override
        public void close() {
            x.close();
            y.close();
            loss.close();
            opt.close();
            net.close();
        }
    }

    @TestFactory
    Stream<DynamicTest> aFailedOptimizerStepMarksTheStateInvalidAndACheckpointRestoresIt() {
        return Available.names().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            // The run without faults, for comparison.
            List<Float> clean = new ArrayList<>();
            float[] cleanWeights;
            try (Backend b = Available.open(name); Model m = new Model(b)) {
                for (int i = 0; i < 4; i++) {
                    clean.add(m.step());
                }
                cleanWeights = Training.weights(m.net);
            }
            FaultInjectingEngine[] engine = new FaultInjectingEngine[1];
            try (Backend b = Available.openInstrumented(name, engine); Model m = new Model(b)) {
                List<Float> losses = new ArrayList<>();
                losses.add(m.step());
                // A checkpoint after step 1, held on the host.
                float[] weights = Training.weights(m.net);
                Map<String, float[]> state = new LinkedHashMap<>();
                m.opt.state().forEach((k, t) -> state.put(k, t.toFloatArray()));
                long steps = m.opt.stepCount();

                // Step 2 fails natively on the third of six parameters.
                engine[0].failOn("adamStep", 3, "CL_OUT_OF_RESOURCES");
                KilnException e = assertThrows(KilnException.class, m::step);
                assertEquals(name, e.backend());
                assertEquals("adamStep", e.op());
                assertEquals("CL_OUT_OF_RESOURCES", e.nativeError());
                assertTrue(e.getMessage().startsWith(name + " adamStep [CL_OUT_OF_RESOURCES]: "), e.getMessage());
                assertTrue(e.getSuppressed().length == 1 && e.getSuppressed()[0].getMessage()
                        .contains("optimizer state is invalid after a failed step on " + name), "the failure says the state is invalid");
                assertTrue(m.opt.isInvalid());
                assertNotEquals(List.of(boxed(weights)), List.of(boxed(Training.weights(m.net))),
                        "two parameters were updated before the fault: the model is half-stepped");

                // Every later step refuses, clearly, without touching the model.
                float[] halfStepped = Training.weights(m.net);
                IllegalStateException s = assertThrows(IllegalStateException.class, m::step);
                assertTrue(s.getMessage().startsWith("optimizer state is invalid after a failed step on " + name
                        + " (adam step 2, parameter '2.weight', 2 of 6 updated before it"), s.getMessage());
                assertTrue(s.getMessage().contains("CL_OUT_OF_RESOURCES") && s.getMessage().contains("restore a checkpoint"),
                        s.getMessage());
                assertArrayEquals(halfStepped, Training.weights(m.net));

                // Restore the checkpoint: training continues exactly as the run without faults.
                restore(m.net, weights);
                m.opt.loadState(steps, state);
                assertTrue(!m.opt.isInvalid());
                for (int i = 1; i < 4; i++) {
                    losses.add(m.step());
                }
                if (name.equals("cpu")) {
                    assertEquals(clean, losses, "bit-identical to the run without faults");
                    assertArrayEquals(cleanWeights, Training.weights(m.net));
                } else {
                    for (int i = 0; i < clean.size(); i++) {
                        assertEquals(clean.get(i), losses.get(i), 1e-5 * Math.max(1, Math.abs(clean.get(i))));
                    }
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> failuresOutsideTheOptimizerLeaveEverythingUsable() {
        return Available.names().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            FaultInjectingEngine[] engine = new FaultInjectingEngine[1];
            try (Backend b = Available.openInstrumented(name, engine); Model m = new Model(b)) {
                m.step();
                int live = b.liveTensors().size();
                float[] before = Training.weights(m.net);

                // A forward GEMM fails: nothing was stepped, the optimizer stays valid, the next step works.
                engine[0].failOn("gemm", 2, "CUBLAS_STATUS_EXECUTION_FAILED");
                KilnException e = assertThrows(KilnException.class, m::step);
                assertEquals("gemm", e.op());
                assertTrue(e.getMessage().contains("CUBLAS_STATUS_EXECUTION_FAILED") && e.getMessage().contains(name));
                assertTrue(!m.opt.isInvalid());
                assertArrayEquals(before, Training.weights(m.net), "a failed forward pass changes no weight");
                assertTrue(Float.isFinite(m.step()));

                // Out of device memory: no tensor is registered, and the next allocation works.
                engine[0].failOn("allocate", 1, "CL_MEM_OBJECT_ALLOCATION_FAILURE");
                e = assertThrows(KilnException.class, () -> b.zeros(1000, 1000));
                assertEquals("allocate", e.op());
                assertEquals(live, b.liveTensors().size());
                try (Tensor t = b.zeros(3, 3)) {
                    assertEquals(9, t.size());
                }

                // A failure at the sync point (a download): raised there, and the data is intact afterwards.
                engine[0].failOn("download", 1, "CL_INVALID_COMMAND_QUEUE");
                e = assertThrows(KilnException.class, () -> m.x.toFloatArray());
                assertEquals("download", e.op());
                assertEquals(BATCH * SIZES[0], m.x.toFloatArray().length);
                assertTrue(Float.isFinite(m.step()));
                BadInputTableTest.assertStillComputes(b);
            }
        }));
    }

    private static void restore(Sequential net, float[] weights) {
        int o = 0;
        for (Parameter p : net.parameters()) {
            p.value().copyFrom(weights, o);
            o += p.value().size();
        }
    }

    private static List<Float> boxed(float[] v) {
        List<Float> l = new ArrayList<>();
        for (float f : v) {
            l.add(f);
        }
        return l;
    }
}
