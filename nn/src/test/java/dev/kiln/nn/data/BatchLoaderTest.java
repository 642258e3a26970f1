package dev.kiln.nn.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchLoaderTest {
    @TempDir
    Path dir;

    private Dataset data(int n) throws IOException {
        IdxFiles.dataSet(dir, n, 3, false);
        return MnistData.load(dir).train();
    }

    private static List<Integer> epochRows(BatchLoader l, int epoch, List<Integer> labelsSeen) {
        List<Integer> rows = new ArrayList<>();
        l.startEpoch(epoch);
        while (l.next()) {
            rows.add(l.rows());
            for (int r = 0; r < l.rows(); r++) {
                labelsSeen.add(l.labels()[r]);
            }
        }
        return rows;
    }

    @Test
    void batchSizesOneNAndAllWithPartialLastBatch() throws IOException {
        Dataset d = data(10);
        List<Integer> seen = new ArrayList<>();
        assertEquals(List.of(4, 4, 2), epochRows(new BatchLoader(d, 4, false, 1), 1, seen));
        assertEquals(List.of(1, 1, 1, 1, 1, 1, 1, 1, 1, 1), epochRows(new BatchLoader(d, 1, true, 1), 1, seen));
        BatchLoader all = new BatchLoader(d, Integer.MAX_VALUE, true, 1);
        assertEquals(10, all.batchSize());
        assertEquals(List.of(10), epochRows(all, 1, seen));
        assertThrows(IllegalArgumentException.class, () -> new BatchLoader(d, 0, false, 1));
    }

    @Test
    void everyExampleOncePerEpochAndPixelsInUnitRange() throws IOException {
        Dataset d = data(23);
        BatchLoader l = new BatchLoader(d, 5, true, 7);
        float[] images = l.images();
        l.startEpoch(3);
        int[] counts = new int[10];
        int total = 0;
        while (l.next()) {
            assertSame(images, l.images(), "the batch array is reused, not reallocated");
            for (int r = 0; r < l.rows(); r++) {
                counts[l.labels()[r]]++;
            }
            for (int i = 0; i < l.rows() * d.features(); i++) {
                assertTrue(images[i] >= 0f && images[i] <= 1f);
            }
            total += l.rows();
        }
        assertEquals(23, total);
        int[] expected = new int[10];
        for (int i = 0; i < 23; i++) {
            expected[i % 10]++;
        }
        assertEquals(Arrays.toString(expected), Arrays.toString(counts));
    }

    @Test
    void shuffleIsSeededPerEpoch() throws IOException {
        Dataset d = data(50);
        List<Integer> a = new ArrayList<>();
        List<Integer> b = new ArrayList<>();
        List<Integer> c = new ArrayList<>();
        List<Integer> fileOrder = new ArrayList<>();
        epochRows(new BatchLoader(d, 8, true, 5), 2, a);
        epochRows(new BatchLoader(d, 8, true, 5), 2, b);
        epochRows(new BatchLoader(d, 8, true, 5), 3, c);
        epochRows(new BatchLoader(d, 8, false, 5), 2, fileOrder);
        assertEquals(a, b, "same seed and epoch, same order");
        assertNotEquals(a, c, "another epoch, another order");
        assertNotEquals(a, fileOrder);
        for (int i = 0; i < 50; i++) {
            assertEquals(i % 10, fileOrder.get(i));
        }
    }

    @Test
    void imagesAndTheBackendsByteConversionGiveTheDatasetsFloats() throws IOException {
        Dataset d = data(23);
        int f = d.features();
        try (dev.kiln.core.Backend b = dev.kiln.nn.TestBackends.cpu()) {
            for (boolean shuffle : new boolean[] {false, true}) {
                BatchLoader l = new BatchLoader(d, 5, shuffle, 7);
                l.startEpoch(1);
                int first = 0;
                while (l.next()) {
                    float[] images = l.images();
                    if (!shuffle) {
                        float[] want = new float[f];
                        for (int r = 0; r < l.rows(); r++) {
                            d.copyImage(first + r, want, 0);
                            assertArrayEquals(want, Arrays.copyOfRange(images, r * f, (r + 1) * f),
                                    "row " + r + " of the batch at " + first);
                        }
                    }
                    try (dev.kiln.core.Tensor x = b.empty(dev.kiln.core.DType.F32,
                            dev.kiln.core.Shape.of(l.rows(), f))) {
                        l.copyImagesTo(x);
                        assertArrayEquals(Arrays.copyOf(images, l.rows() * f), x.toFloatArray(),
                                "copyImagesTo gives the floats of images()");
                    }
                    first += l.rows();
                }
                try (dev.kiln.core.Tensor wrong = b.zeros(1, f)) {
                    l.startEpoch(1);
                    l.next();
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> l.copyImagesTo(wrong));
                    assertTrue(e.getMessage().contains("[1, " + f + "]"), e.getMessage());
                }
            }
        }
    }
}
