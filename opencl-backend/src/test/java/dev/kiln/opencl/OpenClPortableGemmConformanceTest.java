package dev.kiln.opencl;

import dev.kiln.core.Backend;
import dev.kiln.testkit.ConformanceSuite;

/**
 * The conformance suite again with GEMM on Kiln's own tiled kernel instead of CLBlast: the same
 * kernel source the CUDA backend runs when cuBLAS does not load, so CI checks it on every run.
 */
class OpenClPortableGemmConformanceTest extends ConformanceSuite {
    @Override
    protected String backendSpec() {
        return "opencl";
    }

    @Override
    protected Backend openBackend() {
        String old = System.getProperty("kiln.opencl.gemm");
        System.setProperty("kiln.opencl.gemm", "portable");
        try {
            return super.openBackend();
        } finally {
            if (old == null) {
                System.clearProperty("kiln.opencl.gemm");
            } else {
                System.setProperty("kiln.opencl.gemm", old);
            }
        }
    }
}
