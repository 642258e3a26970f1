package dev.kiln.core;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Selection: auto by priority, explicit requests fail loudly with the probe's reason, never fall back. */
class BackendsTest {

    @AfterEach
    void clear() {
        System.clearProperty("kiln.backend");
    }

    @Test
    void probesEveryProviderAndSurvivesOneThatThrows() {
        var reports = Backends.probeAll();
        assertEquals(java.util.List.of("absent", "fake", "throwing"), Backends.names());
        var throwing = reports.stream().filter(r -> r.name().equals("throwing")).findFirst().orElseThrow();
        assertFalse(throwing.available());
        assertTrue(throwing.result().reason().contains("UnsatisfiedLinkError"), throwing.result().reason());
        assertTrue(Backends.reasons().contains("absent: libabsent.so.1 not found"), Backends.reasons());
    }

    @Test
    void autoPicksTheHighestPriorityAvailableDevice() {
        Backends.Candidate c = Backends.resolve("auto");
        assertEquals("fake:1", c.device().spec());
        assertEquals(300, c.priority());
        try (Backend b = Backends.open()) {
            assertEquals("fake", b.name());
        }
    }

    @Test
    void explicitUnavailableBackendFailsWithTheReason() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.open("absent"));
        assertEquals("libabsent.so.1 not found", e.reason());
        assertTrue(e.getMessage().contains("absent"), e.getMessage());
    }

    @Test
    void systemPropertyOverridesAuto() {
        System.setProperty("kiln.backend", "fake:0");
        assertEquals("fake:0", Backends.requestedSpec());
        try (Backend b = Backends.open()) {
            assertEquals("fake cpu", b.device().name());
        }
        System.setProperty("kiln.backend", "absent");
        assertThrows(BackendUnavailableException.class, Backends::open);
    }

    @Test
    void badSpecsAreClearErrors() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Backends.open("tpu"));
        assertTrue(unknown.getMessage().contains("unknown backend 'tpu'"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("fake"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backends.open("fake:x"));
        BackendUnavailableException noDevice = assertThrows(BackendUnavailableException.class,
                () -> Backends.open("fake:5"));
        assertTrue(noDevice.getMessage().contains("no device 5"), noDevice.getMessage());
    }

    @Test
    void crossCheckWrapsTheChosenBackendAndCatchesADivergence() {
        System.setProperty("kiln.crosscheck", "reference");
        try (Backend b = Backends.open("fake:0")) {
            assertTrue(b.name().contains("crosscheck(reference)"), b.name());
            try (TensorScope s = b.scope()) {
                Tensor a = b.fromArray(new float[] {1, 2, 3, 4}, 2, 2);
                Tensor c = b.zeros(2, 2);
                b.gemm(false, false, 1f, a, a, 0f, c); // the fake GEMM is right: passes
                org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {7, 10, 15, 22}, c.toFloatArray());
                // The fake engine's "activation" ignores everything but ReLU: sigmoid diverges.
                KilnException e = assertThrows(KilnException.class, () -> b.activation(Activation.SIGMOID, a, c));
                assertTrue(e.getMessage().contains("activation"), e.getMessage());
            }
        } finally {
            System.clearProperty("kiln.crosscheck");
        }
    }
}
