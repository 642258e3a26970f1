package dev.kiln.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise loops that C2 on JDK 17 does not vectorise on its own, written with the Vector API.
 * Each gives exactly the floats of its plain loop in {@link Activations}. Loaded only through
 * {@link VectorSupport}, when the module is present.
 */
final class VectorElementwise {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorElementwise() {
    }

    /**
     * {@code dst[dstOffset + i] = (src[srcOffset + i] & 0xFF) / divisor}: bytes widened to ints
     * (a 16-lane float vector takes 16 bytes), masked to unsigned, converted and divided, the same
     * IEEE operations as the plain loop.
     */
    static void unsignedBytesToFloats(byte[] src, int srcOffset, float[] dst, int dstOffset, int count,
                                      float divisor) {
        int i = 0;
        int lanes = S.length();
        if (lanes >= 8) {
            VectorSpecies<Byte> bytes = ByteVector.SPECIES_64.length() == lanes ? ByteVector.SPECIES_64
                    : ByteVector.SPECIES_128.length() == lanes ? ByteVector.SPECIES_128 : null;
            if (bytes != null) {
                VectorSpecies<Integer> ints = IntVector.SPECIES_PREFERRED;
                for (; i + lanes <= count; i += lanes) {
                    IntVector wide = (IntVector) ByteVector.fromArray(bytes, src, srcOffset + i)
                            .convertShape(VectorOperators.B2I, ints, 0);
                    FloatVector f = (FloatVector) wide.lanewise(VectorOperators.AND, 0xFF)
                            .convertShape(VectorOperators.I2F, S, 0);
                    f.div(divisor).intoArray(dst, dstOffset + i);
                }
            }
        }
        for (; i < count; i++) {
            dst[dstOffset + i] = (src[srcOffset + i] & 0xFF) / divisor;
        }
    }

    /**
     * ReLU's gradient, {@code dx = y <= 0 ? 0 : dy} on {@code [from, to)}: a NaN output passes its
     * gradient (NaN is not {@code <= 0}), as in the plain loop and PyTorch. The plain loop is a
     * data-dependent branch that mispredicts on half the elements of a trained layer.
     */
    static void reluBackward(float[] y, float[] dy, float[] dx, int from, int to) {
        int i = from;
        int bound = from + S.loopBound(to - from);
        FloatVector zero = FloatVector.zero(S);
        for (; i < bound; i += S.length()) {
            FloatVector yv = FloatVector.fromArray(S, y, i);
            VectorMask<Float> off = yv.compare(VectorOperators.LE, 0f);
            FloatVector.fromArray(S, dy, i).blend(zero, off).intoArray(dx, i);
        }
        for (; i < to; i++) {
            dx[i] = y[i] <= 0f ? 0f : dy[i];
        }
    }
}
