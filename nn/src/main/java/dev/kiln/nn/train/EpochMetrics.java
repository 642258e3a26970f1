package dev.kiln.nn.train;

/**
 * One epoch's figures: the mean training loss over all samples (each batch's mean loss weighted
 * by its rows), the training accuracy of the predictions made during the epoch, the test loss and
 * accuracy after it, the learning rate used, and the training phase's wall time and throughput.
 */
public record EpochMetrics(int epoch, double lr, double trainLoss, double trainAccuracy, double testLoss,
                           double testAccuracy, double seconds, double samplesPerSecond) {
}
