package dev.kiln.core.verify;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bounds, the comparison rules (NaN, infinities, relative error) and the GEMM magnitude. */
class ToleranceTest {

    @Test
    void boundsFollowTheirFormulas() {
        assertEquals(1e-6 + 1e-5 * 2, Tolerance.elementwise(-2), 1e-18);
        assertEquals(1e-7 + 1e-5 * 3, Tolerance.reduction(3), 1e-18);
        assertEquals(2 * 786 * 0x1p-24 * 10 + 1e-9, Tolerance.gemm(784, 10), 1e-18);
        assertEquals(Tolerance.elementwise(0.5), Tolerance.accumulated(0.5, 0.9), 0);
        assertEquals(1e-6 * 30 + 1e-5 * 0.5, Tolerance.accumulated(0.5, 30), 1e-18);
    }

    @Test
    void elementwiseAcceptsWithinAndRejectsBeyondTheBound() {
        ErrorTally ok = new ErrorTally();
        ok.elementwise("y", new float[] {1.000005f, 0f}, new float[] {1f, 0f}, 2);
        VerificationResult r = ok.result("op", "1x2");
        assertTrue(r.passed(), r.summary());
        assertEquals(5e-6, r.maxAbsError(), 1e-7);
        assertEquals(5e-6, r.maxRelError(), 1e-7, "r = 0 elements do not count for the relative error");

        ErrorTally bad = new ErrorTally();
        bad.elementwise("y", new float[] {1f, 1.0001f, 3f}, new float[] {1f, 1f, 3f}, 3);
        VerificationResult b = bad.result("op", "1x3");
        assertFalse(b.passed());
        assertTrue(b.detail().contains("y[0, 1]") && b.detail().contains("1 of 3"), b.detail());
    }

    @Test
    void nanMatchesNanAndInfinityItsOwnSign() {
        ErrorTally t = new ErrorTally();
        t.elementwise("y", new float[] {Float.NaN, Float.POSITIVE_INFINITY}, new float[] {Float.NaN,
                Float.POSITIVE_INFINITY}, 1);
        assertTrue(t.result("op", "2").passed());
        ErrorTally u = new ErrorTally();
        u.elementwise("y", new float[] {Float.NaN}, new float[] {1f}, 1);
        VerificationResult r = u.result("op", "1");
        assertFalse(r.passed());
        assertEquals(Double.POSITIVE_INFINITY, r.maxAbsError());
        ErrorTally v = new ErrorTally();
        v.elementwise("y", new float[] {Float.NEGATIVE_INFINITY}, new float[] {Float.POSITIVE_INFINITY}, 1);
        assertFalse(v.result("op", "1").passed());
    }

    @Test
    void exceptionsAndLengthMismatchesFail() {
        ErrorTally t = new ErrorTally();
        t.threw(new UnsupportedOperationException("no softplus yet"));
        VerificationResult r = t.result("activation softplus", "1x1");
        assertFalse(r.passed());
        assertTrue(r.detail().contains("no softplus yet"), r.detail());
        ErrorTally u = new ErrorTally();
        u.exact("index", new int[] {1, 2}, new int[] {1}, 1);
        assertFalse(u.result("argmax", "1x2").passed());
    }

    @Test
    void severalOutputsNameTheirTolerances() {
        ErrorTally t = new ErrorTally();
        t.reduction("loss", new float[] {1f}, new float[] {1f});
        t.elementwise("grad", new float[] {0.5f}, new float[] {0.5f}, 1);
        assertEquals("loss: " + Tolerance.REDUCTION + "; grad: " + Tolerance.ELEMENTWISE, t.result("l", "1").tolerance());
    }

    @Test
    void gemmMagnitudeIsAlphaAbsAAbsBPlusBetaAbsC() {
        // op(A) = [[1, -2], [3, 4]] stored transposed; op(B) = [[-1, 0.5], [2, -3]] stored as is.
        float[] aT = {1, 3, -2, 4};
        float[] b = {-1, 0.5f, 2, -3};
        float[] c = {1, -1, 2, -2};
        double[] mag = VerificationGrid.gemmMagnitude(aT, b, c, true, false, 2, 2, 2, -2f, 0.5f);
        double[] want = {
            2 * (1 * 1 + 2 * 2) + 0.5 * 1, 2 * (1 * 0.5 + 2 * 3) + 0.5 * 1,
            2 * (3 * 1 + 4 * 2) + 0.5 * 2, 2 * (3 * 0.5 + 4 * 3) + 0.5 * 2};
        for (int i = 0; i < 4; i++) {
            assertEquals(want[i], mag[i], 1e-12, "element " + i);
        }
    }

    @Test
    void gridHasEveryShapeForEveryOpAndQuickDropsTheLargeOne() {
        int full = VerificationGrid.cases(false).size();
        int quick = VerificationGrid.cases(true).size();
        assertTrue(quick > 300 && full > quick, full + " / " + quick);
        assertTrue(VerificationGrid.cases(true).stream().noneMatch(VerificationCase::large));
        assertEquals(VerificationGrid.cases(false).size(),
                VerificationGrid.cases(false).stream().map(VerificationCase::name).distinct().count(),
                "row names are unique");
    }
}
