package dev.kiln.testkit;

import dev.kiln.core.Backend;
import dev.kiln.core.BackendUnavailableException;
import dev.kiln.core.Backends;

import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Opens a backend for a test, and decides what its absence means: a visible skip with the probe's
 * reason, or, when the backend is listed in {@code -Dkiln.require.backends} (the {@code -Pcuda}
 * and {@code -Popencl} profiles set it), a failure with that reason. Never a silent pass.
 */
public final class BackendRequirement {
    /** The system property listing the backends a run requires, comma-separated, like {@code cuda,opencl}. */
    public static final String PROPERTY = "kiln.require.backends";

    private static final System.Logger LOG = System.getLogger("dev.kiln.testkit.BackendRequirement");

    private BackendRequirement() {
    }

    /** The backend names {@code -Dkiln.require.backends} lists (lower case; empty when unset). */
    public static Set<String> required() {
        String v = System.getProperty(PROPERTY, "");
        return Arrays.stream(v.split(",")).map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    /** Whether the backend of {@code spec} (like {@code opencl} or {@code opencl:1}) must be available. */
    public static boolean isRequired(String spec) {
        return spec != null && required().contains(nameOf(spec));
    }

    /** Opens {@code spec} through {@link Backends#open(String)}, or skips (or fails, if required) with the reason. */
    public static Backend openOrSkip(String spec) {
        return openOrSkip(spec, () -> Backends.open(spec));
    }

    /**
     * Runs {@code opener}; if it throws {@link BackendUnavailableException}, fails the test when
     * {@code spec}'s backend is required, else aborts it (a skip, shown with the reason in reports).
     * Both are logged with the reason.
     */
    public static Backend openOrSkip(String spec, Supplier<Backend> opener) {
        try {
            Backend b = opener.get();
            if (b == null) {
                throw new IllegalStateException("opening backend '" + spec + "' returned null");
            }
            return b;
        } catch (BackendUnavailableException e) {
            boolean required = isRequired(spec) || (e.backend() != null && isRequired(e.backend()));
            return unavailable(spec, e.reason(), required, e);
        }
    }

    /**
     * What an unavailable backend means for the running test: fails it when {@code spec}'s
     * backend is required, else aborts it (a skip shown with the reason). Never returns normally;
     * for tests that probe a provider directly rather than open a {@link Backend}.
     */
    public static <T> T unavailable(String spec, String reason) {
        return unavailable(spec, reason, isRequired(spec), null);
    }

    private static <T> T unavailable(String spec, String reason, boolean required, Throwable cause) {
        if (required) {
            String msg = "backend '" + spec + "' is required (-D" + PROPERTY + "=" + System.getProperty(PROPERTY)
                    + ") but unavailable: " + reason;
            LOG.log(Level.ERROR, msg);
            return Assertions.fail(msg, cause);
        }
        String msg = "backend '" + spec + "' unavailable, skipping its tests: " + reason;
        LOG.log(Level.WARNING, msg);
        return Assumptions.abort(msg);
    }

    /** {@code opencl} for {@code opencl:1}. */
    static String nameOf(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        int colon = s.indexOf(':');
        return colon >= 0 ? s.substring(0, colon) : s;
    }
}
