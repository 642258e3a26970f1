#!/usr/bin/env python3
"""Generates VectorActivations.java: the transcendental activations of Kiln's CPU backend in SIMD.

Usage (from cpu-backend/):
    python3 tools/gen_vector_activations.py src/main/java/dev/kiln/cpu/VectorActivations.java

One loop per activation and direction with the math written out in the loop body: C2 boxes a
vector passed to a method it did not inline, and it declines to inline a vector helper that it
has already compiled on its own ("callee is too large"), which made a first version 5-10x slower.
"""
import sys

def exp(out, arg, indent="                "):
    """Lines that set FloatVector `out` = exp(arg), from IEEE operations only (see the class Javadoc)."""
    o = out
    lines = [
        f"// {o} = exp({arg}): 2^k p(r), k = round(x log2 e), r = x - k ln 2 (two parts), p of degree 7",
        f"FloatVector {o}X = {arg}.max(EXP_LO).min(EXP_HI);",
        f"FloatVector {o}T = {o}X.fma(LOG2E, ROUNDER);",
        f"FloatVector {o}K = {o}T.sub(ROUNDER);",
        f"FloatVector {o}R = {o}K.fma(NEG_LN2_HI, {o}X);",
        f"{o}R = {o}K.fma(NEG_LN2_LO, {o}R);",
        f"FloatVector {o}P = {o}R.fma(P7, P6);",
    ]
    for c in ["P5", "P4", "P3", "P2", "ONE", "ONE"]:
        lines.append(f"{o}P = {o}P.fma({o}R, {c});")
    lines += [
        f"IntVector {o}I = {o}T.reinterpretAsInts().sub(ROUNDER_BITS);",
        f"IntVector {o}H = {o}I.lanewise(VectorOperators.ASHR, 1);",
        f"FloatVector {o} = {o}P.mul({o}H.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())",
        f"        .mul({o}I.sub({o}H).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());",
    ]
    return "".join(indent + l + "\n" for l in lines)

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
{exp_erfc}                FloatVector erfc = t.mul(ee);
                FloatVector cdf = erfc.blend(TWO.sub(erfc), z.compare(VectorOperators.LT, 0f)).mul(0.5f);
