package dev.kiln.testkit;

import dev.kiln.core.Backend;
import dev.kiln.core.LeakDetection;
import dev.kiln.core.Tensor;
import dev.kiln.core.reference.ReferenceEngine;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * A test class that leaks a tensor fails, and the failure names where the tensor was allocated:
 * {@link LeakCheck} is registered for every test class by autodetection (junit-platform.properties).
 * The inner classes run only through the launcher here (Surefire skips nested classes).
 * This class itself is exempt: the leaks of the classes it runs happen while it runs.
 */
@Tag(LeakCheck.EXPECTED_LEAKS)
class LeakCheckTest {

    /** Closes its backend with a tensor still open. */
    static class ClosesWithALiveTensor {
        @Test
        void leaks() {
            Backend b = new Backend("reference", new ReferenceEngine(), LeakDetection.PARANOID);
            b.zeros(3, 5); // never closed
            b.close();
        }
    }

    /** Leaves its backend open with a live tensor. */
    static class LeavesTheBackendOpen {
        /** Kept reachable, as in {@link ForgetsToCloseTheBackend}. */
        static Backend open;

        @Test
        void leaks() {
            Backend b = new Backend("reference", new ReferenceEngine(), LeakDetection.PARANOID);
            open = b;
            b.empty(dev.kiln.core.DType.I32, dev.kiln.core.Shape.of(4), "forgotten");
        }
    }

    /** Leaves an empty backend open (its device context would leak). */
    static class ForgetsToCloseTheBackend {
        /** Kept reachable: the registry holds backends weakly, and one collected before the check is not seen. */
        static Backend forgotten;

        @Test
        void leaks() {
            forgotten = new Backend("reference", new ReferenceEngine(), LeakDetection.PARANOID);
        }
    }

    /** Closes everything it opens. */
    static class Clean {
        @Test
        void closesEverything() {
            try (Backend b = new Backend("reference", new ReferenceEngine(), LeakDetection.PARANOID);
                 Tensor t = b.zeros(2, 2)) {
                assertEquals(4, t.size());
            }
        }
    }

    @Test
    void aClassClosingABackendWithALiveTensorFailsAndNamesTheAllocationSite() {
        TestExecutionResult r = runClass(ClosesWithALiveTensor.class);
        assertEquals(TestExecutionResult.Status.FAILED, r.getStatus(), r.toString());
        String msg = r.getThrowable().orElseThrow().getMessage();
        assertTrue(msg.contains("ClosesWithALiveTensor leaked tensors"), msg);
        assertTrue(msg.contains("[3, 5] f32 allocated at dev.kiln.testkit.LeakCheckTest$ClosesWithALiveTensor.leaks(LeakCheckTest.java:"),
                msg);
    }

    @Test
    void aClassLeavingABackendOpenWithALiveTensorFailsAndNamesTheAllocationSite() {
        TestExecutionResult r = runClass(LeavesTheBackendOpen.class);
        assertEquals(TestExecutionResult.Status.FAILED, r.getStatus(), r.toString());
        String msg = r.getThrowable().orElseThrow().getMessage();
        assertTrue(msg.contains("still open: LEAK: backend reference"), msg);
        assertTrue(msg.contains("[4] i32 'forgotten' allocated at dev.kiln.testkit.LeakCheckTest$LeavesTheBackendOpen.leaks("),
                msg);
        assertTrue(LeavesTheBackendOpen.open.isClosed(), "the check closed the leaking backend");
    }

    @Test
    void aClassLeavingABackendOpenFails() {
        TestExecutionResult r = runClass(ForgetsToCloseTheBackend.class);
        assertEquals(TestExecutionResult.Status.FAILED, r.getStatus(), r.toString());
        String msg = r.getThrowable().orElseThrow().getMessage();
        assertTrue(msg.contains("still open: backend reference") && msg.contains("never closed"), msg);
        assertTrue(ForgetsToCloseTheBackend.forgotten.isClosed(), "the check closed it");
    }

    @Test
    void aCleanClassPasses() {
        TestExecutionResult r = runClass(Clean.class);
        assertEquals(TestExecutionResult.Status.SUCCESSFUL, r.getStatus(), r.toString());
    }

    /** Runs one class through the JUnit Platform and returns how its class container finished. */
    static TestExecutionResult runClass(Class<?> testClass) {
        List<TestExecutionResult> classResults = new ArrayList<>();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request().selectors(selectClass(testClass)).build(), new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.getSource().filter(s -> s instanceof ClassSource).isPresent()) {
                    classResults.add(result);
                }
            }
        });
        assertEquals(1, classResults.size(), "the class should have run once");
        return classResults.get(0);
    }
}
