#!/usr/bin/env python3
"""Generates VectorGemmKernel.java, the SIMD GEMM micro-kernel of Kiln's CPU backend.

Usage (from cpu-backend/):
    python3 tools/gen_vector_kernel.py VectorGemmKernel src/main/java/dev/kiln/cpu/VectorGemmKernel.java

The tile bodies are unrolled so that C2 keeps the accumulators in registers; one body per
(rows 12 or 6, the full MR) x 2 vectors of columns x (A packed/column-major or row-major in place).
Edge tiles run the full body on zero-padded panels (see the dispatch's Javadoc).
"""
import sys
ROWS=[12,6]  # tile heights: 12 for 512-bit vectors, 6 (or QUARTER, see Simd.avx2TileRows) for narrower ones
QUARTER=4  # the 12-row kernel's remainder tile: a last panel of at most 8 rows runs as one or two of these
NARROW_ROWS=[16,6]  # the one-vector-wide variant's tile heights (NARROW_MR)
# Tiles with a packed-panel body of constant strides: the AVX2 tiles, whose packed A steps
# PACK_STEP[R] floats (8 for 6 rows, 4 for 4: a power of two, so that C2 drops the A bounds checks
# from the loop; with 16 vector registers the loop is bound by its instruction count, not by its FMAs).
PACK_STEP={6: 8, 4: 4}
def body(R, V):
    L=[]; w=L.append
    w(f"    /** The {R} x {V}-vector tile. */")
    w(f"    private static void tile{R}x{V}(int kc, float[] ap, int aOff, int aStep, float[] bp, int bOff, int bStep,")
    w(f"            float[] c, int cOff, int ldc, int rows, int cols, float alpha, float beta, boolean first, float[] t) {{")
    for r in range(R):
        for v in range(V):
            w(f"        FloatVector c{r}_{v} = FloatVector.zero(S);")
    w("        int ai = aOff;")
    w("        int bi = bOff;")
    w("        for (int p = 0; p < kc; p++) {")
    for v in range(V):
        w(f"            FloatVector b{v} = FloatVector.fromArray(S, bp, bi{'' if v==0 else ' + L'});")
    for r in range(R):
        w(f"            FloatVector a{r} = FloatVector.broadcast(S, ap[ai{'' if r==0 else ' + '+str(r)}]);")
        for v in range(V):
            w(f"            c{r}_{v} = a{r}.fma(b{v}, c{r}_{v});")
    w("            ai += aStep;")
    w("            bi += bStep;")
    w("        }")
    # The common case, a whole tile with alpha 1 that overwrites C (beta 0, first K block), is
    # stored straight from the registers: exactly GemmKernel.update's arithmetic (acc * 1 is acc),
    # without the spill and reload of the general merge. Only this case: with the accumulating
    # case too, the method outgrew what C1 can compile ("out of virtual registers"), and the
    # kernels then ran unoptimised until C2 got to them.
    w(f"        if (first && beta == 0f && alpha == 1f && rows == {R} && cols == {V} * L) {{")
    for r in range(R):
        row = "cOff" if r == 0 else f"cOff + {r} * ldc" if r > 1 else "cOff + ldc"
        for v in range(V):
            off = row if v == 0 else f"{row} + {'L' if v == 1 else str(v) + ' * L'}"
            w(f"            c{r}_{v}.intoArray(c, {off});")
    w("            return;")
    w("        }")
    # Otherwise spill to the scratch tile, then merge in a loop: calls taking vectors would box them
    # (C2 does not inline cold call sites), and unrolling every case of the merge makes the method
    # too big for C2.
    for r in range(R):
        for v in range(V):
            w(f"        c{r}_{v}.intoArray(t, {r * V} * L{'' if v==0 else ' + L'});")
    w(f"        merge(t, {V} * L, c, cOff, ldc, rows, cols, alpha, beta, first);")
    w("    }")
    return L

def bodyRow(R, V):
    L = body(R, V)
    out=[]
    for line in L:
        line=line.replace(f"private static void tile{R}x{V}(", f"private static void rows{R}x{V}(")
        line=line.replace("int aOff, int aStep,", "int aOff, int lda,")
        line=line.replace(f"/** The {R} x {V}-vector tile. */", f"/** The {R} x {V}-vector tile, A read in place from row-major storage (row stride lda). */")
        out.append(line)
    res=[]
    for line in out:
        if line.strip()=="int ai = aOff;":
            res.append(line)
            for r in range(1,R):
                res.append(f"        int o{r} = {r} * lda;")
            continue
        for r in range(R):
            old = f"ap[ai{'' if r==0 else ' + '+str(r)}]"
            if old in line:
                line=line.replace(old, f"ap[ai{'' if r==0 else ' + o'+str(r)}]")
                break
        line=line.replace("ai += aStep;","ai++;")
        res.append(line)
    return res

