package dev.kiln.opencl;

import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.cl_context;
import org.jocl.cl_mem;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A caching allocator: device memory is kept in size classes (powers of two, at least 256 bytes)
 * and reused, so that once a training step has run, the next one allocates nothing new.
 * Reuse is safe without events because the engine's queue is in order: a buffer returned to the
 * pool after an enqueue can only be used by commands enqueued later.
 */
final class BufferPool {
    private static final long MIN_CLASS = 256;
    private final cl_context context;
    private final Map<Long, ArrayDeque<cl_mem>> free = new HashMap<>();
    private long createdBytes;
    private long pooledBytes;
    private long creations;

    BufferPool(cl_context context) {
        this.context = context;
    }

    static long sizeClass(long bytes) {
        long c = MIN_CLASS;
        while (c < bytes) {
            c <<= 1;
        }
        return c;
    }

    /** A buffer of exactly {@code sizeClass} bytes, from the pool when one is free. */
    cl_mem take(long sizeClass) {
        ArrayDeque<cl_mem> q = free.get(sizeClass);
        if (q != null && !q.isEmpty()) {
            pooledBytes -= sizeClass;
            return q.pop();
        }
        try {
            return create(sizeClass);
        } catch (CLException e) {
            if (e.getStatus() != CL.CL_MEM_OBJECT_ALLOCATION_FAILURE && e.getStatus() != CL.CL_OUT_OF_RESOURCES
                    && e.getStatus() != CL.CL_OUT_OF_HOST_MEMORY) {
                throw e;
            }
            releaseAll();  // give the cached memory back to the device and try once more
            return create(sizeClass);
        }
    }

    private cl_mem create(long size) {
        cl_mem m = CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE, size, null, null);
        createdBytes += size;
        creations++;
        return m;
    }

    void give(cl_mem mem, long sizeClass) {
        free.computeIfAbsent(sizeClass, k -> new ArrayDeque<>()).push(mem);
        pooledBytes += sizeClass;
    }

    /** Releases every pooled (not live) buffer. */
    void releaseAll() {
        for (Map.Entry<Long, ArrayDeque<cl_mem>> e : free.entrySet()) {
            for (cl_mem m : e.getValue()) {
                CL.clReleaseMemObject(m);
                createdBytes -= e.getKey();
            }
        }
        free.clear();
        pooledBytes = 0;
    }

    /** How many device buffers were ever created: constant across training steps once warm. */
    long creations() {
        return creations;
    }

    long createdBytes() {
        return createdBytes;
    }

    long pooledBytes() {
        return pooledBytes;
    }
}
