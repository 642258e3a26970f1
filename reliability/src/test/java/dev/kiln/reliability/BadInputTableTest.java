package dev.kiln.reliability;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.Backend;
import dev.kiln.core.DType;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import dev.kiln.core.verify.VerificationGrid;
import dev.kiln.testkit.FaultInjectingEngine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every op of the front door, on every available backend, with each argument in turn null, of the
 * wrong dtype, of the wrong shape, closed, or owned by another backend; every forbidden aliasing;
 * and every op on a closed backend. Each is a clear exception naming the op and the problem,
 * nothing reaches the engine (counted by a {@link FaultInjectingEngine} behind the front door), no
 * tensor leaks, and the backend keeps computing correctly afterwards.
 */
class BadInputTableTest {
    private static final int N = 4;
    private static final int[] M = {N, N};
    private static final int[] V = {N};
    private static final int[] ONE = {1};
    private static final int[] M_WRONG = {N, N + 1};
    private static final int[] V_WRONG = {N + 1};
    private static final int[] ONE_WRONG = {2};

    /** One argument: its role as messages name it, dtype, valid dims, dims that must be rejected (null: any shape is fine), and whether null is allowed. */
    record Arg(String role, DType dtype, int[] dims, int[] wrongDims, boolean nullable) {
        static Arg f(String role, int[] dims, int[] wrong) {
            return new Arg(role, DType.F32, dims, wrong, false);
        }

        static Arg i(String role, int[] dims, int[] wrong) {
            return new Arg(role, DType.I32, dims, wrong, false);
        }

        Arg orNull() {
            return new Arg(role, dtype, dims, wrongDims, true);
        }
    }

    /** How an op is called with its arguments in order. */
    interface Call {
        void run(Backend b, Tensor[] t);
    }

    /** One op: the name its messages start with, the engine method it would reach, its arguments, the call, and forbidden aliases (pairs of argument indices). */
    record OpCase(String label, String engineOp, List<Arg> args, Call call, int[][] aliases) {
        @Override
        public String toString() {
            return label;
        }
    }

