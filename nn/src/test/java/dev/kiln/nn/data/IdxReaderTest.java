package dev.kiln.nn.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxReaderTest {
    @TempDir
    Path dir;

    @Test
    void readsRawAndGzipIdentically() throws IOException {
        byte[] raw = IdxFiles.images(3, 2, 4);
        Path a = IdxFiles.write(dir, "a", raw);
        Path b = IdxFiles.write(dir, "b.gz", IdxFiles.gzip(raw));
        IdxReader.Images ia = IdxReader.readImages(a);
        IdxReader.Images ib = IdxReader.readImages(b);
        assertEquals(3, ia.count());
        assertEquals(2, ia.rows());
        assertEquals(4, ia.cols());
        assertArrayEquals(Arrays.copyOfRange(raw, 16, raw.length), ia.pixels());
        assertArrayEquals(ia.pixels(), ib.pixels());

        Path l = IdxFiles.write(dir, "l", IdxFiles.labels(0, 9, 255));
        Path lg = IdxFiles.write(dir, "lg", IdxFiles.gzip(IdxFiles.labels(0, 9, 255)));
        assertArrayEquals(new int[] {0, 9, 255}, IdxReader.readLabels(l));
        // gzip is detected by its magic bytes, not by the name.
        assertArrayEquals(new int[] {0, 9, 255}, IdxReader.readLabels(lg));
    }

    @Test
    void bundledSubsetLoads() throws IOException {
        MnistData d = MnistData.bundled();
        assertEquals(8000, d.train().size());
        assertEquals(2000, d.test().size());
        assertEquals(784, d.train().features());
        int[] counts = new int[10];
        for (int i = 0; i < d.train().size(); i++) {
            counts[d.train().label(i)]++;
        }
        for (int c : counts) {
            assertTrue(c >= 684 && c <= 908, "class counts as the README says: " + Arrays.toString(counts));
        }
    }

    @Test
    void wrongMagicIsNamed() throws IOException {
        Path p = IdxFiles.write(dir, "imgs", IdxFiles.labels(1, 2));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("magic")
                && e.getMessage().contains("labels file"), e.getMessage());
        Path q = IdxFiles.write(dir, "lbls", IdxFiles.images(1, 1, 1));
        e = assertThrows(IdxFormatException.class, () -> IdxReader.readLabels(q));
        assertTrue(e.getMessage().contains("2049"), e.getMessage());
    }

    @Test
    void truncatedRawFileFailsBeforeAllocating() throws IOException {
        byte[] raw = IdxFiles.images(5, 28, 28);
        Path p = IdxFiles.write(dir, "t", Arrays.copyOf(raw, raw.length - 10));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(p));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains(p.toString()), e.getMessage());
        Path h = IdxFiles.write(dir, "h", Arrays.copyOf(raw, 10));
        e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(h));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void hugeDeclaredCountInSmallFileIsRejected() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + 100);
        b.putInt(IdxReader.IMAGES_MAGIC).putInt(2_000_000).putInt(28).putInt(28);
        Path raw = IdxFiles.write(dir, "big", b.array());
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(raw));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        // The same lie inside gzip: read in chunks, it fails at the real end of the data.
        Path gz = IdxFiles.write(dir, "big.gz", IdxFiles.gzip(b.array()));
        e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(gz));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        // Beyond what any array can hold.
        ByteBuffer c = ByteBuffer.allocate(16);
        c.putInt(IdxReader.IMAGES_MAGIC).putInt(Integer.MAX_VALUE).putInt(28).putInt(28);
        Path huge = IdxFiles.write(dir, "huge", c.array());
        e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(huge));
        assertTrue(e.getMessage().contains("more than one Java array"), e.getMessage());
        // Dimensions whose product overflows a long (found by IdxFuzzTest): it wrapped negative and
        // reached readNBytes as a negative length, raw or gzip.
        ByteBuffer d = ByteBuffer.allocate(16 + 120);
        d.putInt(IdxReader.IMAGES_MAGIC).putInt(872_415_238).putInt(Integer.MAX_VALUE).putInt(5);
        for (Path f : new Path[] {IdxFiles.write(dir, "wrap", d.array()),
                IdxFiles.write(dir, "wrap.gz", IdxFiles.gzip(d.array()))}) {
            e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(f));
            assertTrue(e.getMessage().contains("over 2^63 bytes, more than one Java array"), e.getMessage());
        }
    }

    @Test
    void badDimensionsAndTrailingBytes() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.putInt(IdxReader.IMAGES_MAGIC).putInt(1).putInt(0).putInt(28);
        Path p = IdxFiles.write(dir, "dims", b.array());
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(p));
        assertTrue(e.getMessage().contains("bad dimensions"), e.getMessage());

        byte[] raw = IdxFiles.labels(1, 2, 3);
        byte[] longer = Arrays.copyOf(raw, raw.length + 3);
        Path t = IdxFiles.write(dir, "trail", longer);
        e = assertThrows(IdxFormatException.class, () -> IdxReader.readLabels(t));
        assertTrue(e.getMessage().contains("unexpected bytes"), e.getMessage());
        Path tg = IdxFiles.write(dir, "trail.gz", IdxFiles.gzip(longer));
        e = assertThrows(IdxFormatException.class, () -> IdxReader.readLabels(tg));
        assertTrue(e.getMessage().contains("unexpected bytes"), e.getMessage());
    }

    @Test
    void truncatedAndCorruptGzip() throws IOException {
        byte[] gz = IdxFiles.gzip(IdxFiles.images(20, 28, 28));
        Path cut = IdxFiles.write(dir, "cut.gz", Arrays.copyOf(gz, gz.length / 2));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(cut));
        assertTrue(e.getMessage().contains(cut.toString()), e.getMessage());

        byte[] bad = gz.clone();
        for (int i = 20; i < bad.length - 8; i += 3) {
            bad[i] ^= 0x5a;
        }
        Path corrupt = IdxFiles.write(dir, "corrupt.gz", bad);
        e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(corrupt));
        assertTrue(e.getMessage().contains(corrupt.toString()), e.getMessage());

        // Starts with the gzip magic but is not gzip at all.
        Path fake = IdxFiles.write(dir, "fake.gz", new byte[] {0x1f, (byte) 0x8b, 1, 2, 3});
        e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(fake));
        assertTrue(e.getMessage().contains("gzip"), e.getMessage());
    }

    @Test
    void dataSetChecksLabelsAndCounts() throws IOException {
        IdxFiles.dataSet(dir, 12, 5, false);
        MnistData d = MnistData.load(dir);
        assertEquals(12, d.train().size());
        assertEquals(6, d.train().features());

        IdxFiles.write(dir, MnistData.TEST_LABELS, IdxFiles.labels(1, 2, 10, 3, 4));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> MnistData.load(dir));
        assertTrue(e.getMessage().contains("label 10 at index 2") && e.getMessage().contains(MnistData.TEST_LABELS),
                e.getMessage());

        IdxFiles.write(dir, MnistData.TEST_LABELS, IdxFiles.labels(1, 2, 3));
        e = assertThrows(IdxFormatException.class, () -> MnistData.load(dir));
        assertTrue(e.getMessage().contains("5 images but 3 labels"), e.getMessage());
    }

    @Test
    void gzipDataSetAndMissingFiles() throws IOException {
        IdxFiles.dataSet(dir, 7, 3, true);
        assertEquals(7, MnistData.load(dir).train().size());
        Files.delete(dir.resolve(MnistData.TRAIN_IMAGES + ".gz"));
        IOException e = assertThrows(IOException.class, () -> MnistData.load(dir));
        assertTrue(e.getMessage().contains("missing " + MnistData.TRAIN_IMAGES), e.getMessage());
    }
}
