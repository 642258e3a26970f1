package dev.kiln.kernels;

import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks the kernel resources load and stay within the portable dialect (compilation is tested by the backends). */
class KernelSourcesTest {

    @Test
    void programStartsWithItsPreludeAndContainsEveryFile() {
        for (KernelSources.Dialect d : KernelSources.Dialect.values()) {
            String src = KernelSources.program(d);
            assertTrue(src.startsWith("/* ---- " + d.prelude()), d.name());
            for (String f : KernelSources.FILES) {
                assertTrue(src.contains("/* ---- " + f + " ---- */"), f);
            }
            assertTrue(src.contains("KERNEL void gemm_tiled("));
        }
        assertTrue(KernelSources.program(KernelSources.Dialect.CUDA).contains("__syncthreads()"));
        assertTrue(KernelSources.program(KernelSources.Dialect.OPENCL).contains("barrier(CLK_LOCAL_MEM_FENCE)"));
    }

    @Test
    void kernelFilesUseOnlyThePortableDialect() {
        // Raw OpenCL or CUDA spellings in a .kc file would compile for one backend only.
        Pattern raw = Pattern.compile("__kernel|__global|__local|__shared__|get_global_id|get_local_id|threadIdx"
                + "|blockIdx|__syncthreads|barrier\\(|native_|atomic_add|atomicAdd|\\bexpf\\b|\\blogf\\b");
        for (String f : KernelSources.FILES) {
            Matcher m = raw.matcher(KernelSources.read(f));
            assertFalse(m.find(), () -> f + " uses a dialect-specific name: " + m.group());
        }
    }

    @Test
    void floatLiteralsAreSingleprecision() {
        // An unsuffixed literal like 0.5 is a double in OpenCL C, which needs cl_khr_fp64.
        Pattern dbl = Pattern.compile("(?<![\\w.])\\d+\\.\\d*(?:[eE][-+]?\\d+)?(?![\\w.])");
        for (String f : KernelSources.FILES) {
            String code = KernelSources.read(f).replaceAll("(?s)/\\*.*?\\*/", "");
            Matcher m = dbl.matcher(code);
            assertFalse(m.find(), () -> f + " has a double literal: " + m.group());
        }
        assertEquals(8, KernelSources.FILES.size());
    }
}
