package dev.kiln.cpu;

import dev.kiln.core.Activation;

import java.util.zip.CRC32;

/**
 * Prints a checksum of the SIMD transcendental ops' results on fixed inputs ({@code checksum=...}),
 * NaN counted as NaN whatever its bits.
 * {@link SimdActivationTest} runs it in a child JVM with {@code -Xint}, where every Vector API
 * call takes its Java fallback, and compares with the checksum of the same ops compiled by C2:
 * the results must not depend on the JIT.
 */
final class ColdSimdMain {
    static final Activation[] ACTS = {Activation.SIGMOID, Activation.TANH, Activation.GELU_ERF, Activation.GELU_TANH};

    private ColdSimdMain() {
    }

    /** The checksum of every op's output bits on the fixed inputs. */
    static long checksum() {
        int n = 1000; // not a multiple of the vector length: the tail path counts too
        float[] x = TestSupport.random(21, n, -12f, 12f);
        x[0] = 0f;
        x[1] = -0f;
        x[2] = 1e-20f;
        x[3] = 90f;
        x[4] = -110f;
        x[5] = Float.NaN;
        float[] dy = TestSupport.random(22, n, -1f, 1f);
        CRC32 crc = new CRC32();
        for (Activation act : ACTS) {
            float[] y = new float[n];
            float[] dx = new float[n];
            VectorActivations.forward(act, x, y, 0, n);
            VectorActivations.backward(act, x, y, dy, dx, 0, n);
            add(crc, y);
            add(crc, dx);
        }
        float[] e = x.clone();
        VectorActivations.expInPlace(e, n);
        add(crc, e);
        int[] labels = new int[n / 10];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 10;
        }
        float[] g = new float[n];
        double loss = VectorLosses.softmaxCrossEntropyRows(x, labels, g, 10, 0.1f, 0.01, 1, labels.length);
        add(crc, g);
        crc.update(Long.toString(Double.doubleToRawLongBits(loss)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return crc.getValue();
    }

    /** Adds the values' bits, NaN as one canonical NaN: a fused multiply-add's NaN keeps an operand's sign and payload in hardware but not in {@code Math.fma}'s software path. */
    private static void add(CRC32 crc, float[] a) {
        for (float v : a) {
            int b = Float.floatToIntBits(v);
            crc.update(b);
            crc.update(b >>> 8);
            crc.update(b >>> 16);
            crc.update(b >>> 24);
        }
    }

    public static void main(String[] args) {
        System.out.println("checksum=" + Long.toHexString(checksum()));
    }
}
