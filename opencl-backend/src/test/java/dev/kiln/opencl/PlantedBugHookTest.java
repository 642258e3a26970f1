package dev.kiln.opencl;

import dev.kiln.core.Activation;
import dev.kiln.core.DType;
import dev.kiln.core.spi.DeviceBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The test-only source hook really changes what runs: a planted wrong ReLU computes wrong values. */
class PlantedBugHookTest {

    @Test
    void thePlantedReluIsWrongAndTheRealOneIsRight() {
        var device = OpenClTestSupport.deviceOrSkip();
        float[] x = {-2f, -1f, 0f, 3f};
        try (OpenClEngine bad = OpenClTestSupport.PROVIDER.open(device,
                new OpenClEngine.Options(OpenClEngine.GemmPath.PORTABLE, PlantedBugs::wrongRelu));
             OpenClEngine good = OpenClTestSupport.open(OpenClEngine.GemmPath.PORTABLE)) {
            assertArrayEquals(new float[] {-0.02f, -0.01f, 0f, 3f}, relu(bad, x));
            assertArrayEquals(new float[] {0f, 0f, 0f, 3f}, relu(good, x));
        }
    }

    private static float[] relu(OpenClEngine e, float[] x) {
        DeviceBuffer in = OpenClTestSupport.up(e, x);
        DeviceBuffer out = e.allocate(DType.F32, x.length);
        e.activation(Activation.RELU, 0f, in, out, 1, x.length);
        float[] r = OpenClTestSupport.down(e, out, x.length);
        e.free(in);
        e.free(out);
        return r;
    }
}
