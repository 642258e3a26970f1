package dev.kiln.core;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Leaks are reported with allocation sites, scopes close what they made, and memory is returned. */
@Tag(CoreLeakCheck.EXPECTED_LEAKS) // leaks on purpose, to test the leak report
class LeakDetectionTest {

    @Test
    void closingWithLiveTensorsFailsInFailModeAndNamesTheSite() {
        FakeEngine engine = new FakeEngine("fake");
        Backend backend = new Backend("fake", engine, LeakDetection.FAIL);
        backend.empty(DType.F32, Shape.of(7, 3), "leaky");
        IllegalStateException e = assertThrows(IllegalStateException.class, backend::close);
        assertTrue(e.getMessage().contains("1 tensor(s) still open"), e.getMessage());
        assertTrue(e.getMessage().contains("[7, 3] f32 'leaky'"), e.getMessage());
        assertTrue(e.getMessage().contains("LeakDetectionTest"), "allocation site: " + e.getMessage());
        assertEquals(engine.allocated, engine.freed, "leaked memory is still freed");
        assertTrue(engine.closed);
    }

    @Test
    void simpleModeReportsWithoutSites() {
        Backend backend = new Backend("fake", new FakeEngine("fake"), LeakDetection.SIMPLE);
        Tensor t = backend.zeros(2);
        String report = backend.leakReport(backend.liveTensors());
        assertTrue(report.contains("-Dkiln.leaks=paranoid"), report);
        assertEquals(null, t.allocationSite());
        backend.close(); // logs, does not throw
        assertTrue(t.isClosed());
    }

    @Test
    void scopeClosesWhatItMadeAndKeepsWhatItWasTold() {
        FakeEngine engine = new FakeEngine("fake");
        try (Backend backend = new Backend("fake", engine, LeakDetection.FAIL)) {
            Tensor kept;
            Tensor outside = backend.zeros(1);
            try (TensorScope s = backend.scope()) {
                backend.zeros(10);
                try (TensorScope inner = backend.scope()) {
                    backend.zeros(3);
                }
                assertEquals(2, backend.liveTensors().size(), "the inner scope closed its tensor");
                kept = s.keep(backend.zeros(5));
            }
            assertEquals(2, backend.liveTensors().size());
            assertFalse(kept.isClosed());
            kept.close();
            outside.close();
            assertTrue(backend.liveTensors().isEmpty());
            assertEquals(engine.allocated, engine.freed);
        }
    }

    @Test
    void levelComesFromTheSystemProperty() {
        String old = System.getProperty("kiln.leaks");
        try {
            System.setProperty("kiln.leaks", "paranoid");
            assertEquals(LeakDetection.PARANOID, LeakDetection.fromSystemProperty());
            System.setProperty("kiln.leaks", "loud");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, LeakDetection::fromSystemProperty);
            assertTrue(e.getMessage().contains("loud"));
        } finally {
            if (old == null) {
                System.clearProperty("kiln.leaks");
            } else {
                System.setProperty("kiln.leaks", old);
            }
        }
    }
}
