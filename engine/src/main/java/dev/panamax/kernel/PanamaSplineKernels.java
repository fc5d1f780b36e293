package dev.panamax.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API spline kernels. Tails are handled with masked vectors rather than a scalar loop, so
 * every element goes through the same instructions wherever it sits in the array.
 */
public final class PanamaSplineKernels implements SplineKernels {
    private static final VectorSpecies<Float> S = PanamaKernels.F;     // the same vectors as the other kernels (-Dpanamax.vector.bits)
    private static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, S.vectorShape());

    @Override public String name() { return "panama"; }

    @Override
    public void accumulate(float[] w, int baseOff, float baseCoef, int splineOff, int stride, float[] c, int terms, int n,
                           float[] y, int yOff) {
        if (n < S.length() / 2) {   // narrow layers: masked vectors cost more than they save
            for (int o = 0; o < n; o++) {
                float acc = Math.fma(baseCoef, w[baseOff + o], y[yOff + o]);
                for (int j = 0; j < terms; j++) acc = Math.fma(c[j], w[splineOff + j * stride + o], acc);
                y[yOff + o] = acc;
            }
            return;
        }
        if (terms == 4) { accumulate4(w, baseOff, baseCoef, splineOff, stride, c, n, y, yOff); return; }
        FloatVector vb = FloatVector.broadcast(S, baseCoef);
        for (int o = 0; o < n; o += S.length()) {
            VectorMask<Float> m = S.indexInRange(o, n);
            FloatVector acc = FloatVector.fromArray(S, y, yOff + o, m);
            acc = FloatVector.fromArray(S, w, baseOff + o, m).fma(vb, acc);
            for (int j = 0; j < terms; j++)
                acc = FloatVector.fromArray(S, w, splineOff + j * stride + o, m).fma(FloatVector.broadcast(S, c[j]), acc);
            acc.intoArray(y, yOff + o, m);
        }
    }

    /** Cubic splines (k = 3), the common case: four spline rows, coefficients held in registers. */
    private static void accumulate4(float[] w, int baseOff, float baseCoef, int splineOff, int stride, float[] c, int n,
                                    float[] y, int yOff) {
        FloatVector vb = FloatVector.broadcast(S, baseCoef);
        FloatVector c0 = FloatVector.broadcast(S, c[0]), c1 = FloatVector.broadcast(S, c[1]),
                c2 = FloatVector.broadcast(S, c[2]), c3 = FloatVector.broadcast(S, c[3]);
        int r0 = splineOff, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
        int o = 0, bound = S.loopBound(n);
        for (; o < bound; o += S.length()) {
            FloatVector acc = FloatVector.fromArray(S, y, yOff + o);
            acc = FloatVector.fromArray(S, w, baseOff + o).fma(vb, acc);
            acc = FloatVector.fromArray(S, w, r0 + o).fma(c0, acc);
            acc = FloatVector.fromArray(S, w, r1 + o).fma(c1, acc);
            acc = FloatVector.fromArray(S, w, r2 + o).fma(c2, acc);
            acc = FloatVector.fromArray(S, w, r3 + o).fma(c3, acc);
            acc.intoArray(y, yOff + o);
        }
        if (o < n) {
            VectorMask<Float> m = S.indexInRange(o, n);
            FloatVector acc = FloatVector.fromArray(S, y, yOff + o, m);
            acc = FloatVector.fromArray(S, w, baseOff + o, m).fma(vb, acc);
            acc = FloatVector.fromArray(S, w, r0 + o, m).fma(c0, acc);
            acc = FloatVector.fromArray(S, w, r1 + o, m).fma(c1, acc);
            acc = FloatVector.fromArray(S, w, r2 + o, m).fma(c2, acc);
            acc = FloatVector.fromArray(S, w, r3 + o, m).fma(c3, acc);
            acc.intoArray(y, yOff + o, m);
        }
    }

    @Override
    public void accumulateSample(float[] w, int inputStride, int stride, int o0, float[] base, int[] row, float[] c, int cs, int terms,
                                 int inputs, int n, float[] y, int yOff) {
        int lanes = S.length(), blocks = SplineKernels.blocks(inputs), o = 0;
        for (; o + 8 * lanes <= n; o += 8 * lanes)
            for (int b = 0; b < blocks; b++)     // a block at a time: its eight chains already overlap
                sample8(w, inputStride, stride, o0 + o, base, row, c, cs, terms, SplineKernels.blockStart(inputs, b),
                        SplineKernels.blockStart(inputs, b + 1), b == 0, y, yOff + o);
        for (; o < n; o += lanes) {
            VectorMask<Float> m = S.indexInRange(o, n);
            if (blocks == 4 && terms == 4) sample1x4Cubic(w, inputStride, stride, o0 + o, base, row, c, cs, inputs, m, y, yOff + o);
            else if (blocks == 4) sample1x4(w, inputStride, stride, o0 + o, base, row, c, cs, terms, inputs, m, y, yOff + o);
            else sample1(w, inputStride, stride, o0 + o, base, row, c, cs, terms, inputs, m, y, yOff + o);
        }
    }

    /**
     * Inputs ahead whose rows {@link #sample8} touches (one float at the start of the base row and
     * of the spline rows) before it streams the current input's. A sample's spans jump from input
     * to input, so the hardware prefetcher cannot tell which rows come next; a touch starts the
     * miss early and the prefetcher runs on from it. [64,256,256,10] batch 1 over 64 distinct
     * samples, 2-3 alternated processes each, us a sample: G=5 none 18.6-20.6, 2 ahead 15.7-18.4,
     * 3 ahead 18.1-20.0, 4 ahead 16.7-19.8; G=20 none 26.1-27.9, 2 ahead 20.5-25.0.
     */
    private static final int AHEAD = 2;
    private static final float SENTINEL = 1.2345e-38f;     // a sum of touched floats that is, in practice, never met

    /**
     * Eight vectors of outputs from o, held in registers over the inputs from .. to - 1 (one block):
     * the first block starts from y and stores its sum there, the others start from +0 and add
     * their sum to y's.
     */
    private static void sample8(float[] w, int inputStride, int stride, int o, float[] base, int[] row, float[] c, int cs, int terms,
                                int from, int to, boolean first, float[] y, int yOff) {
        int l = S.length();
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        if (first) {
            a0 = FloatVector.fromArray(S, y, yOff);
            a1 = FloatVector.fromArray(S, y, yOff + l);
            a2 = FloatVector.fromArray(S, y, yOff + 2 * l);
            a3 = FloatVector.fromArray(S, y, yOff + 3 * l);
            a4 = FloatVector.fromArray(S, y, yOff + 4 * l);
            a5 = FloatVector.fromArray(S, y, yOff + 5 * l);
            a6 = FloatVector.fromArray(S, y, yOff + 6 * l);
            a7 = FloatVector.fromArray(S, y, yOff + 7 * l);
        }
        float touched = 0;
        for (int i = from, p = o + from * inputStride; i < to; i++, p += inputStride) {
            if (i + AHEAD < to) {
                int q = p + AHEAD * inputStride;
                touched += w[q];
                if (row[i + AHEAD] >= 0) touched += w[q + row[i + AHEAD] * stride];
            }
            FloatVector b = FloatVector.broadcast(S, base[i]);
            a0 = FloatVector.fromArray(S, w, p).fma(b, a0);
            a1 = FloatVector.fromArray(S, w, p + l).fma(b, a1);
            a2 = FloatVector.fromArray(S, w, p + 2 * l).fma(b, a2);
            a3 = FloatVector.fromArray(S, w, p + 3 * l).fma(b, a3);
            a4 = FloatVector.fromArray(S, w, p + 4 * l).fma(b, a4);
            a5 = FloatVector.fromArray(S, w, p + 5 * l).fma(b, a5);
            a6 = FloatVector.fromArray(S, w, p + 6 * l).fma(b, a6);
            a7 = FloatVector.fromArray(S, w, p + 7 * l).fma(b, a7);
            if (row[i] < 0) continue;
            for (int j = 0, r = p + row[i] * stride, q = i; j < terms; j++, r += stride, q += cs) {
                FloatVector cj = FloatVector.broadcast(S, c[q]);
                a0 = FloatVector.fromArray(S, w, r).fma(cj, a0);
                a1 = FloatVector.fromArray(S, w, r + l).fma(cj, a1);
                a2 = FloatVector.fromArray(S, w, r + 2 * l).fma(cj, a2);
                a3 = FloatVector.fromArray(S, w, r + 3 * l).fma(cj, a3);
                a4 = FloatVector.fromArray(S, w, r + 4 * l).fma(cj, a4);
                a5 = FloatVector.fromArray(S, w, r + 5 * l).fma(cj, a5);
                a6 = FloatVector.fromArray(S, w, r + 6 * l).fma(cj, a6);
                a7 = FloatVector.fromArray(S, w, r + 7 * l).fma(cj, a7);
            }
        }
        if (touched == SENTINEL) Thread.onSpinWait();   // uses the touches, so the JIT keeps them, and changes nothing
        if (!first) {           // the sum so far plus this block's
            a0 = FloatVector.fromArray(S, y, yOff).add(a0);
            a1 = FloatVector.fromArray(S, y, yOff + l).add(a1);
            a2 = FloatVector.fromArray(S, y, yOff + 2 * l).add(a2);
            a3 = FloatVector.fromArray(S, y, yOff + 3 * l).add(a3);
            a4 = FloatVector.fromArray(S, y, yOff + 4 * l).add(a4);
            a5 = FloatVector.fromArray(S, y, yOff + 5 * l).add(a5);
            a6 = FloatVector.fromArray(S, y, yOff + 6 * l).add(a6);
            a7 = FloatVector.fromArray(S, y, yOff + 7 * l).add(a7);
        }
        a0.intoArray(y, yOff);
        a1.intoArray(y, yOff + l);
        a2.intoArray(y, yOff + 2 * l);
        a3.intoArray(y, yOff + 3 * l);
        a4.intoArray(y, yOff + 4 * l);
        a5.intoArray(y, yOff + 5 * l);
        a6.intoArray(y, yOff + 6 * l);
        a7.intoArray(y, yOff + 7 * l);
    }

    /**
     * One vector of outputs from o (the lanes in m), the four blocks' chains interleaved: on a
     * narrow layer this vector is all the outputs, and one chain of k + 2 multiply-adds per input
     * waits on itself; four independent chains overlap. Written out per chain, as a helper method
     * the JIT did not inline boxed the vectors (the layer took four times as long). w is read in
     * whole vectors (the lanes past n are never stored): masked reads made the method too large
     * for C1, which gave up on it, and the method then stayed in C1's unprofiled tier, never
     * reaching C2: batch 1 ran 5 to 25 times slower in some processes.
     */
    private static void sample1x4(float[] w, int inputStride, int stride, int o, float[] base, int[] row, float[] c, int cs, int terms,
                                  int inputs, VectorMask<Float> m, float[] y, int yOff) {
        int i1 = SplineKernels.blockStart(inputs, 1), i2 = SplineKernels.blockStart(inputs, 2), i3 = SplineKernels.blockStart(inputs, 3);
        int longest = Math.max(Math.max(i1, i2 - i1), Math.max(i3 - i2, inputs - i3));   // the others as long or one shorter
        FloatVector a0 = FloatVector.fromArray(S, y, yOff, m), a1 = FloatVector.zero(S), a2 = a1, a3 = a1;
        for (int j = 0, i; j < longest; j++) {
            i = j;
            if (i < i1) {
                int p = o + i * inputStride;
                a0 = FloatVector.fromArray(S, w, p).fma(FloatVector.broadcast(S, base[i]), a0);
                if (row[i] >= 0) for (int t = 0, r = p + row[i] * stride, q = i; t < terms; t++, r += stride, q += cs)
                    a0 = FloatVector.fromArray(S, w, r).fma(FloatVector.broadcast(S, c[q]), a0);
            }
            i = i1 + j;
            if (i < i2) {
                int p = o + i * inputStride;
                a1 = FloatVector.fromArray(S, w, p).fma(FloatVector.broadcast(S, base[i]), a1);
                if (row[i] >= 0) for (int t = 0, r = p + row[i] * stride, q = i; t < terms; t++, r += stride, q += cs)
                    a1 = FloatVector.fromArray(S, w, r).fma(FloatVector.broadcast(S, c[q]), a1);
            }
            i = i2 + j;
            if (i < i3) {
                int p = o + i * inputStride;
                a2 = FloatVector.fromArray(S, w, p).fma(FloatVector.broadcast(S, base[i]), a2);
                if (row[i] >= 0) for (int t = 0, r = p + row[i] * stride, q = i; t < terms; t++, r += stride, q += cs)
                    a2 = FloatVector.fromArray(S, w, r).fma(FloatVector.broadcast(S, c[q]), a2);
            }
            i = i3 + j;
            if (i < inputs) {
                int p = o + i * inputStride;
                a3 = FloatVector.fromArray(S, w, p).fma(FloatVector.broadcast(S, base[i]), a3);
                if (row[i] >= 0) for (int t = 0, r = p + row[i] * stride, q = i; t < terms; t++, r += stride, q += cs)
                    a3 = FloatVector.fromArray(S, w, r).fma(FloatVector.broadcast(S, c[q]), a3);
            }
        }
        a0.add(a1).add(a2).add(a3).intoArray(y, yOff, m);
    }

    /** {@link #sample1x4} for cubic splines: four spline terms, a constant trip count that C2 unrolls (the general loop gained nothing over one chain). */
    private static void sample1x4Cubic(float[] w, int inputStride, int stride, int o, float[] base, int[] row, float[] c, int cs,
                                       int inputs, VectorMask<Float> m, float[] y, int yOff) {
        int i1 = SplineKernels.blockStart(inputs, 1), i2 = SplineKernels.blockStart(inputs, 2), i3 = SplineKernels.blockStart(inputs, 3);
        int longest = Math.max(Math.max(i1, i2 - i1), Math.max(i3 - i2, inputs - i3));   // the others as long or one shorter
        FloatVector a0 = FloatVector.fromArray(S, y, yOff, m), a1 = FloatVector.zero(S), a2 = a1, a3 = a1;
        for (int j = 0, i; j < longest; j++) {
            i = j;
            if (i < i1) {
                int p = o + i * inputStride;
                a0 = FloatVector.fromArray(S, w, p).fma(FloatVector.broadcast(S, base[i]), a0);
                if (row[i] >= 0) for (int t = 0, r = p + row[i] * stride, q = i; t < 4; t++, r += stride, q += cs)
                    a0 = FloatVector.fromArray(S, w, r).fma(FloatVector.broadcast(S, c[q]), a0);
            }
            i = i1 + j;
            if (i < i2) {
                int p = o + i * inputStride;
                a1 = FloatVector.fromArray(S, w, p).fma(FloatVector.broadcast(S, base[i]), a1);
                if (row[i] >= 0) for (int t = 0, r = p + row[i] * stride, q = i; t < 4; t++, r += stride, q += cs)
                    a1 = FloatVector.fromArray(S, w, r).fma(FloatVector.broadcast(S, c[q]), a1);
            }
            i = i2 + j;
            if (i < i3) {
                int p = o + i * inputStride;
                a2 = FloatVector.fromArray(S, w, p).fma(FloatVector.broadcast(S, base[i]), a2);
                if (row[i] >= 0) for (int t = 0, r = p + row[i] * stride, q = i; t < 4; t++, r += stride, q += cs)
                    a2 = FloatVector.fromArray(S, w, r).fma(FloatVector.broadcast(S, c[q]), a2);
            }
            i = i3 + j;
            if (i < inputs) {
                int p = o + i * inputStride;
                a3 = FloatVector.fromArray(S, w, p).fma(FloatVector.broadcast(S, base[i]), a3);
                if (row[i] >= 0) for (int t = 0, r = p + row[i] * stride, q = i; t < 4; t++, r += stride, q += cs)
                    a3 = FloatVector.fromArray(S, w, r).fma(FloatVector.broadcast(S, c[q]), a3);
            }
        }
        a0.add(a1).add(a2).add(a3).intoArray(y, yOff, m);
    }

    @Override
    public void chainSums(float[] w, int inputStride, int stride, int o0, float[] base, int[] row, float[] c, int cs, int terms,
                          int[] bounds, int n, float[] s, int sOff) {
        int chains = bounds.length - 1;
        for (int o = 0; o < n; o += S.length()) {
            VectorMask<Float> m = S.indexInRange(o, n);
            for (int b = 0; b < chains; b += 2) {      // two chains at a time, so that each waits on itself half as often
                int to1 = b + 2 <= chains ? bounds[b + 2] : bounds[b + 1], off1 = b + 2 <= chains ? sOff + (b + 1) * n + o : -1;
                if (terms == 4) chainPairCubic(w, inputStride, stride, o0 + o, base, row, c, cs, bounds[b], bounds[b + 1], to1, m, s, sOff + b * n + o, off1);
                else chainPair(w, inputStride, stride, o0 + o, base, row, c, cs, terms, bounds[b], bounds[b + 1], to1, m, s, sOff + b * n + o, off1);
            }
        }
    }

    /**
     * One vector of outputs from o (the lanes in m): two chains from +0 side by side, over inputs
     * from .. mid - 1 into s at off0 and mid .. to - 1 into s at off1 (off1 &lt; 0: no second chain).
     * w is read in whole vectors, as in {@link #sample1x4}.
     */
    private static void chainPair(float[] w, int inputStride, int stride, int o, float[] base, int[] row, float[] c, int cs, int terms,
                                  int from, int mid, int to, VectorMask<Float> m, float[] s, int off0, int off1) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int j = 0, longest = Math.max(mid - from, to - mid); j < longest; j++) {
            int i = from + j;
            if (i < mid) {
                int p = o + i * inputStride;
                a0 = FloatVector.fromArray(S, w, p).fma(FloatVector.broadcast(S, base[i]), a0);
                if (row[i] >= 0) for (int t = 0, r = p + row[i] * stride, q = i; t < terms; t++, r += stride, q += cs)
                    a0 = FloatVector.fromArray(S, w, r).fma(FloatVector.broadcast(S, c[q]), a0);
            }
            i = mid + j;
            if (i < to) {
                int p = o + i * inputStride;
                a1 = FloatVector.fromArray(S, w, p).fma(FloatVector.broadcast(S, base[i]), a1);
                if (row[i] >= 0) for (int t = 0, r = p + row[i] * stride, q = i; t < terms; t++, r += stride, q += cs)
                    a1 = FloatVector.fromArray(S, w, r).fma(FloatVector.broadcast(S, c[q]), a1);
            }
        }
        a0.intoArray(s, off0, m);
        if (off1 >= 0) a1.intoArray(s, off1, m);
    }

    /** {@link #chainPair} for cubic splines: four spline terms, a constant trip count C2 unrolls. */
    private static void chainPairCubic(float[] w, int inputStride, int stride, int o, float[] base, int[] row, float[] c, int cs,
                                       int from, int mid, int to, VectorMask<Float> m, float[] s, int off0, int off1) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int j = 0, longest = Math.max(mid - from, to - mid); j < longest; j++) {
            int i = from + j;
            if (i < mid) {
                int p = o + i * inputStride;
                a0 = FloatVector.fromArray(S, w, p).fma(FloatVector.broadcast(S, base[i]), a0);
                if (row[i] >= 0) for (int t = 0, r = p + row[i] * stride, q = i; t < 4; t++, r += stride, q += cs)
                    a0 = FloatVector.fromArray(S, w, r).fma(FloatVector.broadcast(S, c[q]), a0);
            }
            i = mid + j;
            if (i < to) {
                int p = o + i * inputStride;
                a1 = FloatVector.fromArray(S, w, p).fma(FloatVector.broadcast(S, base[i]), a1);
                if (row[i] >= 0) for (int t = 0, r = p + row[i] * stride, q = i; t < 4; t++, r += stride, q += cs)
                    a1 = FloatVector.fromArray(S, w, r).fma(FloatVector.broadcast(S, c[q]), a1);
            }
        }
        a0.intoArray(s, off0, m);
        if (off1 >= 0) a1.intoArray(s, off1, m);
    }

    /** One vector of outputs from o (the lanes in m), over all the inputs in one chain: layers of too few inputs to cut into blocks. */
    private static void sample1(float[] w, int inputStride, int stride, int o, float[] base, int[] row, float[] c, int cs, int terms,
                                int inputs, VectorMask<Float> m, float[] y, int yOff) {
        FloatVector a = FloatVector.fromArray(S, y, yOff, m);
        for (int i = 0, p = o; i < inputs; i++, p += inputStride) {
            a = FloatVector.fromArray(S, w, p, m).fma(FloatVector.broadcast(S, base[i]), a);
            if (row[i] < 0) continue;
            for (int j = 0, r = p + row[i] * stride, q = i; j < terms; j++, r += stride, q += cs)
                a = FloatVector.fromArray(S, w, r, m).fma(FloatVector.broadcast(S, c[q]), a);
        }
        a.intoArray(y, yOff, m);
    }

    @Override
    public int cubicUniform(float[] x, float[] base, int n, float[] knots, int intervals, float x0, float invStep, int firstSpan,
                            float[] wBase, int wBaseOff, float[] table, int tableOff, int nOut, float[] y, int ys, int[] outliers) {
        if (intervals > S.length())
            return cubicUniformGathered(x, base, n, knots, intervals, x0, invStep, firstSpan, wBase, wBaseOff, table, tableOff, nOut, y, ys, outliers);
        // At most one vector of spans: a sample's knots and weights are picked from one register by
        // a lane permutation indexed by its span (held as a float lane).
        VectorMask<Float> spanLanes = S.indexInRange(0, intervals);
        FloatVector lefts = FloatVector.fromArray(S, knots, 0, spanLanes), rights = FloatVector.fromArray(S, knots, 1, spanLanes);
        float last = intervals - 1;
        int slow = 0;
        for (int t = 0; t < n; t += S.length()) {
            VectorMask<Float> m = S.indexInRange(t, n);
            FloatVector xv = FloatVector.fromArray(S, x, t, m);
            // The span guess (int) ((x - x0) * invStep) - firstSpan as a whole float, clamped into
            // [0, last] (NaN to 0) so that it indexes the permutation; a wrong guess fails the knot check.
            FloatVector p = xv.sub(x0).mul(invStep);
            p = p.blend(0f, p.test(VectorOperators.IS_NAN)).max(0f).min(last + firstSpan);
            FloatVector r = p.add(ROUND).sub(ROUND);                       // p rounded to a whole number
            FloatVector q = r.sub(1f, r.compare(VectorOperators.GT, p)).sub(firstSpan).max(0f);   // floor, less firstSpan
            FloatVector left = q.selectFrom(lefts);
            VectorMask<Float> fast = m.and(left.compare(VectorOperators.LE, xv)).and(xv.compare(VectorOperators.LT, q.selectFrom(rights)));
            VectorMask<Float> rest = m.andNot(fast);
            if (rest.anyTrue())
                for (long bits = rest.toLong(); bits != 0; bits &= bits - 1) outliers[slow++] = t + Long.numberOfTrailingZeros(bits);
            if (!fast.anyTrue()) continue;
            FloatVector u = xv.sub(left).mul(invStep);
            FloatVector v = FloatVector.broadcast(S, 1f).sub(u), u2 = u.mul(u), u3 = u2.mul(u);
            FloatVector c0 = v.mul(v).mul(v).mul(SIXTH);             // the closed form, with Knots.weights' operations
            FloatVector c1 = u3.mul(3f).sub(u2.mul(6f)).add(4f).mul(SIXTH);
            FloatVector c2 = u3.mul(-3f).add(u2.mul(3f)).add(u.mul(3f)).add(1f).mul(SIXTH);
            FloatVector c3 = u3.mul(SIXTH);
            FloatVector b = FloatVector.fromArray(S, base, t, m);
            for (int o = 0, row = tableOff; o < nOut; o++, row += 4 * intervals) {
                FloatVector acc = FloatVector.fromArray(S, y, o * ys + t, fast);
                acc = b.fma(FloatVector.broadcast(S, wBase[wBaseOff + o]), acc);
                acc = c0.fma(q.selectFrom(FloatVector.fromArray(S, table, row)), acc);
                acc = c1.fma(q.selectFrom(FloatVector.fromArray(S, table, row + intervals)), acc);
                acc = c2.fma(q.selectFrom(FloatVector.fromArray(S, table, row + 2 * intervals)), acc);
                acc = c3.fma(q.selectFrom(FloatVector.fromArray(S, table, row + 3 * intervals)), acc);
                acc.intoArray(y, o * ys + t, fast);
            }
        }
        return slow;
    }

    private static final float SIXTH = 1f / 6;

    private static final float ROUND = 12582912f;             // 1.5 * 2^23: adding it rounds to a whole number

    /**
     * The span guess {@code (int) ((x - x0) * invStep) - firstSpan}, clamped into [0, last], as whole
     * floats (NaN lanes give 0). A lane whose guess is wrong fails the knot check after, so the
     * clamping cannot mislead; it only keeps the permutation's indices in range.
     */
    private static FloatVector span(FloatVector x, float x0, float invStep, int firstSpan, float last) {
        FloatVector p = x.sub(x0).mul(invStep);
        p = p.blend(0f, p.test(VectorOperators.IS_NAN)).max(0f).min(last + firstSpan);
        FloatVector r = p.add(ROUND).sub(ROUND);                       // p rounded to the nearest whole number
        return r.sub(1f, r.compare(VectorOperators.GT, p)).sub(firstSpan).max(0f);   // floor, then the span index
    }

    /** Appends the sample indices t + lane of the lanes set in {@code rest}; returns the new count. */
    private static int outliers(VectorMask<Float> rest, int t, int[] outliers, int count) {
        for (long bits = rest.toLong(); bits != 0; bits &= bits - 1) outliers[count++] = t + Long.numberOfTrailingZeros(bits);
        return count;
    }

    /** {@link #cubicUniform} for grids of more spans than a vector has lanes: knots and weights gathered by span. */
    private static int cubicUniformGathered(float[] x, float[] base, int n, float[] knots, int intervals, float x0, float invStep,
                                            int firstSpan, float[] wBase, int wBaseOff, float[] table, int tableOff, int nOut,
                                            float[] y, int ys, int[] outliers) {
        int[] spans = new int[S.length()];
        float last = intervals - 1;
        int slow = 0;
        for (int t = 0; t < n; t += S.length()) {
            VectorMask<Float> m = S.indexInRange(t, n);
            FloatVector xv = FloatVector.fromArray(S, x, t, m);
            ((IntVector) span(xv, x0, invStep, firstSpan, last).convertShape(VectorOperators.F2I, SI, 0)).intoArray(spans, 0);
            FloatVector left = FloatVector.fromArray(S, knots, 0, spans, 0);
            VectorMask<Float> fast = m.and(left.compare(VectorOperators.LE, xv))
                    .and(xv.compare(VectorOperators.LT, FloatVector.fromArray(S, knots, 1, spans, 0)));
            slow = outliers(m.andNot(fast), t, outliers, slow);
            if (!fast.anyTrue()) continue;
            FloatVector u = xv.sub(left).mul(invStep);
            FloatVector v = FloatVector.broadcast(S, 1f).sub(u), u2 = u.mul(u), u3 = u2.mul(u);
            FloatVector c0 = v.mul(v).mul(v).mul(SIXTH);
            FloatVector c1 = u3.mul(3f).sub(u2.mul(6f)).add(4f).mul(SIXTH);
            FloatVector c2 = u3.mul(-3f).add(u2.mul(3f)).add(u.mul(3f)).add(1f).mul(SIXTH);
            FloatVector c3 = u3.mul(SIXTH);
            FloatVector b = FloatVector.fromArray(S, base, t, m);
            for (int o = 0, row = tableOff; o < nOut; o++, row += 4 * intervals) {
                FloatVector acc = FloatVector.fromArray(S, y, o * ys + t, fast);
                acc = b.fma(FloatVector.broadcast(S, wBase[wBaseOff + o]), acc);
                acc = c0.fma(FloatVector.fromArray(S, table, row, spans, 0), acc);
                acc = c1.fma(FloatVector.fromArray(S, table, row + intervals, spans, 0), acc);
                acc = c2.fma(FloatVector.fromArray(S, table, row + 2 * intervals, spans, 0), acc);
                acc = c3.fma(FloatVector.fromArray(S, table, row + 3 * intervals, spans, 0), acc);
                acc.intoArray(y, o * ys + t, fast);
            }
        }
        return slow;
    }

    @Override
    public int cubicBases(float[] x, int n, float[] knots, int intervals, float x0, float invStep, int firstSpan,
                          int[] span, float[] c, int cs, int[] outliers) {
        // cubicUniform's span search and closed form (written out again: as a helper method the
        // JIT did not inline it, and the vectors went through memory), then stores instead of the update.
        boolean permute = intervals <= S.length();
        VectorMask<Float> spanLanes = S.indexInRange(0, Math.min(intervals, S.length()));
        FloatVector lefts = FloatVector.fromArray(S, knots, 0, spanLanes), rights = FloatVector.fromArray(S, knots, 1, spanLanes);
        int[] spans = new int[S.length()];
        float last = intervals - 1;
        int slow = 0;
        for (int t = 0; t < n; t += S.length()) {
            VectorMask<Float> m = S.indexInRange(t, n);
            FloatVector xv = FloatVector.fromArray(S, x, t, m);
            FloatVector p = xv.sub(x0).mul(invStep);
            p = p.blend(0f, p.test(VectorOperators.IS_NAN)).max(0f).min(last + firstSpan);
            FloatVector r = p.add(ROUND).sub(ROUND);
            FloatVector q = r.sub(1f, r.compare(VectorOperators.GT, p)).sub(firstSpan).max(0f);
            IntVector qi = (IntVector) q.convertShape(VectorOperators.F2I, SI, 0);
            FloatVector left, right;
            if (permute) {
                left = q.selectFrom(lefts);
                right = q.selectFrom(rights);
            } else {
                qi.intoArray(spans, 0);
                left = FloatVector.fromArray(S, knots, 0, spans, 0);
                right = FloatVector.fromArray(S, knots, 1, spans, 0);
            }
            VectorMask<Float> fast = m.and(left.compare(VectorOperators.LE, xv)).and(xv.compare(VectorOperators.LT, right));
            VectorMask<Float> rest = m.andNot(fast);
            if (rest.anyTrue())
                for (long bits = rest.toLong(); bits != 0; bits &= bits - 1) outliers[slow++] = t + Long.numberOfTrailingZeros(bits);
            FloatVector u = xv.sub(left).mul(invStep);
            FloatVector v = FloatVector.broadcast(S, 1f).sub(u), u2 = u.mul(u), u3 = u2.mul(u);
            qi.intoArray(span, t, m.cast(SI));
            v.mul(v).mul(v).mul(SIXTH).intoArray(c, t, m);
            u3.mul(3f).sub(u2.mul(6f)).add(4f).mul(SIXTH).intoArray(c, cs + t, m);
            u3.mul(-3f).add(u2.mul(3f)).add(u.mul(3f)).add(1f).mul(SIXTH).intoArray(c, 2 * cs + t, m);
            u3.mul(SIXTH).intoArray(c, 3 * cs + t, m);
        }
        return slow;
    }

    @Override
    public int cubicWindows(float[] x, int n, float[] knots, int intervals, float x0, float invStep, int nBases,
                            int[] first, float[] c, int cs, int[] outliers) {
        int slow = cubicBases(x, n, knots, intervals, x0, invStep, 0, first, c, cs, outliers);
        // Then, in lanes: the window's start, and where it had to be clamped (the spans at the ends),
        // each basis moved to its place in the window by blends; most vectors need no move at all.
        FloatVector zero = FloatVector.zero(S);
        for (int t = 0; t < n; t += S.length()) {
            VectorMask<Integer> mi = SI.indexInRange(t, n);
            IntVector start = IntVector.fromArray(SI, first, t, mi).sub(3);
            IntVector clamped = start.max(0).min(nBases - 4), shift = clamped.sub(start);
            clamped.add(1).intoArray(first, t, mi);
            VectorMask<Integer> moved = shift.compare(VectorOperators.NE, 0).and(mi);
            if (!moved.anyTrue()) continue;
            VectorMask<Float> m = mi.cast(S);
            FloatVector b0 = FloatVector.fromArray(S, c, t, m), b1 = FloatVector.fromArray(S, c, cs + t, m),
                    b2 = FloatVector.fromArray(S, c, 2 * cs + t, m), b3 = FloatVector.fromArray(S, c, 3 * cs + t, m);
            for (int j = 0; j < 4; j++) {        // window basis j is b_(j + shift), 0 outside b0..b3
                FloatVector v = zero;
                v = v.blend(b0, shift.compare(VectorOperators.EQ, -j).cast(S));
                v = v.blend(b1, shift.compare(VectorOperators.EQ, 1 - j).cast(S));
                v = v.blend(b2, shift.compare(VectorOperators.EQ, 2 - j).cast(S));
                v = v.blend(b3, shift.compare(VectorOperators.EQ, 3 - j).cast(S));
                v.intoArray(c, j * cs + t, m);
            }
        }
        return slow;
    }

    @Override
    public int siluCubicWindows(float[] x, int xOff, int n, float[] knots, int intervals, float x0, float invStep, int nBases,
                                float[] base, int[] first, float[] c, int cs, int[] outliers) {
        // silu's, cubicBases' and cubicWindows' operations on each whole vector of values in turn,
        // with the same floats, and cheaper than those three passes beyond loading the values once:
        // no masks (the values past the last whole vector take the same operations in scalar form,
        // below), the span guess converted first and clamped as an int (F2I takes NaN to 0, and
        // the span only picks knots), the knots picked by an int shuffle. One thread, 256 values
        // on [64,256,256,10] G=5's grid, 64 inputs in turn: 0.40 us against 0.60-0.75 for silu
        // then cubicWindows (this pass with their masks, float clamp and float-indexed shuffle:
        // 0.49); 128 values 0.23 against 0.32-0.36. The outliers are listed in place: through the
        // outliers() helper C2 did not inline the call (NodeCountInliningCutoff) and boxed the
        // mask, and batch 1 lost the gain.
        int lanes = S.length(), whole = S.loopBound(n), slow = 0, lastSpan = intervals - 1;
        long all = -1L >>> (64 - lanes);
        boolean permute = intervals <= lanes;
        VectorMask<Float> spanLanes = S.indexInRange(0, Math.min(intervals, lanes));
        FloatVector lefts = FloatVector.fromArray(S, knots, 0, spanLanes), rights = FloatVector.fromArray(S, knots, 1, spanLanes);
        int[] spans = permute ? null : new int[lanes];
        FloatVector zero = FloatVector.zero(S);
        for (int t = 0; t < whole; t += lanes) {
            FloatVector xv = FloatVector.fromArray(S, x, xOff + t);
            xv.div(PanamaKernels.exp(xv.neg()).add(1f)).intoArray(base, t);
            IntVector qi = ((IntVector) xv.sub(x0).mul(invStep).convertShape(VectorOperators.F2I, SI, 0)).max(0).min(lastSpan);
            FloatVector left, right;
            if (permute) {
                VectorShuffle<Float> q = qi.toShuffle().cast(S);
                left = lefts.rearrange(q);
                right = rights.rearrange(q);
            } else {
                qi.intoArray(spans, 0);
                left = FloatVector.fromArray(S, knots, 0, spans, 0);
                right = FloatVector.fromArray(S, knots, 1, spans, 0);
            }
            VectorMask<Float> fast = left.compare(VectorOperators.LE, xv).and(xv.compare(VectorOperators.LT, right));
            long accepted = fast.toLong();
            if (accepted != all)
                for (long bits = ~accepted & all; bits != 0; bits &= bits - 1) outliers[slow++] = t + Long.numberOfTrailingZeros(bits);
            FloatVector u = xv.sub(left).mul(invStep);
            FloatVector v = FloatVector.broadcast(S, 1f).sub(u), u2 = u.mul(u), u3 = u2.mul(u);
            FloatVector b0 = v.mul(v).mul(v).mul(SIXTH);
            FloatVector b1 = u3.mul(3f).sub(u2.mul(6f)).add(4f).mul(SIXTH);
            FloatVector b2 = u3.mul(-3f).add(u2.mul(3f)).add(u.mul(3f)).add(1f).mul(SIXTH);
            FloatVector b3 = u3.mul(SIXTH);
            IntVector start = qi.sub(3), clamped = start.max(0).min(nBases - 4), shift = clamped.sub(start);
            clamped.add(1).intoArray(first, t);
            if (shift.compare(VectorOperators.NE, 0).anyTrue()) {     // the spans at the ends: cubicWindows' blends
                for (int j = 0; j < 4; j++) {
                    FloatVector w = zero;
                    w = w.blend(b0, shift.compare(VectorOperators.EQ, -j).cast(S));
                    w = w.blend(b1, shift.compare(VectorOperators.EQ, 1 - j).cast(S));
                    w = w.blend(b2, shift.compare(VectorOperators.EQ, 2 - j).cast(S));
                    w = w.blend(b3, shift.compare(VectorOperators.EQ, 3 - j).cast(S));
                    w.intoArray(c, j * cs + t);
                }
            } else {
                b0.intoArray(c, t);
                b1.intoArray(c, cs + t);
                b2.intoArray(c, 2 * cs + t);
                b3.intoArray(c, 3 * cs + t);
            }
        }
        for (int t = whole; t < n; t++) {       // the last values, lane by lane: the same operations in scalar form
            float xt = x[xOff + t];
            base[t] = xt / (PanamaKernels.exp(-xt) + 1f);
            int q = Math.clamp((int) ((xt - x0) * invStep), 0, lastSpan);
            if (!(knots[q] <= xt && xt < knots[q + 1])) { outliers[slow++] = t; continue; }
            float u = (xt - knots[q]) * invStep, v = 1f - u, u2 = u * u, u3 = u2 * u;
            float b0 = v * v * v * SIXTH, b1 = (3 * u3 - 6 * u2 + 4) * SIXTH, b2 = (-3 * u3 + 3 * u2 + 3 * u + 1) * SIXTH, b3 = u3 * SIXTH;
            int start = q - 3, clamped = Math.clamp(start, 0, nBases - 4);
            first[t] = 1 + clamped;
            for (int j = 0, src = j + clamped - start; j < 4; j++, src++)
                c[j * cs + t] = switch (src) { case 0 -> b0; case 1 -> b1; case 2 -> b2; case 3 -> b3; default -> 0f; };
        }
        return slow;
    }

    @Override
    public boolean allFinite(float[] x, int from, int n) {
        int whole = S.loopBound(n);
        for (int i = 0; i < whole; i += S.length())     // |v| <= MAX_VALUE: false for NaN and the infinities
            if (!FloatVector.fromArray(S, x, from + i).abs().compare(VectorOperators.LE, Float.MAX_VALUE).allTrue()) return false;
        for (int i = whole; i < n; i++) if (!Float.isFinite(x[from + i])) return false;
        return true;
    }

    @Override
    public void silu(float[] x, int xOff, float[] out, int outOff, int n) {
        // PanamaKernels.exp, not the lane-wise EXP: that one's intrinsic and Java fallback differ in
        // the last bit, so a row's SiLU would change when the JIT compiles this loop.
        for (int i = 0; i < n; i += S.length()) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, x, xOff + i, m);
            v.div(PanamaKernels.exp(v.neg()).add(1f)).intoArray(out, outOff + i, m);
        }
    }
}
