package dev.kiln.cuda;

import dev.kiln.core.KilnException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;
import jcuda.jcublas.cublasOperation;
import jcuda.jcublas.cublasStatus;
import jcuda.runtime.cudaStream_t;

import java.io.IOException;

/**
 * cuBLAS SGEMM through JCublas2, on the engine's stream, row-major, strict FP32 unless asked.
 * The only class that touches JCublas2, so a host without libcublas.so.12 never loads it.
 */
final class Cublas implements AutoCloseable {
    private static String loadReason;
    private static boolean tried;

    private final cublasHandle handle = new cublasHandle();
    private boolean open;

    /** Loads JCublas2 (and with it libcublas.so.12) once; null when it loaded, else the one-line reason. */
    static synchronized String load() {
        if (!tried) {
            tried = true;
            try {
                NativeLibs.load(NativeLibs.Lib.CUBLAS2, () -> JCublas2.setExceptionsEnabled(false));
                loadReason = null;
            } catch (UnsatisfiedLinkError e) {
                loadReason = LinkErrors.reason(e);
            } catch (IOException e) {
                loadReason = "cannot extract libJCublas2: " + e.getMessage();
            } catch (LinkageError | RuntimeException e) {
                loadReason = "JCublas2 failed to load: " + e;
            }
        }
        return loadReason;
    }

    /** A handle bound to the current context and {@code stream}; the context must be current. */
    Cublas(CUstream stream, boolean tf32) {
        check(JCublas2.cublasCreate(handle), "cublasCreate");
        open = true;
        try {
            check(JCublas2.cublasSetStream(handle, new cudaStream_t(stream)), "cublasSetStream");
            // CUBLAS_DEFAULT_MATH is strict FP32 (no TF32) since CUDA 11; TF32 only on request.
            check(JCublas2.cublasSetMathMode(handle, tf32 ? cublasMath.CUBLAS_TF32_TENSOR_OP_MATH
                    : cublasMath.CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        } catch (KilnException e) {
            close();
            throw e;
        }
    }

    /**
     * The arguments of one column-major {@code cublasSgemm} call: {@code C' = op1(X) op2(Y)} with
     * X first, {@code m x n} result, inner dimension {@code k}, and leading dimensions.
     */
    record Call(boolean transFirst, boolean transSecond, int m, int n, int k, boolean firstIsB, int ldFirst,
                int ldSecond, int ldc) {
    }

    /**
     * Row-major {@code C = op(A) op(B)} as a column-major cuBLAS call. A row-major matrix is its
     * transpose in column-major, so compute {@code C^T = op(B)^T op(A)^T}: cuBLAS's
     * {@code gemm(opB, opA, n, m, k, B, A, C)}, with the leading dimensions being the row
     * lengths of the row-major storage. k must be at least 1.
     */
    static Call plan(boolean transA, boolean transB, int m, int n, int k) {
        int lda = transA ? m : k;  // row length of A as stored: k x m when transA, else m x k
        int ldb = transB ? k : n;  // B is n x k when transB, else k x n
        return new Call(transB, transA, n, m, k, true, ldb, lda, n);
    }

    /** Enqueues row-major {@code C = alpha op(A) op(B) + beta C} on the handle's stream. */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, CUdeviceptr a, CUdeviceptr b,
               float beta, CUdeviceptr c) {
        Call p = plan(transA, transB, m, n, k);
        check(JCublas2.cublasSgemm(handle,
                p.transFirst() ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N,
                p.transSecond() ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N,
                p.m(), p.n(), p.k(), Pointer.to(new float[] {alpha}), p.firstIsB() ? b : a, p.ldFirst(),
                p.firstIsB() ? a : b, p.ldSecond(), Pointer.to(new float[] {beta}), c, p.ldc()), "cublasSgemm");
    }

    @Override
    public void close() {
        if (open) {
            open = false;
            JCublas2.cublasDestroy(handle);
        }
    }

    private static void check(int status, String call) {
        if (status != cublasStatus.CUBLAS_STATUS_SUCCESS) {
            throw new KilnException("cuda", "gemm", cublasStatus.stringFor(status), call + " failed");
        }
    }
}
