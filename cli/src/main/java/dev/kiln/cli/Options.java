package dev.kiln.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The parsed {@code --flag value} / {@code --flag=value} / {@code --switch} options of one
 * command. Every mistake (unknown flag, missing or malformed value, repeated flag) is a
 * {@link UsageException} with one clear line.
 */
final class Options {
    private final Map<String, String> values = new LinkedHashMap<>();

    private Options() {
    }

    /** Parses {@code args} against the flags that take a value and the switches that do not. */
    static Options parse(List<String> args, Set<String> valued, Set<String> switches) {
        Options o = new Options();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--")) {
                throw new UsageException("unexpected argument '" + a + "'; options start with --");
            }
            String flag = a;
            String value = null;
            int eq = a.indexOf('=');
            if (eq > 0) {
                flag = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            if (switches.contains(flag)) {
                if (value != null) {
                    throw new UsageException(flag + " takes no value");
                }
                value = "true";
            } else if (valued.contains(flag)) {
                if (value == null) {
                    if (i + 1 >= args.size()) {
                        throw new UsageException(flag + " needs a value");
                    }
                    value = args.get(++i);
                }
            } else {
                List<String> known = new ArrayList<>(valued);
                known.addAll(switches);
                throw new UsageException("unknown option " + flag + "; known: " + String.join(" ", known.stream()
                        .sorted().toList()));
            }
            if (o.values.put(flag, value) != null) {
                throw new UsageException(flag + " given twice");
            }
        }
        return o;
    }

    boolean has(String flag) {
        return values.containsKey(flag);
    }

    String string(String flag, String dflt) {
        return values.getOrDefault(flag, dflt);
    }

    /** The flags given, in order. */
    Set<String> given() {
        return values.keySet();
    }

    int positiveInt(String flag, int dflt) {
        String v = values.get(flag);
        if (v == null) {
            return dflt;
        }
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " must be a whole number, got '" + v + "'");
        }
        if (n < 1) {
            throw new UsageException(flag + " must be at least 1, got " + n);
        }
        return n;
    }

    long longValue(String flag, long dflt) {
        String v = values.get(flag);
        if (v == null) {
            return dflt;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " must be a whole number, got '" + v + "'");
        }
    }

    /** A finite number >= 0 ({@code positive}: > 0). */
    double number(String flag, double dflt, boolean positive) {
        String v = values.get(flag);
        if (v == null) {
            return dflt;
        }
        double d;
        try {
            d = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " must be a number, got '" + v + "'");
        }
        if (!Double.isFinite(d) || d < 0 || (positive && d == 0)) {
            throw new UsageException(flag + " must be a finite number " + (positive ? "> 0" : ">= 0") + ", got " + v);
        }
        return d;
    }

    /** A number in [0, 1). */
    double fraction(String flag, double dflt) {
        double d = number(flag, dflt, false);
        if (d >= 1) {
            throw new UsageException(flag + " must be in [0, 1), got " + values.get(flag));
        }
        return d;
    }

    /** One of {@code choices} (case-insensitive), lower-cased. */
    String choice(String flag, String dflt, List<String> choices) {
        String v = values.get(flag);
        if (v == null) {
            return dflt;
        }
        String l = v.trim().toLowerCase(Locale.ROOT);
        if (!choices.contains(l)) {
            throw new UsageException(flag + " must be one of " + String.join("|", choices) + ", got '" + v + "'");
        }
        return l;
    }

    /** Comma-separated positive sizes, like {@code 128,64}. */
    int[] sizes(String flag, int[] dflt) {
        String v = values.get(flag);
        if (v == null) {
            return dflt.clone();
        }
        String[] parts = v.split(",", -1);
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException(flag + " must be comma-separated layer sizes like 128,64, got '" + v + "'");
            }
            if (out[i] < 1 || out[i] > 1 << 16) {
                throw new UsageException(flag + " sizes must be in 1.." + (1 << 16) + ", got " + out[i]);
            }
        }
        return out;
    }

    Path path(String flag) {
        String v = values.get(flag);
        if (v == null) {
            return null;
        }
        if (v.isBlank()) {
            throw new UsageException(flag + " needs a file name");
        }
        try {
            return Path.of(v);
        } catch (InvalidPathException e) {
            throw new UsageException(flag + ": invalid path '" + v + "'");
        }
    }
}
