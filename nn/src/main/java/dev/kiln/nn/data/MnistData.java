package dev.kiln.nn.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The MNIST train and test splits, from the subset bundled in this jar (8,000 + 2,000 digits; see
 * {@code dev/kiln/nn/data/mnist-10k/README.md}) or from a directory holding the four standard
 * file names, each raw or gzip ({@code .gz}).
 */
public record MnistData(Dataset train, Dataset test) {
    /** The four file names, without {@code .gz}. */
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";
    /** MNIST has ten classes, the digits. */
    public static final int CLASSES = 10;

    private static final String BUNDLE = "/dev/kiln/nn/data/mnist-10k/";

    /** The bundled 10,000-digit subset, read from the class path (works offline). */
    public static MnistData bundled() throws IOException {
        return new MnistData(bundledSplit("mnist-10k train", TRAIN_IMAGES, TRAIN_LABELS),
                bundledSplit("mnist-10k test", TEST_IMAGES, TEST_LABELS));
    }

    private static Dataset bundledSplit(String name, String images, String labels) throws IOException {
        IdxReader.Images im;
        int[] lb;
        try (InputStream in = resource(images + ".gz")) {
            im = IdxReader.readImages(in, "classpath:" + BUNDLE + images + ".gz");
        }
        try (InputStream in = resource(labels + ".gz")) {
            lb = IdxReader.readLabels(in, "classpath:" + BUNDLE + labels + ".gz");
        }
        return new Dataset(name, im, lb, CLASSES, "classpath:" + BUNDLE + labels + ".gz");
    }

    private static InputStream resource(String file) throws IOException {
        InputStream in = MnistData.class.getResourceAsStream(BUNDLE + file);
        if (in == null) {
            throw new IOException("the bundled MNIST subset is missing from the class path: " + BUNDLE + file);
        }
        return in;
    }

    /** The four files from {@code dir}; each may be raw or end in {@code .gz}. */
    public static MnistData load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + ": not a directory");
        }
        return new MnistData(split(dir, "train", TRAIN_IMAGES, TRAIN_LABELS), split(dir, "test", TEST_IMAGES,
                TEST_LABELS));
    }

    private static Dataset split(Path dir, String which, String images, String labels) throws IOException {
        Path im = find(dir, images);
        Path lb = find(dir, labels);
        return new Dataset(dir + " " + which, IdxReader.readImages(im), IdxReader.readLabels(lb), CLASSES,
                lb.toString());
    }

    private static Path find(Path dir, String name) throws IOException {
        Path raw = dir.resolve(name);
        Path gz = dir.resolve(name + ".gz");
        boolean hasRaw = Files.isRegularFile(raw);
        boolean hasGz = Files.isRegularFile(gz);
        if (hasRaw && hasGz) {
            throw new IOException(dir + ": both " + name + " and " + name + ".gz exist; keep one");
        }
        if (!hasRaw && !hasGz) {
            throw new IOException(dir + ": missing " + name + " (or " + name + ".gz)");
        }
        Path p = hasRaw ? raw : gz;
        if (!Files.isReadable(p)) {
            throw new IOException(p + ": not readable");
        }
        return p;
    }
}
