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
