package dev.kiln.testkit;

import dev.kiln.core.Backend;
import dev.kiln.core.verify.VerificationGrid;

/** The conformance suite run against the float64 reference itself, so the testkit is exercised in its own module. */
class ReferenceConformanceTest extends ConformanceSuite {
    @Override
    protected String backendSpec() {
        return "reference";
    }

    @Override
    protected Backend openBackend() {
        return VerificationGrid.openReference();
    }
}
