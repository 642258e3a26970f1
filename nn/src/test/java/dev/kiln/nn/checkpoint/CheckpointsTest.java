package dev.kiln.nn.checkpoint;

import dev.kiln.core.Backend;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Rng;
import dev.kiln.nn.TestBackends;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.nn.optim.Adam;
import dev.kiln.nn.optim.Optimizer;
import dev.kiln.nn.schedule.LrScheduler;
import dev.kiln.nn.schedule.StepLR;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointsTest {
    @TempDir
    Path dir;
    private Backend backend;

    @BeforeEach
    void open() {
        backend = TestBackends.cpu();
    }

    @AfterEach
    void close() {
        assertEquals(List.of(), backend.liveTensors());
        backend.close();
    }

    private Sequential mlp(long seed, int... sizes) {
        return Sequential.mlp(backend, sizes, "relu", new Rng(seed));
    }

    @Test
    void modelRoundTripUsesStateDictNames() throws IOException {
        Path f = dir.resolve("m.safetensors");
        try (Sequential a = mlp(1, 6, 5, 4, 3); Sequential b = mlp(2, 6, 5, 4, 3)) {
            Checkpoints.saveModel(f, a, Map.of("activation", "relu"));
            Safetensors.Contents c = Safetensors.read(f);
            assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"),
                    List.copyOf(c.tensors().keySet()));
            assertArrayEquals(new int[] {5, 6}, c.tensors().get("0.weight").shape());
            assertArrayEquals(new int[] {6, 5, 4, 3}, Checkpoints.mlpSizes(c, f.toString()));
            Checkpoints.loadModel(c, b, f.toString());
            for (int i = 0; i < a.parameters().size(); i++) {
                assertArrayEquals(a.parameters().get(i).value().toFloatArray(),
                        b.parameters().get(i).value().toFloatArray(), 0f);
            }
        }
    }

    /** A file laid out as another writer might: header order differs from data order, no padding. */
    @Test
    void readsForeignLayout() throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[8,32]},"
                + "\"0.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 32).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        buf.putFloat(0.5f).putFloat(-0.5f);
        for (int i = 1; i <= 6; i++) {
            buf.putFloat(i);
        }
        Path f = dir.resolve("torch.safetensors");
        Files.write(f, buf.array());
        Safetensors.Contents c = Safetensors.read(f);
        try (Sequential m = mlp(3, 3, 2); Tensor x = backend.fromArray(new float[] {1, 0, 1}, 1, 3)) {
            Checkpoints.loadModel(c, m, f.toString());
            // y = x W^T + b = [1+3, 4+6] + [0.5, -0.5]
            assertArrayEquals(new float[] {4.5f, 9.5f}, m.forward(x).toFloatArray(), 0f);
        }
    }

    @Test
    void shapesNamesThatDoNotFitAreErrors() throws IOException {
        Path f = dir.resolve("m.safetensors");
        try (Sequential a = mlp(1, 6, 5, 3)) {
            Checkpoints.saveModel(f, a, Map.of());
        }
        Safetensors.Contents c = Safetensors.read(f);
        try (Sequential wider = mlp(1, 6, 7, 3)) {
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                    () -> Checkpoints.loadModel(c, wider, f.toString()));
            assertTrue(e.getMessage().contains("'0.weight' has shape [5, 6]") && e.getMessage().contains("[7, 6]")
                    && e.getMessage().contains("6-7-3"), e.getMessage());
        }
        try (Sequential deeper = mlp(1, 6, 5, 4, 3)) {
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                    () -> Checkpoints.loadModel(c, deeper, f.toString()));
            assertTrue(e.getMessage().contains("shape") || e.getMessage().contains("missing"), e.getMessage());
        }
        Map<String, HostTensor> extra = new LinkedHashMap<>(c.tensors());
        extra.put("9.weight", new HostTensor(new int[] {1}, new float[] {1}));
        try (Sequential same = mlp(1, 6, 5, 3)) {
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                    () -> Checkpoints.loadModel(new Safetensors.Contents(extra, Map.of()), same, "x"));
            assertTrue(e.getMessage().contains("unexpected tensor '9.weight'"), e.getMessage());
            Map<String, HostTensor> missing = new LinkedHashMap<>(c.tensors());
            missing.remove("2.bias");
            e = assertThrows(SafetensorsFormatException.class,
                    () -> Checkpoints.loadModel(new Safetensors.Contents(missing, Map.of()), same, "x"));
            assertTrue(e.getMessage().contains("missing tensor '2.bias'"), e.getMessage());
        }
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> Checkpoints.mlpSizes(new Safetensors.Contents(Map.of(), Map.of()), "empty"));
        assertTrue(e.getMessage().contains("0.weight"), e.getMessage());
    }

    @Test
    void trainingCheckpointHoldsOptimizerAndSchedule() throws IOException {
        Path f = dir.resolve("t.safetensors");
        try (Sequential m = mlp(1, 4, 3, 2); Optimizer opt = new Adam(m.parameters(), 0.01)) {
            LrScheduler s = new StepLR(opt, 1, 0.5);
            for (Tensor g : m.parameters().stream().map(p -> p.grad()).toList()) {
                backend.fill(g, 0.1f);
            }
            opt.step();
            s.step();
            Checkpoints.saveTraining(f, m, opt, s, Map.of("epoch", "1"));
            Safetensors.Contents c = Safetensors.read(f);
            assertTrue(c.tensors().containsKey("optim.0.weight.exp_avg"));
            assertTrue(c.tensors().containsKey("optim.2.bias.exp_avg_sq"));
            assertEquals("adam", c.metadata().get("optimizer"));
            assertEquals("1", c.metadata().get("optimizer.step"));
            assertEquals("0.005", c.metadata().get("optimizer.lr"));
            assertEquals("step", c.metadata().get("scheduler"));
            try (Optimizer back = Checkpoints.restoreOptimizer(c, m, f.toString())) {
                assertEquals(1, back.stepCount());
                assertEquals(0.005, back.lr());
                assertArrayEquals(opt.state().get("0.weight.exp_avg").toFloatArray(),
                        back.state().get("0.weight.exp_avg").toFloatArray(), 0f);
                LrScheduler r = Checkpoints.restoreScheduler(c, back, f.toString());
                assertEquals(1, r.lastEpoch());
                r.step();
                assertEquals(0.0025, back.lr());
            }
            // Model-only loading ignores the optim.* tensors, as PyTorch users would after filtering them.
            try (Sequential other = mlp(9, 4, 3, 2)) {
                Checkpoints.loadModel(c, other, f.toString());
            }
            Map<String, String> meta = new LinkedHashMap<>(c.metadata());
            meta.remove("optimizer.step");
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                    () -> Checkpoints.restoreOptimizer(new Safetensors.Contents(c.tensors(), meta), m, "ck"));
            assertTrue(e.getMessage().contains("optimizer.step"), e.getMessage());
        }
    }
}
