package dev.kiln.cpu;

import jdk.incubator.vector.FloatVector;
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
