package dev.kiln.cuda;

/** Formats the integer CUDA versions of {@code cuDriverGetVersion} (13000 is 13.0, 12060 is 12.6). */
final class CudaVersions {
    private CudaVersions() {
    }

    static String format(int v) {
        return (v / 1000) + "." + (v % 1000) / 10;
    }
}
