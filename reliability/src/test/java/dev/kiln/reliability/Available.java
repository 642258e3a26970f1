package dev.kiln.reliability;

import dev.kiln.core.Backend;
import dev.kiln.core.Backends;
import dev.kiln.core.LeakDetection;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.testkit.BackendRequirement;
import dev.kiln.testkit.FaultInjectingEngine;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/** The backends of this test run: every provider on the class path whose probe found a device. */
final class Available {
    private static final System.Logger LOG = System.getLogger("dev.kiln.reliability.Available");

    private Available() {
    }

    /**
     * The name of every available backend ({@code cpu}, and {@code opencl} / {@code cuda} where
     * their drivers are present); the unavailable ones are logged with their reasons, and a
     * backend listed in {@code -Dkiln.require.backends} that is unavailable fails the test.
     */
    static List<String> names() {
        List<String> names = new ArrayList<>();
        for (Backends.ProbeReport r : Backends.probeAll()) {
            if (r.name().equals(FaultyCpuProvider.NAME)) {
                continue; // the CPU backend again, with a fault injector: not a backend of its own
            }
            if (r.available()) {
                names.add(r.name());
            } else {
                LOG.log(Level.INFO, "reliability tests skip backend " + r.name() + ": " + r.result().reason());
                if (BackendRequirement.isRequired(r.name())) {
                    throw new AssertionError("backend " + r.name() + " is required but unavailable: "
                            + r.result().reason());
                }
            }
        }
        if (names.isEmpty()) {
            throw new AssertionError("no backend is available; the CPU backend always should be");
        }
        return names;
    }

    /** Opens backend {@code name}'s best device. */
    static Backend open(String name) {
        return BackendRequirement.openOrSkip(name);
    }

    /**
     * Opens backend {@code name}'s first device with its engine behind a {@link FaultInjectingEngine}
     * (which also counts the engine calls), behind the usual front door.
     */
    static Backend openInstrumented(String name, FaultInjectingEngine[] engineOut) {
        for (Backends.ProbeReport r : Backends.probeAll()) {
            if (r.name().equals(name) && r.available()) {
                DeviceInfo device = r.result().devices().get(0);
                FaultInjectingEngine e = new FaultInjectingEngine(name, r.provider().open(device));
                engineOut[0] = e;
                return new Backend(name, e, LeakDetection.fromSystemProperty());
            }
        }
        throw new AssertionError("backend " + name + " is not available");
    }
}
