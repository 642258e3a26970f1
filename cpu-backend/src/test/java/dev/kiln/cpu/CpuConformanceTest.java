package dev.kiln.cpu;

import dev.kiln.testkit.ConformanceSuite;

/** The whole testkit conformance suite on the Java CPU backend. */
class CpuConformanceTest extends ConformanceSuite {
    @Override
    protected String backendSpec() {
        return "cpu";
    }
}
