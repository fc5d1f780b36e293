package dev.panamax.kernel;

/** Plain-Java twin of {@link PanamaSplineKernels}: the reference its results are tested against. */
public final class ScalarSplineKernels implements SplineKernels {

    @Override public String name() { return "scalar"; }

    @Override
    public void accumulate(float[] w, int baseOff, float baseCoef, int splineOff, int stride, float[] c, int terms, int n,
                           float[] y, int yOff) {
        for (int o = 0; o < n; o++) {
            float acc = Math.fma(baseCoef, w[baseOff + o], y[yOff + o]);
            for (int j = 0; j < terms; j++) acc = Math.fma(c[j], w[splineOff + j * stride + o], acc);
            y[yOff + o] = acc;
        }
    }

    @Override
    public void cubicWeights(float[] x, float[] left, float invStep, int n, float[] c0, float[] c1, float[] c2, float[] c3) {
        for (int t = 0; t < n; t++) {
            float u = (x[t] - left[t]) * invStep, v = 1f - u, u2 = u * u, u3 = u2 * u;
            c0[t] = v * v * v * (1f / 6);
            c1[t] = (3 * u3 - 6 * u2 + 4) * (1f / 6);
            c2[t] = (-3 * u3 + 3 * u2 + 3 * u + 1) * (1f / 6);
            c3[t] = u3 * (1f / 6);
        }
    }

    @Override
    public void accumulateLanes(float[] w, int baseOff, int stride, int[] row, float[] base,
                                float[] c0, float[] c1, float[] c2, float[] c3, int n, int nOut, float[] y, int ys) {
        for (int o = 0; o < nOut; o++)
            for (int t = 0; t < n; t++) {
                int r = row[t] + o;
                float acc = Math.fma(base[t], w[baseOff + o], y[o * ys + t]);
                acc = Math.fma(c0[t], w[r], acc);
                acc = Math.fma(c1[t], w[r + stride], acc);
                acc = Math.fma(c2[t], w[r + 2 * stride], acc);
                y[o * ys + t] = Math.fma(c3[t], w[r + 3 * stride], acc);
            }
    }

    @Override
    public void silu(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            out[outOff + i] = v / (1f + (float) Math.exp(-v));
        }
    }
}
