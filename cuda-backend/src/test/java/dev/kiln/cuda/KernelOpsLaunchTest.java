package dev.kiln.cuda;

import dev.kiln.core.Activation;
import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.DType;
import dev.kiln.core.LossKind;
import dev.kiln.core.NormKind;
import dev.kiln.core.Reduction;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.core.spi.DeviceBuffer;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.kernels.KernelSources;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every kernel launch the CUDA engine makes, checked without a GPU against the kernels' own
 * signatures (parsed from KernelSources): the kernel exists, the argument count, each argument's
 * kind (pointer, int, float) and a buffer's element type, and block sizes that match the
 * kernels' shared arrays. An argument slip here would otherwise only show on a GPU, as garbage.
 */
class KernelOpsLaunchTest {
    private static final int WG = 256;
    private static final int TS = 64;
    private static final int WPT = 4;

    /** One kernel parameter: a pointer to {@code type}, or a scalar {@code type}. */
    record Param(boolean pointer, String type) {
    }

    /** boundsThreads: the threads of the kernel's WG_BOUNDS, or 0 when it has none. */
    record Signature(List<Param> params, boolean usesWorkGroup, int boundsThreads) {
    }

    record Launch(String op, String kernel, int gx, int gy, int bx, int by, Object[] args) {
    }

    record FakeBuffer(DType dtype, int elements) implements DeviceBuffer {
    }

    private static Map<String, Signature> signatures;

    @BeforeAll
    static void parse() {
        signatures = parseSignatures(KernelSources.program(KernelSources.Dialect.CUDA));
    }

    static Map<String, Signature> parseSignatures(String source) {
        String src = source.replace("\\\n", " ");
        List<String> activations = new ArrayList<>();
        Matcher act = Pattern.compile("(?m)^KILN_ACTIVATION\\((\\w+)\\)").matcher(src);
        while (act.find()) {
            activations.add(act.group(1));
        }
        Map<String, Signature> out = new HashMap<>();
        // KERNEL [WG_BOUNDS(threads, blocks)] void name(params) {
        Matcher m = Pattern.compile("KERNEL\\s+(?:WG_BOUNDS\\(\\s*(\\w+)[^)]*\\)\\s+)?void\\s+([\\w#]+)\\s*"
                + "\\(([^)]*)\\)\\s*\\{").matcher(src);
        while (m.find()) {
            List<Param> params = new ArrayList<>();
            int bounds = 0;
            if (m.group(1) != null) {
                String t = m.group(1);
                Matcher def = Pattern.compile("#define\\s+" + t + "\\s+(\\d+)").matcher(src);
                bounds = t.matches("\\d+") ? Integer.parseInt(t) : def.find() ? Integer.parseInt(def.group(1)) : -1;
            }
            for (String p : m.group(3).split(",")) {
                String t = p.replaceAll("\\b(GLOBAL|const|RESTRICT)\\b", " ").trim();
                boolean ptr = t.contains("*");
                String type = t.split("[\\s*]+")[0];
                params.add(new Param(ptr, type));
            }
            // The body: from the opening brace to its matching close.
            int depth = 0;
            int i = m.end() - 1;
            int end = i;
            for (; i < src.length(); i++) {
                char c = src.charAt(i);
                if (c == '{') {
                    depth++;
                } else if (c == '}' && --depth == 0) {
                    end = i;
                    break;
                }
            }
            boolean usesWg = src.substring(m.end(), end).contains("KILN_WG");
            String name = m.group(2);
            if (name.contains("##")) {
                for (String a : activations) {
                    out.put(name.replace("name##", a), new Signature(params, usesWg, bounds));
                }
            } else {
                out.put(name, new Signature(params, usesWg, bounds));
            }
        }
        return out;
    }

    /** KernelOps with fake memory that records what it would launch. */
    static final class Recorder extends KernelOps {
        final List<Launch> launches = new ArrayList<>();
        final List<String> memsets = new ArrayList<>();
        final FakeBuffer flag = new FakeBuffer(DType.I32, 4);
        boolean vendor;
        int flagRaises;