"""

ACTS = [
    # name, Activation, forward body (v -> r), backward body (x, y, dy -> r)
    ("Sigmoid", "SIGMOID",
     exp("e", "v.neg()") +
     "                FloatVector r = ONE.div(e.add(1f));\n",
     "                // s (1 - s) from the forward output, as in the plain loop\n"
     "                FloatVector r = dy.mul(y).mul(ONE.sub(y));\n"),
    ("Tanh", "TANH",
     "                // |tanh v| = m / (m + 2), m = expm1(2|v|): Taylor below 1.25, exp - 1 above\n"
     "                FloatVector z = v.abs().mul(2f).min(EXP_MAX);\n"
     "                FloatVector ms = z.mul(T11).add(T10);\n"
     + "".join(f"                ms = ms.mul(z).add(T{i});\n" for i in range(9, 0, -1)) +
     "                ms = ms.mul(z);\n"
     + exp("ez", "z") +
     "                FloatVector m = ez.sub(1f).blend(ms, z.compare(VectorOperators.LT, 1.25f));\n"
     "                FloatVector t = m.div(m.add(2f));\n"
     "                // v's sign; below 2^-12 tanh v rounds to v (so -0 stays -0)\n"
     "                FloatVector r = t.blend(t.neg(), v.compare(VectorOperators.LT, 0f))\n"
     "                        .blend(v, v.abs().compare(VectorOperators.LT, 0x1p-12f));\n",
     "                // 1 - t^2 from the forward output, one rounding\n"
     "                FloatVector r = dy.mul(y.neg().fma(y, ONE));\n"),
    ("GeluTanh", "GELU_TANH",
     "                // 0.5 v (1 + tanh u) = v / (1 + exp(-2u)), 2u = v (C1 + C3 v^2): no cancellation\n"
     + exp("e", "v.mul(v).fma(C3, C1).mul(v).neg()") +
     "                FloatVector r = v.div(e.add(1f));\n",
     "                // d/dx [x s] = s + x s (1 - s) (2u)', s = 1 / (1 + e), 1 - s = e s, e = exp(-2u) clamped\n"
     "                // so that e s stays finite where s underflows; -inf gives NaN, as in the plain loop\n"
     "                FloatVector x2 = x.mul(x);\n"
     + exp("e", "x2.fma(C3, C1).mul(x).neg().min(EXP_MAX)") +
     "                FloatVector s = ONE.div(e.add(1f));\n"
     "                FloatVector du = x2.fma(3f * C3, C1);\n"
     "                FloatVector r = dy.mul(x.mul(du).mul(s).mul(e.mul(s)).add(s))\n"
     "                        .blend(NAN, x.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));\n"),
    ("GeluErf", "GELU_ERF",
     NORMAL_CDF.format(v="v", exp_erfc=exp("ee", "a.neg().fma(a, p)")) +
     "                FloatVector r = v.mul(cdf);\n",
     NORMAL_CDF.format(v="x", exp_erfc=exp("ee", "a.neg().fma(a, p)")) +
     "                // Phi(x) + x phi(x)\n"
     + exp("g", "x.mul(x).mul(-0.5f)") +
     "                FloatVector pdf = g.mul(INV_SQRT_2PI);\n"
     "                FloatVector r = dy.mul(x.fma(pdf, cdf));\n"),
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

def exp_in_place():
    return f"""    /** {{@code e[i] = exp(e[i])}} for i in [0, n), in place, with the same exp as the activations. */
    static void expInPlace(float[] e, int n) {{
        for (int i = 0; i < n; i += L) {{
            float[] src = e;
            int o = i;
            if (i + L > n) {{
                float[][] t = tail(1, n - i, e, i, null, 0, null, 0);
                src = t[0];
                o = 0;
            }}
            FloatVector v = FloatVector.fromArray(S, src, o);
            {{
{exp("r", "v")}                r.intoArray(src, o);
            }}
            if (src != e) {{
                System.arraycopy(src, 0, e, i, n - i);
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
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The transcendental activations (sigmoid, tanh, both GELUs) and their gradients in float SIMD:
 * 10-60x faster than the plain loops' double-precision {@code Math} calls in {@link Activations},
 * which stay the path without the module (and for softplus).
 *
 * <p>The exponential is Kiln's own, from IEEE operations only: {@code 2^k p(r)} with
 * {@code k = round(x log2 e)}, {@code r = x - k ln 2} in two parts, p the Taylor polynomial of
 * degree 7 (about 1 ulp), 2^k built in the exponent bits. Not the Vector API's {@code EXP}: that is
 * Intel's SVML once C2 has compiled the loop but {@code Math.exp} per lane before, and the two
 * differ in the last bit, so results (and a training run) would depend on when the JIT got to
 * them. Additions, multiplications, fused multiply-adds and conversions are exact-defined, so
 * these loops give the same bits interpreted, in C1 and in C2.
 *
 * <p>The formulas avoid cancellation, so the float results keep a small error everywhere
 * ({@code SimdActivationTest} bounds it against the double loops): {@code 1 + tanh(u)} is written
 * {@code 2 sigmoid(2u)}, so the tanh GELU is {@code x / (1 + exp(-2u))}; the erf GELU is
 * {@code x Phi(x)} with {@code Phi(x) = erfc(-x / sqrt 2) / 2} and erfc from the Chebyshev-fitted
 * {@code t exp(-z^2 + P(t))}, {@code t = 1 / (1 + z/2)} (Numerical Recipes' erfcc, fractional
 * error below 1.2e-7 for z >= 0), which keeps its relative accuracy in the left tail where
 * {@code 1 + erf} would cancel; tanh is {@code m / (m + 2)} with {@code m = expm1(2|x|)} (Taylor
 * below 1.25) and x's sign.
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
    /** exp(87) is finite in float. */
    private static final float EXP_MAX = 87f;
    /** exp's argument range: below EXP_LO it is 0, above EXP_HI infinite (both already at the bounds). */
    private static final float EXP_LO = -104f;
    private static final float EXP_HI = 88.8f;
    private static final float LOG2E = 1.44269504f;
    /** 1.5 * 2^23: adding it rounds a float below 2^22 to an integer, to nearest even. */
    private static final float ROUNDER = 12582912f;
    /** ROUNDER's bits: ROUNDER + k has the bits ROUNDER_BITS + k (no float-to-int conversion, which JDK 17 does not intrinsify). */
    private static final int ROUNDER_BITS = 0x4B400000;
    /** -ln 2 in two parts: the first has 9 bits, so k times it is exact. */
    private static final FloatVector NEG_LN2_HI = FloatVector.broadcast(S, -0.693359375f);
    private static final FloatVector NEG_LN2_LO = FloatVector.broadcast(S, 2.12194440e-4f);
    /** exp's polynomial on |r| <= ln 2 / 2: Taylor, 1/n! (truncation 6e-9). */
    private static final FloatVector P2 = FloatVector.broadcast(S, 1f / 2);
    private static final FloatVector P3 = FloatVector.broadcast(S, 1f / 6);
    private static final FloatVector P4 = FloatVector.broadcast(S, 1f / 24);
    private static final FloatVector P5 = FloatVector.broadcast(S, 1f / 120);
    private static final FloatVector P6 = FloatVector.broadcast(S, 1f / 720);
    private static final FloatVector P7 = FloatVector.broadcast(S, 1f / 5040);
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
    private static final FloatVector TWO = FloatVector.broadcast(S, 2f);
    private static final FloatVector NAN = FloatVector.broadcast(S, Float.NaN);
    /** expm1's Taylor coefficients 1/n!, n = 1..11, for tanh on [0, 1.25) (truncation 3e-8). */
    private static final float T1 = 1f;
    private static final float T2 = (float) (1.0 / 2);
    private static final float T3 = (float) (1.0 / 6);
    private static final float T4 = (float) (1.0 / 24);
    private static final float T5 = (float) (1.0 / 120);
    private static final float T6 = (float) (1.0 / 720);
    private static final float T7 = (float) (1.0 / 5040);
    private static final float T8 = (float) (1.0 / 40320);
    private static final float T9 = (float) (1.0 / 362880);
    private static final float T10 = (float) (1.0 / 3628800);
    private static final float T11 = (float) (1.0 / 39916800);
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
            case SIGMOID, TANH, GELU_ERF, GELU_TANH -> true;
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
    a(exp_in_place())
    for name, enum, f, b in ACTS:
        a(fwd_loop(name, f))
        a(bwd_loop(name, b))
    out[-1] = out[-1].rstrip("\n")
    a("}")
    return "\n".join(out) + "\n"

if __name__ == "__main__":
    open(sys.argv[1], "w").write(gen())
