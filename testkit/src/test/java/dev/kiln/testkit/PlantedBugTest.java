package dev.kiln.testkit;

import dev.kiln.core.Activation;
import dev.kiln.core.AdamParams;
import dev.kiln.core.Backend;
import dev.kiln.core.LeakDetection;
import dev.kiln.core.reference.ReferenceEngine;
import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.core.verify.VerificationGrid;
import dev.kiln.core.verify.VerificationResult;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the grid catches bugs: an engine with one planted bug (the reference otherwise) fails
 * the rows of that op, and no other row.
 */
class PlantedBugTest {

    /** relu's forward output 1e-3 too high. */
    static final class OffByEpsilonRelu extends DelegatingEngine {
        OffByEpsilonRelu() {
            super(new ReferenceEngine());
        }

        @Override
        public void activation(Activation act, float param, DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
            super.activation(act, param, x, y, rows, cols);
            if (act == Activation.RELU) {
                int n = rows * cols;
                float[] v = new float[n];
                download(y, 0, v, 0, n);
                for (int i = 0; i < n; i++) {
                    v[i] += 1e-3f;
                }
                upload(v, 0, y, 0, n);
            }
        }
    }

    /** GEMM that drops the beta C term. */
    static final class GemmIgnoresBeta extends DelegatingEngine {
        GemmIgnoresBeta() {
            super(new ReferenceEngine());
        }

        @Override
        public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                         DeviceBuffer b, float beta, DeviceBuffer c) {
            super.gemm(transA, transB, m, n, k, alpha, a, b, 0f, c);
        }
    }

    /** Adam that forgets AMSGrad. */
    static final class AdamWithoutAmsgrad extends DelegatingEngine {
        AdamWithoutAmsgrad() {
            super(new ReferenceEngine());
        }

        @Override
        public void adamStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer expAvg, DeviceBuffer expAvgSq,
                             DeviceBuffer maxExpAvgSq, int n, AdamParams p, float lr, long step) {
            super.adamStep(param, grad, expAvg, expAvgSq, null, n, p.withAmsgrad(false), lr, step);
        }
    }

    /** A column sum that misses the last row. */
    static final class BiasGradSkipsLastRow extends DelegatingEngine {
        BiasGradSkipsLastRow() {
            super(new ReferenceEngine());
        }

        @Override
        public void biasGrad(DeviceBuffer dy, DeviceBuffer db, int rows, int cols, float beta) {
            if (rows > 1) {
                super.biasGrad(dy, db, rows - 1, cols, beta);
            } else {
                super.fill(db, 0f, cols);
            }
        }
    }

    static Stream<Arguments> plantedBugs() {
        return Stream.of(
                Arguments.of("relu off by 1e-3", (Supplier<ComputeEngine>) OffByEpsilonRelu::new,
                        Set.of("activation relu", "activation relu in place")),
                Arguments.of("gemm ignores beta", (Supplier<ComputeEngine>) GemmIgnoresBeta::new,
                        Set.of("gemm NN a=1.5 b=0.5", "gemm NT a=1.5 b=0.5", "gemm TN a=1.5 b=0.5",
                                "gemm TT a=1.5 b=0.5")),
                Arguments.of("adam forgets amsgrad", (Supplier<ComputeEngine>) AdamWithoutAmsgrad::new,
                        Set.of("adam amsgrad x3 steps")),
                Arguments.of("biasGrad skips the last row", (Supplier<ComputeEngine>) BiasGradSkipsLastRow::new,
                        Set.of("biasGrad b=0 (db holds NaN)", "biasGrad b=0.5")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plantedBugs")
    void gridFailsExactlyThePlantedOp(String bug, Supplier<ComputeEngine> engine, Set<String> expected) {
        List<VerificationResult> results;
        try (Backend planted = new Backend("planted", engine.get(), LeakDetection.FAIL);
             Backend reference = VerificationGrid.openReference()) {
            results = VerificationGrid.run(planted, reference, true, null);
            assertTrue(planted.liveTensors().isEmpty(), "the grid must close every tensor it makes");
            assertTrue(reference.liveTensors().isEmpty(), "the grid must close every tensor it makes");
        }
        Set<String> failedOps = results.stream().filter(r -> !r.passed()).map(VerificationResult::op)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(expected), failedOps,
                () -> bug + ": exactly these ops must fail:\n" + VerificationGrid.table(results));
        long shapes = VerificationGrid.SHAPES.stream().filter(s -> !s.large()).count();
        List<VerificationResult> failed = results.stream().filter(r -> !r.passed()).toList();
        assertEquals(expected.size() * shapes, failed.size(), bug + " must fail on every shape");
        for (VerificationResult r : failed) {
            assertFalse(r.detail().isEmpty(), "a failure says where: " + r.summary());
            if (bug.startsWith("relu")) {
                assertEquals(1e-3, r.maxAbsError(), 1e-5, r.summary());
            }
        }
    }
}
