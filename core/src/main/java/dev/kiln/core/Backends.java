package dev.kiln.core;

import dev.kiln.core.spi.BackendProvider;
import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.ProbeResult;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Finds the backends on the class path, probes them once, and opens the one asked for.
 *
 * <p>{@code auto} (the default) opens the available device with the highest priority: a CUDA GPU,
 * then an OpenCL GPU, then the Java CPU backend, then OpenCL on a CPU driver. The system property
 * {@code kiln.backend}, else the environment variable {@code KILN_BACKEND}, overrides it with
 * {@code cpu}, {@code opencl}, {@code cuda}, or a device such as {@code opencl:1}. An explicit
 * request that cannot be met throws {@link BackendUnavailableException} with the probe's reason:
 * never a silent fallback.
 */
public final class Backends {
    private static final System.Logger LOG = System.getLogger("dev.kiln.core.Backends");
    private static volatile List<ProbeReport> cached;
    private static volatile boolean choiceLogged;

    private Backends() {
    }

    /** One provider's probe, with the priority of each device. */
    public record ProbeReport(BackendProvider provider, ProbeResult result) {
        public String name() {
            return provider.name();
        }

        public boolean available() {
            return result.isAvailable();
        }
    }

    /** A device auto-selection could pick, with its priority. */
    public record Candidate(BackendProvider provider, DeviceInfo device, int priority) {
    }

    /** Every provider on the class path with its (cached) probe, in name order. */
    public static List<ProbeReport> probeAll() {
        List<ProbeReport> r = cached;
        if (r == null) {
            synchronized (Backends.class) {
                r = cached;
                if (r == null) {
                    r = probe(ServiceLoader.load(BackendProvider.class));
                    cached = r;
                }
            }
        }
        return r;
    }

    static List<ProbeReport> probe(Iterable<BackendProvider> providers) {
        List<ProbeReport> out = new ArrayList<>();
        for (BackendProvider p : loadable(providers)) {
            ProbeResult res;
            try {
                res = p.probe();
                if (res == null) {
                    res = ProbeResult.unavailable("probe returned nothing");
                }
            } catch (RuntimeException | LinkageError e) {
                // The contract says probe() never throws; a provider that does is unavailable, not fatal.
                res = ProbeResult.unavailable("probe failed: " + e);
            }
            out.add(new ProbeReport(p, res));
        }
        out.sort(Comparator.comparing(ProbeReport::name));
        return List.copyOf(out);
    }

    /** The names of the backends on the class path. */
    public static List<String> names() {
        return probeAll().stream().map(ProbeReport::name).toList();
    }

    /** Every available device, highest priority first (ties: by backend name, then index). */
    public static List<Candidate> candidates() {
        List<Candidate> c = new ArrayList<>();
        for (ProbeReport r : probeAll()) {
            for (DeviceInfo d : r.result().devices()) {
                c.add(new Candidate(r.provider(), d, r.provider().priority(d)));
            }
        }
        c.sort(Comparator.comparingInt(Candidate::priority).reversed()
                .thenComparing(x -> x.provider().name()).thenComparingInt(x -> x.device().index()));
        return c;
    }

    /** The spec in force: {@code -Dkiln.backend}, else {@code KILN_BACKEND}, else {@code auto}. */
    public static String requestedSpec() {
        String s = System.getProperty("kiln.backend");
        if (s == null || s.isBlank()) {
            s = System.getenv("KILN_BACKEND");
        }
        return s == null || s.isBlank() ? "auto" : s.trim();
    }

    /** Opens the backend that {@link #requestedSpec()} names. */
    public static Backend open() {
        return open(requestedSpec());
    }

    /**
     * Opens {@code auto}, a backend name ({@code cpu}), or one device ({@code opencl:1}).
     *
     * @throws IllegalArgumentException     for a malformed spec or an unknown backend name
     * @throws BackendUnavailableException  when the named backend or device cannot be used
     */
    public static Backend open(String spec) {
        Candidate c = resolve(spec);
        ComputeEngine engine = c.provider().open(c.device());
        String crossCheck = System.getProperty("kiln.crosscheck");
        String name = c.provider().name();
        if (crossCheck != null && !crossCheck.isBlank() && !crossCheck.equals("off")) {
            engine = wrapCrossCheck(engine, crossCheck.trim());
            name = name + "+crosscheck(" + crossCheck.trim() + ")";
        }
        return new Backend(name, engine, LeakDetection.fromSystemProperty());
    }

