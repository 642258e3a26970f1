package dev.kiln.nn.checkpoint;

import dev.kiln.core.Tensor;
import dev.kiln.nn.Parameter;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.nn.optim.Optimizer;
import dev.kiln.nn.optim.Optimizers;
import dev.kiln.nn.schedule.LrScheduler;
import dev.kiln.nn.schedule.LrSchedulers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Model and training checkpoints as safetensors files, named like PyTorch's {@code state_dict} of
 * the same {@code nn.Sequential} ({@code 0.weight}, {@code 0.bias}, {@code 2.weight}, ...), so
 * weights move between Kiln and PyTorch with {@code safetensors.torch.save_file/load_file}.
 *
 * <p>A training checkpoint adds the optimizer's state as {@code optim.<param>.<slot>} tensors
 * ({@code optim.0.weight.exp_avg}) and its settings in the metadata: {@code optimizer},
 * {@code optimizer.lr}, {@code optimizer.step}, {@code optimizer.<hyper-parameter>},
 * {@code scheduler} (or {@code none}), {@code scheduler.<setting>}, {@code scheduler.last_epoch},
 * {@code scheduler.lr}, plus what the caller adds (epoch, seed, ...). To load one into PyTorch,
 * drop the keys that start with {@code optim.}.
 */
public final class Checkpoints {
    /** Prefix of optimizer state tensors in a training checkpoint. */
    public static final String OPTIM_PREFIX = "optim.";

    private Checkpoints() {
    }

    /** The model's parameters as host tensors, by state_dict name. */
    public static Map<String, HostTensor> modelTensors(Sequential model) {
        Map<String, HostTensor> m = new LinkedHashMap<>();
        for (Parameter p : model.parameters()) {
            m.put(p.name(), new HostTensor(p.value().shape().dims(), p.value().toFloatArray()));
        }
        return m;
    }

    /** Saves the model's weights with {@code metadata}, atomically. */
    public static void saveModel(Path file, Sequential model, Map<String, String> metadata) throws IOException {
        Safetensors.write(file, modelTensors(model), metadata);
    }

    /** Saves weights, optimizer state and schedule (may be null) with {@code metadata}, atomically. */
    public static void saveTraining(Path file, Sequential model, Optimizer optimizer, LrScheduler scheduler,
                                    Map<String, String> metadata) throws IOException {
        Map<String, HostTensor> tensors = modelTensors(model);
        for (Map.Entry<String, Tensor> e : optimizer.state().entrySet()) {
            tensors.put(OPTIM_PREFIX + e.getKey(), new HostTensor(e.getValue().shape().dims(),
                    e.getValue().toFloatArray()));
        }
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("optimizer", optimizer.name());
        meta.put("optimizer.lr", Double.toString(optimizer.lr()));
        meta.put("optimizer.step", Long.toString(optimizer.stepCount()));
        for (Map.Entry<String, String> e : optimizer.hyperParameters().entrySet()) {
            meta.put("optimizer." + e.getKey(), e.getValue());
        }
        if (scheduler == null) {
            meta.put("scheduler", "none");
        } else {
            meta.put("scheduler", scheduler.name());
            for (Map.Entry<String, String> e : new TreeMap<>(scheduler.config()).entrySet()) {
                meta.put("scheduler." + e.getKey(), e.getValue());
            }
            meta.put("scheduler.base_lr", Double.toString(scheduler.baseLr()));
            meta.put("scheduler.last_epoch", Integer.toString(scheduler.lastEpoch()));
            meta.put("scheduler.lr", Double.toString(scheduler.lr()));
        }
        Safetensors.write(file, tensors, meta);
    }

    /**
     * Copies the file's model tensors into {@code model}: every parameter must be present with
     * its exact shape, and no other tensors may be there except {@code optim.*} ones.
     */
    public static void loadModel(Safetensors.Contents contents, Sequential model, String source)
            throws SafetensorsFormatException {
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (Parameter p : model.parameters()) {
            params.put(p.name(), p);
        }
        for (String name : contents.tensors().keySet()) {
            if (!name.startsWith(OPTIM_PREFIX) && !params.containsKey(name)) {
                throw new SafetensorsFormatException(source + ": unexpected tensor '" + name + "' for the model "
                        + describe(model) + " (expected " + params.keySet() + ")");
            }
        }
        for (Parameter p : params.values()) {
            HostTensor t = contents.tensors().get(p.name());
            if (t == null) {
                throw new SafetensorsFormatException(source + ": missing tensor '" + p.name() + "' for the model "
                        + describe(model));
            }
            if (!Arrays.equals(t.shape(), p.value().shape().dims())) {
                throw new SafetensorsFormatException(source + ": tensor '" + p.name() + "' has shape "
                        + t.shapeString() + " but the model " + describe(model) + " needs " + p.value().shape());
            }
        }
        for (Parameter p : params.values()) {
            p.value().copyFrom(contents.tensors().get(p.name()).data());
        }
    }

