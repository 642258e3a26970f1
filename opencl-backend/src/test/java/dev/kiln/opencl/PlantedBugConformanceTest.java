package dev.kiln.opencl;

import dev.kiln.core.Backend;
import dev.kiln.core.LeakDetection;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.testkit.ConformanceSuite;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.util.Locale;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves the conformance suite catches a kernel bug: with a planted wrong ReLU kernel, it fails. */
class PlantedBugConformanceTest {

    /** The suite on an engine built from the planted source. Nested, so Surefire does not run it by itself. */
    static final class WrongReluSuite extends ConformanceSuite {
        @Override
        protected String backendSpec() {
            return "opencl";
        }

        @Override
        protected Backend openBackend() {
            DeviceInfo d = OpenClTestSupport.deviceOrSkip();
            OpenClEngine e = OpenClTestSupport.PROVIDER.open(d,
                    new OpenClEngine.Options(OpenClEngine.GemmPath.AUTO, PlantedBugs::wrongRelu));
            return new Backend("opencl-planted-relu", e, LeakDetection.fromSystemProperty());
        }
    }

    @Test
    void aPlantedWrongReluFailsTheConformanceSuite() {
        OpenClTestSupport.deviceOrSkip();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(WrongReluSuite.class)).build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(request, listener);
        TestExecutionSummary s = listener.getSummary();
        assertTrue(s.getTestsSucceededCount() > 0, "the suite ran and the ops without the bug passed: " + counts(s));
        assertTrue(s.getTotalFailureCount() > 0, "the planted ReLU bug must fail the suite: " + counts(s));
        boolean namesRelu = s.getFailures().stream().anyMatch(f ->
                (f.getTestIdentifier().getDisplayName() + " " + f.getTestIdentifier().getUniqueId() + " "
                        + f.getException().getMessage()).toLowerCase(Locale.ROOT).contains("relu"));
        assertTrue(namesRelu, "a failure names relu");
    }

    private static String counts(TestExecutionSummary s) {
        return s.getTestsFoundCount() + " found, " + s.getTestsSucceededCount() + " passed, "
                + s.getTotalFailureCount() + " failed, " + s.getTestsSkippedCount() + " skipped";
    }
}
