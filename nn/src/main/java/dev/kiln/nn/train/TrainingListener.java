package dev.kiln.nn.train;

/** Hears about training as it runs, for progress bars and logs. Called on the training thread. */
public interface TrainingListener {
    /** After each batch. Reading {@link Progress#meanLoss()} syncs with the device, so call it sparingly. */
    default void onBatch(Progress progress) {
    }

    /** After each epoch, with its figures. */
    default void onEpoch(EpochMetrics metrics) {
    }

    /** Does nothing. */
    TrainingListener NONE = new TrainingListener() {
    };

    /** Where an epoch stands. */
    interface Progress {
        int epoch();

        int batch();

        int batches();

        long samplesDone();

        long samplesTotal();

        /** Seconds since the epoch started. */
        double seconds();

        /** The mean training loss so far this epoch; waits for the device. */
        double meanLoss();
    }
}
