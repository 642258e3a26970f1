package dev.kiln.bench;

import dev.kiln.core.Backend;
import dev.kiln.core.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

/** One GEMM problem on one implementation: a Kiln backend, or the OpenBLAS anchor. */
interface GemmTarget extends AutoCloseable {
    /** Runs {@code C = op(A) op(B)} once and waits for it to finish. */
    void run();

    @Override
    void close();

    static GemmTarget open(String backend, int threads, int m, int n, int k, boolean transA, boolean transB) {
        if (backend.equals("openblas")) {
            return new OpenBlas(threads, m, n, k, transA, transB);
        }
        return new Kiln(BenchBackends.open(backend, threads), m, n, k, transA, transB);
    }

    /** A Kiln backend through its public front door, so validation cost is included, as users pay it. */
    final class Kiln implements GemmTarget {
        private final Backend backend;
        private final Tensor a;
        private final Tensor b;
        private final Tensor c;
        private final boolean transA;
        private final boolean transB;

        Kiln(Backend backend, int m, int n, int k, boolean transA, boolean transB) {
            this.backend = backend;
            this.transA = transA;
            this.transB = transB;
            a = transA ? backend.fromArray(BenchBackends.random(k * m, 1), k, m)
                    : backend.fromArray(BenchBackends.random(m * k, 1), m, k);
            b = transB ? backend.fromArray(BenchBackends.random(n * k, 2), n, k)
                    : backend.fromArray(BenchBackends.random(k * n, 2), k, n);
            c = backend.zeros(m, n);
        }

        @Override
        public void run() {
            backend.gemm(transA, transB, 1f, a, b, 0f, c);
            backend.synchronize();
        }

        @Override
        public void close() {
            a.close();
            b.close();
            c.close();
            backend.close();
        }
    }

    /** OpenBLAS's cblas_sgemm on native memory (FloatPointer): no per-call copies. */
    final class OpenBlas implements GemmTarget {
        private final FloatPointer a;
        private final FloatPointer b;
        private final FloatPointer c;
        private final int m;
        private final int n;
        private final int k;
        private final boolean transA;
        private final boolean transB;

        OpenBlas(int threads, int m, int n, int k, boolean transA, boolean transB) {
            this.m = m;
            this.n = n;
            this.k = k;
            this.transA = transA;
            this.transB = transB;
            openblas.blas_set_num_threads(threads);
            a = new FloatPointer(BenchBackends.random(m * k, 1));
            b = new FloatPointer(BenchBackends.random(k * n, 2));
            c = new FloatPointer((long) m * n);
        }

        @Override
        public void run() {
            int lda = transA ? m : k;
            int ldb = transB ? k : n;
            openblas.cblas_sgemm(openblas.CblasRowMajor, transA ? openblas.CblasTrans : openblas.CblasNoTrans,
                    transB ? openblas.CblasTrans : openblas.CblasNoTrans, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
        }

        @Override
        public void close() {
            a.close();
            b.close();
            c.close();
        }
    }
}
