package dev.kiln.nn.train;

import dev.kiln.core.Backend;
import dev.kiln.core.DType;
import dev.kiln.core.Reduction;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import dev.kiln.nn.data.BatchLoader;
import dev.kiln.nn.data.Dataset;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.nn.loss.CrossEntropyLoss;
import dev.kiln.nn.optim.Optimizer;
import dev.kiln.nn.schedule.LrScheduler;

/**
 * The classification training loop: for each batch, zero the gradients, forward, fused
 * softmax-cross-entropy, backward, optimizer step; after each epoch, evaluate on the test set and
 * step the schedule. Loss sums and correct counts accumulate on the device (axpy into a float
 * accumulator, countCorrect into an int counter), so the only syncs are one per epoch (and
 * whatever a listener asks for). Input tensors are reused per batch size. On the CPU backend the
 * same seed gives bit-identical metrics.
 *
 * <p>The trainer owns none of the objects it is given; close it to free its own buffers.
 */
public final class Trainer implements AutoCloseable {
    /** Rows per evaluation batch; evaluation has no gradient, so large batches are cheaper. */
    public static final int EVAL_BATCH = 1000;

    private final Backend backend;
    private final Sequential model;
    private final CrossEntropyLoss loss;
    private final Optimizer optimizer;
    private final LrScheduler scheduler;
    private final BatchLoader train;
    private final Dataset test;
    private final Tensor lossSum;
    private final Tensor correct;
    private final InputBuffers inputs = new InputBuffers();

    /**
     * @param scheduler may be null (constant learning rate)
     * @param test      may be null (no evaluation; test figures are NaN)
     */
    public Trainer(Sequential model, CrossEntropyLoss loss, Optimizer optimizer, LrScheduler scheduler,
                   BatchLoader train, Dataset test) {
        this.backend = model.parameters().get(0).value().backend();
        this.model = model;
        this.loss = loss;
        this.optimizer = optimizer;
        this.scheduler = scheduler;
        this.train = train;
        this.test = test;
        this.lossSum = backend.zeros(1);
        this.correct = backend.zeros(DType.I32, Shape.of(1));
    }

    public Backend backend() {
        return backend;
    }

    /** Trains epoch {@code epoch} (1-based; it fixes the shuffle), evaluates, and steps the schedule. */
    public EpochMetrics trainEpoch(int epoch, TrainingListener listener) {
        double lr = optimizer.lr();
        backend.fill(lossSum, 0f);
        backend.fillInt(correct, 0);
        train.startEpoch(epoch);
        int batches = train.batchesPerEpoch();
        long total = train.data().size();
        long start = System.nanoTime();
        long[] done = {0};
        int[] batch = {0};
        TrainingListener.Progress progress = new TrainingListener.Progress() {
            public int epoch() {
                return epoch;
            }

            public int batch() {
                return batch[0];
            }

            public int batches() {
                return batches;
            }

            public long samplesDone() {
                return done[0];
            }

            public long samplesTotal() {
                return total;
            }

            public double seconds() {
                return (System.nanoTime() - start) / 1e9;
            }

            public double meanLoss() {
                return done[0] == 0 ? Double.NaN : lossSum.item() / (double) done[0];
            }
        };
        while (train.next()) {
            int rows = train.rows();
            // Two input tensors used in turn: the batch written now goes to memory the last step
            // did not read. On the CPU backend with two threads that halves the upload (the other
            // core no longer holds the lines being written), and a device backend could overlap
            // the next upload with this step.
            Tensor x = inputs.images(backend, rows, train.data().features(), batch[0] & 1);
            Tensor y = inputs.labels(backend, rows);
            train.copyImagesTo(x);
            y.copyFrom(train.labels(), 0);
            optimizer.zeroGrad();
            Tensor logits = model.forward(x);
            Tensor l = loss.forward(logits, y);
            // Mean loss times rows is the batch's loss sum (sum reduction adds as is).
            backend.axpy(loss.reduction() == Reduction.MEAN ? rows : 1f, l, lossSum);
            backend.countCorrect(logits, y, correct);
            model.backward(loss.backward(), false);
            optimizer.step();
            done[0] += rows;
            batch[0]++;
            listener.onBatch(progress);
        }
        double trainLoss = lossSum.item() / (double) total;
        double trainAcc = correct.intItem() / (double) total;
        double seconds = (System.nanoTime() - start) / 1e9;
        Evaluation ev = test == null ? null : evaluate(test, false);
        if (scheduler != null) {
            scheduler.step();
        }
        EpochMetrics m = new EpochMetrics(epoch, lr, trainLoss, trainAcc, ev == null ? Double.NaN : ev.loss(),
                ev == null ? Double.NaN : ev.accuracy(), seconds, total / seconds);
        listener.onEpoch(m);
        return m;
    }

