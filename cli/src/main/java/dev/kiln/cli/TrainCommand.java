package dev.kiln.cli;

import dev.kiln.core.Backend;
import dev.kiln.core.json.Json;
import dev.kiln.nn.Rng;
import dev.kiln.nn.checkpoint.Checkpoints;
import dev.kiln.nn.checkpoint.Safetensors;
import dev.kiln.nn.data.BatchLoader;
import dev.kiln.nn.data.MnistData;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.nn.loss.CrossEntropyLoss;
import dev.kiln.nn.optim.Optimizer;
import dev.kiln.nn.optim.Optimizers;
import dev.kiln.nn.schedule.LrScheduler;
import dev.kiln.nn.schedule.StepLR;
import dev.kiln.nn.train.EpochMetrics;
import dev.kiln.nn.train.Trainer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** {@code kiln train}: trains an MLP classifier on MNIST (the bundled subset by default). */
public final class TrainCommand implements Command {
    static final int[] DEFAULT_HIDDEN = {128, 64};
    static final long DEFAULT_SEED = 42;

    private static final Set<String> VALUED = Set.of("--backend", "--data", "--epochs", "--batch-size",
            "--optimizer", "--lr", "--momentum", "--weight-decay", "--step-size", "--gamma", "--hidden", "--seed",
            "--activation", "--init", "--save", "--resume", "--metrics-json");
    private static final Set<String> SWITCHES = Set.of("--no-shuffle");
    /** What a training checkpoint fixes, so these cannot be combined with --resume. */
    private static final List<String> FIXED_BY_RESUME = List.of("--optimizer", "--lr", "--momentum",
            "--weight-decay", "--step-size", "--gamma", "--hidden", "--seed", "--batch-size", "--no-shuffle",
            "--activation", "--init");
    private static final List<String> ACTIVATIONS = List.of("relu", "leaky_relu", "sigmoid", "tanh", "gelu");

    @Override
    public String name() {
        return "train";
    }

    @Override
    public String summary() {
        return "train an MLP on MNIST (the bundled 10k subset by default)";
    }

    @Override
    public String usage() {
        return """
                Usage: kiln train [options]

                Trains a 784-128-64-10 ReLU network on the bundled MNIST subset (8,000 training and
                2,000 test digits) and prints per-epoch loss, accuracy and throughput.

                  --backend B          auto (default), cpu, opencl, cuda, or a device like opencl:1
                  --data DIR           IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte,
                                       t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (raw or .gz)
                  --epochs N           total epochs (default 5)
                  --batch-size N|all   mini-batch size; 1 is SGD, all is full-batch (default 64)
                  --optimizer NAME     sgd | adam | adamw | rmsprop | adagrad (default adam)
                  --lr X               learning rate (default 0.001)
                  --momentum X         momentum for sgd and rmsprop (default 0)
                  --weight-decay X     weight decay (default 0; 0.01 for adamw)
                  --step-size N        StepLR: multiply the rate by --gamma every N epochs
                  --gamma X            StepLR factor (default 0.1)
                  --hidden 128,64      hidden layer sizes (default 128,64)
                  --activation NAME    relu | leaky_relu | sigmoid | tanh | gelu (default relu)
                  --seed N             seed for initialisation and shuffling (default 42)
                  --no-shuffle         keep the file order every epoch
                  --init FILE          start from the weights in a safetensors file
                  --save FILE          write a training checkpoint (safetensors) after every epoch
                  --resume FILE        continue from a checkpoint written by --save
                  --metrics-json FILE  write per-epoch figures, backend and device as JSON""";
    }

    /** Everything the options decide, validated before any work. */
    private record Plan(String backend, Path data, int epochs, int batchSize, String optimizer, double lr,
                        float momentum, Float weightDecay, Integer stepSize, double gamma, int[] hidden,
                        String activation, long seed, boolean shuffle, Path init, Path save, Path resume,
                        Path metricsJson) {
    }

    @Override
    public int run(List<String> args, Console console) throws Exception {
        Options o = Options.parse(args, VALUED, SWITCHES);
        Plan plan = plan(o);
        CliSupport.checkReadable("--init", plan.init());
        CliSupport.checkReadable("--resume", plan.resume());
        CliSupport.checkWritable("--save", plan.save());
        CliSupport.checkWritable("--metrics-json", plan.metricsJson());
        Safetensors.Contents init = readModelFile("--init", plan.init());
        Safetensors.Contents resume = readModelFile("--resume", plan.resume());
        MnistData data = CliSupport.loadData(plan.data());
        try (Backend backend = CliSupport.openBackend(plan.backend())) {
            return train(plan, init, resume, data, backend, console);
        }
    }

