package dev.kiln.core;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The front door rejects bad calls with clear messages before the engine sees them, and stays usable. */
class FrontDoorTest {
    private FakeEngine engine;
    private Backend backend;

    @BeforeEach
    void open() {
        engine = new FakeEngine("fake");
        backend = new Backend("fake", engine, LeakDetection.PARANOID);
    }

    @AfterEach
    void close() {
        assertTrue(backend.liveTensors().isEmpty(), () -> "test leaked " + backend.liveTensors());
        backend.close();
    }

    private <T extends Throwable> T rejected(Class<T> type, Executable call, String... fragments) {
        int before = engine.calls.size();
        T e = assertThrows(type, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
        assertEquals(before, engine.calls.size(), "a rejected call must not reach the engine");
        return e;
    }

    /** After an error, the backend still computes correctly. */
    private void assertStillWorks() {
        try (TensorScope s = backend.scope()) {
            Tensor a = backend.fromArray(new float[] {1, 2, 3, 4}, 2, 2);
            Tensor b = backend.fromArray(new float[] {1, 0, 0, 1}, 2, 2);
            Tensor c = backend.matmul(a, b);
            assertArrayEquals(new float[] {1, 2, 3, 4}, c.toFloatArray());
        }
    }

    @Test
    void gemmShapeMismatchNamesBothShapes() {
        try (TensorScope s = backend.scope()) {
            Tensor a = backend.zeros(64, 784);
            Tensor b = backend.zeros(128, 784);
            Tensor c = backend.zeros(64, 128);
            rejected(IllegalArgumentException.class, () -> backend.gemm(false, false, 1, a, b, 0, c),
                    "[64, 784]", "[128, 784]", "[64, 128]");
            backend.gemm(false, true, 1, a, b, 0, c); // the transposed form fits
        }
        assertStillWorks();
    }

    @Test
    void tensorFromAnotherBackendIsRejected() {
        try (Backend other = new Backend("other", new FakeEngine("other"), LeakDetection.PARANOID);
             TensorScope s = backend.scope()) {
            Tensor foreign = other.zeros(2, 2);
            Tensor mine = backend.zeros(2, 2);
            rejected(IllegalArgumentException.class, () -> backend.activation(Activation.RELU, foreign, mine),
                    "belongs to backend other", "[2, 2]");
            foreign.close();
        }
        assertStillWorks();
    }

    @Test
    void closedTensorIsRejectedWithItsAllocationSite() {
        Tensor t = backend.zeros(3, 4);
        Tensor y = backend.zeros(3, 4);
        t.close();
        t.close(); // idempotent
        IllegalStateException e = rejected(IllegalStateException.class,
                () -> backend.activation(Activation.RELU, t, y), "is closed", "[3, 4]");
        assertTrue(e.getMessage().contains("FrontDoorTest"), e.getMessage());
        assertThrows(IllegalStateException.class, t::toFloatArray);
        y.close();
        assertStillWorks();
    }

    @Test
    void labelOutOfRangeNamesTheRow() {
        try (TensorScope s = backend.scope()) {
            Tensor logits = backend.zeros(4, 10);
            Tensor loss = backend.zeros(1);
            Tensor tooBig = backend.labels(3, 1, 10, 0);
            rejected(IllegalArgumentException.class,
                    () -> backend.softmaxCrossEntropy(logits, tooBig, loss, null, Reduction.MEAN, 0f),
                    "label 10", "row 2", "[0, 10)");
            Tensor negative = backend.labels(3, -1, 2, 0);
            rejected(IllegalArgumentException.class,
                    () -> backend.countCorrect(logits, negative, backend.zeros(DType.I32, Shape.of(1))),
                    "label -1", "row 1");
            Tensor ok = backend.labels(3, 1, 9, 0);
            backend.softmaxCrossEntropy(logits, ok, loss, null, Reduction.MEAN, 0f);
            assertEquals("softmaxCrossEntropy", engine.calls.get(engine.calls.size() - 1));
        }
        assertStillWorks();
    }

    @Test
    void wrongDtypeAndRankAreRejected() {
        try (TensorScope s = backend.scope()) {
            Tensor ints = backend.zeros(DType.I32, Shape.of(2, 2));
            Tensor f = backend.zeros(2, 2);
            rejected(IllegalArgumentException.class, () -> backend.activation(Activation.RELU, ints, f),
                    "must be f32", "i32");
            Tensor r3 = backend.zeros(2, 2, 2);
            rejected(IllegalArgumentException.class, () -> backend.gemm(false, false, 1, r3, f, 0, f), "rank 2");
            rejected(IllegalArgumentException.class, () -> backend.softmaxCrossEntropy(f, f, backend.zeros(1), null,
                    Reduction.MEAN, 0), "labels", "must be i32");
        }
    }

    @Test
    void aliasingWhereNotAllowedIsRejected() {
        try (TensorScope s = backend.scope()) {
            Tensor a = backend.zeros(4, 4);
            rejected(IllegalArgumentException.class, () -> backend.gemm(false, false, 1, a, a, 0, a),
                    "c must not be the same tensor as a");
            rejected(IllegalArgumentException.class, () -> backend.activation(Activation.SOFTMAX, a, a),
                    "must not be the same tensor");
            backend.activation(Activation.RELU, a, a); // elementwise in place is allowed
            Tensor p = backend.zeros(4);
            rejected(IllegalArgumentException.class,
                    () -> backend.sgdStep(p, p, null, SgdParams.plain(), 0.1f, 1), "param", "grad");
        }
    }

    @Test
    void optimizerArgumentsAreChecked() {
        try (TensorScope s = backend.scope()) {
            Tensor p = backend.zeros(4);
            Tensor g = backend.zeros(4);
            rejected(IllegalArgumentException.class,
                    () -> backend.sgdStep(p, g, null, SgdParams.plain(), -0.1f, 1), "learning rate", "-0.1");
            rejected(IllegalArgumentException.class,
                    () -> backend.sgdStep(p, g, null, SgdParams.momentum(0.9f), 0.1f, 1), "momentumBuf");
            rejected(IllegalArgumentException.class,
                    () -> backend.adamStep(p, g, backend.zeros(4), backend.zeros(4), null, AdamParams.adam(), 1e-3f, 0),
                    "1-based");
            assertThrows(IllegalArgumentException.class, () -> new AdamParams(1.0f, 0.999f, 1e-8f, 0, false, false));
            assertThrows(IllegalArgumentException.class, () -> new SgdParams(0, 0.1f, 0, true));
        }
    }

    @Test
    void uploadSizesAreChecked() {
        rejected(IllegalArgumentException.class, () -> backend.fromArray(new float[5], 2, 3), "5 values", "[2, 3]");
        try (Tensor t = backend.zeros(2, 3)) {
            rejected(IllegalArgumentException.class, () -> t.copyFrom(new float[6], 1), "offset 1");
            rejected(IllegalArgumentException.class, () -> t.copyTo(new float[5]), "6 floats");
        }
        assertThrows(IllegalArgumentException.class, () -> Shape.of(-1, 3));
        IllegalArgumentException huge = assertThrows(IllegalArgumentException.class, () -> Shape.of(65536, 65536));
        assertTrue(huge.getMessage().contains("2^31-1"), huge.getMessage());
    }

    @Test
    void zeroSizeTensorsAreHandledWithoutReachingTheEngine() {
        try (TensorScope s = backend.scope()) {
            Tensor a = backend.zeros(0, 5);
            Tensor b = backend.zeros(5, 3);
            Tensor c = backend.zeros(0, 3);
            backend.gemm(false, false, 1, a, b, 0, c);
            backend.activation(Activation.RELU, a, backend.zeros(0, 5));
            assertEquals(0, a.toFloatArray().length);
            assertTrue(engine.calls.isEmpty(), engine.calls.toString());
        }
    }

    @Test
    void nanInputsPropagate() {
        try (TensorScope s = backend.scope()) {
            Tensor x = backend.fromArray(new float[] {Float.NaN, -1f, 2f}, 3);
            Tensor y = backend.zeros(3);
            backend.activation(Activation.RELU, x, y);
            float[] out = y.toFloatArray();
            assertTrue(Float.isNaN(out[0]));
            assertEquals(0f, out[1]);
            assertEquals(2f, out[2]);
        }
    }

    @Test
    void closedBackendRejectsEverything() {
        Backend b = new Backend("b", new FakeEngine("b"), LeakDetection.PARANOID);
        b.close();
        assertThrows(IllegalStateException.class, () -> b.zeros(1));
        b.close(); // idempotent
    }
}