def bodyPacked(R, V):
    """The tile on a packed A panel (PACK_STEP[R] floats a step, a literal); B packed or in place."""
    step = PACK_STEP[R]
    out=[]
    for line in body(R, V):
        line=line.replace(f"private static void tile{R}x{V}(int kc, float[] ap, int aOff, int aStep, float[] bp, int bOff, int bStep,",
                          f"private static void packed{R}x{V}(int kc, float[] ap, int aOff, float[] bp, int bOff, int bStep,")
        line=line.replace(f"/** The {R} x {V}-vector tile. */",
                          f"/** The {R} x {V}-vector tile on a packed A panel ({step} floats a step); B packed or in place. */")
        if line.strip()=="int ai = aOff;":
            continue
        if line.strip()=="for (int p = 0; p < kc; p++) {":
            out.append(line)
            # A's index as a multiple of the loop counter (C2 then hoists its bounds checks), B's
            # as a bumped pointer: the form that measured fastest. C2 keeps B's checks either way,
            # so a variable B stride (B read in place) costs nothing over the packed one.
            out.append(f"            int ai = aOff + p * {step};")
            continue
        line=line.replace("ai += aStep;","")
        if line.strip()=="":
            continue
        out.append(line)
    return out

def gen(cls):
    L=[]; w=L.append
    w("package dev.kiln.cpu;\n")
    w("import jdk.incubator.vector.FloatVector;")
    w("import jdk.incubator.vector.VectorSpecies;\n")
    w("/**")
    w(" * The SIMD micro-kernel (jdk.incubator.vector): with 512-bit vectors a 12 x 2-vector tile of C")
    w(" * held in registers (24 accumulators, 2 B vectors and a broadcast fit AVX-512's 32 registers);")
    w(" * with narrower vectors (AVX2 has 16 registers) a 6 x 2-vector tile, or 4 x 2 on JVMs whose C2 spills")
    w(" * the 6-row tile (see {@link Simd#avx2TileRows}); and a 16 x 1-vector variant")
    w(" * (6 x 1 with narrow vectors) for products at most one vector wide (the MLP's 10 classes). The")
    w(" * 12-row kernel runs a last panel of at most 8 rows as one or two 4 x 2-vector tiles (a batch of")
    w(" * 64 rows is 5 x 12 + 4). One FMA per lane and step. The AVX2 tiles have a second body for a")
    w(" * packed A, with a constant stride (the 6-row tile's A padded to 8 floats a step, see {@link #packStep}): with")
    w(" * AVX2's 16 registers its loop is bound by instruction count, and the bounds checks and index")
    w(" * arithmetic of the general body cost a fifth of its speed.")
    w(" * Edge tiles run the full tile on the zero-padded panels (see {@link #tile}). Loaded only when")
    w(" * the module is present.")
    w(" *")
    w(" * <p>{@code -Dkiln.cpu.simd.bits=256} (or 128) uses narrower vectors than the preferred ones,")
    w(" * for testing the narrow tiles on a wide machine.")
    w(" *")
    w(" * <p>Generated by {@code cpu-backend/tools/gen_vector_kernel.py}: edit that, not this file. The")
    w(" * bodies are unrolled because C2 keeps only named locals in registers. A whole tile with alpha 1")
    w(" * that overwrites C (the usual case) is stored straight from the registers; any other tile is")
    w(" * spilled to the caller's scratch array and merged in a loop, because passing")
    w(" * vectors to a call that C2 does not inline boxes them, and unrolling every case of the merge")
    w(" * makes the method too big to compile.")
    w(" */")
    w(f"final class {cls} implements GemmKernel {{")
    w("    private static final VectorSpecies<Float> S = species();")
    w("    private static final int L = S.length();")
    w("    /** Rows per tile: 12 where 32 vector registers hold the tile, else 6 or 4 ({@link Simd#avx2TileRows}). */")
    w("    static final int MR = L >= 16 ? 12 : Simd.avx2TileRows();")
    w("    static final int NR = 2 * L;")
    w("    /** Rows of the one-vector-wide variant: 16 accumulators where 32 registers hold them, else 6. */")
    w("    static final int NARROW_MR = L >= 16 ? 16 : 6;")
    w("    /**")
    w("     * Rows of the remainder tile that the 12-row kernel uses for a last panel of at most 8 rows, and")
    w("     * of the AVX2 tile on JVMs whose C2 spills the 6-row one.")
    w("     */")
    w(f"    static final int QUARTER = {QUARTER};\n")
    w("    /** This kernel's tile height: {@link #MR} or {@link #NARROW_MR}. */")
    w("    private final int mr;")
    w("    /** This kernel's tile width in vectors: 2, or 1 for the narrow variant. */")
    w("    private final int vectors;\n")
    w("    /** The main kernel, {@link #MR} rows. */")
    w("    VectorGemmKernel() {")
    w("        this(MR, 2);")
    w("    }\n")
    w("    /**")
    w("     * The kernel of {@code mr} rows and {@code vectors} vectors of columns: {@link #MR} rows by 2")
    w("     * vectors, or {@link #NARROW_MR} rows by 1 (the narrow variant).")
    w("     */")
    w("    VectorGemmKernel(int mr, int vectors) {")
    w("        boolean known = vectors == 2 ? mr == MR : vectors == 1 && mr == NARROW_MR;")
    w("        if (!known) {")
    w("            throw new IllegalArgumentException(\"no \" + mr + \" x \" + vectors + \"-vector tile with \"")
    w("                    + S.vectorBitSize() + \"-bit vectors\");")
    w("        }")
    w("        this.mr = mr;")
    w("        this.vectors = vectors;")
    w("    }\n")
    w("    private static VectorSpecies<Float> species() {")
    w("        int bits = Integer.getInteger(\"kiln.cpu.simd.bits\", 0);")
    w("        if (bits > 0 && bits < FloatVector.SPECIES_PREFERRED.vectorBitSize()) {")
    w("            return VectorSpecies.of(float.class, jdk.incubator.vector.VectorShape.forBitSize(bits));")
    w("        }")
    w("        return FloatVector.SPECIES_PREFERRED;")
    w("    }\n")
    w("    /** The vector width in use, in bits. */")
    w("    static int vectorBits() {")
    w("        return S.vectorBitSize();")
    w("    }\n")
    w("    @Override\n    public int mr() {\n        return mr;\n    }\n")
    w("    @Override\n    public int nr() {\n        return vectors * L;\n    }\n")
    w("    /** With the 12-row kernel, a last panel of at most 8 rows runs as 4-row tiles (see {@link #tile}). */")
    w("    @Override")
    w("    public long rowsComputed(int m) {")
    w("        int rem = m % mr;")
    w("        if (mr != 12 || vectors != 2 || rem == 0 || rem > 2 * QUARTER) {")
    w("            return GemmKernel.super.rowsComputed(m);")
    w("        }")
    w("        return (long) (m - rem) + (rem + QUARTER - 1) / QUARTER * QUARTER;")
    w("    }\n")
    w("    /** Packed A panels of the 6-row tile step 8 floats (see {@link #tile}); others step {@link #mr} (4 for the 4-row tile). */")
    w("    @Override")
    w("    public int packStep() {")
    w("        return vectors == 2 && mr == 6 ? 8 : mr;")
    w("    }\n")
    w("    /**")
    w("     * The AVX2 tiles' packed body is a fifth faster than their general one, so operands used 256")
    w("     * times or more per element are packed even when small enough to read in place: 256^3 and")
    w("     * 512 x 512 x 128 products 1.15-1.4x faster (paired runs, Zen 3, 6-row tile); the MLP's 64-row")
    w("     * products, where the pack costs more than it saves, stay in place.")
    w("     */")
    w("    @Override")
    w("    public int packedReuse() {")
    w("        return vectors == 2 && mr != 12 ? 256 : Integer.MAX_VALUE;")
    w("    }\n")
    w("    @Override\n    public String describe() {")
    w("        return \"vector \" + mr + \"x\" + nr() + \" (\" + S.vectorBitSize() + \"-bit)\";\n    }\n")
    w("    /**")
    w("     * The full MR x 2-vector tile, whatever {@code rows} and {@code cols} (except the 12-row kernel's")
    w("     * last panels of at most 8 rows, which run as 4-row tiles): a packed panel is")
    w("     * zero-padded to MR rows and NR columns, and an operand read in place is a whole panel, so the")
    w("     * full tile reads only valid memory, and {@link #merge} writes only the rows x cols corner.")
    w("     * Each element's sum is the same fused multiply-add chain in every tile shape, so results are")
    w("     * unchanged; edge tiles waste a few multiply-adds. One tile method per A layout (instead of")
    w("     * sixteen edge variants) is what the JIT must compile before training runs at full speed:")
    w("     * rarely called edge variants used to run unoptimised for seconds in the first epoch.")
    w("     */")
    w("    @Override")
    w("    public void tile(int kc, float[] ap, int aOff, int aRowStride, int aStep, float[] bp, int bOff, int bStep,")
    w("                     float[] c, int cOff, int ldc, int rows, int cols, float alpha, float beta, boolean first,")
    w("                     float[] t) {")
    w("        if (vectors == 1) {")
    w("            // The narrow variant (NARROW_MR rows): A in place or packed.")
    w("            if (aRowStride != 1) {")
    w("                if (mr == 16) {")
    w("                    rows16x1(kc, ap, aOff, aRowStride, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);")
    w("                } else {")
    w("                    rows6x1(kc, ap, aOff, aRowStride, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);")
    w("                }")
    w("            } else if (mr == 16) {")
    w("                tile16x1(kc, ap, aOff, aStep, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);")
    w("            } else {")
    w("                tile6x1(kc, ap, aOff, aStep, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);")
    w("            }")
    w("            return;")
    w("        }")
    w("        if (aRowStride != 1) {")
    w("            // A read in place from row-major storage: element (r, p) at aOff + r * lda + p.")
    w("            if (mr == 12) {")
    w("                rows12x2(kc, ap, aOff, aRowStride, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);")
    w("            } else if (mr == QUARTER) {")
    w("                rows4x2(kc, ap, aOff, aRowStride, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);")
    w("            } else {")
    w("                rows6x2(kc, ap, aOff, aRowStride, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);")
    w("            }")
    w("        } else if (mr == 12) {")
    w("            if (rows <= 2 * QUARTER) {")
    w("                // A last panel of at most 8 rows (a 64-row batch: 5 panels of 12, then 4 rows):")
    w("                // one or two 4-row tiles instead of the full 12 on zero padding. Packed panels")
    w("                // keep their 12-row layout (aStep); only whole panels are read in place.")
    w("                int top = Math.min(rows, QUARTER);")
    w("                tile4x2(kc, ap, aOff, aStep, bp, bOff, bStep, c, cOff, ldc, top, cols, alpha, beta, first, t);")
    w("                if (rows > QUARTER) {")
    w("                    tile4x2(kc, ap, aOff + QUARTER, aStep, bp, bOff, bStep, c, cOff + QUARTER * ldc, ldc,")
    w("                            rows - QUARTER, cols, alpha, beta, first, t);")
    w("                }")
    w("                return;")
    w("            }")
    w("            tile12x2(kc, ap, aOff, aStep, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);")
    w("        } else if (mr == QUARTER) {")
    w("            // The 4-row AVX2 tile: A packed (4 floats a step) or column-major in place.")
    w("            if (aStep == QUARTER) {")
    w("                packed4x2(kc, ap, aOff, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);")
    w("            } else {")
    w("                tile4x2(kc, ap, aOff, aStep, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);")
    w("            }")
    w("        } else if (aStep == 8) {")
    w("            // A packed (padded to 8 floats a step): the loop with A's constant stride.")
    w("            packed6x2(kc, ap, aOff, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);")
    w("        } else {")
    w("            tile6x2(kc, ap, aOff, aStep, bp, bOff, bStep, c, cOff, ldc, rows, cols, alpha, beta, first, t);")
    w("        }")
    w("    }\n")
    for R in ROWS + [QUARTER]:
        L.extend(body(R,2)); w("")
    for R in PACK_STEP:
        L.extend(bodyPacked(R,2)); w("")
    for R in ROWS + [QUARTER]:
        L.extend(bodyRow(R,2)); w("")
    for R in NARROW_ROWS:
        L.extend(body(R,1)); w("")
        L.extend(bodyRow(R,1)); w("")
    w("    /** Merges the rows x cols corner of a tile spilled to {@code t} (row stride {@code width}) into C. */")
    w("    private static void merge(float[] t, int width, float[] c, int cOff, int ldc, int rows, int cols, float alpha,")
    w("                              float beta, boolean first) {")
    w("        if (cols == width) {")
    w("            FloatVector av = FloatVector.broadcast(S, alpha);")
    w("            FloatVector bv = FloatVector.broadcast(S, beta);")
    w("            for (int r = 0; r < rows; r++) {")
    w("                for (int v = 0; v < width; v += L) {")
    w("                    int o = cOff + r * ldc + v;")
    w("                    FloatVector acc = FloatVector.fromArray(S, t, r * width + v);")
    w("                    // exactly GemmKernel.update, lane by lane")
    w("                    if (!first) {")
    w("                        acc.fma(av, FloatVector.fromArray(S, c, o)).intoArray(c, o);")
    w("                    } else if (beta == 0f) {")
    w("                        acc.mul(av).intoArray(c, o);")
    w("                    } else {")
    w("                        FloatVector.fromArray(S, c, o).fma(bv, acc.mul(av)).intoArray(c, o);")
    w("                    }")
    w("                }")
    w("            }")
    w("            return;")
    w("        }")
    w("        for (int r = 0; r < rows; r++) {")
    w("            int row = cOff + r * ldc;")
    w("            for (int j = 0; j < cols; j++) {")
    w("                c[row + j] = GemmKernel.update(t[r * width + j], first && beta == 0f ? 0f : c[row + j], alpha, beta,")
    w("                        first);")
    w("            }")
    w("        }")
    w("    }")
    w("}")
    return "\n".join(L)+"\n"
open(sys.argv[2],'w').write(gen(sys.argv[1]))
