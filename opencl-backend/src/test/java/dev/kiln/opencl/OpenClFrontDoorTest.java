package dev.kiln.opencl;

import dev.kiln.core.Backend;
import dev.kiln.core.Backends;
import dev.kiln.core.Reduction;
import dev.kiln.core.Tensor;
import dev.kiln.core.spi.DeviceInfo;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The backend as users reach it: {@code Backends.open("opencl:N")} and tensors through the validating front door. */
class OpenClFrontDoorTest {

    @Test
    void openByDeviceSpecAndComputeThroughTensors() {
        DeviceInfo d = OpenClTestSupport.deviceOrSkip();
        try (Backend b = Backends.open("opencl:" + d.index())) {
            assertEquals("opencl", b.name());
            assertEquals(d.spec(), b.device().spec());
            try (Tensor a = b.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
                 Tensor x = b.fromArray(new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
                 Tensor c = b.matmul(a, x)) {
                assertArrayEquals(new float[] {4, 5, 10, 11}, c.toFloatArray());
            }
            try (Tensor logits = b.fromArray(new float[] {2, 1, 0, 0, 1, 2}, 2, 3);
                 Tensor labels = b.labels(0, 2);
                 Tensor loss = b.zeros(1)) {
                b.softmaxCrossEntropy(logits, labels, loss, null, Reduction.MEAN, 0f);
                double want = Math.log(Math.exp(2) + Math.exp(1) + 1) - 2;
                assertEquals(want, loss.item(), 1e-6);
            }
        }
    }

    @Test
    void aMissingDeviceIndexIsAClearError() {
        OpenClTestSupport.deviceOrSkip();
        var e = assertThrows(dev.kiln.core.BackendUnavailableException.class, () -> Backends.open("opencl:99"));
        assertTrue(e.getMessage().contains("no device 99"), e.getMessage());
    }
}
