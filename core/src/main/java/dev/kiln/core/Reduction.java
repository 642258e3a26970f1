package dev.kiln.core;

/**
 * How a loss reduces its per-element terms: MEAN divides by the element count (for
 * cross-entropy: by the number of rows), SUM adds, BATCHMEAN divides the sum by the number of
 * rows (PyTorch's {@code kl_div(reduction="batchmean")}).
 */
public enum Reduction {
    MEAN, SUM, BATCHMEAN
}
