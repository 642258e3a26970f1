package dev.kiln.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CUDA side of the dialect: where nvcc is on the PATH, the whole program compiles to PTX with
 * every kernel as an entry point. (The OpenCL side is compiled by kiln-opencl's tests on POCL.)
 */
class CudaDialectCompileTest {

    @Test
    void theCudaProgramCompilesWithNvcc(@TempDir Path tmp) throws IOException, InterruptedException {
        Path nvcc = findOnPath("nvcc");
        assumeTrue(nvcc != null, "nvcc is not on the PATH");
        Path cu = Files.writeString(tmp.resolve("kiln.cu"), KernelSources.program(KernelSources.Dialect.CUDA));
        Path ptx = tmp.resolve("kiln.ptx");
        ProcessBuilder pb = new ProcessBuilder(nvcc.toString(), "-ptx", "-arch=compute_75", "-DKILN_WG=128",
                "-DGEMM_TS=64", "-DGEMM_TK=16", "-DGEMM_WPT=8", cu.toString(), "-o", ptx.toString())
                .redirectErrorStream(true);
        // The test JVM runs with the JDK's signal-chaining library preloaded (see the parent POM);
        // it is for JVMs only and prints deprecation warnings in other programs.
        pb.environment().remove("LD_PRELOAD");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "nvcc finished");
        assertEquals(0, p.exitValue(), "nvcc failed:\n" + out);
        assertTrue(out.isBlank(), "nvcc warnings:\n" + out);
        List<String> entries = Files.readAllLines(ptx).stream().filter(l -> l.startsWith(".visible .entry ")).toList();
        for (String k : List.of("gemm_tiled", "softmax_xent", "relu_fwd", "gelu_tanh_bwd", "adam_step", "reduce_finish")) {
            assertTrue(entries.stream().anyMatch(e -> e.startsWith(".visible .entry " + k + "(")), k + " in " + entries);
        }
        assertEquals(KernelSources.KERNEL_NAMES.size(), entries.size(), entries.toString());
    }

    private static Path findOnPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, exe);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