    private static Plan plan(Options o) {
        if (o.has("--resume")) {
            for (String f : FIXED_BY_RESUME) {
                if (o.has(f)) {
                    throw new UsageException(f + " cannot be combined with --resume: the checkpoint fixes it");
                }
            }
        }
        String batch = o.string("--batch-size", "64");
        int batchSize = batch.trim().equalsIgnoreCase("all") ? Integer.MAX_VALUE : o.positiveInt("--batch-size", 64);
        String optimizer = o.choice("--optimizer", "adam", Optimizers.NAMES);
        float momentum = (float) o.fraction("--momentum", 0);
        if (momentum != 0 && !optimizer.equals("sgd") && !optimizer.equals("rmsprop")) {
            throw new UsageException("--momentum applies to sgd and rmsprop, not " + optimizer);
        }
        Float wd = o.has("--weight-decay") ? (float) o.number("--weight-decay", 0, false) : null;
        Integer stepSize = o.has("--step-size") ? o.positiveInt("--step-size", 1) : null;
        if (o.has("--gamma") && stepSize == null) {
            throw new UsageException("--gamma needs --step-size (it is the StepLR factor)");
        }
        double gamma = o.number("--gamma", 0.1, true);
        Path data = o.path("--data");
        if (data != null && !java.nio.file.Files.isDirectory(data)) {
            throw new UsageException("--data " + data + ": not a directory");
        }
        if (o.has("--init") && o.has("--resume")) {
            throw new UsageException("--init and --resume exclude each other");
        }
        return new Plan(o.string("--backend", null), data, o.positiveInt("--epochs", 5), batchSize, optimizer,
                o.number("--lr", 1e-3, true), momentum, wd, stepSize, gamma, o.sizes("--hidden", DEFAULT_HIDDEN),
                o.choice("--activation", "relu", ACTIVATIONS), o.longValue("--seed", DEFAULT_SEED),
                !o.has("--no-shuffle"), o.path("--init"), o.path("--save"), o.path("--resume"),
                o.path("--metrics-json"));
    }

    static Safetensors.Contents readModelFile(String flag, Path file) {
        if (file == null) {
            return null;
        }
        try {
            return Safetensors.read(file);
        } catch (IOException e) {
            throw new UsageException(flag + ": " + CliSupport.message(e));
        }
    }

