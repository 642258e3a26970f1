package dev.kiln.nn.schedule;

import dev.kiln.nn.optim.Optimizer;

import java.util.Arrays;
import java.util.Map;

/** Makes schedules from the name and settings a checkpoint saved. */
public final class LrSchedulers {
    private LrSchedulers() {
    }

    static void checkGamma(double gamma) {
        if (!(gamma > 0) || Double.isInfinite(gamma)) {
            throw new IllegalArgumentException("gamma must be a finite number > 0, got " + gamma);
        }
    }

    /** The schedule {@code name} ({@link LrScheduler#name()}) with {@code config} ({@link LrScheduler#config()}). */
    public static LrScheduler create(String name, Map<String, String> config, Optimizer optimizer) {
        try {
            return switch (name) {
                case "step" -> new StepLR(optimizer, Integer.parseInt(req(config, "step_size")),
                        Double.parseDouble(req(config, "gamma")));
                case "multistep" -> new MultiStepLR(optimizer, Arrays.stream(req(config, "milestones").split(","))
                        .filter(s -> !s.isBlank()).mapToInt(s -> Integer.parseInt(s.trim())).toArray(),
                        Double.parseDouble(req(config, "gamma")));
                case "exponential" -> new ExponentialLR(optimizer, Double.parseDouble(req(config, "gamma")));
                case "cosine" -> new CosineAnnealingLR(optimizer, Integer.parseInt(req(config, "t_max")),
                        Double.parseDouble(req(config, "eta_min")));
                default -> throw new IllegalArgumentException("unknown lr schedule '" + name
                        + "'; known: step, multistep, exponential, cosine");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad setting for lr schedule " + name + ": " + e.getMessage());
        }
    }

    private static String req(Map<String, String> config, String key) {
        String v = config.get(key);
        if (v == null) {
            throw new IllegalArgumentException("lr schedule setting '" + key + "' is missing");
        }
        return v;
    }
}
