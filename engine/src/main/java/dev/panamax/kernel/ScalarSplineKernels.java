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
    public void silu(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            out[outOff + i] = v / (1f + (float) Math.exp(-v));
        }
    }
}