    private int train(Plan plan, Safetensors.Contents init, Safetensors.Contents resume, MnistData data,
                      Backend backend, Console console) throws IOException {
        int features = data.train().features();
        int classes = data.train().classes();
        if (data.test().features() != features) {
            throw new UsageException("--data: train images have " + features + " pixels but test images "
                    + data.test().features());
        }
        int firstEpoch = 1;
        long seed = plan.seed();
        int batchSize = plan.batchSize();
        boolean shuffle = plan.shuffle();
        String activation = plan.activation();
        int[] sizes;
        String src = plan.resume() == null ? null : plan.resume().toString();
        if (resume != null) {
            try {
                sizes = Checkpoints.mlpSizes(resume, src);
                seed = Long.parseLong(Checkpoints.require(resume, "seed", src));
                batchSize = Integer.parseInt(Checkpoints.require(resume, "batch_size", src));
                shuffle = Boolean.parseBoolean(Checkpoints.require(resume, "shuffle", src));
                activation = Checkpoints.require(resume, "activation", src);
                firstEpoch = Integer.parseInt(Checkpoints.require(resume, "epoch", src)) + 1;
            } catch (IOException | NumberFormatException e) {
                throw new UsageException("--resume: " + CliSupport.message(e));
            }
            if (batchSize < 1 || firstEpoch < 2 || !ACTIVATIONS.contains(activation)) {
                throw new UsageException("--resume " + src + ": bad training metadata (batch_size " + batchSize
                        + ", epoch " + (firstEpoch - 1) + ", activation " + activation + ")");
            }
            if (firstEpoch > plan.epochs()) {
                throw new UsageException("--resume " + src + ": the checkpoint has finished epoch " + (firstEpoch - 1)
                        + "; ask for more with --epochs (now " + plan.epochs() + ")");
            }
        } else {
            sizes = new int[plan.hidden().length + 2];
            sizes[0] = features;
            System.arraycopy(plan.hidden(), 0, sizes, 1, plan.hidden().length);
            sizes[sizes.length - 1] = classes;
        }
        if (sizes[0] != features || sizes[sizes.length - 1] != classes) {
            throw new UsageException("--resume " + src + ": the model is " + join(sizes, "-") + " but the data has "
                    + features + " inputs and " + classes + " classes");
        }
        String arch = join(sizes, "-");

        Sequential model = null;
        Optimizer optimizer = null;
        CrossEntropyLoss loss = null;
        Trainer trainer = null;
        try {
            model = Sequential.mlp(backend, sizes, activation, new Rng(seed));
            LrScheduler scheduler;
            if (resume != null) {
                try {
                    Checkpoints.loadModel(resume, model, src);
                    optimizer = Checkpoints.restoreOptimizer(resume, model, src);
                    scheduler = Checkpoints.restoreScheduler(resume, optimizer, src);
                } catch (IOException e) {
                    throw new UsageException("--resume: " + CliSupport.message(e));
                }
            } else {
                if (init != null) {
                    try {
                        Checkpoints.loadModel(init, model, plan.init().toString());
                    } catch (IOException e) {
                        throw new UsageException("--init: " + CliSupport.message(e) + " (check --hidden)");
                    }
                }
                try {
                    optimizer = Optimizers.create(plan.optimizer(), model.parameters(), plan.lr(), plan.momentum(),
                            plan.weightDecay());
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
                scheduler = plan.stepSize() == null ? null : new StepLR(optimizer, plan.stepSize(), plan.gamma());
            }
            loss = new CrossEntropyLoss();
            BatchLoader loader = new BatchLoader(data.train(), batchSize, shuffle, seed);
            trainer = new Trainer(model, loss, optimizer, scheduler, loader, data.test());

            console.err().println(String.format(Locale.ROOT,
                    "kiln train: %s %s, %s lr %s, batch %d, epochs %d..%d, seed %d, on %s (%s); data %s / %s",
                    arch, activation, optimizer.name(), fmt(optimizer.lr()), loader.batchSize(), firstEpoch,
                    plan.epochs(), seed, backend.name(), backend.device().name(), data.train(), data.test()));
            ProgressReporter progress = new ProgressReporter(console.err(), console.interactive(), plan.epochs());
            List<EpochMetrics> history = new ArrayList<>();
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "kiln-mlp");
            meta.put("sizes", join(sizes, ","));
            meta.put("activation", activation);
            meta.put("seed", Long.toString(seed));
            meta.put("batch_size", Integer.toString(loader.batchSize()));
            meta.put("shuffle", Boolean.toString(shuffle));
            for (int epoch = firstEpoch; epoch <= plan.epochs(); epoch++) {
                EpochMetrics m = trainer.trainEpoch(epoch, progress);
                progress.clear();
                history.add(m);
                console.out().println(summaryLine(m, plan.epochs()));
                if (plan.save() != null) {
                    meta.put("epoch", Integer.toString(epoch));
                    Checkpoints.saveTraining(plan.save(), model, optimizer, scheduler, meta);
                }
                if (plan.metricsJson() != null) {
                    CliSupport.writeAtomically(plan.metricsJson(), metricsJson(plan, backend, arch, activation,
                            optimizer, loader.batchSize(), seed, history));
                }
            }
            if (plan.save() != null) {
                console.err().println("saved " + plan.save());
            }
            return 0;
        } finally {
            if (trainer != null) {
                trainer.close();
            }
            if (loss != null) {
                loss.close();
            }
            if (optimizer != null) {
                optimizer.close();
            }
            if (model != null) {
                model.close();
            }
        }
    }

    static String summaryLine(EpochMetrics m, int epochs) {
        return String.format(Locale.ROOT,
                "epoch %d/%d  lr %s  train loss %.4f  acc %.4f  test loss %.4f  acc %.4f  %.2f s  %.0f samples/s",
                m.epoch(), epochs, fmt(m.lr()), m.trainLoss(), m.trainAccuracy(), m.testLoss(), m.testAccuracy(),
                m.seconds(), m.samplesPerSecond());
    }

    private static String metricsJson(Plan plan, Backend backend, String arch, String activation, Optimizer opt,
                                      int batchSize, long seed, List<EpochMetrics> history) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("backend", backend.name());
        root.put("device", backend.device().name());
        root.put("model", arch);
        root.put("activation", activation);
        root.put("optimizer", opt.name());
        root.put("batch_size", batchSize);
        root.put("seed", seed);
        List<Object> epochs = new ArrayList<>();
        for (EpochMetrics m : history) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("epoch", m.epoch());
            e.put("lr", m.lr());
            e.put("train_loss", m.trainLoss());
            e.put("train_accuracy", m.trainAccuracy());
            e.put("test_loss", m.testLoss());
            e.put("test_accuracy", m.testAccuracy());
            e.put("seconds", m.seconds());
            e.put("samples_per_second", m.samplesPerSecond());
            epochs.add(e);
        }
        root.put("epochs", epochs);
        return Json.pretty(root) + "\n";
    }

    private static String fmt(double lr) {
        return String.format(Locale.ROOT, "%.6g", lr).replaceAll("(\\.\\d*?)0+(e|$)", "$1$2").replace(".e", "e")
                .replaceAll("\\.$", "");
    }

    static String join(int[] a, String sep) {
        return Arrays.stream(a).mapToObj(Integer::toString).collect(Collectors.joining(sep));
    }
}
