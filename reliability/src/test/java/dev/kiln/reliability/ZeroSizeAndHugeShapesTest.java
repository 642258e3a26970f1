package dev.kiln.reliability;

import dev.kiln.core.Activation;
import dev.kiln.core.AdamParams;
import dev.kiln.core.Backend;
import dev.kiln.core.DType;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.SgdParams;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Rng;
import dev.kiln.nn.layers.Linear;

import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Zero-size dimensions are supported (PyTorch's results: empty outputs, a sum of 0, a mean of
 * NaN, GEMM with k = 0 giving beta C), and sizes that would overflow 32-bit indexing are rejected
 * before anything is allocated.
 */
class ZeroSizeAndHugeShapesTest {

    @TestFactory
    Stream<DynamicTest> zeroSizeTensorsWorkInEveryOp() {
        return Available.names().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            try (Backend b = Available.open(name);
                 Tensor empty = b.zeros(0, 4);
                 Tensor emptyOut = b.zeros(0, 4);
                 Tensor emptyDx = b.zeros(0, 4);
                 Tensor w = b.fromArray(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 4, 4);
                 Tensor bias = b.fromArray(new float[] {1, 2, 3, 4}, 4);
                 Tensor db = b.fromArray(new float[] {1, 2, 3, 4}, 4);
                 Tensor loss = b.zeros(1);
                 Tensor noLabels = b.labels();
                 Tensor counter = b.fromInts(new int[] {5}, 1);
                 Tensor noRows = b.empty(DType.I32, Shape.of(0));
                 Tensor p0 = b.zeros(0); Tensor g0 = b.zeros(0); Tensor m0 = b.zeros(0); Tensor v0 = b.zeros(0)) {
                b.gemm(false, false, 1f, empty, w, 0f, emptyOut);
                b.biasAdd(empty, bias, emptyOut);
                b.biasGrad(empty, db, 0.5f);
                assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2}, db.toFloatArray(), "colsum of no rows + beta db");
                for (Activation act : Activation.values()) {
                    b.activation(act, empty, emptyOut);
                    b.activationBackward(act, empty, emptyOut, empty, emptyDx);
                }
                b.softmaxCrossEntropy(empty, noLabels, loss, emptyOut, Reduction.MEAN, 0f);
                assertTrue(Float.isNaN(loss.item()), "mean over no rows is NaN, as in PyTorch");
                b.softmaxCrossEntropy(empty, noLabels, loss, null, Reduction.SUM, 0f);
                assertEquals(0f, loss.item());
                b.loss(LossKind.MSE, empty, emptyOut, loss, null, Reduction.MEAN);
                assertTrue(Float.isNaN(loss.item()));
                b.loss(LossKind.L1, empty, emptyOut, loss, null, Reduction.SUM);
                assertEquals(0f, loss.item());
                b.sgdStep(p0, g0, m0, SgdParams.momentum(0.9f), 0.1f, 1);
                b.adamStep(p0, g0, m0, v0, null, AdamParams.adam(), 0.1f, 1);
                b.argmax(empty, noRows);
                b.countCorrect(empty, noLabels, counter);
                assertEquals(5, counter.intItem(), "no rows add nothing");
                for (NormKind k : NormKind.values()) {
                    b.norm(k, p0, loss);
                    assertEquals(0f, loss.item(), k + " of nothing");
                }
                b.sum(p0, loss);
                assertEquals(0f, loss.item());
                b.fill(empty, 3f);
                b.scale(empty, 2f);
                b.axpy(1f, empty, emptyOut);
                b.copy(empty, emptyOut);
                assertEquals(0, empty.toFloatArray().length);
                // GEMM with an empty inner dimension: C = beta C (beta 0 clears even NaN).
                try (Tensor a = b.zeros(2, 0); Tensor bb = b.zeros(0, 3);
                     Tensor c = b.fromArray(new float[] {1, 2, 3, 4, 5, Float.NaN}, 2, 3)) {
                    b.gemm(false, false, 1f, a, bb, 0.5f, c);
                    float[] r = c.toFloatArray();
                    assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2, 2.5f}, java.util.Arrays.copyOf(r, 5));
                    assertTrue(Float.isNaN(r[5]));
                    b.gemm(false, false, 1f, a, bb, 0f, c);
                    assertArrayEquals(new float[6], c.toFloatArray());
                }
                BadInputTableTest.assertStillComputes(b);
            }
        }));
    }

    @Test
    void sizesOverflowingIntIndexingAreRejectedBeforeAllocating() {
        for (String name : Available.names()) {
            try (Backend b = Available.open(name)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.zeros(65536, 32768));
                assertTrue(e.getMessage().contains("shape [65536, 32768] has more than 2^31-1 elements"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> b.empty(DType.I32, Shape.of(3, 1 << 30)));
                assertTrue(e.getMessage().contains("more than 2^31-1"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> b.fromArray(new float[1], 1 << 16, 1 << 16, 1));
                assertTrue(e.getMessage().contains("more than 2^31-1"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> b.zeros(4, -1));
                assertTrue(e.getMessage().contains("negative dimension"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> b.zeros(1, 1, 1, 1, 1, 1, 1, 1, 1));
                assertTrue(e.getMessage().contains("rank 9"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> new Linear(b, 1 << 16, 1 << 16, new Rng(1)));
                assertTrue(e.getMessage().contains("fits an int"), e.getMessage());
                assertEquals(0, b.liveTensors().size(), "nothing was allocated");
                BadInputTableTest.assertStillComputes(b);
            }
        }
    }
}
