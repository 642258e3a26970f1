package dev.kiln.nn.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files for tests. */
final class IdxFiles {
    private IdxFiles() {
    }

    static byte[] images(int count, int rows, int cols) {
        ByteBuffer b = ByteBuffer.allocate(16 + count * rows * cols);
        b.putInt(IdxReader.IMAGES_MAGIC).putInt(count).putInt(rows).putInt(cols);
        for (int i = 0; i < count * rows * cols; i++) {
            b.put((byte) (i * 7));
        }
        return b.array();
    }

    static byte[] labels(int... labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(IdxReader.LABELS_MAGIC).putInt(labels.length);
        for (int l : labels) {
            b.put((byte) l);
        }
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(raw);
        }
        return bos.toByteArray();
    }

    static Path write(Path dir, String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    /** A complete 4-file data set: {@code train} and {@code test} images of 2x3 pixels, labels i % 10. */
    static void dataSet(Path dir, int train, int test, boolean gz) throws IOException {
        int[] trainLabels = new int[train];
        int[] testLabels = new int[test];
        for (int i = 0; i < train; i++) {
            trainLabels[i] = i % 10;
        }
        for (int i = 0; i < test; i++) {
            testLabels[i] = (i * 3) % 10;
        }
        String ext = gz ? ".gz" : "";
        write(dir, MnistData.TRAIN_IMAGES + ext, maybe(images(train, 2, 3), gz));
        write(dir, MnistData.TRAIN_LABELS + ext, maybe(labels(trainLabels), gz));
        write(dir, MnistData.TEST_IMAGES + ext, maybe(images(test, 2, 3), gz));
        write(dir, MnistData.TEST_LABELS + ext, maybe(labels(testLabels), gz));
    }

    private static byte[] maybe(byte[] raw, boolean gz) throws IOException {
        return gz ? gzip(raw) : raw;
    }
}
