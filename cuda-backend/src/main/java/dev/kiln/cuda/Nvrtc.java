package dev.kiln.cuda;

import dev.kiln.core.KilnException;
import jcuda.nvrtc.JNvrtc;
import jcuda.nvrtc.nvrtcProgram;
import jcuda.nvrtc.nvrtcResult;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compiles the shared kernels at run time with NVRTC (libnvrtc.so.12 through JCuda's JNvrtc),
 * the fallback when the fatbin is missing or the driver is too old to load it.
 */
final class Nvrtc {
    private static String loadReason;
    private static boolean tried;

    private Nvrtc() {
    }

    /** Loads NVRTC once; null when it loaded, else the one-line reason. */
    static synchronized String load() {
        if (!tried) {
            tried = true;
            try {
                NativeLibs.load(NativeLibs.Lib.NVRTC, () -> JNvrtc.setExceptionsEnabled(false));
                int[] major = new int[1];
                int[] minor = new int[1];
                int r = JNvrtc.nvrtcVersion(major, minor);
                loadReason = r == nvrtcResult.NVRTC_SUCCESS ? null : "nvrtcVersion: " + nvrtcResult.stringFor(r);
            } catch (UnsatisfiedLinkError e) {
                loadReason = LinkErrors.reason(e);
            } catch (IOException e) {
                loadReason = "cannot extract libJNvrtc: " + e.getMessage();
            } catch (LinkageError | RuntimeException e) {
                loadReason = "NVRTC failed to load: " + e;
            }
        }
        return loadReason;
    }

    /** Like {@code 12.6}; only after a successful {@link #load()}. */
    static String version() {
        int[] major = new int[1];
        int[] minor = new int[1];
        JNvrtc.nvrtcVersion(major, minor);
        return major[0] + "." + minor[0];
    }

    /** What NVRTC made for one device: a cubin, or PTX for the driver to JIT (a NUL-terminated string). */
    record Output(byte[] image, boolean ptx, String arch) {
    }

    /**
     * Compiles {@code source} for a device of compute capability {@code cc} (major * 10 + minor):
     * a cubin for that exact architecture when NVRTC knows it, else PTX for the highest one it
     * knows below, which the driver compiles further.
     */
    static Output compile(String source, int cc, int workGroup) {
        int[] n = new int[1];
        check(JNvrtc.nvrtcGetNumSupportedArchs(n), "nvrtcGetNumSupportedArchs", null);
        int[] archs = new int[n[0]];
        check(JNvrtc.nvrtcGetSupportedArchs(archs), "nvrtcGetSupportedArchs", null);
        boolean exact = Arrays.stream(archs).anyMatch(a -> a == cc);
        int virt = Arrays.stream(archs).filter(a -> a <= cc).max().orElseThrow(() -> new KilnException("cuda", "open",
                null, "NVRTC " + version() + " supports no architecture at or below sm_" + cc));
        String arch = exact ? "sm_" + cc : "compute_" + virt;

        nvrtcProgram prog = new nvrtcProgram();
        check(JNvrtc.nvrtcCreateProgram(prog, source, "kiln_kernels.cu", 0, null, null), "nvrtcCreateProgram", null);
        try {
            List<String> opts = new ArrayList<>(List.of("--gpu-architecture=" + arch, "-DKILN_WG=" + workGroup,
                    "--std=c++17"));
            int r = JNvrtc.nvrtcCompileProgram(prog, opts.size(), opts.toArray(new String[0]));
            if (r != nvrtcResult.NVRTC_SUCCESS) {
                String[] log = new String[1];
                JNvrtc.nvrtcGetProgramLog(prog, log);
                check(r, "nvrtcCompileProgram", log[0]);
            }
            if (exact) {
                long[] size = new long[1];
                check(JNvrtc.nvrtcGetCUBINSize(prog, size), "nvrtcGetCUBINSize", null);
                byte[] cubin = new byte[(int) size[0]];
                check(JNvrtc.nvrtcGetCUBIN(prog, cubin), "nvrtcGetCUBIN", null);
                return new Output(cubin, false, arch);
            }
            String[] ptx = new String[1];
            check(JNvrtc.nvrtcGetPTX(prog, ptx), "nvrtcGetPTX", null);
            byte[] text = (ptx[0] + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            return new Output(text, true, arch);
        } finally {
            JNvrtc.nvrtcDestroyProgram(prog);
        }
    }

    private static void check(int r, String call, String log) {
        if (r != nvrtcResult.NVRTC_SUCCESS) {
            String msg = call + " failed" + (log == null || log.isBlank() ? "" : ": " + log.strip());
            throw new KilnException("cuda", "open", nvrtcResult.stringFor(r), msg);
        }
    }
}
