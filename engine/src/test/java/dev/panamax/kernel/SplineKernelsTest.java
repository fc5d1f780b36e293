package dev.panamax.kernel;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The Vector API spline kernels against their scalar twin, on widths with ragged tails. */
class SplineKernelsTest {
    final SplineKernels panama = new PanamaSplineKernels(), scalar = new ScalarSplineKernels();

    @Test
    void accumulateIsBitIdenticalToTheScalarTwin() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int n : new int[] {1, 3, 7, 15, 16, 17, 31, 33, 64, 100, 257})
            for (int terms : new int[] {0, 1, 2, 3, 4, 6}) {
                float[] w = new float[(terms + 2) * (n + 1) + 5];
                for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextDouble(-2, 2);
                float[] c = new float[Math.max(terms, 1)];
                for (int j = 0; j < c.length; j++) c[j] = (float) rnd.nextDouble();
                float[] y1 = new float[n + 3], y2;
                for (int i = 0; i < y1.length; i++) y1[i] = (float) rnd.nextDouble(-1, 1);
                y2 = y1.clone();
                float base = (float) rnd.nextDouble(-1, 1);
                panama.accumulate(w, 2, base, 2 + n, n + 1, c, terms, n, y1, 3 - 1);
                scalar.accumulate(w, 2, base, 2 + n, n + 1, c, terms, n, y2, 3 - 1);
                assertArrayEquals(y2, y1, "n=" + n + " terms=" + terms);
                assertEquals(y2[0], y1[0]);   // outside the range: untouched in both
            }
    }

    @Test
    void accumulateSampleIsBitIdenticalToTheScalarTwinAndToAccumulateBlockByBlock() {
        SplittableRandom rnd = new SplittableRandom(8);
        for (int n : new int[] {1, 3, 10, 15, 16, 17, 100, 127, 128, 129, 200, 257})
            for (int terms : new int[] {1, 2, 4, 6})
                for (int inputs : new int[] {1, 7, 15, 16, 19, 33}) {     // one block, four of equal and of ragged sizes
                    int o0 = 3, stride = n + o0 + 5, rows = 1 + terms + 2, inputStride = rows * stride;   // a slice of wider rows
                    float[] w = new float[inputs * inputStride + 16];
                    for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextDouble(-2, 2);
                    int cs = inputs + 2;                                    // basis j of input i at c[j * cs + i]
                    float[] base = new float[inputs], c = new float[terms * cs];
                    int[] row = new int[inputs];
                    for (int i = 0; i < inputs; i++) {
                        base[i] = (float) rnd.nextDouble(-1, 1);
                        for (int j = 0; j < terms; j++) c[j * cs + i] = (float) rnd.nextDouble();
                        row[i] = i % 3 == 2 ? -1 : 1 + rnd.nextInt(3);     // some inputs outside the grid
                    }
                    float[] y = new float[n + 4];
                    for (int i = 0; i < y.length; i++) y[i] = (float) rnd.nextDouble(-1, 1);
                    float[] a = y.clone(), b = y.clone(), byInput = y.clone();
                    panama.accumulateSample(w, inputStride, stride, o0, base, row, c, cs, terms, inputs, n, a, 2);
                    scalar.accumulateSample(w, inputStride, stride, o0, base, row, c, cs, terms, inputs, n, b, 2);
                    // the block order spelled out: inputs [b * inputs / P, (b + 1) * inputs / P), P = 4 from 16
                    // inputs on, else 1; block 0 accumulated into y, each other one into zeros, then added to y
                    int blocks = inputs >= 16 ? 4 : 1;
                    for (int blk = 0; blk < blocks; blk++) {
                        float[] part = blk == 0 ? byInput : new float[y.length];
                        for (int i = blk * inputs / blocks; i < (blk + 1) * inputs / blocks; i++) {
                            float[] ci = new float[terms];
                            for (int j = 0; j < terms; j++) ci[j] = c[j * cs + i];
                            scalar.accumulate(w, i * inputStride + o0, base[i], i * inputStride + Math.max(row[i], 0) * stride + o0, stride, ci, row[i] < 0 ? 0 : terms, n, part, 2);
                        }
                        if (blk > 0) for (int o = 2; o < n + 2; o++) byInput[o] += part[o];
                    }
                    String where = "n=" + n + " terms=" + terms + " inputs=" + inputs;
                    assertArrayEquals(b, a, where);
                    assertArrayEquals(byInput, b, where + ": block by block, input by input");
                    assertEquals(y[0], a[0], where + ": before yOff untouched");
                    assertEquals(y[n + 2], a[n + 2], where + ": past n untouched");
                }
    }

    @Test
    void chainSumsAreBitIdenticalToTheScalarTwinAndAddUpToAccumulateSample() {
        SplittableRandom rnd = new SplittableRandom(81);
        for (int n : new int[] {1, 3, 10, 15, 16, 17, 33, 127})
            for (int terms : new int[] {1, 4, 5})
                for (int inputs : new int[] {16, 19, 33, 130}) {
                    int o0 = 2, stride = n + o0 + 3, rows = 1 + terms + 2, inputStride = rows * stride;   // a slice of wider rows
                    float[] w = new float[inputs * inputStride + 16];
                    for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextDouble(-2, 2);
                    int cs = inputs + 1;
                    float[] base = new float[inputs], c = new float[terms * cs];
                    int[] row = new int[inputs];
                    for (int i = 0; i < inputs; i++) {
                        base[i] = (float) rnd.nextDouble(-1, 1);
                        for (int j = 0; j < terms; j++) c[j * cs + i] = (float) rnd.nextDouble();
                        row[i] = i % 5 == 3 ? -1 : 1 + rnd.nextInt(3);     // some inputs outside the grid
                    }
                    String where = "n=" + n + " terms=" + terms + " inputs=" + inputs;
                    // chains of any count (odd ones leave a pair half empty), ragged, one of them empty
                    int mid = inputs / 3;
                    for (int[] bounds : new int[][] {{0, inputs}, {1, mid, inputs - 1}, {0, mid, mid, inputs}, {0, 5, mid, inputs - 2, inputs}}) {
                        int chains = bounds.length - 1;
                        float[] a = new float[chains * n + 6], b = new float[chains * n + 6];
                        Arrays.fill(a, 7f);
                        Arrays.fill(b, 7f);
                        panama.chainSums(w, inputStride, stride, o0, base, row, c, cs, terms, bounds, n, a, 3);
                        scalar.chainSums(w, inputStride, stride, o0, base, row, c, cs, terms, bounds, n, b, 3);
                        assertArrayEquals(b, a, where + " bounds " + Arrays.toString(bounds));
                        assertEquals(7f, a[2], where + ": before sOff untouched");
                        assertEquals(7f, a[3 + chains * n], where + ": past the chains untouched");
                    }
                    // the four blocks as chains, added left to right: accumulateSample from y = 0
                    int[] blocks = new int[5];
                    for (int blk = 0; blk <= 4; blk++) blocks[blk] = SplineKernels.blockStart(inputs, blk);
                    float[] sums = new float[4 * n], whole = new float[n];
                    panama.chainSums(w, inputStride, stride, o0, base, row, c, cs, terms, blocks, n, sums, 0);
                    panama.accumulateSample(w, inputStride, stride, o0, base, row, c, cs, terms, inputs, n, whole, 0);
                    for (int o = 0; o < n; o++)
                        assertEquals(whole[o], ((sums[o] + sums[n + o]) + sums[2 * n + o]) + sums[3 * n + o], where + " output " + o);
                    // a later block's inputs on their own (the arrays from that block's first input, w's offset moved to match)
                    int from = blocks[2];
                    float[] baseTail = Arrays.copyOfRange(base, from, inputs), cTail = new float[terms * cs];
                    int[] rowTail = Arrays.copyOfRange(row, from, inputs);
                    for (int j = 0; j < terms; j++) System.arraycopy(c, j * cs + from, cTail, j * cs, inputs - from);
                    float[] tail = new float[2 * n];
                    panama.chainSums(w, inputStride, stride, o0 + from * inputStride, baseTail, rowTail, cTail, cs, terms,
                            new int[] {0, blocks[3] - from, inputs - from}, n, tail, 0);
                    assertArrayEquals(Arrays.copyOfRange(sums, 2 * n, 4 * n), tail, where + ": blocks 2 and 3 from their own arrays");
                }
    }

    @Test
    void accumulateSampleSumsFourBlocksNotOneChain() {
        // 1 + 2^-24 + ... : one chain from y = 1 loses each 2^-24 (ties to even); in the block order
        // blocks 1..3 sum theirs exactly first. 16 inputs, blocks of 4.
        int inputs = 16, n = 3;
        float tiny = 0x1p-24f;
        float[] w = new float[inputs * n + 16], base = new float[inputs];
        int[] row = new int[inputs];
        for (int i = 0; i < inputs; i++) { base[i] = tiny; row[i] = -1; for (int o = 0; o < n; o++) w[i * n + o] = 1f; }
        for (SplineKernels k : new SplineKernels[] {panama, scalar}) {
            float[] y = {1f, 1f, 1f};
            k.accumulateSample(w, n, n, 0, base, row, new float[0], inputs, 0, inputs, n, y, 0);
            // block 0: 1 + 2^-24 rounds to 1, four times; blocks 1..3: 2^-22 each, exactly; ((1 + 2^-22) + 2^-22) + 2^-22
            float expected = 1f + 3 * 0x1p-22f;
            assertArrayEquals(new float[] {expected, expected, expected}, y, k.name() + " (one chain would give 1)");
            y = new float[] {1f, 1f, 1f};
            k.accumulateSample(w, n, n, 0, base, row, new float[0], inputs, 0, 15, n, y, 0);
            assertArrayEquals(new float[] {1f, 1f, 1f}, y, k.name() + ": 15 inputs, one chain");
        }
    }

    @Test
    void accumulateSampleOnRaggedWidthsIsBitIdenticalToTheScalarTwin() {
        // Every width from 1 to three vectors of eight beyond, so both the eight-vector blocks and the
        // single-vector chains meet every tail, with many inputs of ragged block sizes and inputs off the grid.
        SplittableRandom rnd = new SplittableRandom(9);
        for (int inputs : new int[] {5, 30, 257})
            for (int n = 1; n <= 8 * 16 + 3 * 16 + 1; n += inputs == 257 ? 7 : 1) {
                int terms = 4, rows = 1 + 8, stride = n, inputStride = rows * stride;
                float[] w = new float[inputs * inputStride + 16];
                for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextDouble(-2, 2);
                float[] base = new float[inputs], c = new float[terms * inputs];
                int[] row = new int[inputs];
                for (int i = 0; i < inputs; i++) {
                    base[i] = (float) rnd.nextDouble(-1, 1);
                    for (int j = 0; j < terms; j++) c[j * inputs + i] = (float) rnd.nextDouble();
                    row[i] = rnd.nextInt(7) == 0 ? -1 : 1 + rnd.nextInt(5);
                }
                float[] a = new float[n + 1], b = new float[n + 1];
                for (int o = 0; o <= n; o++) a[o] = b[o] = (float) rnd.nextDouble(-1, 1);
                panama.accumulateSample(w, inputStride, stride, 0, base, row, c, inputs, terms, inputs, n, a, 1);
                scalar.accumulateSample(w, inputStride, stride, 0, base, row, c, inputs, terms, inputs, n, b, 1);
                assertArrayEquals(b, a, "inputs=" + inputs + " n=" + n);
            }
    }

    @Test
    void blocksCoverTheInputsInContiguousRuns() {
        for (int inputs = 0; inputs <= 70; inputs++) {
            int p = SplineKernels.blocks(inputs);
            assertEquals(inputs >= 16 ? 4 : 1, p);
            assertEquals(0, SplineKernels.blockStart(inputs, 0));
            assertEquals(inputs, SplineKernels.blockStart(inputs, p));
            for (int b = 0; b < p; b++) {
                int size = SplineKernels.blockStart(inputs, b + 1) - SplineKernels.blockStart(inputs, b);
                assertTrue(size == inputs / p || size == inputs / p + 1, inputs + " inputs, block " + b + " of " + size);
            }
        }
    }

    /** Uniform knots -1 - 3h .. 1 + 3h (G intervals inside [-1, 1], cubic), as a KAN layer has them. */
    static float[] uniformKnots(int g) {
        float[] t = new float[g + 7];
        for (int m = 0; m < t.length; m++) t[m] = -1f + (m - 3) * (2f / g);
        return t;
    }

    /** Inputs over and beyond the grid, exactly on knots, NaN and infinities among them. */
    static float[] awkwardInputs(int n, float[] knots, SplittableRandom rnd) {
        float[] x = new float[n];
        for (int t = 0; t < n; t++)
            x[t] = switch (rnd.nextInt(12)) {
                case 0 -> knots[rnd.nextInt(knots.length)];
                case 1 -> (float) rnd.nextDouble(-4, 4);
                case 2 -> new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e30f, -1e30f}[rnd.nextInt(5)];
                default -> (float) rnd.nextDouble(-1, 1);
            };
        return x;
    }

    @Test
    void cubicUniformIsBitIdenticalToTheScalarTwinAndLeavesTheSameOutliers() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int g : new int[] {1, 5, 16, 20})             // up to a vector of spans (permuted) and more (gathered)
            for (int n : new int[] {1, 3, 15, 16, 17, 33, 100, 256})
                for (int nOut : new int[] {1, 5, 8}) {
                    float[] knots = uniformKnots(g), interior = java.util.Arrays.copyOfRange(knots, 3, 4 + g);
                    float invStep = 1f / ((knots[knots.length - 1] - knots[0]) / (knots.length - 1));
                    float[] x = awkwardInputs(n, knots, rnd), base = new float[n];
                    for (int t = 0; t < n; t++) base[t] = (float) rnd.nextDouble(-1, 1);
                    float[] wBase = new float[nOut + 2], table = new float[4 * g * nOut + 2 + 16];
                    for (int i = 0; i < wBase.length; i++) wBase[i] = (float) rnd.nextDouble(-2, 2);
                    for (int i = 0; i < table.length; i++) table[i] = (float) rnd.nextDouble(-2, 2);
                    int ys = n + 1;
                    float[] y = new float[nOut * ys];
                    for (int i = 0; i < y.length; i++) y[i] = (float) rnd.nextDouble(-1, 1);
                    float[] a = y.clone(), b = y.clone();
                    int[] slowA = new int[n], slowB = new int[n];
                    int ca = panama.cubicUniform(x, base, n, interior, g, knots[0], invStep, 3, wBase, 2, table, 2, nOut, a, ys, slowA);
                    int cb = scalar.cubicUniform(x, base, n, interior, g, knots[0], invStep, 3, wBase, 2, table, 2, nOut, b, ys, slowB);
                    String where = "G=" + g + " n=" + n + " nOut=" + nOut;
                    assertArrayEquals(b, a, where);
                    assertArrayEquals(java.util.Arrays.copyOf(slowB, cb), java.util.Arrays.copyOf(slowA, ca), where);
                    boolean[] slow = new boolean[n];
                    for (int e = 0; e < ca; e++) slow[slowA[e]] = true;
                    for (int t = 0; t < n; t++) {
                        boolean inside = x[t] >= interior[0] && x[t] < interior[g];
                        assertEquals(!inside, slow[t], where + " x=" + x[t] + " is an outlier exactly when outside the interior");
                        for (int o = 0; o < nOut; o++)
                            if (slow[t]) assertEquals(y[o * ys + t], a[o * ys + t], where + ": an outlier is left untouched");
                    }
                    for (int o = 0; o < nOut; o++) assertEquals(y[o * ys + n], a[o * ys + n], where + ": past n untouched");
                }
    }

    @Test
    void cubicBasesAreBitIdenticalToTheScalarTwinAndToCubicUniformsBases() {
        SplittableRandom rnd = new SplittableRandom(14);
        for (int g : new int[] {1, 5, 16, 20})
            for (int n : new int[] {1, 3, 15, 16, 17, 33, 100}) {
                float[] knots = uniformKnots(g), interior = java.util.Arrays.copyOfRange(knots, 3, 4 + g);
                float invStep = 1f / ((knots[knots.length - 1] - knots[0]) / (knots.length - 1));
                float[] x = awkwardInputs(n, knots, rnd);
                int cs = n + 2;
                int[] spanA = new int[n], spanB = new int[n], slowA = new int[n], slowB = new int[n], slowU = new int[n];
                float[] a = new float[4 * cs], b = new float[4 * cs];
                int ca = panama.cubicBases(x, n, interior, g, knots[0], invStep, 3, spanA, a, cs, slowA);
                int cb = scalar.cubicBases(x, n, interior, g, knots[0], invStep, 3, spanB, b, cs, slowB);
                String where = "G=" + g + " n=" + n;
                assertArrayEquals(java.util.Arrays.copyOf(slowB, cb), java.util.Arrays.copyOf(slowA, ca), where);
                // cubicUniform with a one-hot table reads the bases back: row (o = 0, j) is 1 at span q only
                boolean[] slow = new boolean[n];
                for (int e = 0; e < ca; e++) slow[slowA[e]] = true;
                for (int t = 0; t < n; t++) {
                    if (slow[t]) continue;
                    assertEquals(spanB[t], spanA[t], where + " span at t=" + t);
                    for (int j = 0; j < 4; j++) assertEquals(b[j * cs + t], a[j * cs + t], where + " c" + j + " at t=" + t);
                    float[] y = new float[1];
                    for (int j = 0; j < 4; j++) {
                        float[] one = new float[4 * g + 16];
                        one[j * g + spanA[t]] = 1f;
                        y[0] = 0f;
                        assertEquals(0, panama.cubicUniform(new float[] {x[t]}, new float[1], 1, interior, g, knots[0], invStep, 3,
                                new float[1], 0, one, 0, 1, y, 1, slowU));
                        assertEquals(a[j * cs + t], y[0], where + " c" + j + " as cubicUniform weighs it, t=" + t);
                    }
                }
            }
    }

    @Test
    void cubicWindowsAreCubicBasesClampedIntoTheGridAsTheScalarTwinHasThem() {
        // The window of four bases at each span, moved into [0, nBases) at the grid's ends: the
        // rows and floats of cubicBases, moved (never recomputed), the same in both implementations.
        SplittableRandom rnd = new SplittableRandom(15);
        for (int g : new int[] {1, 2, 5, 16, 20})
            for (int n : new int[] {1, 3, 15, 16, 17, 33, 100}) {
                float[] knots = uniformKnots(g);
                int intervals = knots.length - 1, nBases = g + 3;
                float invStep = 1f / ((knots[knots.length - 1] - knots[0]) / intervals);
                float[] x = awkwardInputs(n, knots, rnd);
                for (int t = 0; t < n; t += 4) x[t] = knots[0] + (knots[knots.length - 1] - knots[0]) * (float) rnd.nextDouble();  // the end spans too
                int cs = n + 1;
                int[] span = new int[n], firstA = new int[n], firstB = new int[n], slow = new int[n], slowA = new int[n], slowB = new int[n];
                float[] raw = new float[4 * cs], a = new float[4 * cs], b = new float[4 * cs];
                int count = scalar.cubicBases(x, n, knots, intervals, knots[0], invStep, 0, span, raw, cs, slow);
                int ca = panama.cubicWindows(x, n, knots, intervals, knots[0], invStep, nBases, firstA, a, cs, slowA);
                int cb = scalar.cubicWindows(x, n, knots, intervals, knots[0], invStep, nBases, firstB, b, cs, slowB);
                String where = "G=" + g + " n=" + n;
                assertArrayEquals(java.util.Arrays.copyOf(slow, count), java.util.Arrays.copyOf(slowA, ca), where + " outliers");
                assertArrayEquals(java.util.Arrays.copyOf(slow, count), java.util.Arrays.copyOf(slowB, cb), where + " outliers (scalar)");
                boolean[] out = new boolean[n];
                for (int e = 0; e < count; e++) out[slow[e]] = true;
                int ends = 0;
                for (int t = 0; t < n; t++) {
                    if (out[t]) continue;
                    int start = Math.clamp(span[t] - 3, 0, nBases - 4);
                    if (start != span[t] - 3) ends++;
                    assertEquals(1 + start, firstA[t], where + " first row at t=" + t);
                    assertEquals(1 + start, firstB[t], where + " first row (scalar) at t=" + t);
                    for (int j = 0; j < 4; j++) {
                        int src = j + start - (span[t] - 3);
                        float expected = src >= 0 && src <= 3 ? raw[src * cs + t] : 0f;
                        assertEquals(expected, a[j * cs + t], where + " basis " + j + " at t=" + t);
                        assertEquals(expected, b[j * cs + t], where + " basis " + j + " (scalar) at t=" + t);
                    }
                }
                if (n >= 33) assertTrue(ends > 0, where + ": no input in the end spans, the test would not see the clamping");
            }
    }

    @Test
    void siluCubicWindowsIsSiluThenCubicWindowsBitForBit() {
        // One pass must give exactly the floats of the two kernels it replaces on batch 1's path
        // (base, rows, bases and outliers), the scalar tail past the last whole vector included;
        // the scalar twin the same rows, bases and outliers, and its own SiLU.
        SplittableRandom rnd = new SplittableRandom(16);
        for (int g : new int[] {1, 2, 5, 10, 16, 20})             // spans permuted within a vector (G=2, 10: as many as 8, 16 lanes), and gathered
            for (int n : new int[] {1, 3, 15, 16, 17, 33, 100, 256}) {
                float[] knots = uniformKnots(g);
                int intervals = knots.length - 1, nBases = g + 3, xOff = 5, cs = n + 3;
                float invStep = 1f / ((knots[knots.length - 1] - knots[0]) / intervals);
                float[] values = awkwardInputs(n, knots, rnd);
                for (int t = 1; t < n; t += 4) values[t] = knots[0] + (knots[knots.length - 1] - knots[0]) * (float) rnd.nextDouble();  // the end spans too
                float[] x = new float[xOff + n + 2];
                System.arraycopy(values, 0, x, xOff, n);
                float[] baseRef = new float[n], cRef = new float[4 * cs];
                int[] firstRef = new int[n], slowRef = new int[n];
                panama.silu(values, 0, baseRef, 0, n);
                int count = panama.cubicWindows(values, n, knots, intervals, knots[0], invStep, nBases, firstRef, cRef, cs, slowRef);
                String where = "G=" + g + " n=" + n;
                boolean[] out = new boolean[n];
                for (int e = 0; e < count; e++) out[slowRef[e]] = true;
                for (SplineKernels k : new SplineKernels[] {panama, scalar}) {
                    float[] base = new float[n], c = new float[4 * cs];
                    int[] first = new int[n], slow = new int[n];
                    int left = k.siluCubicWindows(x, xOff, n, knots, intervals, knots[0], invStep, nBases, base, first, c, cs, slow);
                    String who = where + " " + k.name();
                    assertArrayEquals(Arrays.copyOf(slowRef, count), Arrays.copyOf(slow, left), who + " outliers");
                    for (int t = 0; t < n; t++) {
                        if (k == panama) assertEquals(Float.floatToRawIntBits(baseRef[t]), Float.floatToRawIntBits(base[t]), who + " SiLU at t=" + t);
                        else if (Float.isNaN(baseRef[t])) assertTrue(Float.isNaN(base[t]), who + " SiLU at t=" + t);
                        else assertEquals(baseRef[t], base[t], 4e-7f * Math.abs(baseRef[t]) + 1e-30f, who + " SiLU at t=" + t);
                        if (out[t]) continue;
                        assertEquals(firstRef[t], first[t], who + " first row at t=" + t);
                        for (int j = 0; j < 4; j++)
                            assertEquals(Float.floatToRawIntBits(cRef[j * cs + t]), Float.floatToRawIntBits(c[j * cs + t]), who + " basis " + j + " at t=" + t);
                    }
                }
                if (n >= 33) assertTrue(count > 0 && count < n, where + ": the test should see outliers and accepted values both");
            }
    }

    @Test
    void allFiniteFindsANaNOrAnInfinityAnywhereAsTheScalarTwinDoes() {
        SplittableRandom rnd = new SplittableRandom(17);
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7fc12345)};
        float[] edge = {Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -0f, 0f};
        for (int n : new int[] {0, 1, 15, 16, 17, 33, 64, 100, 256}) {
            int from = 3;
            float[] x = new float[from + n + 2];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble(-5, 5);
            for (int i = 0; i < n; i += 7) x[from + i] = edge[rnd.nextInt(edge.length)];
            x[0] = Float.NaN;                                   // outside the range: never looked at
            x[x.length - 1] = Float.POSITIVE_INFINITY;
            for (SplineKernels k : new SplineKernels[] {panama, scalar})
                assertTrue(k.allFinite(x, from, n), k.name() + " n=" + n + ": all finite");
            for (int at = 0; at < n; at++)                      // one value that is not finite, at every place: vector lanes and the tail
                for (float b : bad) {
                    float keep = x[from + at];
                    x[from + at] = b;
                    for (SplineKernels k : new SplineKernels[] {panama, scalar})
                        assertFalse(k.allFinite(x, from, n), k.name() + " n=" + n + ": " + b + " at " + at);
                    x[from + at] = keep;
                }
        }
    }

    @Test
    void cubicUniformIsAccumulateWithTheClosedFormBases() {
        // The contract: an accepted sample gets accumulate's chain with the closed-form cubic bases.
        SplittableRandom rnd = new SplittableRandom(12);
        int g = 5, nOut = 3, n = 40;
        float[] knots = uniformKnots(g), interior = java.util.Arrays.copyOfRange(knots, 3, 4 + g);
        float h = 2f / g, invStep = 1f / h;
        float[] x = new float[n], base = new float[n];
        for (int t = 0; t < n; t++) { x[t] = (float) rnd.nextDouble(-1, 1); base[t] = (float) rnd.nextDouble(-1, 1); }
        float[] wBase = new float[nOut], table = new float[4 * g * nOut + 16];
        for (int i = 0; i < nOut; i++) wBase[i] = (float) rnd.nextDouble(-2, 2);
        for (int i = 0; i < table.length; i++) table[i] = (float) rnd.nextDouble(-2, 2);
        float[] y = new float[nOut * n];
        assertEquals(0, panama.cubicUniform(x, base, n, interior, g, knots[0], invStep, 3, wBase, 0, table, 0, nOut, y, n, new int[n]));
        for (int t = 0; t < n; t++) {
            int q = 0;
            while (!(x[t] < interior[q + 1])) q++;
            float u = (x[t] - interior[q]) * invStep, v = 1f - u, u2 = u * u, u3 = u2 * u;
            float[] c = {v * v * v * (1f / 6), (3 * u3 - 6 * u2 + 4) * (1f / 6), (-3 * u3 + 3 * u2 + 3 * u + 1) * (1f / 6), u3 * (1f / 6)};
            assertEquals(1f, c[0] + c[1] + c[2] + c[3], 1e-5f, "partition of unity");
            float[] w = new float[nOut * 5];     // accumulate's layout: a base row, then four spline rows
            for (int o = 0; o < nOut; o++) {
                w[o] = wBase[o];
                for (int j = 0; j < 4; j++) w[(1 + j) * nOut + o] = table[(4 * o + j) * g + q];
            }
            float[] one = new float[nOut];
            scalar.accumulate(w, 0, base[t], nOut, nOut, c, 4, nOut, one, 0);
            for (int o = 0; o < nOut; o++) assertEquals(one[o], y[o * n + t], "t=" + t + " o=" + o);
        }
    }

    @Test
    void accumulateComputesTheFusedSum() {
        float[] w = {1, 2, 10, 20, 100, 200};   // base row, then two spline rows, n = 2
        float[] y = {0.5f, 0.25f};
        for (SplineKernels k : new SplineKernels[] {panama, scalar}) {
            float[] out = y.clone();
            k.accumulate(w, 0, 2f, 2, 2, new float[] {1f, 0.5f}, 2, 2, out, 0);
            assertArrayEquals(new float[] {0.5f + 2 + 10 + 50, 0.25f + 4 + 20 + 100}, out, k.name());
        }
    }

    @Test
    void siluAgreesWithTheScalarTwinAndIsTheDeterministicExponentialLaneByLane() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int n : new int[] {1, 5, 16, 17, 40}) {
            float[] x = new float[n + 2];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble(-30, 30);
            x[1] = 0f;
            if (n > 4) { x[2] = -100f; x[3] = 100f; x[4] = Float.NaN; }
            float[] a = new float[n + 2], b = new float[n + 2];
            panama.silu(x, 1, a, 1, n);
            scalar.silu(x, 1, b, 1, n);
            for (int i = 1; i <= n; i++) {
                if (Float.isNaN(x[i])) { assertTrue(Float.isNaN(a[i]) && Float.isNaN(b[i])); continue; }
                double exact = x[i] / (1 + Math.exp(-x[i]));
                assertEquals(exact, b[i], 1e-6 * Math.abs(exact) + 1e-30, "scalar at " + x[i]);
                assertEquals(exact, a[i], 4e-7 * Math.abs(exact) + 1e-30, "panama at " + x[i]);
                // the same bits as the scalar form of the kernels' own exponential, so JIT state cannot change them
                assertEquals(x[i] / (PanamaKernels.exp(-x[i]) + 1f), a[i], "panama at " + x[i]);
            }
            assertEquals(0f, a[0]);
            assertEquals(0f, a[n + 1]);
        }
    }

    @Test
    void bestIsTheVectorImplementationWhenTheModuleIsPresent() {
        assertEquals("panama", SplineKernels.best().name());
    }
}
