package dev.kiln.opencl;

import dev.kiln.core.spi.ProbeResult;

/**
 * Run in a child JVM by {@link OpenClEnvironmentTest}: probes in whatever environment the child
 * was given, loads CLBlast too, and prints one line a test can parse.
 */
public final class ProbeChild {
    private ProbeChild() {
    }

    public static void main(String[] args) {
        ProbeResult r = new OpenClBackendProvider().probe();
        String blast = r.isAvailable() ? String.valueOf(ClBlastGemm.load()) : "-";
        // Tests parse stdout; this is a test program, not library code.
        System.out.println((r.isAvailable() ? "AVAILABLE " + r.devices().size() : "UNAVAILABLE " + r.reason())
                + " | clblast-error=" + blast);
    }
}
