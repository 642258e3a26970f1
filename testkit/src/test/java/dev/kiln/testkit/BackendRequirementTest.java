package dev.kiln.testkit;

import dev.kiln.core.Backend;
import dev.kiln.core.BackendUnavailableException;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherFactory;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/** An unavailable backend is a visible skip with its reason, or a failure when the run requires it. */
class BackendRequirementTest {
    private static final String REASON = "no phantom device on this machine";
    private String saved;

    @BeforeEach
    void saveProperty() {
        saved = System.getProperty(BackendRequirement.PROPERTY);
    }

    @AfterEach
    void restoreProperty() {
        if (saved == null) {
            System.clearProperty(BackendRequirement.PROPERTY);
        } else {
            System.setProperty(BackendRequirement.PROPERTY, saved);
        }
    }

    private static Backend unavailable() {
        throw new BackendUnavailableException("phantom", REASON);
    }

    @Test
    void parsesTheRequiredList() {
        System.setProperty(BackendRequirement.PROPERTY, " CUDA, opencl ,,");
        assertEquals(java.util.Set.of("cuda", "opencl"), BackendRequirement.required());
        assertTrue(BackendRequirement.isRequired("opencl:1"));
        assertFalse(BackendRequirement.isRequired("cpu"));
        System.setProperty(BackendRequirement.PROPERTY, "");
        assertTrue(BackendRequirement.required().isEmpty());
    }

    @Test
    void unavailableAndNotRequiredAborts() {
        System.setProperty(BackendRequirement.PROPERTY, "cuda");
        TestAbortedException e = assertThrows(TestAbortedException.class,
                () -> BackendRequirement.openOrSkip("phantom", BackendRequirementTest::unavailable));
        assertTrue(e.getMessage().contains(REASON), e.getMessage());
    }

    @Test
    void unavailableAndRequiredFails() {
        System.setProperty(BackendRequirement.PROPERTY, "cuda,phantom");
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> BackendRequirement.openOrSkip("phantom:0", BackendRequirementTest::unavailable));
        assertTrue(e.getMessage().contains(REASON) && e.getMessage().contains("required"), e.getMessage());
    }

    /** A suite whose backend is never there; run only through the launcher below. */
    static class PhantomSuite extends ConformanceSuite {
        @Override
        protected String backendSpec() {
            return "phantom";
        }

        @Override
        protected Backend openBackend() {
            return unavailable();
        }
    }

    @Test
    void suiteOfAnUnavailableBackendIsSkippedWithTheReason() {
        System.clearProperty(BackendRequirement.PROPERTY);
        // Each test is skipped on its own (so reports count the skips), each with the probe's reason.
        List<TestExecutionResult> tests = new ArrayList<>();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request().selectors(selectClass(PhantomSuite.class)).build(), new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.isTest() || id.getSource().filter(src -> src instanceof
                        org.junit.platform.engine.support.descriptor.MethodSource).isPresent()) {
                    tests.add(result);
                }
            }
        });
        assertTrue(tests.size() >= 5, "every test of the suite is reported: " + tests.size());
        for (TestExecutionResult r : tests) {
            assertEquals(TestExecutionResult.Status.ABORTED, r.getStatus(), r.toString());
            assertTrue(r.getThrowable().orElseThrow().getMessage().contains(REASON), r.toString());
        }
    }

    @Test
    void suiteOfARequiredUnavailableBackendFails() {
        System.setProperty(BackendRequirement.PROPERTY, "phantom");
        TestExecutionResult r = runSuiteClass();
        assertEquals(TestExecutionResult.Status.FAILED, r.getStatus(), r.toString());
        assertTrue(r.getThrowable().orElseThrow().getMessage().contains(REASON), r.toString());
    }

    /** Runs {@link PhantomSuite} and returns how its class container finished. */
    private static TestExecutionResult runSuiteClass() {
        List<TestExecutionResult> classResults = new ArrayList<>();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request().selectors(selectClass(PhantomSuite.class)).build(), new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.getSource().filter(s -> s instanceof org.junit.platform.engine.support.descriptor.ClassSource)
                        .isPresent()) {
                    classResults.add(result);
                }
            }
        });
        assertEquals(1, classResults.size(), "the suite class should have run once");
        return classResults.get(0);
    }
}
