package dev.kiln.nn.layers;

import dev.kiln.core.Backend;
import dev.kiln.core.DType;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A layer's scratch tensors of shape [rows, cols], one per recently seen batch size. Training
 * alternates between a few sizes (full batches, the last partial batch, evaluation batches), so
 * keeping the last few means no allocation in the steady state; older ones are freed.
 */
final class RowBuffers implements AutoCloseable {
    private static final int KEEP = 4;
    private final String name;
    private final LinkedHashMap<Integer, Tensor> byRows = new LinkedHashMap<>(8, 0.75f, true);

    RowBuffers(String name) {
        this.name = name;
    }

    /** The [rows, cols] buffer on {@code backend}, made on first use. Contents are left over from last use. */
    Tensor get(Backend backend, int rows, int cols) {
        Tensor t = byRows.get(rows);
        if (t != null && !t.isClosed() && t.backend() == backend && t.shape().dim(1) == cols) {
            return t;
        }
        if (t != null) {
            t.close();
        }
        t = backend.empty(DType.F32, Shape.of(rows, cols), name);
        byRows.put(rows, t);
        if (byRows.size() > KEEP) {
            Iterator<Map.Entry<Integer, Tensor>> it = byRows.entrySet().iterator();
            Map.Entry<Integer, Tensor> eldest = it.next();
            eldest.getValue().close();
            it.remove();
        }
        return t;
    }

    @Override
    public void close() {
        for (Tensor t : byRows.values()) {
            t.close();
        }
        byRows.clear();
    }
}
