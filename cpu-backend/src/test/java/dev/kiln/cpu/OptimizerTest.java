package dev.kiln.cpu;

import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.core.spi.DeviceBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.kiln.cpu.TestSupport.assertClose;
import static dev.kiln.cpu.TestSupport.buf;
import static dev.kiln.cpu.TestSupport.get;
import static dev.kiln.cpu.TestSupport.random;

/** The fused optimizer steps against the documented formulas in double, over three steps. */
class OptimizerTest {
    private static final int N = 1000;
    private static final int STEPS = 3;
    private static final double ATOL = 1e-6;
    private static final double RTOL = 1e-5;
    private static CpuEngine e;

    @BeforeAll
    static void open() {
        e = TestSupport.engine(2, true);
    }

    @AfterAll
    static void close() {
        e.close();
    }

    static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    static float[][] grads() {
        float[][] g = new float[STEPS][];
        for (int s = 0; s < STEPS; s++) {
            g[s] = random(100 + s, N, -1f, 1f);
        }
        return g;
    }

    @Test
    void sgdVariants() {
        SgdParams[] all = {SgdParams.plain(), SgdParams.momentum(0.9f), new SgdParams(0.9f, 0.1f, 0.01f, false),
                new SgdParams(0.8f, 0f, 0.001f, true)};
        float lr = 0.05f;
        for (SgdParams p : all) {
            float[] w0 = random(1, N, -1f, 1f);
            float[][] g = grads();
            double[] w = toDouble(w0);
            double[] buf = new double[N];
            DeviceBuffer wb = buf(e, w0);
            DeviceBuffer mb = p.hasMomentum() ? buf(e, new float[N]) : null;
            for (int s = 1; s <= STEPS; s++) {
                for (int i = 0; i < N; i++) {
                    double gi = g[s - 1][i] + (double) p.weightDecay() * w[i];
                    if (p.hasMomentum()) {
                        buf[i] = s == 1 ? gi : p.momentum() * buf[i] + (1 - (double) p.dampening()) * gi;
                        gi = p.nesterov() ? gi + p.momentum() * buf[i] : buf[i];
                    }
                    w[i] -= lr * gi;
                }
                e.sgdStep(wb, buf(e, g[s - 1]), mb, N, p, lr, s);
            }
            assertClose(w, get(e, wb, N), ATOL, RTOL, "sgd " + p);
        }
    }

    @Test
    void adamVariants() {
        AdamParams[] all = {AdamParams.adam(), AdamParams.adam().withWeightDecay(0.1f),
                AdamParams.adam().withAmsgrad(true), AdamParams.adamW(), AdamParams.adamW().withAmsgrad(true)};
        float lr = 0.01f;
        for (AdamParams p : all) {
            float[] w0 = random(2, N, -1f, 1f);
            float[][] g = grads();
            double[] w = toDouble(w0);
            double[] m = new double[N];
            double[] v = new double[N];
            double[] vmax = new double[N];
            DeviceBuffer wb = buf(e, w0);
            DeviceBuffer mb = buf(e, new float[N]);
            DeviceBuffer vb = buf(e, new float[N]);
            DeviceBuffer xb = p.amsgrad() ? buf(e, new float[N]) : null;
            for (int s = 1; s <= STEPS; s++) {
                double b1 = p.beta1();
                double b2 = p.beta2();
                for (int i = 0; i < N; i++) {
                    double gi = g[s - 1][i];
                    if (p.decoupled()) {
                        w[i] *= 1 - lr * (double) p.weightDecay();
                    } else {
                        gi += p.weightDecay() * w[i];
                    }
                    m[i] = b1 * m[i] + (1 - b1) * gi;
                    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                    vmax[i] = Math.max(vmax[i], v[i]);
                    double vv = p.amsgrad() ? vmax[i] : v[i];
                    double denom = Math.sqrt(vv) / Math.sqrt(1 - Math.pow(b2, s)) + p.eps();
                    w[i] -= (lr / (1 - Math.pow(b1, s))) * m[i] / denom;
                }
                e.adamStep(wb, buf(e, g[s - 1]), mb, vb, xb, N, p, lr, s);
            }
            assertClose(w, get(e, wb, N), ATOL, RTOL, "adam " + p);
            assertClose(m, get(e, mb, N), ATOL, RTOL, "adam m " + p);
            assertClose(v, get(e, vb, N), ATOL, RTOL, "adam v " + p);
        }
    }

