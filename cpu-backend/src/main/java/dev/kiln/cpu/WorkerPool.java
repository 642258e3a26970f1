package dev.kiln.cpu;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * A fixed set of daemon worker threads that run numbered tasks; the calling thread works too.
 *
 * <p>Tasks are handed out dynamically, so callers must make each task's result independent of
 * which thread runs it (they write disjoint outputs or per-task partials combined in order):
 * that is what keeps every op's result independent of the thread count.
 */
final class WorkerPool {
    private static final Map<Integer, WorkerPool> SHARED = new ConcurrentHashMap<>();

    private final int threads;
    private final ExecutorService helpers;

    private WorkerPool(int threads) {
        this.threads = threads;
        if (threads > 1) {
            AtomicInteger id = new AtomicInteger();
            helpers = Executors.newFixedThreadPool(threads - 1, r -> {
                Thread t = new Thread(r, "kiln-cpu-" + threads + "-" + id.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        } else {
            helpers = null;
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
     * late helper (a busy machine, a slow wake-up) costs nothing beyond the hand-off itself.
     */
    void run(int tasks, IntConsumer body) {
        int workers = Math.min(threads, tasks);
        if (workers <= 1) {
            for (int t = 0; t < tasks; t++) {
                body.accept(t);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(tasks);
        Runnable loop = () -> {
            int t;
            while ((t = next.getAndIncrement()) < tasks) {
                try {
                    if (failure.get() == null) {
                        body.accept(t);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            }
        };
        for (int w = 1; w < workers; w++) {
            helpers.execute(loop);
        }
        loop.run();
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                // The helpers write into the caller's arrays: never return before they finish.
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable e = failure.get();
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
