package dev.kiln.cli;

import dev.kiln.core.Backend;
import dev.kiln.nn.Rng;
import dev.kiln.nn.checkpoint.Checkpoints;
import dev.kiln.nn.checkpoint.Safetensors;
import dev.kiln.nn.data.MnistData;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.nn.train.Evaluation;
import dev.kiln.nn.train.Trainer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code kiln evaluate}: loss, accuracy and confusion matrix of a saved model on the test split. */
public final class EvaluateCommand implements Command {
    private static final Set<String> VALUED = Set.of("--model", "--data", "--backend");

    @Override
    public String name() {
        return "evaluate";
    }

    @Override
    public String summary() {
        return "test loss, accuracy and confusion matrix of a saved model";
    }

    @Override
    public String usage() {
        return """
                Usage: kiln evaluate --model FILE [--data DIR] [--backend B]

                Evaluates an MLP saved as safetensors (by kiln train --save, or PyTorch's
                nn.Sequential state_dict: 0.weight, 0.bias, 2.weight, ...) on the test split.

                  --model FILE   the safetensors file (required)
                  --data DIR     IDX files as for kiln train (default: the bundled subset)
                  --backend B    auto (default), cpu, opencl, cuda""";
    }

    @Override
    public int run(List<String> args, Console console) throws Exception {
        Options o = Options.parse(args, VALUED, Set.of());
        Path file = o.path("--model");
        if (file == null) {
            throw new UsageException("--model FILE is required");
        }
        Path dataDir = o.path("--data");
        if (dataDir != null && !java.nio.file.Files.isDirectory(dataDir)) {
            throw new UsageException("--data " + dataDir + ": not a directory");
        }
        CliSupport.checkReadable("--model", file);
        Safetensors.Contents contents = TrainCommand.readModelFile("--model", file);
        int[] sizes;
        try {
            sizes = Checkpoints.mlpSizes(contents, file.toString());
        } catch (IOException e) {
            throw new UsageException("--model: " + CliSupport.message(e));
        }
        String activation = contents.metadata().getOrDefault("activation", "relu");
        MnistData data = CliSupport.loadData(dataDir);
        if (sizes[0] != data.test().features() || sizes[sizes.length - 1] != data.test().classes()) {
            throw new UsageException("--model " + file + ": the model is " + TrainCommand.join(sizes, "-")
                    + " but the data has " + data.test().features() + " inputs and " + data.test().classes()
                    + " classes");
        }
        try (Backend backend = CliSupport.openBackend(o.string("--backend", null))) {
            Sequential model;
            try {
                model = Sequential.mlp(backend, sizes, activation, new Rng(0));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--model " + file + ": " + e.getMessage());
            }
            try {
                try {
                    Checkpoints.loadModel(contents, model, file.toString());
                } catch (IOException e) {
                    throw new UsageException("--model: " + CliSupport.message(e));
                }
                long start = System.nanoTime();
                Evaluation ev = Trainer.evaluate(model, data.test(), true);
                double seconds = (System.nanoTime() - start) / 1e9;
                print(console, file, TrainCommand.join(sizes, "-"), activation, backend, data, ev, seconds);
            } finally {
                model.close();
            }
        }
        return 0;
    }

    private static void print(Console console, Path file, String arch, String activation, Backend backend,
                              MnistData data, Evaluation ev, double seconds) {
        var out = console.out();
        out.println(String.format(Locale.ROOT, "model %s (%s %s) on %s, %s", file, arch, activation, backend.name(),
                data.test()));
        long right = Math.round(ev.accuracy() * ev.samples());
        out.println(String.format(Locale.ROOT, "test loss %.4f  accuracy %.4f (%d/%d)  %.2f s", ev.loss(),
                ev.accuracy(), right, ev.samples(), seconds));
        out.println("confusion matrix (rows: true label, columns: predicted):");
        long[][] c = ev.confusion();
        StringBuilder sb = new StringBuilder("     ");
        for (int j = 0; j < c.length; j++) {
            sb.append(String.format(Locale.ROOT, "%6d", j));
        }
        out.println(sb);
        for (int i = 0; i < c.length; i++) {
            sb = new StringBuilder(String.format(Locale.ROOT, "%4d ", i));
            for (int j = 0; j < c.length; j++) {
                sb.append(String.format(Locale.ROOT, "%6d", c[i][j]));
            }
            out.println(sb);
        }
    }
}
