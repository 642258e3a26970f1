package dev.kiln.opencl;

import dev.kiln.testkit.ConformanceSuite;

/** The whole testkit conformance suite on the OpenCL backend (POCL in CI). */
class OpenClConformanceTest extends ConformanceSuite {
    @Override
    protected String backendSpec() {
        return "opencl";
    }
}
