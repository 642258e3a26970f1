package dev.kiln.cli;

import dev.kiln.core.json.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code kiln info}, {@code kiln verify} and the dispatcher: output that users read, and one-line errors. */
class InfoVerifyCommandTest {

    @Test
    void infoListsEveryBackendWithDevicesOrAReason() {
        CliRun r = CliRun.of("info").succeeds();
        assertTrue(r.out().contains("cpu      available"), r.out());
        assertTrue(r.out().contains("simd: "), r.out());
        assertTrue(r.out().contains("auto picks: "), r.out());
        for (String backend : dev.kiln.core.Backends.names()) {
            assertTrue(r.out().contains("  " + backend + " "), backend + " missing from: " + r.out());
        }
        // CUDA has no driver on CI machines: it must be listed with its probe's reason.
        if (dev.kiln.core.Backends.names().contains("cuda") && !r.out().contains("cuda     available")) {
            assertTrue(r.out().contains("cuda     unavailable: "), r.out());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void infoJsonIsMachineReadable() {
        CliRun r = CliRun.of("info", "--json").succeeds();
        Map<String, Object> root = (Map<String, Object>) Json.parse(r.out());
        List<Object> backends = (List<Object>) root.get("backends");
        Map<String, Object> cpu = (Map<String, Object>) backends.stream()
                .filter(b -> "cpu".equals(((Map<String, Object>) b).get("name"))).findFirst().orElseThrow();
        assertEquals(true, cpu.get("available"));
        assertTrue(((Map<String, Object>) cpu.get("details")).containsKey("threads"));
        assertTrue(root.get("auto") instanceof String, "auto picks a device: " + root);
    }

    @Test
    @SuppressWarnings("unchecked")
    void verifyCpuQuickPassesAndPrintsTheTable() {
        CliRun r = CliRun.of("verify", "--backend", "cpu", "--quick", "--json").succeeds();
        Map<String, Object> root = (Map<String, Object>) Json.parse(r.out());
        assertEquals(true, root.get("passed"));
        List<Object> rows = (List<Object>) ((Map<String, Object>) ((List<Object>) root.get("backends")).get(0))
                .get("results");
        assertTrue(rows.size() > 300, "every op: " + rows.size());
        Map<String, Object> first = (Map<String, Object>) rows.get(0);
        assertTrue(first.containsKey("maxAbsError") && first.containsKey("maxRelError"), first.toString());
    }

    @Test
    void userErrorsAreOneLineWithoutAStackTrace() {
        CliRun.of("verify", "--backend", "tpu").failsWith("unknown backend 'tpu'");
        CliRun.of("verify", "--quick=yes").failsWith("--quick takes no value");
        CliRun.of("info", "--colour").failsWith("unknown option --colour");
        CliRun.of("bench", "--jar", "/nonexistent/benchmarks.jar").failsWith("benchmarks jar not found");
        CliRun r = CliRun.of("frobnicate");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("unknown command 'frobnicate'"), r.err());
    }

    @Test
    void anUnavailableExplicitBackendFailsWithTheProbesReason() {
        CliRun info = CliRun.of("info").succeeds();
        if (info.out().contains("cuda     unavailable: ")) {
            CliRun.of("verify", "--backend", "cuda").failsWith("cuda: unavailable: ");
        }
    }
}
