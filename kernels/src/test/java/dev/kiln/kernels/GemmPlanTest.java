package dev.kiln.kernels;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GemmPlanTest {

    @Test
    void splitKTakesTheMlpsSkinnyProducts() {
        assertEquals(25, GemmPlan.splits(64, 128, 784, 64), "batch 64 into the 784-wide layer: 2 tiles");
        assertEquals(32, GemmPlan.chunk(784, 25));
        assertEquals(13, GemmPlan.splits(512, 128, 784, 64), "batch 512: 16 tiles");
        assertEquals(1, GemmPlan.splits(64, 128, 200, 64), "k below 256");
        assertEquals(1, GemmPlan.splits(1024, 1024, 1024, 64), "enough tiles");
        assertEquals(1, GemmPlan.splits(64, 10, 64, 64));
        assertEquals(32, GemmPlan.splitChunk(64, 128, 784, 64), "the plan's chunk where it splits");
        assertEquals(48, GemmPlan.splitChunk(33, 17, 65, 64), "two splits where it would not");
    }

    @Test
    void theSplitsCoverKExactlyInStepsOfSixteen() {
        for (int k = 1; k < 3000; k += 7) {
            for (int[] mn : new int[][] {{1, 1}, {64, 10}, {64, 128}, {300, 500}, {5000, 5000}}) {
                int s = GemmPlan.splits(mn[0], mn[1], k, 64);
                assertTrue(s >= 1);
                int chunk = GemmPlan.chunk(k, s);
                assertEquals(0, chunk % GemmPlan.K_STEP);
                int used = (k + chunk - 1) / chunk;
                assertEquals(s, used, "k=" + k + ": every split has work");
                assertTrue((long) (s - 1) * chunk < k && (long) s * chunk >= k, "k=" + k + " splits=" + s);
            }
        }
    }

    @Test
    void theBigTileKernelTakesOverAt512By512() {
        assertTrue(GemmPlan.big(512, 512));
        assertTrue(GemmPlan.big(8192, 8192));
        assertFalse(GemmPlan.big(384, 512), "12 tiles");
        assertFalse(GemmPlan.big(100, 100_000), "narrower than a tile");
        assertEquals(2L * 16 * 132 * 4, GemmPlan.BIG_LOCAL_BYTES, "gemm.kc's GB_STRIDE is GB_M + 4");
    }
}