    /** Like {@code 784-128-64-10}: the Linear layers' sizes. */
    public static String describe(Sequential model) {
        List<String> sizes = new ArrayList<>();
        for (Parameter p : model.parameters()) {
            if (p.name().endsWith(".weight")) {
                if (sizes.isEmpty()) {
                    sizes.add(Integer.toString(p.value().shape().dim(1)));
                }
                sizes.add(Integer.toString(p.value().shape().dim(0)));
            }
        }
        return String.join("-", sizes);
    }

    /**
     * The layer sizes of the MLP a file holds ({@code [784, 128, 64, 10]}), from the shapes of
     * {@code 0.weight}, {@code 2.weight}, ...: Linear layers at even indices with one activation
     * between them, as {@link Sequential#mlp} builds.
     */
    public static int[] mlpSizes(Safetensors.Contents contents, String source) throws SafetensorsFormatException {
        List<Integer> sizes = new ArrayList<>();
        int layers = 0;
        for (int i = 0; ; i += 2) {
            HostTensor w = contents.tensors().get(i + ".weight");
            if (w == null) {
                break;
            }
            int[] s = w.shape();
            if (s.length != 2) {
                throw new SafetensorsFormatException(source + ": tensor '" + i + ".weight' must be rank 2, got "
                        + w.shapeString());
            }
            if (sizes.isEmpty()) {
                sizes.add(s[1]);
            } else if (sizes.get(sizes.size() - 1) != s[1]) {
                throw new SafetensorsFormatException(source + ": tensor '" + i + ".weight' has shape "
                        + w.shapeString() + " but the layer before outputs " + sizes.get(sizes.size() - 1));
            }
            sizes.add(s[0]);
            layers++;
        }
        if (layers == 0) {
            throw new SafetensorsFormatException(source + ": no '0.weight' tensor: not a Kiln/PyTorch Sequential MLP");
        }
        return sizes.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A metadata value that must be present. */
    public static String require(Safetensors.Contents contents, String key, String source)
            throws SafetensorsFormatException {
        String v = contents.metadata().get(key);
        if (v == null) {
            throw new SafetensorsFormatException(source + ": not a training checkpoint (metadata '" + key
                    + "' is missing)");
        }
        return v;
    }

    /** Rebuilds the optimizer a training checkpoint saved, with its state, over {@code model}'s parameters. */
    public static Optimizer restoreOptimizer(Safetensors.Contents contents, Sequential model, String source)
            throws SafetensorsFormatException {
        String name = require(contents, "optimizer", source);
        Map<String, String> hp = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : contents.metadata().entrySet()) {
            String k = e.getKey();
            if (k.startsWith("optimizer.") && !k.equals("optimizer.lr") && !k.equals("optimizer.step")) {
                hp.put(k.substring("optimizer.".length()), e.getValue());
            }
        }
        Optimizer opt = null;
        try {
            double lr = Double.parseDouble(require(contents, "optimizer.lr", source));
            long step = Long.parseLong(require(contents, "optimizer.step", source));
            opt = Optimizers.fromHyperParameters(name, model.parameters(), lr, hp);
            Map<String, float[]> state = new LinkedHashMap<>();
            for (Map.Entry<String, HostTensor> e : contents.tensors().entrySet()) {
                if (e.getKey().startsWith(OPTIM_PREFIX)) {
                    state.put(e.getKey().substring(OPTIM_PREFIX.length()), e.getValue().data());
                }
            }
            opt.loadState(step, state);
            return opt;
        } catch (IllegalArgumentException e) {
            if (opt != null) {
                opt.close();
            }
            throw new SafetensorsFormatException(source + ": " + e.getMessage(), e);
        }
    }

    /** Rebuilds the schedule a training checkpoint saved (null for {@code none}) and restores its state. */
    public static LrScheduler restoreScheduler(Safetensors.Contents contents, Optimizer optimizer, String source)
            throws SafetensorsFormatException {
        String name = require(contents, "scheduler", source);
        if (name.equals("none")) {
            return null;
        }
        Map<String, String> cfg = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : contents.metadata().entrySet()) {
            String k = e.getKey();
            if (k.startsWith("scheduler.") && !k.equals("scheduler.last_epoch") && !k.equals("scheduler.lr")
                    && !k.equals("scheduler.base_lr")) {
                cfg.put(k.substring("scheduler.".length()), e.getValue());
            }
        }
        try {
            double current = optimizer.lr();
            // The schedule takes its base rate from the optimizer at construction, as PyTorch does.
            optimizer.setLr(Double.parseDouble(require(contents, "scheduler.base_lr", source)));
            LrScheduler s = LrSchedulers.create(name, cfg, optimizer);
            s.restore(Integer.parseInt(require(contents, "scheduler.last_epoch", source)),
                    Double.parseDouble(require(contents, "scheduler.lr", source)));
            if (s.lr() != current) {
                throw new IllegalArgumentException("scheduler.lr " + s.lr() + " differs from optimizer.lr " + current);
            }
            return s;
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(source + ": " + e.getMessage(), e);
        }
    }
}
