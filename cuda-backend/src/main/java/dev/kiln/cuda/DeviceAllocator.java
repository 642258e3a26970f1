package dev.kiln.cuda;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A caching device allocator: freed blocks go to a free list per size class and are handed out
 * again, so that a training loop, which allocates the same sizes every step, calls
 * {@code cuMemAlloc} only in its first step.
 *
 * <p>Reuse is safe without events because the engine runs everything on one in-order stream:
 * work enqueued after a block is reused runs after all work that used its previous owner.
 * Size classes: powers of two from 512 bytes to 1 MiB, then steps of an eighth of the power of two
 * below (at most 12.5% waste). When {@code cuMemAlloc} runs out of memory, the cached blocks are
 * released and the allocation is retried once. Not thread-safe: the engine serialises calls.
 */
final class DeviceAllocator implements AutoCloseable {
    private static final long MIN = 512;
    private static final long SMALL = 1L << 20;

    /** A device block and its size class. */
    record Block(DevicePtr ptr, long bytes) {
    }

    private final Map<Long, ArrayDeque<Block>> free = new HashMap<>();
    /** Waits for the engine's stream: a cached block may still be in use by enqueued work. */
    private final Runnable drain;
    private long cachedBytes;
    private long usedBytes;
    private long deviceAllocations;
    private long reuses;

    DeviceAllocator(Runnable drain) {
        this.drain = drain;
    }

    /** The size class for a request of {@code bytes}. */
    static long sizeClass(long bytes) {
        long b = Math.max(MIN, bytes);
        long floor = Long.highestOneBit(b);
        if (b <= SMALL) {
            return floor == b ? b : floor << 1;
        }
        long step = floor / 8;
        return (b + step - 1) / step * step;
    }

    /** A block of at least {@code bytes}. */
    Block allocate(long bytes) {
        long cls = sizeClass(bytes);
        ArrayDeque<Block> list = free.get(cls);
        if (list != null && !list.isEmpty()) {
            Block b = list.pop();
            cachedBytes -= cls;
            usedBytes += cls;
            reuses++;
            return b;
        }
        DevicePtr p = new DevicePtr();
        int r = JCudaDriver.cuMemAlloc(p, cls);
        if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY && cachedBytes > 0) {
            releaseCached();
            p = new DevicePtr();
            r = JCudaDriver.cuMemAlloc(p, cls);
        }
        if (r != CUresult.CUDA_SUCCESS) {
            throw new dev.kiln.core.KilnException("cuda", "allocate", CudaErrors.name(r), "cuMemAlloc of " + cls
                    + " bytes failed (" + usedBytes + " bytes in use, " + cachedBytes + " cached)");
        }
        deviceAllocations++;
        usedBytes += cls;
        return new Block(p, cls);
    }

    /** Returns a block to its free list. */
    void release(Block b) {
        free.computeIfAbsent(b.bytes(), k -> new ArrayDeque<>()).push(b);
        usedBytes -= b.bytes();
        cachedBytes += b.bytes();
    }

    /** Frees every cached block on the device, after the stream has drained. */
    void releaseCached() {
        if (cachedBytes == 0) {
            return;
        }
        drain.run();
        for (ArrayDeque<Block> list : free.values()) {
            for (Block b : list) {
                JCudaDriver.cuMemFree(b.ptr());
            }
        }
        free.clear();
        cachedBytes = 0;
    }

    /** How many times {@code cuMemAlloc} was called. */
    long deviceAllocations() {
        return deviceAllocations;
    }

    /** How many allocations were served from the cache. */
    long reuses() {
        return reuses;
    }

    long usedBytes() {
        return usedBytes;
    }

    long cachedBytes() {
        return cachedBytes;
    }

    @Override
    public void close() {
        releaseCached();
    }
}
