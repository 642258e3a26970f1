package dev.kiln.nn;

import dev.kiln.core.Backend;
import dev.kiln.core.Backends;

/** The backend nn's tests run on: the pure-Java CPU backend, always present in the test class path. */
public final class TestBackends {
    private TestBackends() {
    }

    public static Backend cpu() {
        return Backends.open("cpu");
    }
}
