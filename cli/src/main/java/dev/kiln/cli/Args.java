package dev.kiln.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small strict parser for {@code --name value} / {@code --name=value} / {@code --flag} options.
 * Unknown options and missing values are {@link UsageException}s.
 */
public final class Args {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();

    private Args() {
    }

    /**
     * Parses {@code args}; {@code withValue} are options that take a value, {@code flags} those
     * that do not. Names are given without the leading dashes.
     */
    public static Args parse(List<String> args, Set<String> withValue, Set<String> flags) {
        Args a = new Args();
        for (int i = 0; i < args.size(); i++) {
            String s = args.get(i);
            if (s.startsWith("--")) {
                String name = s.substring(2);
                String value = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                if (flags.contains(name)) {
                    if (value != null) {
                        throw new UsageException("--" + name + " takes no value");
                    }
                    a.values.put(name, "true");
                } else if (withValue.contains(name)) {
                    if (value == null) {
                        if (i + 1 >= args.size()) {
                            throw new UsageException("--" + name + " needs a value");
                        }
                        value = args.get(++i);
                    }
                    a.values.put(name, value);
                } else {
                    List<String> known = new ArrayList<>();
                    withValue.forEach(k -> known.add("--" + k));
                    flags.forEach(k -> known.add("--" + k));
                    java.util.Collections.sort(known);
                    throw new UsageException("unknown option '" + s + "'; options: " + String.join(" ", known));
                }
            } else {
                a.positional.add(s);
            }
        }
        return a;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public String get(String name, String def) {
        return values.getOrDefault(name, def);
    }

    public List<String> positional() {
        return positional;
    }

    /** Fails if any positional argument was given. */
    public Args noPositional() {
        if (!positional.isEmpty()) {
            throw new UsageException("unexpected argument '" + positional.get(0) + "'");
        }
        return this;
    }
}
