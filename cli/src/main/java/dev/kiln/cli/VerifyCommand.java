package dev.kiln.cli;

import dev.kiln.core.Backend;
import dev.kiln.core.Backends;
import dev.kiln.core.LeakDetection;
import dev.kiln.core.json.Json;
import dev.kiln.core.reference.ReferenceEngine;
import dev.kiln.core.verify.VerificationGrid;
import dev.kiln.core.verify.VerificationResult;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code kiln verify}: runs the cross-validation grid on each available backend against the float64 reference. */
final class VerifyCommand implements Command {

    @Override
    public String name() {
        return "verify";
    }

    @Override
    public String summary() {
        return "check every op on every available backend against the float64 reference";
    }

    @Override
    public String usage() {
        return """
                Usage: kiln verify [--backend NAME] [--quick] [--json]

                Runs every op (GEMM in all transpose forms, bias, activations forward and backward,
                softmax-cross-entropy, the other losses, every optimizer update, argmax, norms, ...)
                over shapes from 1x1 to 1024 on each available backend, and compares each result
                with Kiln's float64 reference. Prints a table with the max absolute and relative
                error and pass/fail, and exits with status 1 if anything fails.

                  --backend NAME  only this backend (cpu, opencl, cuda, opencl:1, ...); it must be available
                  --quick         skip the 1024-sized cases
                  --json          print the results as JSON""";
    }

    @Override
    public int run(List<String> args, Console console) {
        Options a = Options.parse(args, Set.of("--backend"), Set.of("--quick", "--json"));
        boolean quick = a.has("--quick");
        boolean json = a.has("--json");
        List<String> specs = new ArrayList<>();
        List<Map<String, Object>> report = new ArrayList<>();
        if (a.has("--backend")) {
            String spec = a.string("--backend", "");
            Backends.resolve(spec); // unknown or unavailable: one clear error line, exit 1
            specs.add(spec);
        } else {
            for (Backends.ProbeReport r : Backends.probeAll()) {
                if (r.available()) {
                    specs.add(r.name());
                } else {
                    Map<String, Object> b = new LinkedHashMap<>();
                    b.put("backend", r.name());
                    b.put("status", "skipped");
                    b.put("reason", r.result().reason());
                    report.add(b);
                    if (!json) {
                        console.err().println("skipped " + r.name() + ": " + r.result().reason());
                    }
                }
            }
        }
        boolean allPassed = true;
        Map<String, List<VerificationResult>> byBackend = new LinkedHashMap<>();
        try (Backend reference = new Backend("reference", new ReferenceEngine(), LeakDetection.SIMPLE)) {
            for (String spec : specs) {
                List<VerificationResult> results;
                String device;
                try (Backend backend = Backends.open(spec)) {
                    device = backend.device().spec() + " (" + backend.device().name() + ")";
                    if (!json) {
                        console.err().println("verifying " + device + (quick ? " (quick)" : "") + " ...");
                    }
                    int total = VerificationGrid.cases(quick).size();
                    int[] done = {0};
                    results = VerificationGrid.run(backend, reference, quick, r -> {
                        done[0]++;
                        if (!json && console.interactive()) {
                            console.err().printf("\r  %d/%d %-60s", done[0], total, r.name());
                        } else if (!r.passed()) {
                            console.err().println("  FAIL " + r.summary());
                        }
                    });
                    if (!json && console.interactive()) {
                        console.err().print("\r" + " ".repeat(75) + "\r");
                    }
                }
                boolean ok = VerificationGrid.allPassed(results);
                allPassed &= ok;
                byBackend.put(spec, results);
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("backend", spec);
                b.put("device", device);
                b.put("status", ok ? "passed" : "failed");
                List<Object> rows = new ArrayList<>();
                for (VerificationResult r : results) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("op", r.op());
                    row.put("shape", r.shape());
                    row.put("maxAbsError", r.maxAbsError());
                    row.put("maxRelError", r.maxRelError());
                    row.put("tolerance", r.tolerance());
                    row.put("passed", r.passed());
                    if (!r.detail().isEmpty()) {
                        row.put("detail", r.detail());
                    }
                    rows.add(row);
                }
                b.put("results", rows);
                report.add(b);
                if (!json) {
                    console.out().println("== " + spec + ": " + device);
                    console.out().print(VerificationGrid.table(results));
                    console.out().println();
                }
            }
        }
        if (json) {
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("quick", quick);
            root.put("passed", allPassed && !byBackend.isEmpty());
            root.put("backends", report);
            console.out().println(Json.pretty(root));
        } else if (!byBackend.isEmpty()) {
            console.out().print(matrix(byBackend));
        }
        if (byBackend.isEmpty()) {
            console.err().println("kiln verify: no backend available to verify");
            return 1;
        }
        return allPassed ? 0 : 1;
    }

    /** op × backend: the worst relative error over the op's shapes and the verdict. */
    static String matrix(Map<String, List<VerificationResult>> byBackend) {
        List<String> ops = new ArrayList<>();
        for (List<VerificationResult> rs : byBackend.values()) {
            for (VerificationResult r : rs) {
                if (!ops.contains(r.op())) {
                    ops.add(r.op());
                }
            }
        }
        int opW = ops.stream().mapToInt(String::length).max().orElse(2);
        StringBuilder sb = new StringBuilder("Summary: worst max-rel error per op (all shapes)\n");
        sb.append(String.format(Locale.ROOT, "%-" + opW + "s", "op"));
        for (String b : byBackend.keySet()) {
            sb.append(String.format(Locale.ROOT, "  %-16s", b));
        }
        sb.append('\n');
        for (String op : ops) {
            sb.append(String.format(Locale.ROOT, "%-" + opW + "s", op));
            for (List<VerificationResult> rs : byBackend.values()) {
                double worst = 0;
                boolean ok = true;
                boolean any = false;
                for (VerificationResult r : rs) {
                    if (r.op().equals(op)) {
                        any = true;
                        ok &= r.passed();
                        worst = Math.max(worst, r.maxRelError());
                    }
                }
                String cell = !any ? "-" : (ok ? "ok " : "FAIL ") + String.format(Locale.ROOT, "%.1e", worst);
                sb.append(String.format(Locale.ROOT, "  %-16s", cell));
            }
            sb.append('\n');
        }
        long failed = byBackend.values().stream().flatMap(List::stream).filter(r -> !r.passed()).count();
        long total = byBackend.values().stream().mapToLong(List::size).sum();
        sb.append(total - failed).append(" of ").append(total).append(" checks passed\n");
        return sb.toString();
    }
}