    @Test
    void rmspropVariants() {
        RmsPropParams[] all = {RmsPropParams.defaults(), new RmsPropParams(0.9f, 1e-8f, 0.01f, 0f, true),
                new RmsPropParams(0.99f, 1e-6f, 0f, 0.9f, false), new RmsPropParams(0.95f, 1e-8f, 0.001f, 0.5f, true)};
        float lr = 0.01f;
        for (RmsPropParams p : all) {
            float[] w0 = random(3, N, -1f, 1f);
            float[][] g = grads();
            double[] w = toDouble(w0);
            double[] sq = new double[N];
            double[] ga = new double[N];
            double[] bf = new double[N];
            DeviceBuffer wb = buf(e, w0);
            DeviceBuffer sb = buf(e, new float[N]);
            DeviceBuffer gb = p.centered() ? buf(e, new float[N]) : null;
            DeviceBuffer bb = p.momentum() != 0 ? buf(e, new float[N]) : null;
            double a = p.alpha();
            for (int s = 1; s <= STEPS; s++) {
                for (int i = 0; i < N; i++) {
                    double gi = g[s - 1][i] + p.weightDecay() * w[i];
                    sq[i] = a * sq[i] + (1 - a) * gi * gi;
                    double avg;
                    if (p.centered()) {
                        ga[i] = a * ga[i] + (1 - a) * gi;
                        avg = Math.sqrt(sq[i] - ga[i] * ga[i]) + p.eps();
                    } else {
                        avg = Math.sqrt(sq[i]) + p.eps();
                    }
                    if (p.momentum() != 0) {
                        bf[i] = p.momentum() * bf[i] + gi / avg;
                        w[i] -= lr * bf[i];
                    } else {
                        w[i] -= lr * gi / avg;
                    }
                }
                e.rmspropStep(wb, buf(e, g[s - 1]), sb, gb, bb, N, p, lr, s);
            }
            assertClose(w, get(e, wb, N), ATOL, RTOL, "rmsprop " + p);
        }
    }

    @Test
    void adagradVariants() {
        AdagradParams[] all = {AdagradParams.defaults(), new AdagradParams(0.01f, 1e-10f, 0.01f, 0.1f)};
        float lr = 0.01f;
        for (AdagradParams p : all) {
            float[] w0 = random(4, N, -1f, 1f);
            float[][] g = grads();
            double[] w = toDouble(w0);
            double[] sum = new double[N];
            java.util.Arrays.fill(sum, p.initialAccumulatorValue());
            float[] sum0 = new float[N];
            java.util.Arrays.fill(sum0, p.initialAccumulatorValue());
            DeviceBuffer wb = buf(e, w0);
            DeviceBuffer sb = buf(e, sum0);
            for (int s = 1; s <= STEPS; s++) {
                double clr = lr / (1 + (s - 1) * (double) p.lrDecay());
                for (int i = 0; i < N; i++) {
                    double gi = g[s - 1][i] + p.weightDecay() * w[i];
                    sum[i] += gi * gi;
                    w[i] -= clr * gi / (Math.sqrt(sum[i]) + p.eps());
                }
                e.adagradStep(wb, buf(e, g[s - 1]), sb, N, p, lr, s);
            }
            assertClose(w, get(e, wb, N), ATOL, RTOL, "adagrad " + p);
        }
    }
}
