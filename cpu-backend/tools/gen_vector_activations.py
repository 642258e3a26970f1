#!/usr/bin/env python3
"""Generates VectorActivations.java: the transcendental activations of Kiln's CPU backend in SIMD.

Usage (from cpu-backend/):
    python3 tools/gen_vector_activations.py src/main/java/dev/kiln/cpu/VectorActivations.java

One loop per activation and direction with the math written out in the loop body: C2 boxes a
vector passed to a method it did not inline, and it declines to inline a vector helper that it
has already compiled on its own ("callee is too large"), which made a first version 5-10x slower.
"""
import sys

NORMAL_CDF = """\
                // Phi(v) = erfc(-v / sqrt 2) / 2, erfc(a) = t exp(-a^2 + P(t)), t = 1 / (1 + a/2), a >= 0
                FloatVector z = {v}.mul(-INV_SQRT2);
                FloatVector a = z.abs();
                FloatVector t = ONE.div(a.fma(0.5f, 1f));
                FloatVector p = t.fma(E9, E8);
                p = p.fma(t, E7);
                p = p.fma(t, E6);
                p = p.fma(t, E5);
                p = p.fma(t, E4);
                p = p.fma(t, E3);
                p = p.fma(t, E2);
                p = p.fma(t, E1);
                p = p.fma(t, E0);
                FloatVector erfc = t.mul(a.neg().fma(a, p).lanewise(VectorOperators.EXP));
                FloatVector cdf = erfc.blend(TWO.sub(erfc), z.compare(VectorOperators.LT, 0f)).mul(0.5f);
"""

ACTS = [
    # name, Activation, forward body (v -> r), backward body (x, y, dy -> r)
    ("Sigmoid", "SIGMOID",
     "                FloatVector r = ONE.div(v.neg().lanewise(VectorOperators.EXP).add(1f));\n",
     "                // s (1 - s) from the forward output, as in the plain loop\n"
     "                FloatVector r = dy.mul(y).mul(ONE.sub(y));\n"),
    ("Tanh", "TANH",
     "                FloatVector r = v.lanewise(VectorOperators.TANH);\n",
     "                // 1 - t^2 from the forward output, one rounding\n"
     "                FloatVector r = dy.mul(y.neg().fma(y, ONE));\n"),
    ("GeluTanh", "GELU_TANH",
     "                // 0.5 v (1 + tanh u) = v / (1 + exp(-2u)), 2u = v (C1 + C3 v^2): no cancellation\n"
     "                FloatVector r = v.div(v.mul(v).fma(C3, C1).mul(v).neg().lanewise(VectorOperators.EXP).add(1f));\n",
     "                // d/dx [x s] = s + x s (1 - s) (2u)', s = 1 / (1 + e), 1 - s = e s, e = exp(-2u) clamped\n"
     "                // so that e s stays finite where s underflows; -inf gives NaN, as in the plain loop\n"
     "                FloatVector x2 = x.mul(x);\n"
     "                FloatVector e = x2.fma(C3, C1).mul(x).neg().min(EXP_MAX).lanewise(VectorOperators.EXP);\n"
     "                FloatVector s = ONE.div(e.add(1f));\n"
     "                FloatVector du = x2.fma(3f * C3, C1);\n"
     "                FloatVector r = dy.mul(x.mul(du).mul(s).mul(e.mul(s)).add(s))\n"
     "                        .blend(NAN, x.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));\n"),
    ("GeluErf", "GELU_ERF",
     NORMAL_CDF.format(v="v") +
     "                FloatVector r = v.mul(cdf);\n",
     NORMAL_CDF.format(v="x") +
     "                // Phi(x) + x phi(x)\n"
     "                FloatVector pdf = x.mul(x).mul(-0.5f).lanewise(VectorOperators.EXP).mul(INV_SQRT_2PI);\n"
     "                FloatVector r = dy.mul(x.fma(pdf, cdf));\n"),
    ("Softplus", "SOFTPLUS",
     "                // log1p(exp(v)), and v above the threshold (as PyTorch)\n"
     "                FloatVector r = v.lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P)\n"
     "                        .blend(v, v.compare(VectorOperators.GT, SOFTPLUS_THRESHOLD));\n",
     "                FloatVector r = dy.mul(ONE.div(x.neg().lanewise(VectorOperators.EXP).add(1f)))\n"
     "                        .blend(dy, x.compare(VectorOperators.GT, SOFTPLUS_THRESHOLD));\n"),
]

def fwd_loop(name, body):
    return f"""    private static void forward{name}(float[] x, float[] y, int from, int to) {{
        for (int i = from; i < to; i += L) {{
            float[] src = x;
            float[] dst = y;
            int o = i;
            if (i + L > to) {{
                // the last partial vector goes through per-thread scratch, with the same code
                float[][] t = tail(1, to - i, x, i, null, 0, null, 0);
                src = t[0];
                dst = t[3];
                o = 0;
            }}
            FloatVector v = FloatVector.fromArray(S, src, o);
            {{
{body}                r.intoArray(dst, o);
            }}
            if (dst != y) {{
                System.arraycopy(dst, 0, y, i, to - i);
            }}
        }}
    }}
"""