        @Override
        protected int workGroup() {
            return WG;
        }

        @Override
        protected int gemmTile() {
            return TS;
        }

        @Override
        protected int gemmWorkPerThread() {
            return WPT;
        }

        @Override
        protected DeviceBuffer errorFlag() {
            return flag;
        }

        @Override
        protected void flagRaised() {
            flagRaises++;
        }

        @Override
        protected void launch(String op, String kernel, int gridX, int gridY, int blockX, int blockY, Object... args) {
            launches.add(new Launch(op, kernel, gridX, gridY, blockX, blockY, args));
        }

        @Override
        protected void uploadBytes(String op, byte[] src, int srcOffset, DeviceBuffer dst, int count) {
            assertTrue(dst.dtype() == DType.I32 && 4L * dst.elements() >= count, op + ": " + count + " bytes into " + dst);
            memsets.add(op);
        }

        @Override
        protected void memset32(String op, DeviceBuffer x, int bits, int n) {
            assertTrue(n > 0 && n <= x.elements(), op + ": memset of " + n + " into " + x);
            memsets.add(op);
        }

        @Override
        protected boolean vendorGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a,
                                     DeviceBuffer b, float beta, DeviceBuffer c) {
            return vendor;
        }

        @Override
        public DeviceInfo device() {
            return null;
        }

        @Override
        public DeviceBuffer allocate(DType dtype, int elements) {
            return new FakeBuffer(dtype, elements);
        }

        @Override
        public void free(DeviceBuffer buffer) {
        }

        @Override
        public void upload(float[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        }

        @Override
        public void upload(int[] src, int srcOffset, DeviceBuffer dst, int dstOffset, int count) {
        }

        @Override
        public void download(DeviceBuffer src, int srcOffset, float[] dst, int dstOffset, int count) {
        }

        @Override
        public void download(DeviceBuffer src, int srcOffset, int[] dst, int dstOffset, int count) {
        }

        @Override
        public void synchronize() {
        }

        @Override
        public void copy(DeviceBuffer src, DeviceBuffer dst, int n) {
        }

        @Override
        public void close() {
        }
    }

    private static FakeBuffer f(int n) {
        return new FakeBuffer(DType.F32, n);
    }

    private static FakeBuffer i(int n) {
        return new FakeBuffer(DType.I32, n);
    }

