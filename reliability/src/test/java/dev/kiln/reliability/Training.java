package dev.kiln.reliability;

import dev.kiln.core.Backend;
import dev.kiln.nn.Parameter;
import dev.kiln.nn.Rng;
import dev.kiln.nn.data.BatchLoader;
import dev.kiln.nn.data.Dataset;
import dev.kiln.nn.data.IdxFormatException;
import dev.kiln.nn.data.IdxReader;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.nn.loss.CrossEntropyLoss;
import dev.kiln.nn.optim.Optimizer;
import dev.kiln.nn.optim.Optimizers;
import dev.kiln.nn.train.EpochMetrics;
import dev.kiln.nn.train.Trainer;
import dev.kiln.nn.train.TrainingListener;

import java.util.ArrayList;
import java.util.List;

/** Small, fast, learnable training runs for the reliability tests. */
final class Training {
    static final int SIDE = 8;
    static final int CLASSES = 10;

    private Training() {
    }

    /** {@code count} 8x8 images whose bright pixels depend on the label (learnable in a few epochs). */
    static Dataset synthetic(String name, int count, long seed) {
        Rng rng = new Rng(seed);
        byte[] pixels = new byte[count * SIDE * SIDE];
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            int label = rng.nextInt(CLASSES);
            labels[i] = label;
            for (int p = 0; p < SIDE * SIDE; p++) {
                boolean lit = p % CLASSES == label || rng.nextInt(8) == 0;
                pixels[i * SIDE * SIDE + p] = (byte) (lit ? 128 + rng.nextInt(128) : rng.nextInt(40));
            }
        }
        try {
            return new Dataset(name, new IdxReader.Images(count, SIDE, SIDE, pixels), labels, CLASSES, name + " labels");
        } catch (IdxFormatException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What a run produced: every epoch's figures and the final weights, flattened. */
    record Result(List<EpochMetrics> epochs, float[] weights) {
    }

    /** Trains a 64-32-10 MLP with {@code optimizer} for {@code epochs} epochs on {@code backend}. */
    static Result run(Backend backend, String optimizer, long seed, int epochs, Dataset train, Dataset test) {
        try (Sequential model = Sequential.mlp(backend, new int[] {SIDE * SIDE, 32, CLASSES}, "relu", new Rng(seed));
             CrossEntropyLoss loss = new CrossEntropyLoss();
             Optimizer opt = Optimizers.create(optimizer, model.parameters(), optimizer.equals("sgd") ? 0.05 : 0.005,
                     optimizer.equals("sgd") ? 0.9f : 0f, null);
             Trainer trainer = new Trainer(model, loss, opt, null, new BatchLoader(train, 32, true, seed), test)) {
            List<EpochMetrics> out = new ArrayList<>();
            for (int e = 1; e <= epochs; e++) {
                out.add(trainer.trainEpoch(e, TrainingListener.NONE));
            }
            return new Result(out, weights(model));
        }
    }

    static float[] weights(Sequential model) {
        List<float[]> parts = new ArrayList<>();
        int n = 0;
        for (Parameter p : model.parameters()) {
            float[] v = p.value().toFloatArray();
            parts.add(v);
            n += v.length;
        }
        float[] all = new float[n];
        int o = 0;
        for (float[] v : parts) {
            System.arraycopy(v, 0, all, o, v.length);
            o += v.length;
        }
        return all;
    }
}
