package dev.kiln.cli;

import dev.kiln.core.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The default {@code kiln train} on every available backend besides cpu: it reaches the issue's
 * accuracy, and its per-epoch train losses agree with the CPU backend's to 1e-3 relative. Backends
 * named in {@code -Dkiln.require.backends} (set by {@code -Pcuda} / {@code -Popencl}) must be available.
 */
class CrossBackendTrainingTest {
    private static final System.Logger LOG = System.getLogger(CrossBackendTrainingTest.class.getName());

    @TempDir
    Path dir;

    @Test
    void everyBackendTrainsLikeCpu() throws IOException {
        String required = System.getProperty("kiln.require.backends", "");
        List<String> others = new ArrayList<>();
        for (Backends.ProbeReport r : Backends.probeAll()) {
            if (r.name().equals("cpu")) {
                continue;
            }
            if (r.available()) {
                others.add(r.name());
            } else if (Arrays.asList(required.split(",")).contains(r.name())) {
                fail("backend " + r.name() + " is required (-Dkiln.require.backends) but unavailable: "
                        + r.result().reason());
            }
        }
        for (String req : required.split(",")) {
            if (!req.isBlank() && !Backends.names().contains(req.trim())) {
                fail("backend " + req + " is required but not on the class path");
            }
        }
        Assumptions.assumeFalse(others.isEmpty(), "no backend besides cpu is available: " + Backends.reasons());

        Path cpuMetrics = dir.resolve("cpu.json");
        CliRun.of("train", "--backend", "cpu", "--metrics-json", cpuMetrics.toString()).succeeds();
        List<Map<String, Object>> cpu = TrainCommandTest.epochs(cpuMetrics);
        for (String name : others) {
            Path m = dir.resolve(name + ".json");
            CliRun.of("train", "--backend", name, "--metrics-json", m.toString()).succeeds();
            List<Map<String, Object>> e = TrainCommandTest.epochs(m);
            assertEquals(cpu.size(), e.size());
            for (int i = 0; i < e.size(); i++) {
                double a = TrainCommandTest.num(cpu.get(i), "train_loss");
                double b = TrainCommandTest.num(e.get(i), "train_loss");
                assertTrue(Math.abs(a - b) <= 1e-3 * Math.abs(a),
                        name + " epoch " + (i + 1) + " train loss " + b + " vs cpu " + a);
            }
            double acc = TrainCommandTest.num(e.get(e.size() - 1), "test_accuracy");
            assertTrue(acc >= 0.92, name + " test accuracy " + acc);
            LOG.log(System.Logger.Level.INFO, name + ": test accuracy " + acc + ", samples/s "
                    + TrainCommandTest.num(e.get(e.size() - 1), "samples_per_second"));
        }
    }
}
