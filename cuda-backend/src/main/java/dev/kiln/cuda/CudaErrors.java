package dev.kiln.cuda;

import dev.kiln.core.KilnException;
import jcuda.driver.CUresult;

/** Maps CUDA driver results to {@link KilnException}s that name the op and the native error. */
final class CudaErrors {
    private CudaErrors() {
    }

    /** The CUresult's name, like {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    static String name(int result) {
        String s = CUresult.stringFor(result);
        return s == null || s.startsWith("INVALID CUresult") ? "CUresult " + result : s;
    }

    /** Throws unless {@code result} is CUDA_SUCCESS. */
    static void check(int result, String op, String call) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new KilnException("cuda", op, name(result), call + " failed");
        }
    }
}