def bwd_loop(name, body):
    return f"""    private static void backward{name}(float[] x0, float[] y0, float[] dy0, float[] dx, int from, int to) {{
        for (int i = from; i < to; i += L) {{
            float[] xs = x0;
            float[] ys = y0;
            float[] dys = dy0;
            float[] dst = dx;
            int o = i;
            if (i + L > to) {{
                float[][] t = tail(3, to - i, x0, i, y0, i, dy0, i);
                xs = t[0];
                ys = t[1];
                dys = t[2];
                dst = t[3];
                o = 0;
            }}
            FloatVector x = FloatVector.fromArray(S, xs, o);
            FloatVector y = FloatVector.fromArray(S, ys, o);
            FloatVector dy = FloatVector.fromArray(S, dys, o);
            {{
{body}                r.intoArray(dst, o);
            }}
            if (dst != dx) {{
                System.arraycopy(dst, 0, dx, i, to - i);
            }}
        }}
    }}
"""

def gen():
    out = []
    a = out.append
    a('''package dev.kiln.cpu;

import dev.kiln.core.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The transcendental activations (sigmoid, tanh, both GELUs, softplus) and their gradients in
 * float SIMD, with the Vector API's {@code EXP}, {@code TANH} and {@code LOG1P} (Intel's SVML on
 * x86) in place of the plain loops' double-precision {@code Math} calls: 10-80x faster than
 * {@link Activations}, which stays the path without the module.
 *
 * <p>The formulas avoid cancellation, so the float results keep a small error everywhere
 * ({@code SimdActivationTest} bounds it against the double loops): {@code 1 + tanh(u)} is written
 * {@code 2 sigmoid(2u)}, so the tanh GELU is {@code x / (1 + exp(-2u))}; the erf GELU is
 * {@code x Phi(x)} with {@code Phi(x) = erfc(-x / sqrt 2) / 2} and erfc from the Chebyshev-fitted
 * {@code t exp(-z^2 + P(t))}, {@code t = 1 / (1 + z/2)} (Numerical Recipes' erfcc, fractional
 * error below 1.2e-7 for z >= 0), which keeps its relative accuracy in the left tail where
 * {@code 1 + erf} would cancel.
 *
 * <p>Every element goes through the same vector code, the last partial vector included (through a
 * per-thread scratch vector), so a result does not depend on where the caller's range starts or
 * ends: thread counts do not change results. SIMD and the plain loops differ by rounding, not bit
 * for bit. Loaded only through {@link VectorSupport}.
 *
 * <p>Generated by {@code cpu-backend/tools/gen_vector_activations.py}: edit that, not this file.
 */
final class VectorActivations {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final float SQRT_2_OVER_PI = 0.7978845608028654f;
    private static final float GELU_KAPPA = 0.044715f;
    /** 2 sqrt(2/pi) and 2 sqrt(2/pi) kappa: the tanh GELU's 2u = x (C1 + C3 x^2). */
    private static final float C1 = 2f * SQRT_2_OVER_PI;
    private static final float C3 = 2f * SQRT_2_OVER_PI * GELU_KAPPA;
    private static final float INV_SQRT2 = 0.70710678118654752f;
    private static final float INV_SQRT_2PI = 0.3989422804014327f;
    private static final float SOFTPLUS_THRESHOLD = 20f;
    /** exp(87) is finite in float. */
    private static final float EXP_MAX = 87f;
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
    private static final FloatVector TWO = FloatVector.broadcast(S, 2f);
    private static final FloatVector NAN = FloatVector.broadcast(S, Float.NaN);
    /** erfcc's coefficients, E0 + t (E1 + t (... + t E9)). */''')
    coeffs = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398,
              1.48851587, -0.82215223, 0.17087277]
    for i, c in enumerate(coeffs):
        a(f"    private static final FloatVector E{i} = FloatVector.broadcast(S, {c}f);")
    a('''    /** Per-thread scratch for the last partial vector: inputs x, y, dy and the output. */
    private static final ThreadLocal<float[][]> TAIL = ThreadLocal.withInitial(() -> new float[4][L]);

    private VectorActivations() {
    }

    /** Whether {@link #forward} and {@link #backward} handle {@code act}. */
    static boolean handles(Activation act) {
        return switch (act) {
            case SIGMOID, TANH, GELU_ERF, GELU_TANH, SOFTPLUS -> true;
            default -> false;
        };
    }

    /** y[from..to) = act(x[from..to)); y may be x. */
    static void forward(Activation act, float[] x, float[] y, int from, int to) {
        switch (act) {''')
    for name, enum, f, b in ACTS:
        a(f"            case {enum} -> forward{name}(x, y, from, to);")
    a('''            default -> throw new IllegalArgumentException(act + " has no SIMD path");
        }
    }

    /** dx[from..to) from x, y (the forward output) and dy; dx may be dy. */
    static void backward(Activation act, float[] x, float[] y, float[] dy, float[] dx, int from, int to) {
        switch (act) {''')
    for name, enum, f, b in ACTS:
        a(f"            case {enum} -> backward{name}(x, y, dy, dx, from, to);")
    a('''            default -> throw new IllegalArgumentException(act + " has no SIMD path");
        }
    }

    /** The scratch vectors with the first {@code n} elements of up to three inputs, zero beyond. */
    private static float[][] tail(int inputs, int n, float[] a, int ao, float[] b, int bo, float[] c, int co) {
        float[][] t = TAIL.get();
        for (int k = 0; k < inputs; k++) {
            java.util.Arrays.fill(t[k], 0f);
        }
        System.arraycopy(a, ao, t[0], 0, n);
        if (b != null) {
            System.arraycopy(b, bo, t[1], 0, n);
        }
        if (c != null) {
            System.arraycopy(c, co, t[2], 0, n);
        }
        return t;
    }
''')
    for name, enum, f, b in ACTS:
        a(fwd_loop(name, f))
        a(bwd_loop(name, b))
    out[-1] = out[-1].rstrip("\n")
    a("}")
    return "\n".join(out) + "\n"

if __name__ == "__main__":
    open(sys.argv[1], "w").write(gen())
