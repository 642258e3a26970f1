package dev.kiln.nn.schedule;

import dev.kiln.nn.optim.Optimizer;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/** Multiplies the learning rate by {@code gamma} at each milestone epoch, as {@code MultiStepLR}. */
public final class MultiStepLR extends LrScheduler {
    private final int[] milestones;
    private final double gamma;

    public MultiStepLR(Optimizer optimizer, int[] milestones, double gamma) {
        super(optimizer);
        LrSchedulers.checkGamma(gamma);
        for (int m : milestones) {
            if (m < 1) {
                throw new IllegalArgumentException("MultiStepLR milestones must be >= 1, got " + m);
            }
        }
        this.milestones = milestones.clone();
        Arrays.sort(this.milestones);
        this.gamma = gamma;
    }

    @Override
    protected double next(int epoch, double previous) {
        // A milestone listed twice multiplies by gamma twice, as PyTorch's Counter does.
        int count = 0;
        for (int m : milestones) {
            if (m == epoch) {
                count++;
            }
        }
        return count == 0 ? previous : previous * Math.pow(gamma, count);
    }

    @Override
    public String name() {
        return "multistep";
    }

    @Override
    public Map<String, String> config() {
        return Map.of("milestones", Arrays.stream(milestones).mapToObj(Integer::toString)
                .collect(Collectors.joining(",")), "gamma", Double.toString(gamma));
    }
}
