package dev.kiln.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Size classes of the caching allocator (the device part needs a GPU and runs in the conformance suite). */
class DeviceAllocatorTest {

    @Test
    void smallRequestsRoundToPowersOfTwoFrom512() {
        assertEquals(512, DeviceAllocator.sizeClass(1));
        assertEquals(512, DeviceAllocator.sizeClass(512));
        assertEquals(1024, DeviceAllocator.sizeClass(513));
        assertEquals(1 << 20, DeviceAllocator.sizeClass((1 << 19) + 1));
    }

    @Test
    void largeRequestsWasteAtMostAnEighth() {
        for (long b = (1 << 20) + 1; b < (1L << 31); b = b * 3 / 2 + 7) {
            long c = DeviceAllocator.sizeClass(b);
            assertTrue(c >= b, b + " -> " + c);
            assertTrue(c - b <= b / 8 + 1, b + " -> " + c);
            assertEquals(c, DeviceAllocator.sizeClass(c), "a class maps to itself");
        }
    }
}
