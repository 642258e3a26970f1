package dev.kiln.cli;

import dev.kiln.core.Backends;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code kiln bench}: a short default JMH selection (GEMM against OpenBLAS, a few ops, the training
 * step) in a child JVM, then the Markdown + HTML report. The full suites run with
 * {@code java -jar benchmarks/target/benchmarks.jar}.
 */
final class BenchCommand implements Command {

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "run a short benchmark selection and write a report with charts";
    }

    @Override
    public String usage() {
        return """
                Usage: kiln bench [--out DIR] [--jar BENCHMARKS_JAR] [--full]

                Runs a short JMH selection (square GEMM 256-1024 on every available backend and on
                the OpenBLAS anchor with 1 and 2 threads, ReLU/Adam/softmax-cross-entropy at 1M
                elements, memory bandwidth, the MLP training step) in about two minutes, then writes
                DIR/results.json, DIR/report.md and DIR/report.html. Backends that are unavailable
                are skipped with their reason (printed, and in the report); JMH runs in up to four
                parts so that no fork starts only to skip a combination.

                  --out DIR   where to write (default benchmarks/target/report)
                  --jar FILE  the benchmarks jar (default: benchmarks/target/benchmarks.jar next to
                              this build, or $KILN_BENCHMARKS_JAR); build it with ./mvnw -q -DskipTests package
                  --full      the full suites with JMH's default settings (tens of minutes)""";
    }

    @Override
    public int run(List<String> args, Console console) throws IOException, InterruptedException {
        Options a = Options.parse(args, Set.of("--out", "--jar"), Set.of("--full"));
        Path jar = a.has("--jar") ? Path.of(a.string("--jar", "")) : defaultJar();
        if (jar == null || !Files.isReadable(jar)) {
            throw new UsageException("benchmarks jar not found" + (jar == null ? "" : " at " + jar)
                    + "; build it with ./mvnw -q -DskipTests package, or pass --jar FILE", 1);
        }
        Path out = Path.of(a.string("--out", defaultOut(jar).toString()));
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UsageException("cannot create output folder " + out + ": " + e.getMessage(), 1);
        }
        if (!Files.isWritable(out)) {
            throw new UsageException("output folder " + out + " is not writable", 1);
        }
        Path results = out.resolve("results.json");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<List<String>> runs;
        if (a.has("--full")) {
            runs = List.of(List.of());
        } else {
            // Only the backends that are there: a fork for an unavailable one starts a JVM just to skip.
            List<String> devices = new ArrayList<>();
            for (Backends.ProbeReport r : Backends.probeAll()) {
                if (r.available()) {
                    if (!r.name().equals("cpu")) {
                        devices.add(r.name());
                    }
                } else {
                    console.err().println("kiln bench: skipping backend " + r.name() + ": " + r.result().reason());
                }
            }
            runs = shortRuns(devices);
        }
        List<Path> parts = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            Path part = out.resolve("results-" + (i + 1) + ".json");
            Files.deleteIfExists(part);
            List<String> cmd = jmhCommand(java, Runtime.version().feature(), jar);
            if (!a.has("--full")) {
                cmd.addAll(SHORT_SETTINGS);
            }
            cmd.addAll(runs.get(i));
            cmd.addAll(List.of("-foe", "false", "-rf", "json", "-rff", part.toString()));
            console.err().println("running (" + (i + 1) + "/" + runs.size() + "): " + String.join(" ", cmd));
            int rc = new ProcessBuilder(cmd).inheritIO().start().waitFor();
            if (Files.isRegularFile(part)) {
                parts.add(part);
            } else {
                console.err().println("kiln bench: JMH exited with " + rc + " and wrote no results for run " + (i + 1));
            }
        }
        if (parts.isEmpty()) {
            console.err().println("kiln bench: no benchmark wrote results");
            return 1;
        }
        List<String> texts = new ArrayList<>();
        for (Path part : parts) {
            texts.add(Files.readString(part));
        }
        Files.writeString(results, mergeJsonArrays(texts));
        for (Path part : parts) {
            Files.delete(part);
        }
        Process r = new ProcessBuilder(java, "-cp", jar.toString(), "dev.kiln.bench.Report", results.toString(),
                out.toString()).inheritIO().start();
        int rrc = r.waitFor();
        if (rrc != 0) {
            console.err().println("kiln bench: the report generator failed with " + rrc);
            return 1;
        }
        console.out().println("report: " + out.resolve("report.md") + " and " + out.resolve("report.html"));
        return 0;
    }

    /** The JMH settings of the short selection: the JIT needs about a second to compile the SIMD kernels. */
    static final List<String> SHORT_SETTINGS = List.of("-f", "1", "-wi", "2", "-w", "1s", "-i", "3", "-r", "500ms");

    /**
     * The short selection as JMH runs (parameters and benchmark patterns), for the CPU backend, the
     * OpenBLAS anchor and {@code devices} (the other available backends, like opencl and cuda). JMH
     * runs every combination of a run's parameters, so the runs are cut to leave out the ones that
     * could only skip: 2 threads on a device backend, OpenBLAS outside GEMM, an absent backend.
     */
    static List<List<String>> shortRuns(List<String> devices) {
        List<List<String>> runs = new ArrayList<>();
        runs.add(List.of("-p", "backend=cpu,openblas", "-p", "threads=1,2", "-p", "size=" + SIZES,
                "\\.GemmBenchmark\\."));
        runs.add(List.of("-p", "backend=cpu", "-p", "threads=1,2", "-p", "batch=64", "-p", "optimizer=adam,sgd",
                "\\.TrainStepBenchmark\\."));
        String backends = String.join(",", devices);
        if (!devices.isEmpty()) {
            runs.add(List.of("-p", "backend=" + backends, "-p", "threads=1", "-p", "size=" + SIZES, "-p", "batch=64",
                    "-p", "optimizer=adam,sgd", "\\.(GemmBenchmark|TrainStepBenchmark)\\."));
        }
        runs.add(List.of("-p", "backend=cpu" + (devices.isEmpty() ? "" : "," + backends), "-p", "elements=1048576",
                "\\.MemoryBandwidthBenchmark\\.|\\.OpBenchmark\\.(relu|adam|softmaxCrossEntropy)$"));
        return runs;
    }

    private static final String SIZES = "256,512,1024";

    /** JMH JSON result files (each an array of results) as one array. */
    static String mergeJsonArrays(List<String> arrays) {
        StringBuilder sb = new StringBuilder("[");
        boolean any = false;
        for (String text : arrays) {
            String t = text.strip();
            if (!t.startsWith("[") || !t.endsWith("]")) {
                String head = t.length() > 40 ? t.substring(0, 40) + "..." : t;
                throw new IllegalArgumentException("not a JSON array: " + head);
            }
            String body = t.substring(1, t.length() - 1).strip();
            if (!body.isEmpty()) {
                sb.append(any ? ",\n" : "\n").append(body);
                any = true;
            }
        }
        return sb.append(any ? "\n]\n" : "]\n").toString();
    }

    /**
     * The start of the JMH command line: {@code java -jar JAR}, run by the same JVM as this one. On
     * JDK 22 and later with {@code --enable-native-access=ALL-UNNAMED}, which JMH's forks inherit:
     * JOCL, JCuda and OpenBLAS load native libraries, and without it every fork warns that
     * restricted methods "will be blocked in a future release".
     */
    static List<String> jmhCommand(String java, int feature, Path jar) {
        List<String> cmd = new ArrayList<>(List.of(java));
        if (feature >= 22) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        cmd.addAll(List.of("-jar", jar.toString()));
        return cmd;
    }

    /** benchmarks/target/benchmarks.jar beside this build's cli/target/kiln.jar, or $KILN_BENCHMARKS_JAR. */
    static Path defaultJar() {
        String env = System.getenv("KILN_BENCHMARKS_JAR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        try {
            File self = new File(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // cli/target/kiln.jar -> <root>/benchmarks/target/benchmarks.jar
            Path root = self.toPath().toAbsolutePath().getParent().getParent().getParent();
            return root.resolve("benchmarks").resolve("target").resolve("benchmarks.jar");
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    private static Path defaultOut(Path jar) {
        Path dir = jar.toAbsolutePath().getParent();
        return dir == null ? Path.of("kiln-bench-report") : dir.resolve("report");
    }
}
