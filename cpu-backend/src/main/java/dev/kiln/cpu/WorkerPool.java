package dev.kiln.cpu;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed set of daemon worker threads that run numbered tasks; the calling thread works too.
 *
 * <p>Tasks are handed out dynamically, so callers must make each task's result independent of
 * which thread runs it (they write disjoint outputs or per-task partials combined in order):
 * that is what keeps every op's result independent of the thread count.
 *
 * <p>The caller claims tasks from the front of the range and the helpers from the back, so when
 * ops number their tasks in memory order (the GEMM's C blocks row by row, elementwise chunks
 * from the start), the caller keeps working on roughly the first part of each array and the
 * helpers on the last, op after op. A training step then finds most of its data (a layer's
 * weights, their gradient and optimizer state) in the cache of the core that touched it last;
 * with dynamic front-to-back claiming, half the step's parameter traffic went from one core's
 * cache to the other's, which on a VM whose cores share no cache made the 2-thread optimizer
 * update slower than the 1-thread one (40 us against 19 for the MNIST MLP's SGD step).
 */
final class WorkerPool {
    private static final Map<Integer, WorkerPool> SHARED = new ConcurrentHashMap<>();
    /**
     * How long an idle helper (and a caller waiting for helpers) spins before parking. Waking a
     * parked thread costs 10-50 us on a VM, as much as a small GEMM. In a training step the
     * parallel ops come back to back except for one gap of about 70 us (the small layers between
     * the first layer's forward and weight-gradient GEMMs); a spin that covers it keeps the helper
     * awake for the whole step: `kiln train` went from 176k-200k to 198k-211k samples/s (2 threads,
     * medians of epochs 3-10, alternating runs) when this went from 50 to 200 us. An idle pool
     * costs at most this much CPU per helper after its last op, then sleeps.
     */
    private static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] helpers;
    /** The latest job; a new one is published by replacing it (a volatile write). */
    private volatile Batch current;
    /** Helper i is parked (or about to): the publisher must unpark it. */
    private final AtomicIntegerArray sleeping;
    /** Held while a job runs: a concurrent or nested {@link #run} runs its tasks on its own thread. */
    private final AtomicBoolean busy = new AtomicBoolean();

    /** One {@link #run} call's tasks: handed out from both ends of {@code range}, counted off by {@code done}. */
    private static final class Batch {
        final int tasks;
        final IntConsumer body;
        final Thread caller;
        /** The unclaimed tasks {@code [lo, hi)}, packed as {@code lo << 32 | hi}. */
        final AtomicLong range;
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile boolean callerSleeping;

        Batch(int tasks, IntConsumer body, Thread caller) {
            this.tasks = tasks;
            this.body = body;
            this.caller = caller;
            this.range = new AtomicLong(tasks);
        }

        /** Claims the first (or last) unclaimed task, or returns -1 when none is left. */
        private int claim(boolean front) {
            while (true) {
                long r = range.get();
                int lo = (int) (r >>> 32);
                int hi = (int) r;
                if (lo >= hi) {
                    return -1;
                }
                long next = front ? ((long) (lo + 1) << 32) | hi : ((long) lo << 32) | (hi - 1);
                if (range.compareAndSet(r, next)) {
                    return front ? lo : hi - 1;
                }
            }
        }

        /** Claims and runs tasks, from the front of the range or from its back, until none is left. */
        void work(boolean front) {
            int t;
            while ((t = claim(front)) >= 0) {
                try {
                    if (failure.get() == null) {
                        body.accept(t);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    if (done.incrementAndGet() == tasks && callerSleeping) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }
    }

    private WorkerPool(int threads) {
        this.threads = threads;
        this.sleeping = new AtomicIntegerArray(Math.max(0, threads - 1));
        this.helpers = new Thread[Math.max(0, threads - 1)];
        for (int i = 0; i < helpers.length; i++) {
            int id = i;
            Thread t = new Thread(() -> helperLoop(id), "kiln-cpu-" + threads + "-" + (i + 1));
            t.setDaemon(true);
            helpers[i] = t;
        }
        for (Thread t : helpers) {
            t.start();
        }
    }

    /** A helper: waits for a new job (spinning a while, then parked), works on it, repeats. */
    private void helperLoop(int id) {
        Batch seen = null;
        while (true) {
            Batch b = current;
            if (b == seen) {
                long deadline = System.nanoTime() + SPIN_NANOS;
                while ((b = current) == seen && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                while (b == seen) {
                    // Announce the park before re-checking, so a publisher either sees the flag or we see its job.
                    sleeping.set(id, 1);
                    b = current;
                    if (b == seen) {
                        LockSupport.park(this);
                        b = current;
                    }
                    sleeping.set(id, 0);
                }
            }
            seen = b;
            b.work(false);
        }
    }

    /** The process-wide pool of {@code threads} threads (the caller counts as one), made on first use. */
    static WorkerPool shared(int threads) {
        return SHARED.computeIfAbsent(Math.max(1, threads), WorkerPool::new);
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code body} for every task index in {@code [0, tasks)} and waits for all of them.
     *
     * <p>The caller waits for the tasks, not for the helpers: a helper that wakes up only after the
     * caller has claimed every task finds nothing to do, and the caller does not wait for it. So a
     * late helper (a busy machine, a slow wake-up) costs nothing beyond the hand-off itself. A call
     * made while the pool is running another job (from another thread, or from inside a task) runs
     * its tasks on the calling thread alone.
     */
    void run(int tasks, IntConsumer body) {
        int workers = Math.min(threads, tasks);
        if (workers <= 1 || !busy.compareAndSet(false, true)) {
            for (int t = 0; t < tasks; t++) {
                body.accept(t);
            }
            return;
        }
        Batch batch = new Batch(tasks, body, Thread.currentThread());
        try {
            current = batch;
            for (int i = 0; i < helpers.length; i++) {
                if (sleeping.get(i) != 0) {
                    LockSupport.unpark(helpers[i]);
                }
            }
            batch.work(true);
            // The helpers write into the caller's arrays: never return before they finish.
            if (batch.done.get() < tasks) {
                long deadline = System.nanoTime() + SPIN_NANOS;
                while (batch.done.get() < tasks && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                while (batch.done.get() < tasks) {
                    batch.callerSleeping = true;
                    if (batch.done.get() < tasks) {
                        LockSupport.park(this);
                    }
                }
                batch.callerSleeping = false;
            }
        } finally {
            busy.set(false);
        }
        Throwable e = batch.failure.get();
        if (e instanceof RuntimeException re) {
            throw re;
        }
        if (e instanceof Error err) {
            throw err;
        }
        if (e != null) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs {@code body(from, to)} over {@code [0, n)} cut into fixed chunks of {@code chunk}
     * elements, in parallel when {@code n} is at least {@code minParallel}.
     */
    void forRange(int n, int chunk, int minParallel, RangeBody body) {
        if (n < minParallel || threads == 1) {
            body.run(0, n);
            return;
        }
        int tasks = (n + chunk - 1) / chunk;
        run(tasks, t -> body.run(t * chunk, Math.min(n, (t + 1) * chunk)));
    }

    /** A body over an index range. */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }
}
