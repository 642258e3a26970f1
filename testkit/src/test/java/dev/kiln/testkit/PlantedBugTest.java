package dev.kiln.testkit;

import dev.kiln.core.Activation;
import dev.kiln.core.Backend;
import dev.kiln.core.LeakDetection;
import dev.kiln.core.reference.ReferenceEngine;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.core.verify.VerificationGrid;
import dev.kiln.core.verify.VerificationResult;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves the grid catches a bug: an engine whose relu is off by 1e-3 fails relu rows, and only those. */
class PlantedBugTest {

    /** The reference, except that relu's forward output is 1e-3 too high. */
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

    @Test
    void gridFailsExactlyThePerturbedOp() {
        List<VerificationResult> results;
        try (Backend planted = new Backend("planted-relu-bug", new OffByEpsilonRelu(), LeakDetection.FAIL);
             Backend reference = VerificationGrid.openReference()) {
            results = VerificationGrid.run(planted, reference, true, null);
            assertTrue(planted.liveTensors().isEmpty(), "the grid must close every tensor it makes");
            assertTrue(reference.liveTensors().isEmpty(), "the grid must close every tensor it makes");
        }
        Set<String> failedOps = results.stream().filter(r -> !r.passed()).map(VerificationResult::op)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of("activation relu", "activation relu in place"), failedOps,
                () -> "only relu's forward rows may fail:\n" + VerificationGrid.table(results));
        long shapes = VerificationGrid.SHAPES.stream().filter(s -> !s.large()).count();
        List<VerificationResult> failed = results.stream().filter(r -> !r.passed()).toList();
        assertEquals(2 * shapes, failed.size(), "relu must fail on every shape");
        for (VerificationResult r : failed) {
            assertEquals(1e-3, r.maxAbsError(), 1e-5, r.summary());
            assertFalse(r.detail().isEmpty(), "a failure says where: " + r.summary());
        }
    }
}