    static List<OpCase> cases() {
        List<OpCase> c = new ArrayList<>();
        c.add(new OpCase("gemm", "gemm", List.of(Arg.f("a", M, M_WRONG), Arg.f("b", M, new int[] {N + 1, N}),
                Arg.f("c", M, M_WRONG)), (b, t) -> b.gemm(false, false, 1f, t[0], t[1], 0f, t[2]),
                new int[][] {{2, 0}, {2, 1}}));
        c.add(new OpCase("matmul|gemm", "gemm", List.of(Arg.f("a", M, M_WRONG), Arg.f("b", M, new int[] {N + 1, N})),
                (b, t) -> b.matmul(t[0], t[1]).close(), new int[0][]));
        c.add(new OpCase("biasAdd", "biasAdd", List.of(Arg.f("x", V, V_WRONG), Arg.f("bias", V, V_WRONG),
                Arg.f("y", V, V_WRONG)), (b, t) -> b.biasAdd(t[0], t[1], t[2]), new int[][] {{2, 1}}));
        c.add(new OpCase("biasGrad", "biasGrad", List.of(Arg.f("dy", V, V_WRONG), Arg.f("db", V, V_WRONG)),
                (b, t) -> b.biasGrad(t[0], t[1], 0f), new int[][] {{1, 0}}));
        for (Activation act : Activation.values()) {
            c.add(new OpCase("activation(" + act.id() + ")", "activation",
                    List.of(Arg.f("x", M, new int[] {N, N, 1}), Arg.f("y", M, M_WRONG)),
                    (b, t) -> b.activation(act, t[0], t[1]), act.rowWise() ? new int[][] {{1, 0}} : new int[0][]));
            c.add(new OpCase("activationBackward(" + act.id() + ")", "activationBackward",
                    List.of(Arg.f("x", M, M_WRONG), Arg.f("y", M, M_WRONG), Arg.f("dy", M, M_WRONG),
                            Arg.f("dx", M, M_WRONG)), (b, t) -> b.activationBackward(act, t[0], t[1], t[2], t[3]),
                    new int[][] {{3, 0}, {3, 1}}));
        }
        c.add(new OpCase("softmaxCrossEntropy", "softmaxCrossEntropy", List.of(Arg.f("logits", M, V),
                Arg.i("labels", V, V_WRONG), Arg.f("loss", ONE, ONE_WRONG), Arg.f("grad", M, M_WRONG).orNull()),
                (b, t) -> b.softmaxCrossEntropy(t[0], t[1], t[2], t[3], Reduction.MEAN, 0.1f), new int[0][]));
        for (LossKind kind : LossKind.values()) {
            Reduction red = kind == LossKind.KL_DIV ? Reduction.BATCHMEAN : Reduction.MEAN;
            c.add(new OpCase("loss(" + kind.id() + ")", "loss", List.of(Arg.f("input", M, M_WRONG),
                    Arg.f("target", M, M_WRONG), Arg.f("loss", ONE, ONE_WRONG), Arg.f("grad", M, M_WRONG).orNull()),
                    (b, t) -> b.loss(kind, t[0], t[1], t[2], t[3], red), new int[][] {{3, 1}}));
        }
        c.add(new OpCase("sgdStep", "sgdStep", List.of(Arg.f("param", M, M_WRONG), Arg.f("grad", M, M_WRONG),
                Arg.f("momentumBuf", M, M_WRONG)),
                (b, t) -> b.sgdStep(t[0], t[1], t[2], new SgdParams(0.9f, 0.1f, 0.01f, false), 0.1f, 2),
                new int[][] {{0, 1}, {2, 0}}));
        AdamParams ams = new AdamParams(0.9f, 0.999f, 1e-8f, 0.01f, true, false);
        c.add(new OpCase("adamStep", "adamStep", List.of(Arg.f("param", M, M_WRONG), Arg.f("grad", M, M_WRONG),
                Arg.f("expAvg", M, M_WRONG), Arg.f("expAvgSq", M, M_WRONG), Arg.f("maxExpAvgSq", M, M_WRONG)),
                (b, t) -> b.adamStep(t[0], t[1], t[2], t[3], t[4], ams, 0.001f, 3),
                new int[][] {{0, 1}, {2, 0}, {3, 2}, {4, 3}, {4, 2}}));
        RmsPropParams rms = new RmsPropParams(0.99f, 1e-8f, 0f, 0.9f, true);
        c.add(new OpCase("rmspropStep", "rmspropStep", List.of(Arg.f("param", M, M_WRONG), Arg.f("grad", M, M_WRONG),
                Arg.f("squareAvg", M, M_WRONG), Arg.f("gradAvg", M, M_WRONG), Arg.f("momentumBuf", M, M_WRONG)),
                (b, t) -> b.rmspropStep(t[0], t[1], t[2], t[3], t[4], rms, 0.01f, 1),
                new int[][] {{0, 1}, {2, 0}, {3, 2}, {4, 2}}));
        c.add(new OpCase("adagradStep", "adagradStep", List.of(Arg.f("param", M, M_WRONG), Arg.f("grad", M, M_WRONG),
                Arg.f("stateSum", M, M_WRONG)),
                (b, t) -> b.adagradStep(t[0], t[1], t[2], AdagradParams.defaults(), 0.01f, 1),
                new int[][] {{0, 1}, {2, 0}}));
        c.add(new OpCase("argmax", "argmax", List.of(Arg.f("x", M, V), Arg.i("out", V, V_WRONG)),
                (b, t) -> b.argmax(t[0], t[1]), new int[0][]));
        c.add(new OpCase("countCorrect", "countCorrect", List.of(Arg.f("logits", M, V), Arg.i("labels", V, V_WRONG),
                Arg.i("counter", ONE, ONE_WRONG)), (b, t) -> b.countCorrect(t[0], t[1], t[2]), new int[0][]));
        c.add(new OpCase("fill", "fill", List.of(Arg.f("x", M, null)), (b, t) -> b.fill(t[0], 2f), new int[0][]));
        c.add(new OpCase("fillInt", "fillInt", List.of(Arg.i("x", M, null)), (b, t) -> b.fillInt(t[0], 2),
                new int[0][]));
        c.add(new OpCase("copy", "copy", List.of(Arg.f("src", M, M_WRONG), Arg.f("dst", M, M_WRONG)),
                (b, t) -> b.copy(t[0], t[1]), new int[0][]));
        c.add(new OpCase("scale", "scale", List.of(Arg.f("x", M, null)), (b, t) -> b.scale(t[0], 0.5f), new int[0][]));
        c.add(new OpCase("axpy", "axpy", List.of(Arg.f("x", M, M_WRONG), Arg.f("y", M, M_WRONG)),
                (b, t) -> b.axpy(0.5f, t[0], t[1]), new int[0][]));
        for (NormKind kind : NormKind.values()) {
            c.add(new OpCase("norm", "norm", List.of(Arg.f("x", ONE, null), Arg.f("out", ONE, ONE_WRONG)),
                    (b, t) -> b.norm(kind, t[0], t[1]), new int[][] {{1, 0}}));
        }
        c.add(new OpCase("sum", "sum", List.of(Arg.f("x", ONE, null), Arg.f("out", ONE, ONE_WRONG)),
                (b, t) -> b.sum(t[0], t[1]), new int[][] {{1, 0}}));
        return c;
    }

