package dev.kiln.core;

/**
 * How hard Kiln looks for tensors that are never closed, set by {@code -Dkiln.leaks}:
 * {@code off}, {@code simple} (the default: count and shapes are reported when a backend closes),
 * {@code paranoid} (also records where each tensor was allocated), {@code fail} (paranoid, and
 * closing a backend with leaks throws; for tests).
 */
public enum LeakDetection {
    OFF, SIMPLE, PARANOID, FAIL;

    /** The level from {@code -Dkiln.leaks}, or SIMPLE. */
    public static LeakDetection fromSystemProperty() {
        String v = System.getProperty("kiln.leaks", "simple").trim().toUpperCase(java.util.Locale.ROOT);
        try {
            return valueOf(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-Dkiln.leaks must be off, simple, paranoid or fail, got '"
                    + System.getProperty("kiln.leaks") + "'");
        }
    }

    /** Whether allocation sites are recorded. */
    public boolean recordsSites() {
        return this == PARANOID || this == FAIL;
    }

    boolean failOnLeak() {
        return this == FAIL;
    }
}
