package dev.kiln.opencl;

import dev.kiln.kernels.KernelSources;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every kernel of kiln-kernels compiles with the OpenCL compiler of the test device (POCL in CI). */
class KernelProgramTest {

    @Test
    void everyKernelIsInTheBuiltProgram() {
        try (OpenClEngine e = OpenClTestSupport.open(OpenClEngine.GemmPath.PORTABLE)) {
            Set<String> built = new TreeSet<>(e.programKernelNames());
            assertEquals(new TreeSet<>(KernelSources.KERNEL_NAMES), built);
        }
    }
}
