package dev.kiln.cpu;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pool runs every task exactly once, the caller's tasks are a prefix of the range and the
 * helpers' a suffix (what keeps each core on the same part of an array from op to op), and a
 * task's exception reaches the caller.
 */
class WorkerPoolTest {
    @RepeatedTest(20)
    void everyTaskOnceCallerFromTheFrontHelpersFromTheBack() {
        WorkerPool pool = WorkerPool.shared(2);
        int tasks = 64;
        AtomicIntegerArray runs = new AtomicIntegerArray(tasks);
        boolean[] byCaller = new boolean[tasks];
        Thread caller = Thread.currentThread();
        pool.run(tasks, t -> {
            runs.incrementAndGet(t);
            byCaller[t] = Thread.currentThread() == caller;
            long until = System.nanoTime() + 20_000;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
        });
        for (int t = 0; t < tasks; t++) {
            assertEquals(1, runs.get(t), "task " + t);
        }
        // A caller descheduled right after publishing may find every task taken (then the prefix is
        // empty); otherwise it ran task 0 and the tasks after it up to where the helper met it.
        int boundary = 0;
        while (boundary < tasks && byCaller[boundary]) {
            boundary++;
        }
        for (int t = boundary; t < tasks; t++) {
            assertTrue(!byCaller[t], "caller tasks form a prefix; task " + t + " after helper task " + boundary);
        }
    }

    @Test
    void aTaskFailureReachesTheCaller() {
        WorkerPool pool = WorkerPool.shared(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run(16, t -> {
            if (t == 9) {
                throw new IllegalStateException("task 9");
            }
        }));
        assertEquals("task 9", e.getMessage());
        int[] sum = {0};
        pool.run(1, t -> sum[0] += 1);
        assertEquals(1, sum[0], "the pool still runs after a failure");
    }
}
