package dev.kiln.bench;

import dev.kiln.nn.data.Dataset;
import dev.kiln.nn.data.MnistData;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes an MNIST-sized IDX set (60,000 training and 10,000 test digits) by repeating the bundled
 * 8,000/2,000 digits, so that {@code kiln train --data DIR} can be timed on full-size epochs
 * offline. Throughput does not depend on which digits they are.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.kiln.bench.MakeMnistSized DIR [train] [test]}
 */
public final class MakeMnistSized {
    private MakeMnistSized() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: MakeMnistSized DIR [trainCount=60000] [testCount=10000]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int train = args.length > 1 ? Integer.parseInt(args[1]) : 60000;
        int test = args.length > 2 ? Integer.parseInt(args[2]) : 10000;
        Files.createDirectories(dir);
        MnistData m = MnistData.bundled();
        write(m.train(), train, dir.resolve(MnistData.TRAIN_IMAGES), dir.resolve(MnistData.TRAIN_LABELS));
        write(m.test(), test, dir.resolve(MnistData.TEST_IMAGES), dir.resolve(MnistData.TEST_LABELS));
        System.out.println("wrote " + train + " training and " + test + " test digits to " + dir);
    }

    static void write(Dataset d, int count, Path images, Path labels) throws IOException {
        int rows = d.imageRows();
        int cols = d.imageCols();
        float[] px = new float[rows * cols];
        try (DataOutputStream img = out(images); DataOutputStream lab = out(labels)) {
            img.writeInt(2051);
            img.writeInt(count);
            img.writeInt(rows);
            img.writeInt(cols);
            lab.writeInt(2049);
            lab.writeInt(count);
            for (int i = 0; i < count; i++) {
                int src = i % d.size();
                d.copyImage(src, px, 0);
                for (float v : px) {
                    img.writeByte(Math.round(v * 255f));
                }
                lab.writeByte(d.label(src));
            }
        }
    }

    private static DataOutputStream out(Path p) throws IOException {
        OutputStream os = Files.newOutputStream(p);
        return new DataOutputStream(new BufferedOutputStream(os, 1 << 16));
    }
}
