package dev.kiln.reliability;

import dev.kiln.core.Backend;
import dev.kiln.nn.Rng;
import dev.kiln.nn.data.BatchLoader;
import dev.kiln.nn.data.Dataset;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.nn.loss.CrossEntropyLoss;
import dev.kiln.nn.optim.Adam;
import dev.kiln.nn.train.EpochMetrics;
import dev.kiln.nn.train.Trainer;
import dev.kiln.nn.train.TrainingListener;
import dev.kiln.testkit.FaultInjectingEngine;

import java.lang.System.Logger.Level;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bounded soak: on each available backend, train (and evaluate) epoch after epoch for a share
 * of about 40 seconds, and show that nothing grows: live tensors stay exactly constant, every
 * device buffer the engine allocates in an epoch is freed in it (device memory, native on GPU
 * backends, is flat), and the Java heap after a full GC stays within a few MB of where it was.
 */
class SoakTest {
    private static final System.Logger LOG = System.getLogger("dev.kiln.reliability.SoakTest");
    /** The whole soak's time budget, shared by the available backends. */
    private static final long BUDGET_NANOS = Long.getLong("kiln.soak.seconds", 40) * 1_000_000_000L;
    private static final int WARMUP_EPOCHS = 2;
    private static final long HEAP_SLACK = 8L << 20;

    @Test
    void liveTensorsDeviceMemoryAndHeapStayFlat() {
        List<String> names = Available.names();
        long share = BUDGET_NANOS / names.size();
        Dataset train = Training.synthetic("soak-train", 1000, 11);
        Dataset test = Training.synthetic("soak-test", 300, 12);
        for (String name : names) {
            soak(name, share, train, test);
        }
    }

    private static void soak(String name, long budget, Dataset train, Dataset test) {
        FaultInjectingEngine[] engine = new FaultInjectingEngine[1];
        try (Backend b = Available.openInstrumented(name, engine);
             Sequential model = Sequential.mlp(b, new int[] {Training.SIDE * Training.SIDE, 64, 32, Training.CLASSES},
                     "relu", new Rng(5));
             CrossEntropyLoss loss = new CrossEntropyLoss();
             Adam opt = new Adam(model.parameters(), 0.002);
             // A batch size that leaves a partial last batch, so two input shapes are in play.
             Trainer trainer = new Trainer(model, loss, opt, null, new BatchLoader(train, 48, true, 5), test)) {
            long start = System.nanoTime();
            int epoch = 0;
            int live = -1;
            long heap = -1;
            int allocsBefore = 0;
            int freesBefore = 0;
            EpochMetrics first = null;
            EpochMetrics last = null;
            while (epoch < WARMUP_EPOCHS + 3 || System.nanoTime() - start < budget) {
                epoch++;
                int allocs = engine[0].calls("allocate");
                int frees = engine[0].calls("free");
                last = trainer.trainEpoch(epoch, TrainingListener.NONE);
                if (first == null) {
                    first = last;
                }
                int allocated = engine[0].calls("allocate") - allocs;
                int freed = engine[0].calls("free") - frees;
                if (epoch == WARMUP_EPOCHS) {
                    live = b.liveTensors().size();
                    heap = heapAfterGc();
                    allocsBefore = engine[0].calls("allocate");
                    freesBefore = engine[0].calls("free");
                } else if (epoch > WARMUP_EPOCHS) {
                    assertEquals(live, b.liveTensors().size(), name + ": live tensors after epoch " + epoch);
                    assertEquals(allocated, freed, name + ": device buffers allocated and freed in epoch " + epoch);
                }
            }
            long heapEnd = heapAfterGc();
            int netDevice = (engine[0].calls("allocate") - allocsBefore) - (engine[0].calls("free") - freesBefore);
            LOG.log(Level.INFO, String.format("soak on %s: %d epochs in %.1f s; live tensors %d; device buffers net %d;"
                    + " heap after GC %d -> %d KB; test accuracy %.3f -> %.3f", name, epoch,
                    (System.nanoTime() - start) / 1e9, live, netDevice, heap >> 10, heapEnd >> 10,
                    first.testAccuracy(), last.testAccuracy()));
            assertEquals(0, netDevice, name + ": device buffers not freed over the soak");
            assertTrue(heapEnd - heap < HEAP_SLACK, name + ": heap after GC grew from " + heap + " to " + heapEnd);
            assertTrue(last.testAccuracy() > 0.9, name + ": the soak really trained (accuracy " + last.testAccuracy() + ")");
            assertTrue(Double.isFinite(last.trainLoss()));
        }
    }

    private static long heapAfterGc() {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        // A few rounds: one GC may leave garbage that finalisation-free code releases on the next.
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, mem.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
