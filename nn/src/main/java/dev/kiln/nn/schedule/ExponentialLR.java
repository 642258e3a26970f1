package dev.kiln.nn.schedule;

import dev.kiln.nn.optim.Optimizer;

import java.util.Map;

/** Multiplies the learning rate by {@code gamma} every epoch, as {@code ExponentialLR}. */
public final class ExponentialLR extends LrScheduler {
    private final double gamma;

    public ExponentialLR(Optimizer optimizer, double gamma) {
        super(optimizer);
        LrSchedulers.checkGamma(gamma);
        this.gamma = gamma;
    }

    @Override
    protected double next(int epoch, double previous) {
        return previous * gamma;
    }

    @Override
    public String name() {
        return "exponential";
    }

    @Override
    public Map<String, String> config() {
        return Map.of("gamma", Double.toString(gamma));
    }
}
