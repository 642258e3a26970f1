package dev.kiln.bench;

import dev.kiln.core.Backends;
import dev.kiln.core.json.Json;
import dev.kiln.core.spi.DeviceInfo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns a JMH JSON result file into {@code report.md} and a self-contained {@code report.html}
 * (inline SVG charts, nothing fetched at view time): GFLOPS per backend with the ratio against the
 * OpenBLAS anchor of the same run, GB/s for the memory-bound ops against the measured copy
 * bandwidth, samples/s for the training step, the machine and the JMH settings.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.kiln.bench.Report results.json out/}
 */
public final class Report {

    /** One JMH result row, with the throughput figure derived from it. */
    record Row(String bench, Map<String, String> params, double secondsPerOp, double relError, String metric,
               double value, double valueError) {
        String param(String name) {
            return params.getOrDefault(name, "");
        }
    }

    private final List<Row> rows = new ArrayList<>();
    private Map<String, Object> first;

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: Report results.json [more.json ...] outdir");
            System.exit(2);
        }
        Path out = Path.of(args[args.length - 1]);
        Report r = new Report();
        for (int i = 0; i < args.length - 1; i++) {
            Path json = Path.of(args[i]);
            if (!Files.isReadable(json)) {
                System.err.println("Report: cannot read " + json);
                System.exit(2);
            }
            r.add(Files.readString(json, StandardCharsets.UTF_8));
        }
        r.write(out);
        System.out.println("wrote " + out.resolve("report.md") + " and " + out.resolve("report.html"));
    }

    /** Parses JMH's JSON output. */
    public static Report parse(String jmhJson) {
        Report r = new Report();
        r.add(jmhJson);
        return r;
    }

    /** Adds the results of one more JMH JSON file (several runs make one report). */
    @SuppressWarnings("unchecked")
    public void add(String jmhJson) {
        Report r = this;
        Object parsed = Json.parse(jmhJson);
        if (!(parsed instanceof List<?> list)) {
            throw new IllegalArgumentException("not a JMH JSON result: expected an array of results");
        }
        for (Object o : list) {
            Map<String, Object> m = (Map<String, Object>) o;
            if (r.first == null) {
                r.first = m;
            }
            String full = (String) m.get("benchmark");
            String[] parts = full.split("\\.");
            String bench = parts[parts.length - 2] + "." + parts[parts.length - 1];
            Map<String, String> params = new LinkedHashMap<>();
            Object p = m.get("params");
            if (p instanceof Map<?, ?> pm) {
                pm.forEach((k, v) -> params.put(String.valueOf(k), String.valueOf(v)));
            }
            Map<String, Object> pmx = (Map<String, Object>) m.get("primaryMetric");
            double score = ((Number) pmx.get("score")).doubleValue();
            Object errObj = pmx.get("scoreError");
            double err = errObj instanceof Number n && Double.isFinite(n.doubleValue()) ? n.doubleValue() : 0;
            String unit = (String) pmx.get("scoreUnit");
            double secondsPerOp = toSecondsPerOp(score, unit);
            double relErr = score == 0 ? 0 : Math.abs(err / score);
            r.rows.add(derive(bench, params, secondsPerOp, relErr));
        }
    }

    static double toSecondsPerOp(double score, String unit) {
        return switch (unit) {
            case "s/op" -> score;
            case "ms/op" -> score * 1e-3;
            case "us/op" -> score * 1e-6;
            case "ns/op" -> score * 1e-9;
            case "ops/s" -> 1 / score;
            case "ops/ms" -> 1e-3 / score;
            case "ops/us" -> 1e-6 / score;
            case "ops/ns" -> 1e-9 / score;
            default -> throw new IllegalArgumentException("unsupported JMH unit " + unit);
        };
    }

    /** Work per op for each known benchmark: flops, bytes or samples. */
    static Row derive(String bench, Map<String, String> params, double spo, double relErr) {
        String cls = bench.substring(0, bench.indexOf('.'));
        double work;
        String metric;
        switch (cls) {
            case "GemmBenchmark" -> {
                double s = Double.parseDouble(params.get("size"));
                work = 2 * s * s * s / 1e9;
                metric = "GFLOPS";
            }
            case "MlpGemmBenchmark" -> {
                work = GemmShape.parse(params.get("shape")).flops() / 1e9;
                metric = "GFLOPS";
            }
            case "OpBenchmark", "MemoryBandwidthBenchmark" -> {
                work = OpBenchmark.bytesPerOp(bench.substring(bench.indexOf('.') + 1), params) / 1e9;
                metric = "GB/s";
            }
            case "TrainStepBenchmark" -> {
                work = Double.parseDouble(params.getOrDefault("batch", "1"));
                metric = "samples/s";
            }
            default -> {
                work = 1;
                metric = "ops/s";
            }
        }
        double value = work / spo;
        return new Row(bench, params, spo, relErr, metric, value, value * relErr);
    }

    /** Writes report.md and report.html into {@code out}, atomically each. */
    public void write(Path out) throws IOException {
        Files.createDirectories(out);
        for (Section s : sections()) {
            if (s.svg() != null) {
                writeAtomically(out.resolve(s.svgFile()), s.svg());
            }
        }
        writeAtomically(out.resolve("report.md"), markdown());
        writeAtomically(out.resolve("report.html"), html());
    }

    private static void writeAtomically(Path target, String text) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    List<Row> rows() {
        return rows;
    }

    // ------------------------------------------------------------------ sections

    /** A table plus, where it makes sense, a chart: one per benchmark class present. */
    private record Section(String title, String intro, List<String> header, List<List<String>> cells, String svg) {
        /** The chart's file name beside report.md, like {@code gemm-gflops-vs-size.svg}. */
        String svgFile() {
            return title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "") + ".svg";
        }
    }

    private List<Section> sections() {
        List<Section> s = new ArrayList<>();
        List<Row> gemm = select("GemmBenchmark");
        if (!gemm.isEmpty()) {
            s.add(gemmSection(gemm));
        }
        List<Row> mlp = select("MlpGemmBenchmark");
        if (!mlp.isEmpty()) {
            s.add(mlpSection(mlp));
        }
        List<Row> ops = new ArrayList<>(select("OpBenchmark"));
        ops.addAll(select("MemoryBandwidthBenchmark"));
        if (!ops.isEmpty()) {
            s.add(opSection(ops));
        }
        List<Row> train = select("TrainStepBenchmark");
        if (!train.isEmpty()) {
            s.add(trainSection(train));
        }
        Set<String> known = Set.of("GemmBenchmark", "MlpGemmBenchmark", "OpBenchmark", "MemoryBandwidthBenchmark",
                "TrainStepBenchmark");
        List<Row> other = rows.stream().filter(r -> !known.contains(r.bench().substring(0, r.bench().indexOf('.'))))
                .toList();
        if (!other.isEmpty()) {
            List<List<String>> cells = new ArrayList<>();
            for (Row r : other) {
                cells.add(List.of(r.bench(), r.params().toString(), fmt(r.value()) + " ± " + fmt(r.valueError())));
            }
            s.add(new Section("Other benchmarks", "", List.of("benchmark", "params", "ops/s"), cells, null));
        }
        return s;
    }

    private List<Row> select(String cls) {
        return rows.stream().filter(r -> r.bench().startsWith(cls + ".")).toList();
    }

    private Section gemmSection(List<Row> gemm) {
        List<List<String>> cells = new ArrayList<>();
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (Row r : gemm) {
            Row anchor = find(gemm, "openblas", r.param("size"), r.param("threads"));
            String ratio = anchor == null || r.param("backend").equals("openblas") ? "" : fmt2(r.value() / anchor.value())
                    + "×";
            cells.add(List.of(r.param("backend"), r.param("threads"), r.param("size"),
                    fmt(r.value()) + " ± " + fmt(r.valueError()), ratio));
            series.computeIfAbsent(r.param("backend") + " " + r.param("threads") + "t", k -> new ArrayList<>())
                    .add(new double[] {Double.parseDouble(r.param("size")), r.value(), r.valueError()});
        }
        return new Section("GEMM: square SGEMM, GFLOPS",
                "C = A·B, n×n, float32. Ratio = this backend ÷ OpenBLAS with the same thread count, same run. "
                        + "± is JMH's 99.9% confidence half-width.",
                List.of("backend", "threads", "size", "GFLOPS", "vs OpenBLAS"), cells,
                lineChart("GFLOPS vs size", "n", "GFLOPS", series));
    }

    private static Row find(List<Row> rows, String backend, String size, String threads) {
        for (Row r : rows) {
            if (r.param("backend").equals(backend) && r.param("size").equals(size) && r.param("threads").equals(threads)) {
                return r;
            }
        }
        return null;
    }

    private Section mlpSection(List<Row> mlp) {
        List<List<String>> cells = new ArrayList<>();
        for (Row r : mlp) {
            Row anchor = null;
            for (Row a : mlp) {
                if (a.param("backend").equals("openblas") && a.param("shape").equals(r.param("shape"))
                        && a.param("threads").equals(r.param("threads"))) {
                    anchor = a;
                }
            }
            String ratio = anchor == null || r.param("backend").equals("openblas") ? "" : fmt2(r.value() / anchor.value())
                    + "×";
            cells.add(List.of(r.param("shape"), r.param("backend"), r.param("threads"),
                    fmt(r.secondsPerOp() * 1e6) + " µs", fmt(r.value()) + " ± " + fmt(r.valueError()), ratio));
        }
        return new Section("GEMM: the MLP's own shapes (batch 64)",
                "784-128-64-10 as Linear issues them: fwd y = x·Wᵀ (NT), dW = dyᵀ·x (TN), dx = dy·W (NN).",
                List.of("shape", "backend", "threads", "time", "GFLOPS", "vs OpenBLAS"), cells, null);
    }

    private Section opSection(List<Row> ops) {
        List<List<String>> cells = new ArrayList<>();
        // The bound for each size is the copy bandwidth at that size: small arrays live in cache.
        Map<String, Double> bound = new LinkedHashMap<>();
        for (Row r : ops) {
            if (r.bench().startsWith("MemoryBandwidthBenchmark")) {
                bound.merge(r.param("elements"), r.value(), Math::max);
            }
        }
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (Row r : ops) {
            String name = r.bench().substring(r.bench().indexOf('.') + 1);
            Double b = bound.get(r.param("elements"));
            String of = b != null && b > 0 ? String.format(Locale.ROOT, "%.0f%%", 100 * r.value() / b) : "";
            cells.add(List.of(name, r.param("backend"), r.param("elements"), fmt(r.secondsPerOp() * 1e6) + " µs",
                    fmt(r.value()) + " ± " + fmt(r.valueError()), of));
            if (!r.param("elements").isEmpty()) {
                series.computeIfAbsent(name + " " + r.param("backend"), k -> new ArrayList<>())
                        .add(new double[] {Double.parseDouble(r.param("elements")), r.value(), r.valueError()});
            }
        }
        return new Section("Memory-bound ops, GB/s",
                "Bytes moved per op (each tensor read or written once) ÷ time. \"of bound\" compares with the "
                        + "copy bandwidth at the same size, measured in the same run (MemoryBandwidthBenchmark).",
                List.of("op", "backend", "elements", "time", "GB/s", "of bound"), cells,
                lineChart("GB/s vs elements", "elements", "GB/s", series));
    }

    private Section trainSection(List<Row> train) {
        List<List<String>> cells = new ArrayList<>();
        for (Row r : train) {
            cells.add(List.of(r.bench().substring(r.bench().indexOf('.') + 1), r.param("backend"), r.param("threads"),
                    r.param("optimizer"), r.param("batch"), fmt(r.secondsPerOp() * 1e6) + " µs",
                    fmt(r.value()) + " ± " + fmt(r.valueError())));
        }
        return new Section("Training step: 784-128-64-10", "Forward, loss, backward and the optimizer update.",
                List.of("benchmark", "backend", "threads", "optimizer", "batch", "time/step", "samples/s"), cells, null);
    }

    // ------------------------------------------------------------------ machine and settings

    @SuppressWarnings("unchecked")
    private List<String> machine() {
        List<String> l = new ArrayList<>();
        l.add("CPU: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        if (first != null) {
            l.add("JVM: " + first.get("vmName") + " " + first.get("jdkVersion") + " (" + first.get("vmVersion") + ")");
            Object args = first.get("jvmArgs");
            boolean simd = args instanceof List<?> al && al.stream().anyMatch(a -> String.valueOf(a).contains("jdk.incubator.vector"));
            l.add("SIMD (jdk.incubator.vector): " + (simd ? "on" : "off"));
            l.add("JMH " + first.get("jmhVersion") + ": " + first.get("forks") + " fork(s), " + first.get("warmupIterations")
                    + " warm-up × " + first.get("warmupTime") + ", " + first.get("measurementIterations")
                    + " measurement × " + first.get("measurementTime") + ", " + first.get("threads") + " JMH thread(s)");
        }
        List<String> gpus = new ArrayList<>();
        try {
            for (Backends.ProbeReport r : Backends.probeAll()) {
                if (r.name().equals("cpu")) {
                    continue;
                }
                if (r.available()) {
                    for (DeviceInfo d : r.result().devices()) {
                        gpus.add(d.spec() + " " + d.name() + " (" + d.type() + ")");
                    }
                } else {
                    gpus.add(r.name() + ": unavailable (" + r.result().reason() + ")");
                }
            }
        } catch (RuntimeException | LinkageError e) {
            gpus.add("probe failed: " + e);
        }
        l.add("Accelerators: " + (gpus.isEmpty() ? "none" : String.join("; ", gpus)));
        return l;
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    // ------------------------------------------------------------------ rendering

    String markdown() {
        StringBuilder sb = new StringBuilder("# Kiln benchmark report\n\n");
        for (String m : machine()) {
            sb.append("- ").append(m).append('\n');
        }
        for (Section s : sections()) {
            sb.append("\n## ").append(s.title()).append("\n\n");
            if (!s.intro().isEmpty()) {
                sb.append(s.intro()).append("\n\n");
            }
            if (s.svg() != null) {
                sb.append("![").append(s.title()).append("](").append(s.svgFile()).append(")\n\n");
            }
            sb.append("| ").append(String.join(" | ", s.header())).append(" |\n|");
            s.header().forEach(h -> sb.append("---|"));
            sb.append('\n');
            for (List<String> row : s.cells()) {
                sb.append("| ").append(String.join(" | ", row)).append(" |\n");
            }
        }
        if (rows.isEmpty()) {
            sb.append("\nNo results.\n");
        }
        return sb.toString();
    }

    String html() {
        StringBuilder sb = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                + "<title>Kiln benchmark report</title><style>"
                + "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
                + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
                + "text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}"
                + "</style></head><body><h1>Kiln benchmark report</h1><ul>");
        for (String m : machine()) {
            sb.append("<li>").append(esc(m)).append("</li>");
        }
        sb.append("</ul>");
        for (Section s : sections()) {
            sb.append("<h2>").append(esc(s.title())).append("</h2>");
            if (!s.intro().isEmpty()) {
                sb.append("<p>").append(esc(s.intro())).append("</p>");
            }
            if (s.svg() != null) {
                sb.append(s.svg());
            }
            sb.append("<table><tr>");
            for (String h : s.header()) {
                sb.append("<th>").append(esc(h)).append("</th>");
            }
            sb.append("</tr>");
            for (List<String> row : s.cells()) {
                sb.append("<tr>");
                for (String c : row) {
                    sb.append("<td>").append(esc(c)).append("</td>");
                }
                sb.append("</tr>");
            }
            sb.append("</table>");
        }
        return sb.append("</body></html>\n").toString();
    }

    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
        "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

    /** A log2-x line chart with error bars, as inline SVG. */
    static String lineChart(String title, String xLabel, String yLabel, Map<String, List<double[]>> series) {
        if (series.isEmpty()) {
            return null;
        }
        int w = 760;
        int h = 360;
        int left = 60;
        int right = 180;
        int top = 30;
        int bottom = 40;
        double xmin = Double.MAX_VALUE;
        double xmax = -Double.MAX_VALUE;
        double ymax = 0;
        for (List<double[]> pts : series.values()) {
            for (double[] p : pts) {
                xmin = Math.min(xmin, Math.log(p[0]) / Math.log(2));
                xmax = Math.max(xmax, Math.log(p[0]) / Math.log(2));
                ymax = Math.max(ymax, p[1] + p[2]);
            }
        }
        if (xmax == xmin) {
            xmax = xmin + 1;
        }
        ymax = ymax <= 0 ? 1 : niceCeil(ymax);
        double pw = w - left - right;
        double ph = h - top - bottom;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-size=\"11\" font-family=\"sans-serif\">", w, h));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"13\">%s</text>", left, esc(title)));
        for (int i = 0; i <= 5; i++) {
            double y = top + ph - ph * i / 5.0;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", left, left + pw, y, y, left - 5, y + 4,
                    fmt(ymax * i / 5.0)));
        }
        Set<Double> xs = new TreeSet<>();
        series.values().forEach(pts -> pts.forEach(p -> xs.add(p[0])));
        for (double x : xs) {
            double px = left + pw * (Math.log(x) / Math.log(2) - xmin) / (xmax - xmin);
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", px,
                    top + (int) ph + 15, fmtX(x)));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
                left + pw / 2, h - 5, esc(xLabel)));
        sb.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%.1f\" transform=\"rotate(-90 12 %.1f)\" "
                + "text-anchor=\"middle\">%s</text>", top + ph / 2, top + ph / 2, esc(yLabel)));
        int ci = 0;
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            String color = COLORS[ci % COLORS.length];
            List<double[]> pts = new ArrayList<>(e.getValue());
            pts.sort((a, b) -> Double.compare(a[0], b[0]));
            StringBuilder path = new StringBuilder();
            for (double[] p : pts) {
                double px = left + pw * (Math.log(p[0]) / Math.log(2) - xmin) / (xmax - xmin);
                double py = top + ph - ph * p[1] / ymax;
                path.append(path.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.1f,%.1f", px, py));
                double e1 = top + ph - ph * (p[1] - p[2]) / ymax;
                double e2 = top + ph - ph * (p[1] + p[2]) / ymax;
                sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
                        + "stroke=\"%s\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>", px, px, e1, e2,
                        color, px, py, color));
            }
            sb.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
                    + "points=\"%s\"/>", color, path));
            double ly = top + 14 * ci;
            sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%.1f\" y=\"%.1f\">%s</text>", left + pw + 15, ly, color, left + pw + 30, ly + 9,
                    esc(e.getKey())));
            ci++;
        }
        return sb.append("</svg>").toString();
    }

    private static double niceCeil(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String fmtX(double x) {
        if (x >= 1 << 20 && x % (1 << 20) == 0) {
            return (long) (x / (1 << 20)) + "M";
        }
        if (x >= 1 << 10 && x % (1 << 10) == 0 && x >= 16384) {
            return (long) (x / (1 << 10)) + "K";
        }
        return Long.toString((long) x);
    }

    static String fmt(double v) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }

    private static String fmt2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Series names in first-seen order (for tests). */
    static Set<String> seriesNames(Map<String, List<double[]>> s) {
        return new LinkedHashSet<>(s.keySet());
    }
}
