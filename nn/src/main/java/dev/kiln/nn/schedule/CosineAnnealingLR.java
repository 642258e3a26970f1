package dev.kiln.nn.schedule;

import dev.kiln.nn.optim.Optimizer;

import java.util.Map;

/**
 * Cosine annealing from the base rate to {@code etaMin} over {@code tMax} epochs, as
 * {@code CosineAnnealingLR}, in PyTorch's recursive form (which also continues past {@code tMax}).
 */
public final class CosineAnnealingLR extends LrScheduler {
    private final int tMax;
    private final double etaMin;

    public CosineAnnealingLR(Optimizer optimizer, int tMax) {
        this(optimizer, tMax, 0.0);
    }

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(optimizer);
        if (tMax < 1) {
            throw new IllegalArgumentException("CosineAnnealingLR T_max must be >= 1, got " + tMax);
        }
        if (!(etaMin >= 0) || Double.isInfinite(etaMin)) {
            throw new IllegalArgumentException("CosineAnnealingLR eta_min must be finite and >= 0, got " + etaMin);
        }
        this.tMax = tMax;
        this.etaMin = etaMin;
    }

    @Override
    protected double next(int epoch, double previous) {
        if ((epoch - 1 - tMax) % (2 * tMax) == 0) {
            return previous + (baseLr() - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
        }
        return (1 + Math.cos(Math.PI * epoch / tMax)) / (1 + Math.cos(Math.PI * (epoch - 1) / tMax))
                * (previous - etaMin) + etaMin;
    }

    @Override
    public String name() {
        return "cosine";
    }

    @Override
    public Map<String, String> config() {
        return Map.of("t_max", Integer.toString(tMax), "eta_min", Double.toString(etaMin));
    }
}
