package dev.panamax.kernel;

import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Vector API kernels against their scalar twin on ragged shapes, and the row-invariance
 * contract: a row's result is bit-identical whatever the number of rows and the thread split.
 *
 * <p>Tolerances: sums are compared with {@code |a - b| <= 1e-5 * sum|terms| + 1e-6} (the two
 * differ only in summation order and fused multiply-adds); element-wise kernels with exp within
 * 2e-6 relative.
 */
class PanamaKernelsTest {
    private static final Arena ARENA = Arena.ofShared();
    private static final ScalarKernels SCALAR = new ScalarKernels();
    private static final PanamaKernels PANAMA = new PanamaKernels(new WorkerPool(2));
    private static final PanamaKernels PANAMA1 = new PanamaKernels(new WorkerPool(1));
    private static final PanamaKernels PANAMA3 = new PanamaKernels(new WorkerPool(3));

    @AfterAll static void close() { ARENA.close(); }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    private static Tensor weight(Random rnd, DType dtype, int out, int in) {
        Tensor w = Tensor.allocate(ARENA, "w", dtype, out, in);
        for (long i = 0; i < (long) out * in; i++) w.setFloat(i, (float) rnd.nextGaussian() * 0.5f);
        return w;
    }

    /** Checks out (rows × outDim) against the scalar twin, with a bound scaled by sum |x_i w_i|. */
    private static void assertMatmulClose(float[] x, int rows, Tensor w, float[] out, String what) {
        int outDim = (int) w.dim(0), in = (int) w.dim(1);
        float[] ref = new float[rows * outDim];
        SCALAR.matmul(x, rows, w, ref);
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outDim; o++) {
                double mag = 0;
                for (int i = 0; i < in; i++) mag += Math.abs(x[r * in + i] * w.getFloat((long) o * in + i));
                double tol = 1e-5 * mag + 1e-6;
                float a = out[r * outDim + o], b = ref[r * outDim + o];
                if (Math.abs(a - b) > tol) fail(what + ": row " + r + " out " + o + ": " + a + " vs scalar " + b + " (tol " + tol + ")");
            }
    }

    @Test
    void matmulMatchesScalarOnRaggedShapes() {
        Random rnd = new Random(1);
        // 2053 × 67: more GEMV tiles than one batch of PanamaKernels.GEMV_BATCH, in any chunk
        int[][] shapes = {{1, 1}, {3, 5}, {17, 33}, {64, 64}, {67, 129}, {5, 1000}, {203, 517}, {2053, 67}};
        for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16})
            for (int[] s : shapes)
                for (int rows : new int[] {1, 2, 3, 4, 5, 7, 8, 17}) {
                    Tensor w = weight(rnd, dt, s[0], s[1]);
                    float[] x = random(rnd, rows * s[1]);
                    float[] out = new float[rows * s[0]];
                    PANAMA.matmul(x, rows, w, out);
                    assertMatmulClose(x, rows, w, out, dt + " " + Arrays.toString(s) + " rows " + rows);
                }
    }

    @Test
    void matmulRowsAreBitIdenticalInAnyBatchAndThreadSplit() {
        Random rnd = new Random(2);
        // Calls on the calling thread and on the pool, as rows × weights decide (160 × 160, no tail, up
        // to 10 rows on the calling thread; 203 × 517, a ragged tail, up to 2; 611 × 517 always on the
        // pool): a row gets the same bits from every count of rows, whichever path was chosen.
        // 203 × 53: an odd count of whole vectors at 512 bits, for the 8-row GEMV tile's last step.
        // 4099 × 67: more GEMV tiles than one batch of PanamaKernels.GEMV_BATCH (finished after the
        // batch), on the calling thread and in the pool's chunks, and a ragged last tile.
        // 203 × 60 (calling thread) and 4099 × 28 (the pool, from 3 rows): a tail of at least one
        // vector after the last bf16 pair block at 128, 256 and 512 bits (in % 2L >= L), where the
        // widened rows (over 8) convert a block lane by lane that the bf16 tiles leave to the tail.
        int[][] shapes = {{160, 160}, {203, 517}, {203, 53}, {611, 517}, {4099, 67}, {203, 60}, {4099, 28}};
        assertTrue(4099 / 8 / 2 > PanamaKernels.GEMV_BATCH, "the pool's first chunks span several batches");
        assertTrue(611L * 517 >= PanamaKernels.PARALLEL_MIN_WEIGHTS && 203L * 517 < PanamaKernels.PARALLEL_MIN_WEIGHTS);
        for (int[] shape : shapes)
        for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            int outDim = shape[0], in = shape[1], k = 19;
            Tensor w = weight(rnd, dt, outDim, in);
            float[] x = random(rnd, k * in);
            float[] all = new float[k * outDim];
            PANAMA.matmul(x, k, w, all);
            for (PanamaKernels kernels : new PanamaKernels[] {PANAMA, PANAMA1, PANAMA3})
                for (int from = 0; from < k; from += 3)
                    for (int count : new int[] {1, 2, 3, 4, 5, 8}) {
                        if (from + count > k) continue;
                        float[] part = new float[count * outDim];
                        kernels.matmul(Arrays.copyOfRange(x, from * in, (from + count) * in), count, w, part);
                        for (int r = 0; r < count; r++)
                            for (int o = 0; o < outDim; o++)
                                assertEquals(Float.floatToRawIntBits(all[(from + r) * outDim + o]),
                                        Float.floatToRawIntBits(part[r * outDim + o]),
                                        dt + ": row " + (from + r) + " out " + o + " differs in a " + count + "-row call on "
                                                + kernels.poolThreads() + " threads");
                    }
        }
    }

    @Test
    void matmulOfSeveralInputsGivesTheBitsOfSeparateCalls() {
        Random rnd = new Random(13);
        // As the MTP draft heads call it: each matrix its own input, width and rows (none for one of
        // them). Ragged tile counts, so chunks straddle the matrices; in the first set each alone
        // stays on the calling thread, together they go to the pool.
        int[][] shapes = {{203, 517}, {1, 33}, {310, 517}, {97, 260}, {64, 64}}; // out, in
        int[][] rowSets = {{1, 2, 1, 3, 0}, {4, 1, 4, 4, 2}, {9, 5, 1, 1, 1}};
        long together = 0;
        for (int m = 0; m < shapes.length; m++) {
            long work = (long) rowSets[0][m] * shapes[m][0] * shapes[m][1];
            assertTrue(work < PanamaKernels.PARALLEL_MIN_WEIGHTS, "matrix " + m + " alone must stay on the calling thread");
            together += work;
        }
        assertTrue(together >= PanamaKernels.PARALLEL_MIN_WEIGHTS, "together they must go to the pool");
        for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16})
            for (int[] rows : rowSets) {
                int n = shapes.length;
                Tensor[] ws = new Tensor[n];
                float[][] xs = new float[n][];
                for (int m = 0; m < n; m++) {
                    ws[m] = weight(rnd, m == 1 ? DType.F32 : dt, shapes[m][0], shapes[m][1]);
                    xs[m] = random(rnd, rows[m] * shapes[m][1] + 3); // longer than needed, as a session's buffers are
                }
                for (Kernels k : new Kernels[] {PANAMA, PANAMA1, PANAMA3, SCALAR}) {
                    float[][] outs = new float[n][];
                    for (int m = 0; m < n; m++) {
                        outs[m] = new float[rows[m] * shapes[m][0] + 2];
                        Arrays.fill(outs[m], 7f); // untouched beyond the rows
                    }
                    k.matmul(xs, rows, ws, outs);
                    for (int m = 0; m < n; m++) {
                        float[] alone = new float[outs[m].length];
                        Arrays.fill(alone, 7f);
                        (k == SCALAR ? SCALAR : PANAMA1).matmul(xs[m], rows[m], ws[m], alone);
                        for (int i = 0; i < alone.length; i++)
                            assertEquals(Float.floatToRawIntBits(alone[i]), Float.floatToRawIntBits(outs[m][i]),
                                    k.name() + " " + dt + " rows " + Arrays.toString(rows) + ": matrix " + m + " element " + i
                                            + " differs from its own call");
                    }
                }
            }
    }

    @Test
    void threadsCallingAtOnceGetTheBitsOfALoneCall() throws Exception {
        // bf16 inputs are put in pair order in a buffer of the calling thread's; callers at once (one
        // holding the pool, the others running theirs inline) must not share it. 611 × 517 goes to
        // the pool, 203 × 60 stays on the calling thread; 12 rows take the widened path.
        Random rnd = new Random(17);
        Tensor[] ws = {weight(rnd, DType.BF16, 611, 517), weight(rnd, DType.BF16, 203, 60)};
        int threads = 4, calls = 3;
        float[][][] xs = new float[threads][calls][];
        float[][][] want = new float[threads][calls][];
        int[] rowsOf = {1, 3, 12};
        for (int t = 0; t < threads; t++)
            for (int c = 0; c < calls; c++) {
                Tensor w = ws[(t + c) % 2];
                xs[t][c] = random(rnd, rowsOf[c] * (int) w.dim(1));
                want[t][c] = new float[rowsOf[c] * (int) w.dim(0)];
                PANAMA.matmul(xs[t][c], rowsOf[c], w, want[t][c]);
            }
        var pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<String>>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                futures.add(pool.submit(() -> {
                    for (int it = 0; it < 60; it++)
                        for (int c = 0; c < calls; c++) {
                            Tensor w = ws[(me + c) % 2];
                            float[] out = new float[want[me][c].length];
                            PANAMA.matmul(xs[me][c], rowsOf[c], w, out);
                            if (!Arrays.equals(want[me][c], out)) return "thread " + me + " call " + c + " (" + rowsOf[c] + " rows, "
                                    + w.dim(0) + " x " + w.dim(1) + ") iteration " + it + " differs from its lone call";
                        }
                    return null;
                }));
            }
            for (var f : futures) assertNull(f.get());
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void chunksCoverEveryTileOnceLargeFirst() {
        for (int tiles : new int[] {1, 7, 192, 576, 8000})
            for (int threads : new int[] {1, 2, 3, 16})
                for (int minTiles : new int[] {1, 4, 50}) {
                    int maxTiles = 3 * minTiles + 7;
                    int[] b = PanamaKernels.chunkBounds(tiles, threads, minTiles, maxTiles);
                    String what = tiles + " tiles, " + threads + " threads, chunks of " + minTiles + ".." + maxTiles + ": " + Arrays.toString(b);
                    assertEquals(0, b[0], what);
                    assertEquals(tiles, b[b.length - 1], what);
                    for (int c = 1; c < b.length; c++) {
                        int size = b[c] - b[c - 1];
                        assertTrue(size >= 1 && size <= maxTiles && (size >= minTiles || c == b.length - 1), what);
                        if (c >= 2) assertTrue(size <= b[c - 1] - b[c - 2], "sizes never grow: " + what);
                    }
                    if (tiles >= 4 * threads * minTiles) assertTrue(b.length - 1 >= 2 * threads, "enough chunks to balance: " + what);
                }
    }

    @Test
    void weightsOfAConfinedArenaWork() {
        Random rnd = new Random(8);
        try (Arena confined = Arena.ofConfined()) {
            Tensor w = Tensor.allocate(confined, "w", DType.F32, 300, 301); // large enough to want threads
            for (long i = 0; i < 300L * 301; i++) w.setFloat(i, (float) rnd.nextGaussian());
            float[] x = random(rnd, 2 * 301), out = new float[2 * 300];
            PANAMA.matmul(x, 2, w, out);
            assertMatmulClose(x, 2, w, out, "confined arena");
        }
    }

    @Test
    void resultsDoNotChangeAsTheJitCompiles() {
        Random rnd = new Random(3);
        Tensor w = weight(rnd, DType.BF16, 9, 37);
        float[] x = random(rnd, 37), logits = random(rnd, 45), gate = random(rnd, 45), up = random(rnd, 45);
        float[] first = new float[9];
        PANAMA.matmul(x, 1, w, first);
        float[] x4 = random(rnd, 4 * 37), first4 = new float[4 * 9];
        System.arraycopy(x, 0, x4, 2 * 37, 37); // row 2 of the 4-row call is the 1-row call's row
        PANAMA.matmul(x4, 4, w, first4);
        assertArrayEquals(first, Arrays.copyOfRange(first4, 2 * 9, 3 * 9), 0f, "row 2 of 4 against the same row alone");
        // f32 weights: the 1-row call takes the 8×1 GEMV tile, 2 rows the 8×2 tile, the 4-row call the 4×4 tiles.
        Tensor w32 = weight(rnd, DType.F32, 9, 53);
        float[] y = random(rnd, 53), y4 = random(rnd, 4 * 53), firstF = new float[9], firstF4 = new float[4 * 9];
        System.arraycopy(y, 0, y4, 53, 53);
        PANAMA.matmul(y, 1, w32, firstF);
        PANAMA.matmul(y4, 4, w32, firstF4);
        assertArrayEquals(firstF, Arrays.copyOfRange(firstF4, 9, 2 * 9), 0f, "f32: row 1 of 4 against the same row alone");
        float[] soft0 = logits.clone();
        PANAMA.softmax(soft0, 0, soft0.length);
        float[] glu0 = gate.clone();
        PANAMA.swiglu(glu0, up, glu0.length);
        for (int it = 0; it < 3000; it++) { // runs interpreted first, then C1, then C2
            float[] out = new float[9];
            PANAMA.matmul(x, 1, w, out);
            assertArrayEquals(first, out, 0f, "matmul, iteration " + it);
            float[] out4 = new float[4 * 9];
            PANAMA.matmul(x4, 4, w, out4);
            assertArrayEquals(first4, out4, 0f, "4-row matmul, iteration " + it);
            float[] outF = new float[9], outF4 = new float[4 * 9];
            PANAMA.matmul(y, 1, w32, outF);
            PANAMA.matmul(y4, 4, w32, outF4);
            assertArrayEquals(firstF, outF, 0f, "f32 matmul, iteration " + it);
            assertArrayEquals(firstF4, outF4, 0f, "f32 4-row matmul, iteration " + it);
            float[] outF2 = new float[2 * 9]; // rows 0-1 of the 4, through the 8×2 tile
            PANAMA.matmul(Arrays.copyOf(y4, 2 * 53), 2, w32, outF2);
            assertArrayEquals(Arrays.copyOf(firstF4, 2 * 9), outF2, 0f, "f32 2-row matmul, iteration " + it);
            float[] soft = logits.clone();
            PANAMA.softmax(soft, 0, soft.length);
            assertArrayEquals(soft0, soft, 0f, "softmax, iteration " + it);
            float[] glu = gate.clone();
            PANAMA.swiglu(glu, up, glu.length);
            assertArrayEquals(glu0, glu, 0f, "swiglu, iteration " + it);
        }
    }

    @Test
    void halfFloatWideningIsExactForEveryValue() {
        java.lang.foreign.MemorySegment all = ARENA.allocate(2 * 65536, 64);
        for (int i = 0; i < 65536; i++) all.setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT, i, (short) i);
        float[] lanes = new float[PanamaKernels.L];
        for (int i = 0; i < 65536; i += PanamaKernels.L) {
            PanamaKernels.f16(all, 2L * i).intoArray(lanes, 0);
            for (int l = 0; l < lanes.length; l++) {
                float want = Float.float16ToFloat((short) (i + l));
                if (Float.isNaN(want)) assertTrue(Float.isNaN(lanes[l]), "half 0x" + Integer.toHexString(i + l)); // payload may differ
                else assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(lanes[l]), "half 0x" + Integer.toHexString(i + l));
            }
        }
    }

    @Test
    void expIsAccurateAndTheVectorAndScalarFormsAgree() {
        Random rnd = new Random(4);
        int lanes = PanamaKernels.L;
        float[] xs = new float[lanes * 2000];
        for (int i = 0; i < xs.length; i++) xs[i] = (float) (rnd.nextDouble() * 180 - 90);
        xs[0] = 0f;
        xs[1] = -1000f;
        xs[2] = 1000f;
        xs[3] = Float.NaN;
        float lo = -87.33654475f, hi = 88.3762626647949f;       // exp's clamps
        float[] edges = {-0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -Float.MAX_VALUE,
                Math.nextUp(hi), Float.intBitsToFloat(0x7fc12345), lo, Math.nextDown(lo), Math.nextUp(lo), hi, Math.nextDown(hi)};
        System.arraycopy(edges, 0, xs, 4, edges.length);       // on and beyond both clamps, -0, a NaN with a payload: vector and scalar alike
        float[] v = new float[lanes];
        for (int i = 0; i < xs.length; i += lanes) {
            PanamaKernels.exp(FloatVector.fromArray(PanamaKernels.F, xs, i)).intoArray(v, 0);
            for (int l = 0; l < lanes; l++) {
                float x = xs[i + l], s = PanamaKernels.exp(x);
                assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(v[l]), "vector and scalar exp differ at " + x);
                double ref = Math.exp(x);
                if (Float.isNaN(x)) assertTrue(Float.isNaN(s));
                else if (x < lo) assertEquals(0f, s);
                else if (x < -87.3f) assertEquals(ref, s, 1e-40);
                else if (x > hi) assertEquals(Float.POSITIVE_INFINITY, s);
                else assertTrue(Math.abs(s - ref) <= 3 * Math.ulp((float) ref), "exp(" + x + ") = " + s + ", want " + ref);
            }
        }
    }

    @Test
    void elementwiseKernelsMatchScalar() {
        Random rnd = new Random(5);
        for (int n : new int[] {1, 3, 15, 16, 17, 63, 100, 1000, 4099}) {
            float[] a = random(rnd, n + 7), b = random(rnd, n + 5);
            assertClose(SCALAR.dot(a, 7, b, 5, n), PANAMA.dot(a, 7, b, 5, n), sumAbs(a, 7, b, 5, n), "dot n=" + n);

            float[] y1 = random(rnd, n + 2), y2 = y1.clone();
            SCALAR.axpy(0.75f, a, 7, y1, 2, n);
            PANAMA.axpy(0.75f, a, 7, y2, 2, n);
            assertArrayEquals(y1, y2, 1e-5f, "axpy n=" + n);

            float[] weight = random(rnd, n), o1 = new float[n + 3], o2 = new float[n + 3];
            SCALAR.rmsnorm(o1, 3, a, 7, weight, n, 1e-5f);
            PANAMA.rmsnorm(o2, 3, a, 7, weight, n, 1e-5f);
            assertRelClose(o1, o2, 2e-6, "rmsnorm n=" + n);

            float[] s1 = random(rnd, n + 4), s2 = s1.clone();
            for (int i = 0; i < s1.length; i++) { s1[i] *= 10; s2[i] = s1[i]; }
            SCALAR.softmax(s1, 4, n);
            PANAMA.softmax(s2, 4, n);
            assertRelClose(s1, s2, 2e-6, "softmax n=" + n);

            float[] g1 = random(rnd, n), g2 = g1.clone(), up = random(rnd, n);
            SCALAR.swiglu(g1, up, n);
            PANAMA.swiglu(g2, up, n);
            assertRelClose(g1, g2, 2e-6, "swiglu n=" + n);
        }
    }

    @Test
    void argmaxIsTheFirstLargestAsTheLoopFindsIt() {
        Random rnd = new Random(21);
        for (int n : new int[] {1, 2, 7, 16, 17, 33, 100, 4096, 4099})
            for (int trial = 0; trial < 40; trial++) {
                float[] x = new float[n + 5];
                int off = trial % 5;
                for (int i = 0; i < x.length; i++) x[i] = switch (trial % 4) {
                    case 0 -> (float) rnd.nextGaussian();
                    case 1 -> rnd.nextInt(3) - 2;               // many ties, among them the largest
                    case 2 -> rnd.nextBoolean() ? -0f : 0f;      // signed zeros only: the first of them wins
                    default -> rnd.nextInt(4) == 0 ? Float.NEGATIVE_INFINITY : (float) rnd.nextGaussian();
                };
                if (trial % 10 == 9) x[off + rnd.nextInt(n)] = Float.NaN; // a NaN somewhere (first, sometimes)
                if (trial % 20 == 19) x[off] = Float.NaN;
                int expected = SCALAR.argmax(x, off, n);
                int loop = 0;
                for (int i = 1; i < n; i++) if (x[off + i] > x[off + loop]) loop = i;
                assertEquals(loop, expected, "scalar twin against the plain loop, n " + n + " trial " + trial);
                assertEquals(expected, PANAMA.argmax(x, off, n), "n " + n + " off " + off + " trial " + trial + ": " + Arrays.toString(x));
            }
        assertMessage(() -> PANAMA.argmax(new float[4], 2, 3), "x");
        assertMessage(() -> SCALAR.argmax(new float[4], 0, 0), "n");
    }

    @Test
    void ropeMatchesScalarInBothLayoutsAndIsRowInvariant() {
        Random rnd = new Random(6);
        for (boolean interleaved : new boolean[] {true, false})
            for (int headDim : new int[] {2, 6, 64, 70}) {
                int heads = 3, rows = 5, start = 11;
                float[] x = random(rnd, rows * heads * headDim), a = x.clone(), b = x.clone();
                SCALAR.rope(a, rows, heads, headDim, start, 10000f, interleaved);
                PANAMA.rope(b, rows, heads, headDim, start, 10000f, interleaved);
                assertArrayEquals(a, b, 1e-5f, "rope headDim=" + headDim + " interleaved=" + interleaved);
                for (int r = 0; r < rows; r++) {
                    int len = heads * headDim;
                    float[] one = Arrays.copyOfRange(x, r * len, (r + 1) * len);
                    PANAMA.rope(one, 1, heads, headDim, start + r, 10000f, interleaved);
                    assertArrayEquals(Arrays.copyOfRange(b, r * len, (r + 1) * len), one, 0f, "rope row " + r + " alone");
                }
            }
    }

    @Test
    void attentionMatchesScalarAndIsRowInvariant() {
        Random rnd = new Random(7);
        int[][] configs = {{4, 4, 8}, {8, 2, 16}, {6, 3, 10}, {4, 1, 33}}; // heads, kvHeads, headDim
        for (int[] c : configs)
            for (int start : new int[] {0, 5, 40}) {
                int heads = c[0], kvHeads = c[1], headDim = c[2], rows = 6;
                int total = start + rows;
                float[] k = random(rnd, total * kvHeads * headDim), v = random(rnd, total * kvHeads * headDim);
                float[] q = random(rnd, rows * heads * headDim);
                float[] o1 = new float[q.length], o2 = new float[q.length];
                SCALAR.attention(q, rows, k, v, start, heads, kvHeads, headDim, o1);
                PANAMA.attention(q, rows, k, v, start, heads, kvHeads, headDim, o2);
                assertArrayEquals(o1, o2, 2e-5f, "attention " + Arrays.toString(c) + " start " + start);
                int len = heads * headDim;
                for (int r = 0; r < rows; r++) {
                    float[] one = new float[len];
                    PANAMA3.attention(Arrays.copyOfRange(q, r * len, (r + 1) * len), 1, k, v, start + r, heads, kvHeads, headDim, one);
                    assertArrayEquals(Arrays.copyOfRange(o2, r * len, (r + 1) * len), one, 0f, "attention row " + r + " alone");
                }
            }
    }

    @Test
    void badArgumentsNameTheArgument() {
        for (Kernels k : new Kernels[] {PANAMA, SCALAR}) {
            Tensor w = Tensor.allocate(ARENA, "blk.0.wq", DType.F32, 4, 8);
            assertMessage(() -> k.matmul(new float[7], 1, w, new float[4]), "x");
            assertMessage(() -> k.matmul(new float[16], 2, w, new float[4]), "out");
            assertMessage(() -> k.matmul(new float[8], -1, w, new float[4]), "rows");
            assertMessage(() -> k.matmul(new float[][] {new float[8], new float[8]}, new int[] {1, 1}, new Tensor[] {w, w},
                    new float[][] {new float[4]}), "outs");
            assertMessage(() -> k.matmul(new float[][] {new float[8]}, new int[] {1}, new Tensor[] {w, w},
                    new float[][] {new float[4], new float[4]}), "xs");
            assertMessage(() -> k.matmul(new float[][] {new float[8], new float[8]}, new int[] {1, 1}, new Tensor[] {w, w},
                    new float[][] {new float[4], new float[3]}), "out");
            assertMessage(() -> k.matmul(new float[][] {new float[8], new float[4]}, new int[] {1, 1}, new Tensor[] {w, w},
                    new float[][] {new float[4], new float[4]}), "x");
            assertMessage(() -> k.matmul(new float[][] {new float[8]}, new int[] {1, 1}, new Tensor[] {w},
                    new float[][] {new float[4]}), "rows");
            assertMessage(() -> k.dot(new float[4], 1, new float[4], 0, 4), "a");
            assertMessage(() -> k.axpy(1f, new float[4], 0, new float[3], 0, 4), "y");
            assertMessage(() -> k.rmsnorm(new float[4], 0, new float[4], 0, new float[2], 4, 1e-5f), "weight");
            assertMessage(() -> k.softmax(new float[4], 2, 3), "x");
            assertMessage(() -> k.swiglu(new float[4], new float[3], 4), "up");
            assertMessage(() -> k.rope(new float[12], 1, 2, 5, 0, 1e4f, true), "headDim");
            assertMessage(() -> k.attention(new float[8], 1, new float[3], new float[8], 0, 2, 1, 4, new float[8]), "kCache");
            assertMessage(() -> k.attention(new float[8], 1, new float[4], new float[4], 0, 2, 3, 4, new float[8]), "kvHeads");
            try (Arena closed = Arena.ofConfined()) {
                Tensor gone = Tensor.allocate(closed, "gone", DType.F32, 2, 2);
                closed.close();
                var e = assertThrows(IllegalStateException.class, () -> k.matmul(new float[2], 1, gone, new float[2]));
                assertTrue(e.getMessage().contains("gone"), e.getMessage());
            } catch (IllegalStateException alreadyClosed) {
                // try-with-resources closing twice; the assertion above already ran
            }
        }
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String argument) {
        var e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(argument + " ") || e.getMessage().contains(" " + argument + " ")
                || e.getMessage().contains("(" + argument) || e.getMessage().contains(argument + ":"),
                "message should name " + argument + ": " + e.getMessage());
    }

    private static double sumAbs(float[] a, int aOff, float[] b, int bOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.abs(a[aOff + i] * b[bOff + i]);
        return s;
    }

    private static void assertClose(float expected, float actual, double mag, String what) {
        assertEquals(expected, actual, 1e-5 * mag + 1e-6, what);
    }

    private static void assertRelClose(float[] expected, float[] actual, double rel, String what) {
        for (int i = 0; i < expected.length; i++)
            assertEquals(expected[i], actual[i], rel * Math.abs(expected[i]) + 1e-7, what + " at " + i);
    }
}
