package dev.kiln.nn.optim;

import dev.kiln.core.Backend;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Parameter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Updates parameters from their gradients with the semantics of {@code torch.optim}, one fused
 * backend op per parameter. The learning rate is a double, as in PyTorch, so that schedules match
 * PyTorch's arithmetic; it is rounded to float32 for each update. The step count is shared by all
 * parameters (they always step together here) and is 1 on the first {@link #step()}.
 *
 * <p>State tensors are allocated up front (so a step allocates nothing) and named
 * {@code <param>.<slot>} after PyTorch's state keys: {@code 0.weight.exp_avg},
 * {@code 0.weight.momentum_buffer}, ... {@link #state()} and {@link #loadState} save and restore
 * them for checkpoints.
 *
 * <p>Failure atomicity: a {@link #step()} whose update of some parameter throws (a device fault,
 * say) may have updated the parameters before it. The optimizer then marks its state invalid:
 * every later {@link #step()} throws an {@link IllegalStateException} saying so, until
 * {@link #loadState} restores a checkpoint (the model's weights must be restored with it).
 */
public abstract class Optimizer implements AutoCloseable {
    private final List<Parameter> params;
    private final List<Map<String, Tensor>> slots = new ArrayList<>();
    private double lr;
    private long step;
    /** Why the state is no longer consistent (a step failed part way), or null. */
    private String invalid;

    protected Optimizer(List<Parameter> params, double lr) {
        if (params == null || params.isEmpty()) {
            throw new IllegalArgumentException("an optimizer needs at least one parameter");
        }
        checkLr(lr);
        this.params = List.copyOf(params);
        this.lr = lr;
        for (int i = 0; i < this.params.size(); i++) {
            slots.add(new LinkedHashMap<>());
        }
    }

    private static void checkLr(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be a finite number >= 0, got " + lr);
        }
    }

    /** Allocates a state slot for every parameter, filled with {@code initial}. Subclass constructors call it. */
    protected final void addSlot(String slot, float initial) {
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            Backend b = p.value().backend();
            Tensor t = b.empty(p.value().dtype(), p.value().shape(), p.name() + "." + slot);
            b.fill(t, initial);
            slots.get(i).put(slot, t);
        }
    }

    /** The state tensor {@code slot} of parameter {@code index}, or null when there is no such slot. */
    protected final Tensor slot(int index, String slot) {
        return slots.get(index).get(slot);
    }

    /** The parameters this optimizer updates. */
    public final List<Parameter> parameters() {
        return params;
    }

    /** The learning rate in force. */
    public final double lr() {
        return lr;
    }

    /** Sets the learning rate (schedules call this). */
    public final void setLr(double lr) {
        checkLr(lr);
        this.lr = lr;
    }

    /** How many steps have been taken. */
    public final long stepCount() {
        return step;
    }

    /** Zeroes every parameter's gradient. */
    public final void zeroGrad() {
        for (Parameter p : params) {
            p.zeroGrad();
        }
    }

    /**
     * One update of every parameter from its gradient. If an update throws, the optimizer state is
     * marked invalid (see the class comment) and the exception is rethrown.
     */
    public final void step() {
        if (invalid != null) {
            throw new IllegalStateException(invalid);
        }
        long next = step + 1;
        float flr = (float) lr;
        for (int i = 0; i < params.size(); i++) {
            try {
                update(i, params.get(i), flr, next);
            } catch (RuntimeException | Error e) {
                // Parameters 0..i-1 (and perhaps part of i) already moved: the model and the state no
                // longer describe one consistent step, so refuse to go on until a checkpoint is restored.
                Parameter p = params.get(i);
                invalid = "optimizer state is invalid after a failed step on " + p.value().backend().name()
                        + " (" + name() + " step " + next + ", parameter '" + p.name() + "', " + i + " of "
                        + params.size() + " updated before it: " + e.getMessage()
                        + "); restore a checkpoint (model weights and loadState)";
                e.addSuppressed(new IllegalStateException(invalid));
                throw e;
            }
        }
        step = next;
    }

    /** Whether a failed {@link #step()} left the state invalid (cleared by {@link #loadState}). */
    public final boolean isInvalid() {
        return invalid != null;
    }

    /** Updates parameter {@code index} in place; {@code step} is 1-based. */
    protected abstract void update(int index, Parameter p, float lr, long step);

    /** The name used by the CLI and in checkpoints: sgd, adam, adamw, rmsprop, adagrad. */
    public abstract String name();

    /**
     * The hyper-parameters other than the learning rate, under PyTorch's names, as strings that
     * {@link Optimizers#create} reads back exactly.
     */
    public abstract Map<String, String> hyperParameters();

    /** The state tensors by name ({@code 0.weight.exp_avg}, ...), in a fixed order. Owned by the optimizer. */
    public final Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            for (Map.Entry<String, Tensor> e : slots.get(i).entrySet()) {
                out.put(params.get(i).name() + "." + e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /**
     * Restores the step count and every state tensor. {@code values} must name exactly the
     * tensors of {@link #state()}, each with the right number of values.
     */
    public final void loadState(long stepCount, Map<String, float[]> values) {
        if (stepCount < 0) {
            throw new IllegalArgumentException("optimizer step count must be >= 0, got " + stepCount);
        }
        Map<String, Tensor> mine = state();
        for (String k : values.keySet()) {
            if (!mine.containsKey(k)) {
                throw new IllegalArgumentException("unexpected optimizer state '" + k + "' for " + name()
                        + "; expected " + mine.keySet());
            }
        }
        for (Map.Entry<String, Tensor> e : mine.entrySet()) {
            float[] v = values.get(e.getKey());
            if (v == null) {
                throw new IllegalArgumentException("missing optimizer state '" + e.getKey() + "' for " + name());
            }
            if (v.length != e.getValue().size()) {
                throw new IllegalArgumentException("optimizer state '" + e.getKey() + "' has " + v.length
                        + " values, expected " + e.getValue().size() + " for shape " + e.getValue().shape());
            }
        }
        for (Map.Entry<String, Tensor> e : mine.entrySet()) {
            e.getValue().copyFrom(values.get(e.getKey()));
        }
        this.step = stepCount;
        this.invalid = null;
    }

    /** Frees the state tensors (not the parameters). */
    @Override
    public void close() {
        for (Map<String, Tensor> m : slots) {
            m.values().forEach(Tensor::close);
            m.clear();
        }
    }

    @Override
    public String toString() {
        return name() + "(lr=" + lr + ", " + hyperParameters() + ")";
    }

    static String f(float v) {
        return Float.toString(v);
    }
}
