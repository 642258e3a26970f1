package dev.kiln.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The kernels nvcc compiled at build time ({@code dev/kiln/cuda/kernels.fatbin}) and the facts
 * build-fatbin.sh recorded beside them, or absent when the module was built without nvcc.
 *
 * @param fatbin      the fatbin bytes, for {@code cuModuleLoadData}
 * @param nvccVersion like {@code 13.0}
 * @param minDriver   the lowest {@code cuDriverGetVersion} that loads it, like 13000
 * @param workGroup   the KILN_WG the kernels were compiled with (threads per block of the reductions)
 * @param gemmTs      the portable GEMM's tile edge (GEMM_TS)
 * @param gemmWpt     the portable GEMM's work per thread along each edge (GEMM_WPT)
 * @param sass        the real architectures, like {@code sm_75 sm_80 ...}
 * @param ptx         the virtual architecture of the embedded PTX, like {@code compute_75}
 */
record KernelImage(byte[] fatbin, String nvccVersion, int minDriver, int workGroup, int gemmTs, int gemmWpt, String sass, String ptx) {
    static final String FATBIN = "/dev/kiln/cuda/kernels.fatbin";
    static final String PROPERTIES = "/dev/kiln/cuda/kernels.properties";

    /** The image built into this jar, or null when there is none. */
    static KernelImage bundled() {
        try (InputStream bin = KernelImage.class.getResourceAsStream(FATBIN);
             InputStream props = KernelImage.class.getResourceAsStream(PROPERTIES)) {
            if (bin == null || props == null) {
                return null;
            }
            Properties p = new Properties();
            p.load(props);
            return new KernelImage(bin.readAllBytes(), p.getProperty("nvcc.version", "?"),
                    Integer.parseInt(p.getProperty("driver.min", "0").trim()),
                    Integer.parseInt(p.getProperty("kiln.wg", "256").trim()),
                    Integer.parseInt(p.getProperty("gemm.ts", "64").trim()),
                    Integer.parseInt(p.getProperty("gemm.wpt", "4").trim()),
                    p.getProperty("sass", ""), p.getProperty("ptx", ""));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + FATBIN, e);
        }
    }

    /** The lowest compute capability (major * 10 + minor) with code in the image, from its PTX or SASS. */
    int lowestCapability() {
        int low = Integer.MAX_VALUE;
        for (String a : (sass + " " + ptx).trim().split("\\s+")) {
            int us = a.lastIndexOf('_');
            if (us >= 0) {
                try {
                    low = Math.min(low, Integer.parseInt(a.substring(us + 1)));
                } catch (NumberFormatException ignored) {
                    // not an architecture name
                }
            }
        }
        return low == Integer.MAX_VALUE ? 0 : low;
    }

    /** For {@code kiln info}: {@code fatbin (nvcc 13.0; sm_75 ... + PTX compute_75; needs driver >= 13.0)}. */
    String describe() {
        return "fatbin (nvcc " + nvccVersion + "; " + sass + " + PTX " + ptx + "; needs a driver for CUDA "
                + CudaVersions.format(minDriver) + " or newer)";
    }
}
