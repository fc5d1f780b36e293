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
    public void accumulateSample(float[] w, int inputStride, int stride, int o0, float[] base, int[] row, float[] c, int cs, int terms,
                                 int inputs, int n, float[] y, int yOff) {
        int blocks = SplineKernels.blocks(inputs);
        for (int o = 0; o < n; o++) {
            float sum = y[yOff + o];
            for (int b = 0; b < blocks; b++) {     // the block order: a chain per block, block 0 from y, the others from +0
                float acc = chain(w, inputStride, stride, o0 + o, base, row, c, cs, terms,
                        SplineKernels.blockStart(inputs, b), SplineKernels.blockStart(inputs, b + 1), b == 0 ? sum : 0f);
                sum = b == 0 ? acc : sum + acc;
            }
            y[yOff + o] = sum;
        }
    }

    @Override
    public void chainSums(float[] w, int inputStride, int stride, int o0, float[] base, int[] row, float[] c, int cs, int terms,
                          int[] bounds, int n, float[] s, int sOff) {
        for (int b = 0; b + 1 < bounds.length; b++)
            for (int o = 0; o < n; o++)
                s[sOff + b * n + o] = chain(w, inputStride, stride, o0 + o, base, row, c, cs, terms, bounds[b], bounds[b + 1], 0f);
    }

    /**
     * One output's chain over the inputs from .. to - 1, starting from acc: per input its base
     * term, then its spline terms, each a fused multiply-add ({@link SplineKernels#accumulateSample});
     * input i's rows for this output start at {@code o + i * inputStride}.
     */
    private static float chain(float[] w, int inputStride, int stride, int o, float[] base, int[] row, float[] c, int cs, int terms,
                               int from, int to, float acc) {
        for (int i = from; i < to; i++) {
            int p = o + i * inputStride;
            acc = Math.fma(base[i], w[p], acc);
            if (row[i] >= 0) for (int j = 0; j < terms; j++) acc = Math.fma(c[j * cs + i], w[p + (row[i] + j) * stride], acc);
        }
        return acc;
    }

    @Override
    public int cubicUniform(float[] x, float[] base, int n, float[] knots, int intervals, float x0, float invStep, int firstSpan,
                            float[] wBase, int wBaseOff, float[] table, int tableOff, int nOut, float[] y, int ys, int[] outliers) {
        int slow = 0;
        for (int t = 0; t < n; t++) {
            float xt = x[t];
            int q = span(xt, knots, intervals, x0, invStep, firstSpan);
            if (q < 0) { outliers[slow++] = t; continue; }
            float u = (xt - knots[q]) * invStep;
            float c0 = basis(0, u), c1 = basis(1, u), c2 = basis(2, u), c3 = basis(3, u);
            for (int o = 0; o < nOut; o++) {
                int r = tableOff + 4 * o * intervals + q;
                float acc = Math.fma(base[t], wBase[wBaseOff + o], y[o * ys + t]);
                acc = Math.fma(c0, table[r], acc);
                acc = Math.fma(c1, table[r + intervals], acc);
                acc = Math.fma(c2, table[r + 2 * intervals], acc);
                y[o * ys + t] = Math.fma(c3, table[r + 3 * intervals], acc);
            }
        }
        return slow;
    }

    @Override
    public int cubicBases(float[] x, int n, float[] knots, int intervals, float x0, float invStep, int firstSpan,
                          int[] span, float[] c, int cs, int[] outliers) {
        return cubicBases(x, 0, n, knots, intervals, x0, invStep, firstSpan, span, c, cs, outliers);
    }

    /** {@link #cubicBases} of the values from {@code x[xOff]} on. */
    private static int cubicBases(float[] x, int xOff, int n, float[] knots, int intervals, float x0, float invStep, int firstSpan,
                                  int[] span, float[] c, int cs, int[] outliers) {
        int slow = 0;
        for (int t = 0; t < n; t++) {
            float xt = x[xOff + t];
            int q = span(xt, knots, intervals, x0, invStep, firstSpan);
            if (q < 0) { outliers[slow++] = t; continue; }
            float u = (xt - knots[q]) * invStep;
            span[t] = q;
            for (int j = 0; j < 4; j++) c[j * cs + t] = basis(j, u);
        }
        return slow;
    }

    @Override
    public int cubicWindows(float[] x, int n, float[] knots, int intervals, float x0, float invStep, int nBases,
                            int[] first, float[] c, int cs, int[] outliers) {
        return cubicWindows(x, 0, n, knots, intervals, x0, invStep, nBases, first, c, cs, outliers);
    }

    @Override
    public int siluCubicWindows(float[] x, int xOff, int n, float[] knots, int intervals, float x0, float invStep, int nBases,
                                float[] base, int[] first, float[] c, int cs, int[] outliers) {
        silu(x, xOff, base, 0, n);
        return cubicWindows(x, xOff, n, knots, intervals, x0, invStep, nBases, first, c, cs, outliers);
    }

    /** {@link #cubicWindows} of the values from {@code x[xOff]} on. */
    private static int cubicWindows(float[] x, int xOff, int n, float[] knots, int intervals, float x0, float invStep, int nBases,
                                    int[] first, float[] c, int cs, int[] outliers) {
        int slow = cubicBases(x, xOff, n, knots, intervals, x0, invStep, 0, first, c, cs, outliers);
        float[] window = new float[4];
        for (int t = 0; t < n; t++) {
            int start = first[t] - 3, clamped = Math.clamp(start, 0, nBases - 4);
            if (clamped != start) {
                for (int j = 0; j < 4; j++) window[j] = c[j * cs + t];
                for (int j = 0; j < 4; j++) {
                    int src = j + clamped - start;
                    c[j * cs + t] = src >= 0 && src <= 3 ? window[src] : 0f;
                }
            }
            first[t] = 1 + clamped;
        }
        return slow;
    }

    /**
     * The interval of a uniform grid that holds xt, found by arithmetic and checked against the knots;
     * -1 when the check fails (xt outside the interior, or rounding put it one interval off).
     */
    private static int span(float xt, float[] knots, int intervals, float x0, float invStep, int firstSpan) {
        int q = Math.min(Math.max((int) ((xt - x0) * invStep) - firstSpan, 0), intervals - 1);
        return knots[q] <= xt && xt < knots[q + 1] ? q : -1;
    }

    /** Uniform cubic B-spline basis j (0..3) at u in [0, 1) of its interval, in the vector kernels' closed form. */
    private static float basis(int j, float u) {
        float v = 1f - u, u2 = u * u, u3 = u2 * u;
        return switch (j) {
            case 0 -> v * v * v * (1f / 6);
            case 1 -> (3 * u3 - 6 * u2 + 4) * (1f / 6);
            case 2 -> (-3 * u3 + 3 * u2 + 3 * u + 1) * (1f / 6);
            default -> u3 * (1f / 6);
        };
    }

    @Override
    public boolean allFinite(float[] x, int from, int n) {
        for (int i = 0; i < n; i++) if (!Float.isFinite(x[from + i])) return false;
        return true;
    }

    @Override
    public void silu(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            out[outOff + i] = v / (1f + (float) Math.exp(-v));
        }
    }
}
