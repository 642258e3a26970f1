package dev.kiln.core.spi;

import dev.kiln.core.Backend;
import dev.kiln.core.DType;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import dev.kiln.core.verify.VerificationGrid;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The SPI's default byte upload (used by every engine that does not override it, the reference
 * among them) converts exactly, across several host chunks and from an offset, and reuses its
 * per-thread array.
 */
class UploadUnsignedBytesDefaultTest {
    @Test
    void convertsExactlyAcrossChunks() {
        int n = 2 * HostScratch.CHUNK + 123;
        byte[] src = new byte[n + 7];
        for (int i = 0; i < src.length; i++) {
            src[i] = (byte) (i * 31 + (i >> 9));
        }
        try (Backend b = VerificationGrid.openReference(); Tensor t = b.empty(DType.F32, Shape.of(n))) {
            t.copyFromUnsignedBytes(src, 7, 255f);
            float[] got = t.toFloatArray();
            for (int i = 0; i < n; i++) {
                float want = (src[7 + i] & 0xFF) / 255f;
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[i]), "[" + i + "]");
            }
        }
        float[] first = HostScratch.floats(10);
        assertSame(first, HostScratch.floats(HostScratch.CHUNK), "the chunk array is reused, not reallocated");
    }
}
