package dev.kiln.opencl;

import org.jocl.blast.CLBlast;
import org.jocl.blast.CLBlastStatusCode;
import org.jocl.cl_command_queue;
import org.jocl.cl_mem;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import static org.jocl.blast.CLBlastLayout.CLBlastLayoutRowMajor;
import static org.jocl.blast.CLBlastTranspose.CLBlastTransposeNo;
import static org.jocl.blast.CLBlastTranspose.CLBlastTransposeYes;

/**
 * GEMM through CLBlast (org.jocl:jocl-blast, which bundles libclblast). The only class that
 * touches {@code org.jocl.blast}, so that a CLBlast that fails to load costs the portable kernel,
 * not the backend.
 */
final class ClBlastGemm {
    private static String loadError;
    private static boolean loaded;

    private ClBlastGemm() {
    }

    /** Loads CLBlast once; returns null when it works, else a one-line reason. Never throws. */
    static synchronized String load() {
        if (!loaded && loadError == null) {
            Throwable t = JoclNatives.loadClBlast();
            if (t == null) {
                try {
                    CLBlast.setExceptionsEnabled(false);  // we check status codes and name them ourselves
                    loaded = true;
                } catch (Throwable e) {
                    t = e;
                }
            }
            if (t != null) {
                loadError = t.getClass().getSimpleName() + ": " + t.getMessage();
            }
        }
        return loaded ? null : loadError;
    }

    /** "CLBlast 1.5.2", from jocl-blast's Maven metadata (its version tracks the bundled CLBlast). */
    static String version() {
        try (InputStream in = ClBlastGemm.class.getResourceAsStream(
                "/META-INF/maven/org.jocl/jocl-blast/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return "CLBlast " + p.getProperty("version", "?");
            }
        } catch (IOException ignored) {
            // fall through: the version is only informative
        }
        return "CLBlast";
    }

    /**
     * Bytes of scratch memory CLBlast needs for this GEMM (for its padded "indirect" kernel), so
     * the engine can hand it a pooled buffer instead of letting CLBlast allocate one per call.
     * Returns a negative CLBlast status on failure.
     */
    static long tempBufferBytes(cl_command_queue queue, boolean transA, boolean transB, int m, int n, int k) {
        long[] size = new long[1];
        int st = CLBlast.CLBlastSGemmTempBufferSize(CLBlastLayoutRowMajor,
                transA ? CLBlastTransposeYes : CLBlastTransposeNo,
                transB ? CLBlastTransposeYes : CLBlastTransposeNo,
                m, n, k, 0, lda(transA, m, k), 0, ldb(transB, k, n), 0, n, queue, size);
        return st == 0 ? size[0] : (st < 0 ? st : -Math.abs(st));
    }

    /**
     * Enqueues row-major {@code C = alpha op(A) op(B) + beta C} on {@code queue}; returns CLBlast's
     * status (0 on success) without waiting. {@code temp} is scratch of at least
     * {@link #tempBufferBytes} bytes, or null when none is needed.
     */
    static int sgemm(cl_command_queue queue, boolean transA, boolean transB, int m, int n, int k, float alpha,
                     cl_mem a, cl_mem b, float beta, cl_mem c, cl_mem temp) {
        int ta = transA ? CLBlastTransposeYes : CLBlastTransposeNo;
        int tb = transB ? CLBlastTransposeYes : CLBlastTransposeNo;
        if (temp == null) {
            return CLBlast.CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, m, n, k, alpha, a, 0, lda(transA, m, k),
                    b, 0, ldb(transB, k, n), beta, c, 0, n, queue, null);
        }
        return CLBlast.CLBlastSgemmWithTempBuffer(CLBlastLayoutRowMajor, ta, tb, m, n, k, alpha, a, 0,
                lda(transA, m, k), b, 0, ldb(transB, k, n), beta, c, 0, n, queue, null, temp);
    }

    private static long lda(boolean transA, int m, int k) {
        return transA ? m : k;  // row-major: the stored row length
    }

    private static long ldb(boolean transB, int k, int n) {
        return transB ? k : n;
    }

    /** CLBlast's name for a status code. */
    static String statusName(int status) {
        return CLBlastStatusCode.stringFor(status);
    }
}