    /** Mean cross-entropy (no label smoothing), accuracy and optionally the confusion matrix of the model on {@code data}. */
    public Evaluation evaluate(Dataset data, boolean confusion) {
        return evaluate(model, data, confusion, inputs);
    }

    /** Evaluates any classifier on {@code data} with batches of {@link #EVAL_BATCH}. */
    public static Evaluation evaluate(Sequential model, Dataset data, boolean confusion) {
        try (InputBuffers in = new InputBuffers()) {
            return evaluate(model, data, confusion, in);
        }
    }

    private static Evaluation evaluate(Sequential model, Dataset data, boolean wantConfusion, InputBuffers in) {
        Backend b = model.parameters().get(0).value().backend();
        BatchLoader loader = new BatchLoader(data, EVAL_BATCH, false, 0);
        long[][] confusion = wantConfusion ? new long[data.classes()][data.classes()] : null;
        int[] predictions = wantConfusion ? new int[loader.batchSize()] : null;
        try (Tensor sum = b.zeros(1); Tensor batchLoss = b.zeros(1);
             Tensor correct = b.zeros(DType.I32, Shape.of(1))) {
            loader.startEpoch(0);
            while (loader.next()) {
                int rows = loader.rows();
                Tensor x = in.images(b, rows, data.features(), 0);
                Tensor y = in.labels(b, rows);
                loader.copyImagesTo(x);
                y.copyFrom(loader.labels(), 0);
                Tensor logits = model.forward(x);
                b.softmaxCrossEntropy(logits, y, batchLoss, null, Reduction.SUM, 0f);
                b.axpy(1f, batchLoss, sum);
                b.countCorrect(logits, y, correct);
                if (wantConfusion) {
                    Tensor pred = in.predictions(b, rows);
                    b.argmax(logits, pred);
                    int[] p = pred.toIntArray();
                    System.arraycopy(p, 0, predictions, 0, rows);
                    int[] labels = loader.labels();
                    for (int r = 0; r < rows; r++) {
                        confusion[labels[r]][predictions[r]]++;
                    }
                }
            }
            int n = data.size();
            return new Evaluation(n, sum.item() / (double) n, correct.intItem() / (double) n, confusion);
        }
    }

    @Override
    public void close() {
        lossSum.close();
        correct.close();
        inputs.close();
    }

    /** Device tensors for a batch's images, labels and predictions, kept per batch size. */
    private static final class InputBuffers implements AutoCloseable {
        private final java.util.Map<Long, Tensor> cache = new java.util.HashMap<>();

        /** The images tensor of {@code slot} (0 or 1) for this batch size. */
        Tensor images(Backend b, int rows, int features, int slot) {
            return get(b, slot == 0 ? 0 : 3, rows, DType.F32, Shape.of(rows, features));
        }

        Tensor labels(Backend b, int rows) {
            return get(b, 1, rows, DType.I32, Shape.of(rows));
        }

        Tensor predictions(Backend b, int rows) {
            return get(b, 2, rows, DType.I32, Shape.of(rows));
        }

        private Tensor get(Backend b, int kind, int rows, DType dtype, Shape shape) {
            long key = ((long) kind << 32) | rows;
            Tensor t = cache.get(key);
            if (t == null || t.isClosed() || !t.shape().equals(shape)) {
                if (t != null) {
                    t.close();
                }
                if (cache.size() > 12) {
                    close();
                }
                t = b.empty(dtype, shape, kind == 0 || kind == 3 ? "batch.x" : kind == 1 ? "batch.y" : "batch.pred");
                cache.put(key, t);
            }
            return t;
        }

        @Override
        public void close() {
            cache.values().forEach(Tensor::close);
            cache.clear();
        }
    }
}
