package dev.kiln.nn.schedule;

import dev.kiln.nn.optim.Optimizer;

import java.util.Map;

/** Multiplies the learning rate by {@code gamma} every {@code stepSize} epochs, as {@code StepLR}. */
public final class StepLR extends LrScheduler {
    private final int stepSize;
    private final double gamma;

    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        if (stepSize < 1) {
            throw new IllegalArgumentException("StepLR step size must be >= 1, got " + stepSize);
        }
        LrSchedulers.checkGamma(gamma);
        this.stepSize = stepSize;
        this.gamma = gamma;
    }

    @Override
    protected double next(int epoch, double previous) {
        return epoch % stepSize != 0 ? previous : previous * gamma;
    }

    @Override
    public String name() {
        return "step";
    }

    @Override
    public Map<String, String> config() {
        return Map.of("step_size", Integer.toString(stepSize), "gamma", Double.toString(gamma));
    }
}
