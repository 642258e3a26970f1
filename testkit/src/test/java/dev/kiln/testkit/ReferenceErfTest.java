package dev.kiln.testkit;

import dev.kiln.core.reference.Reference;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.MathContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The oracle's erf and erfc (Java has none; GELU needs them) against a 60-digit BigDecimal
 * evaluation of the Taylor series {@code erf x = 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1))}.
 */
class ReferenceErfTest {
    private static final MathContext MC = new MathContext(90);
    // pi to 100 digits, so that 2/sqrt(pi) is exact far past double precision.
    private static final BigDecimal PI = new BigDecimal("3.14159265358979323846264338327950288419716939937510"
            + "58209749445923078164062862089986280348253421170679");

    /** erf(x) with ~60 correct digits for |x| <= 6 (the series' cancellation costs about 16 of the 90). */
    static BigDecimal exactErf(double xd) {
        BigDecimal x = new BigDecimal(xd);
        BigDecimal x2 = x.multiply(x, MC);
        BigDecimal power = x; // x^(2n+1) / n!
        BigDecimal sum = BigDecimal.ZERO;
        BigDecimal eps = new BigDecimal("1e-70");
        for (int n = 0; n < 2000; n++) {
            BigDecimal term = power.divide(BigDecimal.valueOf(2L * n + 1), MC);
            sum = n % 2 == 0 ? sum.add(term, MC) : sum.subtract(term, MC);
            if (term.abs().compareTo(eps) < 0 && n > 2 * xd * xd) {
                break;
            }
            power = power.multiply(x2, MC).divide(BigDecimal.valueOf(n + 1), MC);
        }
        return sum.multiply(BigDecimal.valueOf(2), MC).divide(PI.sqrt(MC), MC);
    }

    @Test
    void erfAndErfcAreAccurateToAFewUlps() {
        double worstErf = 0;
        double worstErfc = 0;
        for (double x = -6; x <= 6.0001; x += 0.0625 + 1e-9) {
            BigDecimal e = exactErf(x);
            double want = e.doubleValue();
            double wantC = BigDecimal.ONE.subtract(e, MC).doubleValue();
            double relErf = want == 0 ? Math.abs(Reference.erf(x)) : Math.abs(Reference.erf(x) - want) / Math.abs(want);
            double relErfc = Math.abs(Reference.erfc(x) - wantC) / wantC;
            worstErf = Math.max(worstErf, relErf);
            worstErfc = Math.max(worstErfc, relErfc);
            assertTrue(relErf < 4e-15, "erf(" + x + ") = " + Reference.erf(x) + ", want " + want);
            assertTrue(relErfc < 4e-15, "erfc(" + x + ") = " + Reference.erfc(x) + ", want " + wantC);
        }
        assertTrue(worstErf > 0 || worstErfc > 0, "the comparison compared nothing");
    }

    @Test
    void specialValues() {
        assertEquals(0.0, Reference.erf(0), 0);
        assertEquals(1.0, Reference.erf(Double.POSITIVE_INFINITY), 0);
        assertEquals(-1.0, Reference.erf(Double.NEGATIVE_INFINITY), 0);
        assertEquals(0.0, Reference.erfc(Double.POSITIVE_INFINITY), 0);
        assertEquals(2.0, Reference.erfc(Double.NEGATIVE_INFINITY), 0);
        assertTrue(Double.isNaN(Reference.erf(Double.NaN)));
        // Tiny x: erf x = 2x/sqrt(pi) to double precision.
        assertEquals(2e-300 / Math.sqrt(Math.PI), Reference.erf(1e-300), 1e-315);
        // The far tail keeps its relative accuracy: erfc(10) = 2.088487583762545e-45.
        assertEquals(2.088487583762545e-45, Reference.erfc(10), 1e-58);
    }

    /** GELU's normal CDF: Phi(0) = 1/2, Phi(-x) = 1 - Phi(x), and the lower tail stays relative. */
    @Test
    void normalCdf() {
        assertEquals(0.5, Reference.normalCdf(0), 0);
        for (double x = 0.1; x < 8; x += 0.37) {
            // Two rounded values: their sum may be an ulp of 1 (2.2e-16) off each way.
            assertEquals(1.0, Reference.normalCdf(x) + Reference.normalCdf(-x), 4.5e-16);
        }
        // Phi(-10) = 7.619853024160527e-24
        assertEquals(7.619853024160527e-24, Reference.normalCdf(-10), 1e-37);
    }
}
