package dev.kiln.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Small IDX data sets for CLI tests: images of 2x3 pixels, labels cycling below {@code labelBound}. */
final class IdxTestFiles {
    private IdxTestFiles() {
    }

    static byte[] images(int count) {
        ByteBuffer b = ByteBuffer.allocate(16 + count * 6);
        b.putInt(2051).putInt(count).putInt(2).putInt(3);
        for (int i = 0; i < count * 6; i++) {
            b.put((byte) (i * 37));
        }
        return b.array();
    }

    static byte[] labels(int... labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(2049).putInt(labels.length);
        for (int l : labels) {
            b.put((byte) l);
        }
        return b.array();
    }

    static void dataSet(Path dir, int train, int test, boolean gz, int labelBound) throws IOException {
        for (String n : new String[] {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte"}) {
            Files.deleteIfExists(dir.resolve(n));
            Files.deleteIfExists(dir.resolve(n + ".gz"));
        }
        int[] tl = new int[train];
        int[] el = new int[test];
        for (int i = 0; i < train; i++) {
            tl[i] = i % labelBound;
        }
        for (int i = 0; i < test; i++) {
            el[i] = (i * 3) % Math.min(labelBound, 10);
        }
        String ext = gz ? ".gz" : "";
        write(dir.resolve("train-images-idx3-ubyte" + ext), images(train), gz);
        write(dir.resolve("train-labels-idx1-ubyte" + ext), labels(tl), gz);
        write(dir.resolve("t10k-images-idx3-ubyte" + ext), images(test), gz);
        write(dir.resolve("t10k-labels-idx1-ubyte" + ext), labels(el), gz);
    }

    private static void write(Path p, byte[] raw, boolean gz) throws IOException {
        if (!gz) {
            Files.write(p, raw);
            return;
        }
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bos)) {
            g.write(raw);
        }
        Files.write(p, bos.toByteArray());
    }
}
