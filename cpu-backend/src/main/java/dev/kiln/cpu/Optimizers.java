package dev.kiln.cpu;

import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;

/**
 * Fused optimizer updates over a range of elements: one pass over parameters and state.
 *
 * <p>They mirror PyTorch 1.13's single-tensor implementations operation by operation in float32
 * (scalars such as bias corrections in double, as Python computes them), so the results match
 * PyTorch's to a few ulps.
 */
final class Optimizers {
    private Optimizers() {
    }

    /**
     * The double a float hyper-parameter was written as ({@code 0.9f} gives 0.9, not
     * 0.8999999761581421), so that scalar arithmetic done in double matches Python's.
     */
    static double decimal(float v) {
        // Cached: the same few hyper-parameters come every step, and the string round trip allocates.
        int bits = Float.floatToRawIntBits(v);
        int slot = (bits ^ (bits >>> 16)) & (DECIMALS.length - 1);
        Decimal d = DECIMALS[slot];
        if (d == null || d.bits != bits) {
            d = new Decimal(bits, Double.parseDouble(Float.toString(v)));
            DECIMALS[slot] = d; // a racy write of an immutable record is safe: readers see all of it or the old one
        }
        return d.value;
    }

    /** One cached {@link #decimal} result. */
    private record Decimal(int bits, double value) {
    }

    private static final Decimal[] DECIMALS = new Decimal[64];

    static void sgd(float[] param, float[] grad, float[] buf, SgdParams p, float lr, long step, int from, int to) {
        float wd = p.weightDecay();
        float mom = p.momentum();
        float keep = (float) (1.0 - decimal(p.dampening()));
        float negLr = (float) -decimal(lr);
        boolean firstStep = step <= 1;
        boolean nesterov = p.nesterov();
        for (int i = from; i < to; i++) {
            float g = grad[i];
            if (wd != 0f) {
                g = Math.fma(param[i], wd, g);
            }
            if (buf != null) {
                float b = firstStep ? g : Math.fma(g, keep, buf[i] * mom);
                buf[i] = b;
                g = nesterov ? Math.fma(b, mom, g) : b;
            }
            param[i] = Math.fma(g, negLr, param[i]);
        }
    }

    static void adam(float[] param, float[] grad, float[] m, float[] v, float[] vMax, AdamParams p, float lr,
                     long step, int from, int to) {
        double lrD = decimal(lr);
        double b1 = decimal(p.beta1());
        double b2 = decimal(p.beta2());
        double wdD = decimal(p.weightDecay());
        float beta1 = p.beta1();
        float beta2 = p.beta2();
        float oneMinusB1 = (float) (1.0 - b1);
        float oneMinusB2 = (float) (1.0 - b2);
        double bc1 = 1.0 - Math.pow(b1, step);
        double bc2 = 1.0 - Math.pow(b2, step);
        float negStepSize = (float) -(lrD / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float eps = p.eps();
        boolean decoupled = p.decoupled();
        float wd = p.weightDecay();
        float decay = (float) (1.0 - lrD * wdD);
        for (int i = from; i < to; i++) {
            float g = grad[i];
            float w = param[i];
            if (wd != 0f) {
                if (decoupled) {
                    w = w * decay;
                } else {
                    g = Math.fma(w, wd, g);
                }
            }
            float mi = Math.fma(g, oneMinusB1, m[i] * beta1);
            float vi = v[i] * beta2 + oneMinusB2 * g * g;
            m[i] = mi;
            v[i] = vi;
            float s = vi;
            if (vMax != null) {
                s = Math.max(vMax[i], vi);
                vMax[i] = s;
            }
            float denom = (float) Math.sqrt(s) / bc2Sqrt + eps;
            param[i] = w + negStepSize * mi / denom;
        }
    }

    static void rmsprop(float[] param, float[] grad, float[] sq, float[] ga, float[] buf, RmsPropParams p, float lr,
                        int from, int to) {
        float alpha = p.alpha();
        float oneMinusAlpha = (float) (1.0 - decimal(alpha));
        float eps = p.eps();
        float wd = p.weightDecay();
        float mom = p.momentum();
        float negLr = (float) -decimal(lr);
        for (int i = from; i < to; i++) {
            float g = grad[i];
            if (wd != 0f) {
                g = Math.fma(param[i], wd, g);
            }
            float s = sq[i] * alpha + oneMinusAlpha * g * g;
            sq[i] = s;
            float avg;
            if (ga != null) {
                float a = Math.fma(g, oneMinusAlpha, ga[i] * alpha);
                ga[i] = a;
                avg = (float) Math.sqrt(s + -1f * a * a) + eps;
            } else {
                avg = (float) Math.sqrt(s) + eps;
            }
            if (buf != null) {
                float b = buf[i] * mom + g / avg;
                buf[i] = b;
                param[i] = Math.fma(b, negLr, param[i]);
            } else {
                param[i] = param[i] + negLr * g / avg;
            }
        }
    }

    static void adagrad(float[] param, float[] grad, float[] sum, AdagradParams p, float lr, long step, int from,
                        int to) {
        double clr = decimal(lr) / (1.0 + (step - 1) * decimal(p.lrDecay()));
        float negClr = (float) -clr;
        float eps = p.eps();
        float wd = p.weightDecay();
        for (int i = from; i < to; i++) {
            float g = grad[i];
            if (wd != 0f) {
                g = Math.fma(param[i], wd, g);
            }
            float s = sum[i] + g * g;
            sum[i] = s;
            float std = (float) Math.sqrt(s) + eps;
            param[i] = param[i] + negClr * g / std;
        }
    }
}