    /** Which device {@code spec} would open, without opening it. Same errors as {@link #open(String)}. */
    public static Candidate resolve(String spec) {
        if (spec == null || spec.isBlank()) {
            spec = "auto";
        }
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("auto")) {
            List<Candidate> all = candidates();
            if (all.isEmpty()) {
                String why = reasons();
                throw new BackendUnavailableException("auto", "no backend is available: "
                        + (why.isEmpty() ? "no backend module (kiln-cpu, kiln-opencl, kiln-cuda) is on the class path" : why));
            }
            Candidate best = all.get(0);
            logChoiceOnce(best);
            return best;
        }
        String name = s;
        int index = -1;
        int colon = s.indexOf(':');
        if (colon >= 0) {
            name = s.substring(0, colon);
            String idx = s.substring(colon + 1);
            try {
                index = Integer.parseInt(idx);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad backend spec '" + spec + "': the device after ':' must be"
                        + " a number, like opencl:0");
            }
            if (index < 0) {
                throw new IllegalArgumentException("bad backend spec '" + spec + "': negative device index");
            }
        }
        ProbeReport report = probeNamed(name);
        if (report == null) {
            throw new IllegalArgumentException("unknown backend '" + name + "'; known: auto, "
                    + String.join(", ", providerNames()));
        }
        if (!report.available()) {
            throw new BackendUnavailableException(name, report.result().reason());
        }
        List<DeviceInfo> devices = report.result().devices();
        DeviceInfo chosen;
        if (index < 0) {
            // The backend's best device.
            BackendProvider p = report.provider();
            chosen = devices.stream().max(Comparator.comparingInt(p::priority)
                    .thenComparing(Comparator.comparingInt(DeviceInfo::index).reversed())).orElseThrow();
        } else {
            final int want = index;
            final String bname = name;
            chosen = devices.stream().filter(d -> d.index() == want).findFirst().orElseThrow(() ->
                    new BackendUnavailableException(bname + ":" + want, "no device " + want + "; " + bname + " has "
                            + devices.size() + " device(s): "
                            + devices.stream().map(d -> d.index() + " (" + d.name() + ")").toList()));
        }
        Candidate c = new Candidate(report.provider(), chosen, report.provider().priority(chosen));
        logChoiceOnce(c);
        return c;
    }

    private static void logChoiceOnce(Candidate c) {
        if (choiceLogged) {
            return;
        }
        choiceLogged = true;
        // The skipped backends are known only when everything was probed (auto, or an earlier call).
        String skipped = cached == null ? "" : reasons();
        LOG.log(Level.INFO, "Kiln backend: " + c.device().spec() + " (" + c.device().name() + ")"
                + (skipped.isEmpty() ? "" : "; skipped: " + skipped));
    }

    /**
     * The probe of the backend called {@code name} alone, or null when no provider has that name.
     * A named request probes only that provider (unless everything was probed already): opening
     * {@code cpu} must not load other backends' native drivers. Loading POCL's OpenCL driver, for
     * one, replaces the JVM's SIGSEGV handler with LLVM's (see docs/backends.md).
     */
    private static ProbeReport probeNamed(String name) {
        List<ProbeReport> all = cached;
        if (all != null) {
            return all.stream().filter(r -> r.name().equals(name)).findFirst().orElse(null);
        }
        List<BackendProvider> named = new ArrayList<>();
        for (BackendProvider p : providers()) {
            if (p.name().equals(name)) {
                named.add(p);
            }
        }
        List<ProbeReport> r = probe(named);
        return r.isEmpty() ? null : r.get(0);
    }

    /** The providers on the class path, in service-loader order, skipping any that cannot be loaded. */
    private static List<BackendProvider> providers() {
        return loadable(ServiceLoader.load(BackendProvider.class));
    }

    /** The providers {@code providers} yields, skipping (with a warning) any that cannot be loaded. */
    private static List<BackendProvider> loadable(Iterable<BackendProvider> providers) {
        List<BackendProvider> out = new ArrayList<>();
        var it = providers.iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    return out;
                }
                out.add(it.next());
            } catch (java.util.ServiceConfigurationError | LinkageError e) {
                LOG.log(Level.WARNING, "a backend provider could not be loaded: " + e);
            }
        }
    }

    /** The names of the providers on the class path, sorted, without probing them. */
    private static List<String> providerNames() {
        return providers().stream().map(BackendProvider::name).sorted().toList();
    }

    /** Why each unavailable backend is unavailable, like {@code cuda: libcuda.so.1 not found}. */
    public static String reasons() {
        List<String> r = new ArrayList<>();
        for (ProbeReport p : probeAll()) {
            if (!p.available()) {
                r.add(p.name() + ": " + p.result().reason());
            }
        }
        return String.join("; ", r);
    }

    private static ComputeEngine wrapCrossCheck(ComputeEngine engine, String against) {
        // "reference" is the float64 oracle, which is not a registered provider; anything else is
        // a backend spec like "cpu" or "opencl:1", opened the usual way.
        try {
            ComputeEngine checker;
            if (against.equalsIgnoreCase("reference")) {
                checker = new dev.kiln.core.reference.ReferenceEngine();
            } else {
                Candidate c = resolve(against);
                checker = c.provider().open(c.device());
            }
            LOG.log(Level.INFO, "Kiln cross-check: every op of " + engine.device().spec() + " is checked against "
                    + checker.device().spec() + " (" + checker.device().name() + ")");
            return new dev.kiln.core.crosscheck.CrossCheckEngine(engine, checker);
        } catch (RuntimeException e) {
            // The primary is already open; do not leak it when the checker cannot be had.
            engine.close();
            throw e;
        }
    }

    /** Forgets the cached probes (for tests that change the environment). */
    static void resetForTests() {
        cached = null;
        choiceLogged = false;
    }
}
