package dev.kiln.cuda;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the native-loading failures of JCuda into one-line reasons a user can act on.
 *
 * <p>The useful fact ("libcuda.so.1: cannot open shared object file") is rarely the top message:
 * JCuda's loader wraps both of its attempts' stack traces into the message text of a new
 * {@link UnsatisfiedLinkError}, and other layers wrap it again as a cause. So the whole chain is
 * searched: causes, suppressed exceptions, and the message text of each.
 */
final class LinkErrors {
    /** {@code libcuda.so.1: cannot open shared object file}: the library the dynamic linker could not find. */
    private static final Pattern MISSING = Pattern.compile(
            "([^\\s:/\\\\\"']+\\.so(?:\\.[0-9]+)*): cannot open shared object file");
    /** {@code undefined symbol: cuFoo_v2}: the library is there but too old. */
    private static final Pattern UNDEFINED = Pattern.compile("undefined symbol: ?([A-Za-z_][A-Za-z0-9_]*)");
    /** {@code version `GLIBC_2.34' not found}. */
    private static final Pattern VERSION = Pattern.compile("version `([^']+)' not found");

    private LinkErrors() {
    }

    /** Every throwable reachable from {@code t} through causes and suppressed ones, outermost first. */
    static List<Throwable> chain(Throwable t) {
        List<Throwable> out = new ArrayList<>();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Throwable> todo = new ArrayDeque<>();
        if (t != null) {
            todo.add(t);
        }
        while (!todo.isEmpty()) {
            Throwable x = todo.poll();
            if (!seen.add(x)) {
                continue;
            }
            out.add(x);
            if (x.getCause() != null) {
                todo.add(x.getCause());
            }
            Collections.addAll(todo, x.getSuppressed());
        }
        return out;
    }

    /** The shared library the dynamic linker could not open, like {@code libcuda.so.1}, if that is what failed. */
    static Optional<String> missingLibrary(Throwable t) {
        // The innermost mention is the real one: outer layers may name the JNI wrapper instead.
        List<Throwable> all = chain(t);
        Collections.reverse(all);
        for (Throwable x : all) {
            String msg = x.getMessage();
            if (msg == null) {
                continue;
            }
            Matcher m = MISSING.matcher(msg);
            String last = null;
            while (m.find()) {
                last = m.group(1);
            }
            if (last != null) {
                return Optional.of(last);
            }
        }
        return Optional.empty();
    }

    /**
     * A one-line reason for a failure to load a native library, like
     * {@code libcuda.so.1 not found (no NVIDIA driver on this host?)}.
     */
    static String reason(Throwable t) {
        Optional<String> missing = missingLibrary(t);
        if (missing.isPresent()) {
            return missing.get() + " not found" + hint(missing.get());
        }
        for (Throwable x : chain(t)) {
            String msg = x.getMessage();
            if (msg == null) {
                continue;
            }
            Matcher u = UNDEFINED.matcher(msg);
            if (u.find()) {
                return "undefined symbol " + u.group(1) + " (the installed CUDA library is older than JCuda "
                        + NativeLibs.JCUDA_VERSION + " needs)";
            }
            Matcher v = VERSION.matcher(msg);
            if (v.find()) {
                return "the system library version " + v.group(1) + " is missing (the JCuda natives need a newer Linux)";
            }
        }
        Throwable root = t;
        while (root != null && root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root == null ? null : root.getMessage();
        if (msg == null || msg.isBlank()) {
            return root == null ? "unknown native loading error" : root.getClass().getSimpleName();
        }
        // JCuda's own messages are multi-line with stack traces; the first line is the summary.
        String first = msg.strip().lines().findFirst().orElse(msg).strip();
        return first.length() > 200 ? first.substring(0, 197) + "..." : first;
    }

    private static String hint(String lib) {
        if (lib.startsWith("libcuda.so")) {
            return " (no NVIDIA driver on this host, or it is not on the loader path)";
        }
        if (lib.startsWith("libcublas")) {
            return " (cuBLAS of CUDA " + NativeLibs.CUDA_MAJOR + ".x is not installed)";
        }
        if (lib.startsWith("libnvrtc")) {
            return " (NVRTC of CUDA " + NativeLibs.CUDA_MAJOR + ".x is not installed)";
        }
        return "";
    }
}
