package dev.panamax.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API spline kernels. Tails are handled with masked vectors rather than a scalar loop, so
 * every element goes through the same instructions wherever it sits in the array.
 */
public final class PanamaSplineKernels implements SplineKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

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
    public void cubicWeights(float[] x, float[] left, float invStep, int n, float[] c0, float[] c1, float[] c2, float[] c3) {
        // Same operations as the scalar closed form, in the same order, with no fusing: bit-identical.
        final float sixth = 1f / 6;
        for (int t = 0; t < n; t += S.length()) {
            VectorMask<Float> m = S.indexInRange(t, n);
            FloatVector u = FloatVector.fromArray(S, x, t, m).sub(FloatVector.fromArray(S, left, t, m)).mul(invStep);
            FloatVector v = FloatVector.broadcast(S, 1f).sub(u), u2 = u.mul(u), u3 = u2.mul(u);
            v.mul(v).mul(v).mul(sixth).intoArray(c0, t, m);
            u3.mul(3f).sub(u2.mul(6f)).add(4f).mul(sixth).intoArray(c1, t, m);
            u3.mul(-3f).add(u2.mul(3f)).add(u.mul(3f)).add(1f).mul(sixth).intoArray(c2, t, m);
            u3.mul(sixth).intoArray(c3, t, m);
        }
    }

    @Override
    public void accumulateLanes(float[] w, int baseOff, int stride, int[] row, float[] base,
                                float[] c0, float[] c1, float[] c2, float[] c3, int n, int nOut, float[] y, int ys) {
        // A gather reads a whole vector of indices even where masked off: the tail's go through a padded copy.
        int bound = S.loopBound(n);
        int[] tail = new int[S.length()];
        System.arraycopy(row, bound, tail, 0, n - bound);
        for (int o = 0; o < nOut; o++) {
            FloatVector wb = FloatVector.broadcast(S, w[baseOff + o]);
            for (int t = 0; t < n; t += S.length()) {
                VectorMask<Float> m = S.indexInRange(t, n);
                int[] idx = t < bound ? row : tail;
                int at = t < bound ? t : 0;
                FloatVector acc = FloatVector.fromArray(S, y, o * ys + t, m);
                acc = FloatVector.fromArray(S, base, t, m).fma(wb, acc);
                acc = FloatVector.fromArray(S, c0, t, m).fma(FloatVector.fromArray(S, w, o, idx, at, m), acc);
                acc = FloatVector.fromArray(S, c1, t, m).fma(FloatVector.fromArray(S, w, o + stride, idx, at, m), acc);
                acc = FloatVector.fromArray(S, c2, t, m).fma(FloatVector.fromArray(S, w, o + 2 * stride, idx, at, m), acc);
                acc = FloatVector.fromArray(S, c3, t, m).fma(FloatVector.fromArray(S, w, o + 3 * stride, idx, at, m), acc);
                acc.intoArray(y, o * ys + t, m);
            }
        }
    }

    @Override
    public void silu(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i += S.length()) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, x, xOff + i, m);
            FloatVector e = v.neg().lanewise(VectorOperators.EXP).add(1f);
            v.div(e).intoArray(out, outOff + i, m);
        }
    }
}
