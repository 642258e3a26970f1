package dev.kiln.nn.checkpoint;

import dev.kiln.core.Backend;
import dev.kiln.core.Backends;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Rng;
import dev.kiln.nn.layers.Sequential;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checkpoints round-trip through real PyTorch, both ways: a Kiln file loads into
 * {@code torch.nn.Sequential} with {@code strict=True} and gives the same logits; weights that
 * PyTorch trained and wrote load into Kiln and give PyTorch's logits. Runs where
 * {@code /usr/bin/python3} has torch (Debian's python3-torch, which {@code .ci/run} installs);
 * elsewhere it is skipped with that reason.
 */
class PyTorchRoundTripTest {
    private static final int[] SIZES = {784, 32, 16, 10};
    private static final int ROWS = 5;
    private static String skipReason;

    @BeforeAll
    static void findTorch() {
        try {
            Process p = python("-c", "import torch; print(torch.__version__)");
            boolean done = p.waitFor(120, TimeUnit.SECONDS);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!done || p.exitValue() != 0) {
                skipReason = "PyTorch is not installed for /usr/bin/python3 (apt-get install python3-torch): " + out;
            }
        } catch (IOException | InterruptedException e) {
            skipReason = "no /usr/bin/python3: " + e.getMessage();
        }
    }

    @Test
    void checkpointsRoundTripThroughPyTorch(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(skipReason == null, skipReason);
        Path script = Path.of("src/test/python/torch_roundtrip.py");
        assertTrue(Files.isRegularFile(script), script.toAbsolutePath().toString());
        float[] x = new float[ROWS * SIZES[0]];
        Rng rng = new Rng(7);
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextFloat();
        }
        try (Backend backend = Backends.open("cpu");
             Sequential kiln = Sequential.mlp(backend, SIZES, "relu", new Rng(3));
             Sequential fromTorch = Sequential.mlp(backend, SIZES, "relu", new Rng(99));
             Tensor input = backend.fromArray(x, ROWS, SIZES[0])) {
            Path kilnFile = dir.resolve("kiln.safetensors");
            Checkpoints.saveModel(kilnFile, kiln, Map.of("format", "pt"));
            writeF32(dir.resolve("x.f32"), x);
            writeF32(dir.resolve("kiln_logits.f32"), kiln.forward(input).toFloatArray());

            Path torchFile = dir.resolve("torch.safetensors");
            Process p = python(script.toString(), kilnFile.toString(), dir.resolve("x.f32").toString(),
                    dir.resolve("kiln_logits.f32").toString(), torchFile.toString(),
                    dir.resolve("torch_logits.f32").toString(), "784,32,16,10");
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), "python timed out");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), "Kiln -> PyTorch: " + out);

            // PyTorch -> Kiln: PyTorch's own weights, written by another writer, give PyTorch's logits.
            Checkpoints.loadModel(Safetensors.read(torchFile), fromTorch, torchFile.toString());
            float[] want = readF32(dir.resolve("torch_logits.f32"));
            float[] got = fromTorch.forward(input).toFloatArray();
            assertEquals(want.length, got.length);
            float[] before = kiln.forward(input).toFloatArray();
            double maxDiff = 0;
            double moved = 0;
            for (int i = 0; i < want.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(want[i] - got[i]));
                moved = Math.max(moved, Math.abs(want[i] - before[i]));
            }
            assertTrue(maxDiff <= 1e-4, "PyTorch -> Kiln logits differ by " + maxDiff);
            assertTrue(moved > 1e-3, "PyTorch's SGD step changed the weights: " + moved);
        }
    }

    private static void writeF32(Path file, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        Files.write(file, b.array());
    }

    private static float[] readF32(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    /**
     * Starts /usr/bin/python3 with {@code args}, stderr merged into stdout. The test JVM's
     * LD_PRELOAD (the JDK's signal-chaining library, see the parent POM) is for JVMs only.
     */
    private static Process python(String... args) throws IOException {
        java.util.List<String> cmd = new java.util.ArrayList<>();
        cmd.add("/usr/bin/python3");
        cmd.addAll(java.util.List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("LD_PRELOAD");
        return pb.start();
    }
}
