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
    public void silu(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i += S.length()) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, x, xOff + i, m);
            FloatVector e = v.neg().lanewise(VectorOperators.EXP).add(1f);
            v.div(e).intoArray(out, outOff + i, m);
        }
    }
}
