package dev.kiln.cuda;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The build put an nvcc fatbin on the class path (and so in the jar) when nvcc was on PATH. */
class KernelImageTest {

    static boolean nvccOnPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isBlank() && Files.isExecutable(Path.of(d, "nvcc"))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void fatbinIsBuiltWhenNvccIsOnPath() {
        assumeTrue(nvccOnPath(), "nvcc is not on PATH: the build made no fatbin (and said so)");
        KernelImage image = KernelImage.bundled();
        assertNotNull(image, "nvcc is on PATH but " + KernelImage.FATBIN + " is not on the class path");
        // A fatbin starts with the magic 0xBA55ED50, little-endian.
        int magic = ByteBuffer.wrap(image.fatbin(), 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        assertEquals(0xBA55ED50, magic, Integer.toHexString(magic));
        for (String sm : new String[] {"sm_75", "sm_80", "sm_86", "sm_89", "sm_90", "sm_100", "sm_120"}) {
            assertTrue(image.sass().contains(sm), image.sass());
        }
        assertTrue(image.ptx().startsWith("compute_"), image.ptx());
        assertEquals(75, image.lowestCapability());
        assertTrue(image.minDriver() >= 12000, "minimum driver " + image.minDriver());
        assertTrue(image.workGroup() > 0 && Integer.bitCount(image.workGroup()) == 1);
        assertTrue(image.describe().contains("nvcc " + image.nvccVersion()), image.describe());
    }

    @Test
    void fatbinHoldsEveryKernelTheEngineLaunches() throws Exception {
        assumeTrue(nvccOnPath(), "nvcc is not on PATH");
        KernelImage image = KernelImage.bundled();
        assertNotNull(image);
        // Kernel names are extern "C", so they appear verbatim in the ELF symbol tables inside the fatbin.
        String bytes = new String(image.fatbin(), java.nio.charset.StandardCharsets.ISO_8859_1);
        for (String k : dev.kiln.kernels.KernelSources.KERNEL_NAMES) {
            assertTrue(bytes.contains(k), "fatbin lacks kernel " + k);
        }
    }

    @Test
    void theEngineLoadsTheFatbinThroughABindingThatKeepsTheModule() throws Exception {
        // JCuda 12.6's cuModuleLoadFatBinary returns CUDA_SUCCESS but never stores the module in
        // its CUmodule argument, so every later cuModuleGetFunction fails with
        // CUDA_ERROR_INVALID_HANDLE (the first GPU run, on an H200, failed exactly so). No GPU is
        // needed to keep it out: the engine's bytecode must not call it.
        try (var in = CudaEngine.class.getResourceAsStream("CudaEngine.class")) {
            assertNotNull(in);
            String constants = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertTrue(constants.contains("cuModuleLoadData"), "CudaEngine no longer loads modules with cuModuleLoadData");
            assertTrue(!constants.contains("cuModuleLoadFatBinary"), "CudaEngine calls cuModuleLoadFatBinary");
        }
    }
}
