package dev.panamax.kernel;

/**
 * The two inner loops of KAN inference, with a Vector API implementation and its scalar twin.
 *
 * <p>A KAN layer's weights are packed as {@code [in][1 + nBases][out]}: for input i, row 0 holds
 * the base-function weights and row 1 + m the coefficients of B-spline basis m, each row
 * contiguous over the outputs. A sample whose input i falls in one knot span touches only the base
 * row and k + 1 consecutive spline rows, so its update is one fused multiply-add pass over the
 * outputs ({@link #accumulate}).
 *
 * <p>Both implementations do the same arithmetic per element (fused multiply-adds in the same
 * order), so {@code accumulate} is bit-identical between them and between batch sizes.
 */
public interface SplineKernels {

    /** "panama" or "scalar". */
    String name();

    /**
     * {@code y[yOff + o] += baseCoef * w[baseOff + o] + sum_{j < terms} c[j] * w[splineOff + j*stride + o]}
     * for {@code o < n}, as a chain of fused multiply-adds starting from y (base first, then j = 0, 1, ...).
     * {@code stride} is the distance between consecutive rows of w (n, or more when only a slice of
     * the outputs is updated).
     */
    void accumulate(float[] w, int baseOff, float baseCoef, int splineOff, int stride, float[] c, int terms, int n,
                    float[] y, int yOff);

    /**
     * The four non-zero cubic B-spline bases on a uniform grid for n samples at once (vector lanes
     * over the batch): with {@code u = (x[t] - left[t]) * invStep}, the position of sample t in its
     * span whose left knot is {@code left[t]}, and {@code v = 1 - u},
     * {@code c0 = v³/6, c1 = (3u³ - 6u² + 4)/6, c2 = (-3u³ + 3u² + 3u + 1)/6, c3 = u³/6}, each
     * evaluated with exactly the operations of the per-sample closed form in {@code Knots.weights}
     * (no fused multiply-adds), so the results are bit-identical to it.
     */
    void cubicWeights(float[] x, float[] left, float invStep, int n, float[] c0, float[] c1, float[] c2, float[] c3);

    /**
     * {@link #accumulate} for n samples at once with k = 3, vector lanes over the samples (narrow
     * layers, where a pass over a handful of outputs is too short to vectorise). For each output
     * {@code o < nOut} and sample {@code t < n}, on the transposed accumulator
     * {@code y[o * ys + t]}: the fused chain {@code base[t] * w[baseOff + o]}, then
     * {@code cj[t] * w[row[t] + j * stride + o]} for j = 0..3, the spline rows gathered by each
     * sample's span. Same operations in the same order as {@code accumulate}: bit-identical to it.
     */
    void accumulateLanes(float[] w, int baseOff, int stride, int[] row, float[] base,
                         float[] c0, float[] c1, float[] c2, float[] c3, int n, int nOut, float[] y, int ys);

    /** {@code out[outOff + i] = x / (1 + exp(-x))} for i &lt; n (SiLU, the default base function). */
    void silu(float[] x, int xOff, float[] out, int outOff, int n);

    /** The Vector API implementation when the incubator module is present, else the scalar twin. */
    static SplineKernels best() { return Holder.BEST; }

    static SplineKernels scalar() { return Holder.SCALAR; }

    final class Holder {
        private Holder() {}
        static final SplineKernels SCALAR = new ScalarSplineKernels();
        static final SplineKernels BEST = pick();

        private static SplineKernels pick() {
            if (Boolean.getBoolean("panamax.scalar")) return SCALAR;
            try {
                return new PanamaSplineKernels();
            } catch (Throwable t) {      // jdk.incubator.vector not added to the module graph
                return SCALAR;
            }
        }
    }
}
