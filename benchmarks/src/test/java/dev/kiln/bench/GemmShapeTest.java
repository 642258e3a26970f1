package dev.kiln.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The benchmarks' one reading of a GEMM shape name. */
class GemmShapeTest {
    @Test
    void readsNamedUnnamedAndSquareShapes() {
        assertEquals(new GemmShape(64, 128, 784, false, true), GemmShape.parse("fwd1_64x128x784_NT"));
        assertEquals(new GemmShape(128, 784, 64, true, false), GemmShape.parse("128x784x64_TN"));
        assertEquals(new GemmShape(20, 30, 40, false, false), GemmShape.parse("20x30x40"));
        assertEquals(new GemmShape(512, 512, 512, false, false), GemmShape.parse("512"));
        assertEquals(2.0 * 64 * 128 * 784, GemmShape.parse("fwd1_64x128x784_NT").flops());
    }

    @Test
    void rejectsWhatIsNotAShape() {
        for (String bad : new String[] {"20x30", "8x8x8_XY", "", "x", "1x2x3x4", "99999999999", "--threads"}) {
            assertThrows(IllegalArgumentException.class, () -> GemmShape.parse(bad), bad);
        }
    }
}
