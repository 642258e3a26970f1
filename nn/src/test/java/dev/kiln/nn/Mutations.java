package dev.kiln.nn;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Random damage to a valid file, for the readers' fuzz tests: the kinds of damage real files suffer, plus lying size fields. */
public final class Mutations {
    private Mutations() {
    }

    /** One edit: {@code kind} chooses what, at byte {@code pos} (modulo the length), with {@code value}. */
    public record Mutation(int kind, int pos, int value) {
    }

    /** Values that make size fields lie: zero, negative, huge, just over and under. */
    private static final int[] INTERESTING = {0, 1, -1, 2, 255, 256, 65535, 65536, 1 << 20, 1 << 24, Integer.MAX_VALUE,
        Integer.MIN_VALUE, Integer.MAX_VALUE / 4 + 1, 46341, 100_000_000};

    /** Between one and {@code max} mutations. */
    public static Arbitrary<List<Mutation>> mutations(int max) {
        return Combinators.combine(Arbitraries.integers().between(0, 9), Arbitraries.integers().between(0, 1 << 20),
                Arbitraries.integers()).as(Mutation::new).list().ofMinSize(1).ofMaxSize(max);
    }

    /** {@code valid} with {@code edits} applied in order; {@code bigEndian} says how size fields are written. */
    public static byte[] apply(byte[] valid, List<Mutation> edits, boolean bigEndian) {
        byte[] b = valid.clone();
        for (Mutation m : edits) {
            int n = b.length;
            int pos = n == 0 ? 0 : Math.floorMod(m.pos(), n);
            switch (m.kind()) {
                case 0, 1 -> { // flip one byte
                    if (n > 0) {
                        b[pos] = (byte) m.value();
                    }
                }
                case 2 -> b = Arrays.copyOf(b, pos); // truncate
                case 3 -> { // insert a byte
                    byte[] c = new byte[n + 1];
                    System.arraycopy(b, 0, c, 0, pos);
                    c[pos] = (byte) m.value();
                    System.arraycopy(b, pos, c, pos + 1, n - pos);
                    b = c;
                }
                case 4 -> { // delete a byte
                    if (n > 0) {
                        byte[] c = new byte[n - 1];
                        System.arraycopy(b, 0, c, 0, pos);
                        System.arraycopy(b, pos + 1, c, pos, n - pos - 1);
                        b = c;
                    }
                }
                case 5, 6 -> { // a 4-byte size field (aligned, as IDX header fields are) set to a lying value
                    int at = Math.floorMod(m.pos(), Math.max(1, Math.min(n, 24) / 4)) * 4;
                    if (at + 4 <= n) {
                        ByteBuffer.wrap(b).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN)
                                .putInt(at, INTERESTING[Math.floorMod(m.value(), INTERESTING.length)]);
                    }
                }
                case 7 -> { // append garbage
                    b = Arrays.copyOf(b, n + 1 + Math.floorMod(m.value(), 64));
                }
                case 8 -> { // a digit changed (sizes and offsets in text headers)
                    for (int i = 0; i < n; i++) {
                        int j = (pos + i) % n;
                        if (b[j] >= '0' && b[j] <= '9') {
                            b[j] = (byte) ('0' + Math.floorMod(m.value(), 10));
                            break;
                        }
                    }
                }
                default -> { // xor a byte
                    if (n > 0) {
                        b[pos] ^= (byte) (1 << Math.floorMod(m.value(), 8));
                    }
                }
            }
        }
        return b;
    }

    /** Bytes allocated on the heap by the current thread so far (HotSpot's per-thread counter). */
    public static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