    @TestFactory
    Stream<DynamicNode> everyOpRejectsEveryDefectOnEveryBackend() {
        return Available.names().stream().map(name -> DynamicContainer.dynamicContainer(name,
                Stream.of(DynamicTest.dynamicTest("all ops", () -> runTable(name)))));
    }

    private static void runTable(String name) {
        FaultInjectingEngine[] engine = new FaultInjectingEngine[1];
        int checked = 0;
        try (Backend b = Available.openInstrumented(name, engine);
             Backend foreign = VerificationGrid.openReference()) {
            for (OpCase op : cases()) {
                checked += runCase(b, engine[0], foreign, op);
            }
            assertTrue(checked > 400, "the table checked " + checked + " defects");
        }
    }

    @TestFactory
    Stream<DynamicTest> everyOpOnAClosedBackendIsAnIllegalStateException() {
        return Available.names().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            Backend b = Available.open(name);
            List<Tensor[]> made = new ArrayList<>();
            List<OpCase> ops = cases();
            for (OpCase op : ops) {
                Tensor[] t = new Tensor[op.args().size()];
                for (int i = 0; i < t.length; i++) {
                    t[i] = make(b, op.args().get(i).dtype(), op.args().get(i).dims());
                }
                made.add(t);
            }
            for (Tensor[] t : made) {
                for (Tensor x : t) {
                    x.close();
                }
            }
            b.close();
            for (int i = 0; i < ops.size(); i++) {
                Tensor[] t = made.get(i);
                OpCase op = ops.get(i);
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> op.call().run(b, t),
                        op::toString);
                assertTrue(e.getMessage().contains("backend " + name + " is closed"), op + ": " + e.getMessage());
            }
            assertThrows(IllegalStateException.class, () -> b.zeros(2, 2));
            assertThrows(IllegalStateException.class, b::scope);
            b.close(); // closing twice is harmless
        }));
    }

    @TestFactory
    Stream<DynamicTest> nonFiniteOrOutOfRangeScalarsAreRejected() {
        return Available.names().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            try (Backend b = Available.open(name);
                 Tensor m = make(b, DType.F32, M);
                 Tensor g = make(b, DType.F32, M);
                 Tensor s1 = make(b, DType.F32, M);
                 Tensor s2 = make(b, DType.F32, M);
                 Tensor v = make(b, DType.F32, V);
                 Tensor loss = make(b, DType.F32, ONE);
                 Tensor labels = make(b, DType.I32, V)) {
                float[] before = m.toFloatArray();
                expect(() -> b.gemm(false, false, Float.NaN, m, g, 0f, s1), "gemm: alpha must be finite");
                expect(() -> b.gemm(false, false, 1f, m, g, Float.POSITIVE_INFINITY, s1), "gemm: beta must be finite");
                expect(() -> b.biasGrad(m, v, Float.NaN), "biasGrad: beta must be finite");
                expect(() -> b.activation(Activation.LEAKY_RELU, Float.NaN, m, s1), "param must be finite");
                expect(() -> b.sgdStep(m, g, null, SgdParams.plain(), -0.1f, 1), "learning rate must be a finite number >= 0");
                expect(() -> b.sgdStep(m, g, null, SgdParams.plain(), Float.NaN, 1), "learning rate");
                expect(() -> b.adamStep(m, g, s1, s2, null, AdamParams.adam(), 0.001f, 0), "step is 1-based, got 0");
                expect(() -> b.adagradStep(m, g, s1, AdagradParams.defaults(), Float.POSITIVE_INFINITY, 1), "learning rate");
                expect(() -> b.softmaxCrossEntropy(m, labels, loss, null, Reduction.MEAN, 1.5f), "label smoothing must be in [0, 1]");
                expect(() -> b.softmaxCrossEntropy(m, labels, loss, null, Reduction.BATCHMEAN, 0f), "BATCHMEAN is for kl_div");
                try (Tensor bad = b.labels(0, 1, 4, 2)) {
                    expect(() -> b.softmaxCrossEntropy(m, bad, loss, null, Reduction.MEAN, 0f), "label 4 at row 2 is out of range [0, 4)");
                    expect(() -> b.countCorrect(m, bad, labels), "label 4 at row 2");
                }
                try (Tensor bad = b.labels(0, -1, 1, 2)) {
                    expect(() -> b.softmaxCrossEntropy(m, bad, loss, null, Reduction.SUM, 0f), "label -1 at row 1");
                }
                expect(() -> m.copyFrom(new float[3]), "cannot fill tensor [4, 4]");
                expect(() -> m.copyFrom(new float[16], 1), "from offset 1");
                expect(() -> m.copyFrom(new float[16], -1), "from offset -1");
                expect(() -> labels.toFloatArray(), "must be");
                expect(() -> b.fromArray(new float[5], 2, 2), "data has 5 values but shape [2, 2] needs 4");
                assertEquals(List.of(boxed(before)), List.of(boxed(m.toFloatArray())), "rejected calls changed nothing");
            }
        }));
    }

    private static void expect(org.junit.jupiter.api.function.Executable call, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, fragment);
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }

    private static int runCase(Backend b, FaultInjectingEngine engine, Backend foreign, OpCase op) {
        int liveBefore = b.liveTensors().size();
        Tensor[] valid = new Tensor[op.args().size()];
        try {
            for (int i = 0; i < valid.length; i++) {
                valid[i] = make(b, op.args().get(i).dtype(), op.args().get(i).dims());
            }
            // The valid call works, so each rejection below is due to its one defect.
            op.call().run(b, valid);
            int checked = 0;
            for (int i = 0; i < valid.length; i++) {
                Arg a = op.args().get(i);
                if (!a.nullable()) {
                    checked += rejects(b, engine, op, valid, i, null, IllegalArgumentException.class, a.role() + " is");
                }
                DType other = a.dtype() == DType.F32 ? DType.I32 : DType.F32;
                try (Tensor wrongType = make(b, other, a.dims())) {
                    String expect = op.label().equals("copy") && i == 0 ? "dst" : a.role();
                    checked += rejects(b, engine, op, valid, i, wrongType, IllegalArgumentException.class, expect);
                }
                if (a.wrongDims() != null) {
                    try (Tensor wrongShape = make(b, a.dtype(), a.wrongDims())) {
                        checked += rejects(b, engine, op, valid, i, wrongShape, IllegalArgumentException.class,
                                Shape.of(a.wrongDims()).toString());
                    }
                }
                Tensor closed = make(b, a.dtype(), a.dims());
                closed.close();
                checked += rejects(b, engine, op, valid, i, closed, IllegalStateException.class, "is closed (allocated at");
                try (Tensor alien = make(foreign, a.dtype(), a.dims())) {
                    checked += rejects(b, engine, op, valid, i, alien, IllegalArgumentException.class,
                            "belongs to backend reference");
                }
            }
            for (int[] alias : op.aliases()) {
                checked += rejects(b, engine, op, valid, alias[0], valid[alias[1]], IllegalArgumentException.class,
                        "must not be the same tensor as");
            }
            return checked;
        } finally {
            for (Tensor t : valid) {
                if (t != null) {
                    t.close();
                }
            }
            assertEquals(liveBefore, b.liveTensors().size(), op + ": a rejected call leaked a tensor");
            assertStillComputes(b);
        }
    }

    private static int rejects(Backend b, FaultInjectingEngine engine, OpCase op, Tensor[] valid, int index,
                               Tensor replacement, Class<? extends RuntimeException> type, String fragment) {
        Tensor[] args = valid.clone();
        args[index] = replacement;
        int before = engine.calls(op.engineOp());
        RuntimeException e = assertThrows(type, () -> op.call().run(b, args),
                () -> op + " with " + op.args().get(index).role() + " = " + replacement);
        String msg = e.getMessage();
        String what = op + ", " + op.args().get(index).role() + " = " + replacement + ": " + msg;
        assertTrue(msg.split(":")[0].matches(op.label().replace("(", "\\(").replace(")", "\\)")), "names the op: " + what);
        assertTrue(msg.contains(fragment), "expected '" + fragment + "' in: " + what);
        assertEquals(before, engine.calls(op.engineOp()), "the engine was reached: " + what);
        return 1;
    }

    static Tensor make(Backend b, DType dtype, int[] dims) {
        int n = Shape.of(dims).size();
        if (dtype == DType.F32) {
            float[] v = new float[n];
            Arrays.fill(v, 0.5f);
            return b.fromArray(v, dims);
        }
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
            v[i] = i % N;
        }
        return b.fromInts(v, dims);
    }

    static void assertStillComputes(Backend b) {
        try (Tensor x = b.fromArray(new float[] {1, 2, 3, 4}, 2, 2);
             Tensor y = b.matmul(x, x)) {
            assertEquals(List.of(7f, 10f, 15f, 22f), boxed(y.toFloatArray()));
        }
    }

    private static List<Float> boxed(float[] v) {
        List<Float> l = new ArrayList<>();
        for (float f : v) {
            l.add(f);
        }
        return l;
    }
}