    /** Runs every op of the SPI (every variant) through a Recorder. */
    static Recorder exerciseEverything() {
        Recorder r = new Recorder();
        int rows = 33, cols = 17, n = rows * cols;
        for (int t = 0; t < 4; t++) {
            r.gemm((t & 1) != 0, (t & 2) != 0, 33, 17, 65, 1.5f, f(33 * 65), f(65 * 17), 0.5f, f(33 * 17));
        }
        for (int t = 0; t < 4; t++) {  // 4 x 4 tiles of 128: gemm_big; 2 tiles of 64 over k = 784: split-K
            r.gemm((t & 1) != 0, (t & 2) != 0, 512, 500, 9, 1f, f(512 * 9), f(9 * 500), 0f, f(512 * 500));
            r.gemm((t & 1) != 0, (t & 2) != 0, 64, 128, 784, 1f, f(64 * 784), f(784 * 128), 0.5f, f(64 * 128));
        }
        r.gemm(false, false, 3, 4, 0, 1f, f(1), f(1), 0f, f(12));
        r.gemm(false, false, 3, 4, 0, 1f, f(1), f(1), 2f, f(12));
        r.biasAdd(f(n), f(cols), f(n), rows, cols);
        r.biasGrad(f(n), f(cols), rows, cols, 0f);
        for (Activation a : Activation.values()) {
            r.activation(a, 0.01f, f(n), f(n), rows, cols);
            r.activationBackward(a, 0.01f, f(n), f(n), f(n), f(n), rows, cols);
        }
        for (Reduction red : Reduction.values()) {
            r.softmaxCrossEntropy(f(n), i(rows), f(1), f(n), rows, cols, red, 0.1f);
            r.softmaxCrossEntropy(f(n), i(rows), f(1), null, rows, cols, red, 0f);
            for (LossKind k : LossKind.values()) {
                r.loss(k, f(n), f(n), f(1), f(n), rows, cols, red);
                r.loss(k, f(n), f(n), f(1), null, rows, cols, red);
            }
        }
        r.sgdStep(f(n), f(n), null, n, SgdParams.plain(), 0.1f, 1);
        r.sgdStep(f(n), f(n), f(n), n, new SgdParams(0.9f, 0f, 1e-4f, true), 0.1f, 3);
        r.adamStep(f(n), f(n), f(n), f(n), null, n, AdamParams.adam(), 1e-3f, 1);
        r.adamStep(f(n), f(n), f(n), f(n), f(n), n, AdamParams.adamW().withAmsgrad(true), 1e-3f, 7);
        r.rmspropStep(f(n), f(n), f(n), null, null, n, RmsPropParams.defaults(), 1e-2f, 1);
        r.rmspropStep(f(n), f(n), f(n), f(n), f(n), n, new RmsPropParams(0.9f, 1e-8f, 0.1f, 0.5f, true), 1e-2f, 2);
        r.adagradStep(f(n), f(n), f(n), n, new AdagradParams(0.1f, 1e-10f, 0.01f, 0f), 0.1f, 4);
        r.argmax(f(n), i(rows), rows, cols);
        r.countCorrect(f(n), i(rows), i(1), rows, cols);
        r.fill(f(n), 1f, n);
        r.fillInt(i(n), 3, n);
        r.scale(f(n), 2f, n);
        r.axpy(2f, f(n), f(n), n);
        for (NormKind k : NormKind.values()) {
            r.norm(k, f(100_000), f(1), 100_000);
        }
        r.sum(f(1), f(1), 1);
        r.uploadUnsignedBytes(new byte[20], 1, f(30), 3, 17, 255f);
        return r;
    }

    @Test
    void everyLaunchMatchesTheKernelSignature() {
        Recorder r = exerciseEverything();
        assertTrue(r.launches.size() > 100, "launches: " + r.launches.size());
        for (Launch l : r.launches) {
            String where = l.op() + " -> " + l.kernel();
            assertTrue(KernelSources.KERNEL_NAMES.contains(l.kernel()), where + ": not a kernel of kiln-kernels");
            Signature sig = signatures.get(l.kernel());
            assertNotNull(sig, where + ": signature not found in the source");
            assertEquals(sig.params().size(), l.args().length, where + ": argument count");
            for (int a = 0; a < l.args().length; a++) {
                Param p = sig.params().get(a);
                Object v = l.args()[a];
                String at = where + " argument " + a + " (" + (p.pointer() ? p.type() + "*" : p.type()) + ")";
                if (p.pointer()) {
                    if (v != null) {
                        assertTrue(v instanceof FakeBuffer, at + ": got " + v);
                        DType want = p.type().equals("float") ? DType.F32 : DType.I32;
                        assertEquals(want, ((FakeBuffer) v).dtype(), at + ": element type");
                    }
                } else if (p.type().equals("int")) {
                    assertTrue(v instanceof Integer, at + ": got " + (v == null ? "null" : v.getClass()));
                } else if (p.type().equals("float")) {
                    assertTrue(v instanceof Float, at + ": got " + (v == null ? "null" : v.getClass()));
                } else {
                    fail(at + ": unexpected parameter type");
                }
            }
            assertTrue(l.gx() > 0 && l.gy() > 0, where + ": empty grid");
            if (l.kernel().equals("gemm_tiled") || l.kernel().equals("gemm_tiled_split")) {
                assertEquals(TS / WPT, l.bx(), where);
                assertEquals(TS / WPT, l.by(), where);
            } else if (l.kernel().equals("gemm_big")) {
                assertEquals(sig.boundsThreads(), l.bx(), where + ": WG_BOUNDS of the kernel");
                assertEquals(1, l.by(), where);
            } else if (sig.usesWorkGroup()) {
                assertEquals(WG, l.bx(), where + ": a kernel with KILN_WG shared arrays needs blocks of KILN_WG");
                assertEquals(1, l.by(), where);
            }
        }
    }

