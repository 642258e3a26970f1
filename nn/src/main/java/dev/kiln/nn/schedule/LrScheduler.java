package dev.kiln.nn.schedule;

import dev.kiln.nn.optim.Optimizer;

import java.util.Map;

/**
 * A learning-rate schedule stepped once per epoch, as {@code torch.optim.lr_scheduler}: made
 * when training starts (epoch 0, the optimizer's learning rate is the base), then {@link #step()}
 * after each epoch sets the optimizer's learning rate for the next. The arithmetic is PyTorch
 * 1.13's recursive (chainable) form in double precision, so the rates match PyTorch's to the bit.
 */
public abstract class LrScheduler {
    private final Optimizer optimizer;
    private final double baseLr;
    private int lastEpoch;
    private double lr;

    protected LrScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
        this.baseLr = optimizer.lr();
        this.lr = baseLr;
    }

    /** The learning rate at construction. */
    public final double baseLr() {
        return baseLr;
    }

    /** How many times {@link #step()} has run (PyTorch's {@code last_epoch}). */
    public final int lastEpoch() {
        return lastEpoch;
    }

    /** The learning rate in force (PyTorch's {@code get_last_lr()[0]}). */
    public final double lr() {
        return lr;
    }

    /** Advances one epoch and sets the optimizer's learning rate. */
    public final void step() {
        lastEpoch++;
        lr = next(lastEpoch, lr);
        optimizer.setLr(lr);
    }

    /** Restores the state saved from {@link #lastEpoch()} and {@link #lr()}, and sets the optimizer's rate. */
    public final void restore(int lastEpoch, double lr) {
        if (lastEpoch < 0 || !(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("bad schedule state: last_epoch " + lastEpoch + ", lr " + lr);
        }
        this.lastEpoch = lastEpoch;
        this.lr = lr;
        optimizer.setLr(lr);
    }

    /** The learning rate for {@code epoch} given the previous one (PyTorch's {@code get_lr}). */
    protected abstract double next(int epoch, double previous);

    /** The name in checkpoints: step, multistep, exponential, cosine. */
    public abstract String name();

    /** The settings, as strings {@link LrSchedulers#create} reads back. */
    public abstract Map<String, String> config();

    @Override
    public String toString() {
        return name() + config();
    }
}
