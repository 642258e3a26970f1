package dev.kiln.nn.train;

/**
 * A model's mean cross-entropy loss and accuracy on a data set, and its confusion matrix
 * ({@code confusion[label][prediction]} counts; null when not asked for).
 */
public record Evaluation(int samples, double loss, double accuracy, long[][] confusion) {
}