    @Test
    void optionalBuffersArePassedAsNullOnlyWhereTheKernelIsToldSo() {
        Recorder r = new Recorder();
        r.sgdStep(f(8), f(8), null, 8, SgdParams.plain(), 0.1f, 1);
        Launch l = r.launches.get(0);
        assertEquals(null, l.args()[2]);
        assertEquals(0, l.args()[3], "hasMomentum must be 0 with no buffer");
        r.launches.clear();
        r.softmaxCrossEntropy(f(12), i(3), f(1), null, 3, 4, Reduction.MEAN, 0f);
        Launch x = r.launches.get(0);
        assertEquals("softmax_xent", x.kernel());
        assertEquals(null, x.args()[3]);
        assertEquals(0, x.args()[4], "hasGrad must be 0 with no grad");
    }

    @Test
    void reductionScalesFollowPyTorch() {
        Recorder r = new Recorder();
        r.loss(LossKind.MSE, f(12), f(12), f(1), f(12), 3, 4, Reduction.MEAN);
        assertEquals(1f / 12, (Float) r.launches.get(0).args()[5], 1e-9, "MEAN divides by the element count");
        r.launches.clear();
        r.loss(LossKind.KL_DIV, f(12), f(12), f(1), f(12), 3, 4, Reduction.BATCHMEAN);
        assertEquals(1f / 3, (Float) r.launches.get(0).args()[5], 1e-9, "BATCHMEAN divides by the rows");
        assertEquals(4, r.launches.get(0).args()[0], "KL_DIV is kind 4 in losses.kc");
        r.launches.clear();
        r.softmaxCrossEntropy(f(12), i(3), f(1), f(12), 3, 4, Reduction.MEAN, 0f);
        assertEquals(1f / 3, (Float) r.launches.get(0).args()[8], 1e-9, "cross-entropy MEAN divides by the rows");
        assertEquals(1, r.flagRaises);
    }

    @Test
    void theGemmKernelIsChosenByShape() {
        Recorder r = new Recorder();
        r.gemm(false, false, 64, 128, 784, 1f, f(64 * 784), f(784 * 128), 0f, f(64 * 128));
        assertEquals(List.of("gemm_tiled_split", "gemm_split_reduce"), r.launches.stream().map(Launch::kernel).toList());
        assertEquals(25 * ((64 + TS - 1) / TS), r.launches.get(0).gy(), "row tiles x splits");
        r.launches.clear();
        r.gemm(false, false, 1024, 1024, 64, 1f, f(1024 * 64), f(64 * 1024), 0f, f(1024 * 1024));
        assertEquals("gemm_big", r.launches.get(0).kernel());
        r.launches.clear();
        r.gemm(false, false, 256, 256, 64, 1f, f(256 * 64), f(64 * 256), 0f, f(256 * 256));
        assertEquals("gemm_tiled", r.launches.get(0).kernel());
    }

    @Test
    void gemmWithEmptyInnerDimensionOnlyTouchesC() {
        Recorder r = new Recorder();
        r.gemm(false, false, 3, 4, 0, 1f, f(1), f(1), 0f, f(12));
        assertTrue(r.launches.isEmpty());
        assertEquals(List.of("fill"), r.memsets);
        r.gemm(false, false, 3, 4, 0, 1f, f(1), f(1), 0.5f, f(12));
        assertEquals("scale_f32", r.launches.get(0).kernel());
    }

    @Test
    void vendorGemmReplacesThePortableKernel() {
        Recorder r = new Recorder();
        r.vendor = true;
        r.gemm(false, true, 5, 6, 7, 1f, f(35), f(42), 0f, f(30));
        assertTrue(r.launches.isEmpty());
        r.portableGemm(false, true, 5, 6, 7, 1f, f(35), f(42), 0f, f(30));
        assertFalse(r.launches.isEmpty());
    }
}
