package dev.panamax.kan;

/**
 * The knot vector of one input of one layer, prepared for local B-spline evaluation.
 *
 * <p>For an input x inside [t_0, t_last) exactly one span s has t_s &lt;= x &lt; t_{s+1}, and only
 * the k + 1 bases B_{s-k} .. B_s are non-zero there. {@link #span} finds s once (arithmetic for a
 * uniform grid, binary search otherwise) and {@link #weights} runs pykan's Cox–de Boor recursion on
 * just that triangle. The knots are padded with k extra knots on each side so the triangle never
 * leaves the array near the ends; the bases those padding knots touch do not exist in pykan's
 * basis and are dropped, and no existing basis depends on them (B_m^d only uses B_m and B_{m+1}).
 */
public final class Knots {
    private final int k;
    private final int nKnots;
    private final int nBases;
    private final float[] t;        // the knots as given
    private final float[] padded;   // padded[p] = knot p - k
    private final float[][] inv;    // inv[d][p] = 1 / (padded[p + d] - padded[p]), 0 when the interval is empty
    private final boolean uniform;
    private final float first, invStep;

    public Knots(float[] knots, int k) {
        if (k < 0) throw new IllegalArgumentException("spline order k must be >= 0, is " + k);
        if (knots.length < k + 2) throw new IllegalArgumentException(knots.length + " knots cannot carry splines of order " + k);
        for (int i = 1; i < knots.length; i++)
            if (!(knots[i] >= knots[i - 1]))
                throw new IllegalArgumentException("knots must be finite and non-decreasing; knot " + i + " is " + knots[i] + " after " + knots[i - 1]);
        if (!Float.isFinite(knots[0]) || !Float.isFinite(knots[knots.length - 1]))
            throw new IllegalArgumentException("knots must be finite");
        this.k = k;
        this.t = knots.clone();
        this.nKnots = knots.length;
        this.nBases = nKnots - k - 1;
        float lowStep = nKnots > 1 ? knots[1] - knots[0] : 1f, highStep = knots[nKnots - 1] - knots[nKnots - 2];
        padded = new float[nKnots + 2 * k];
        for (int p = 0; p < padded.length; p++) {
            int i = p - k;
            padded[p] = i < 0 ? knots[0] + i * lowStep : i >= nKnots ? knots[nKnots - 1] + (i - nKnots + 1) * highStep : knots[i];
        }
        inv = new float[k + 1][padded.length];
        for (int d = 1; d <= k; d++)
            for (int p = 0; p + d < padded.length; p++) {
                float width = padded[p + d] - padded[p];
                inv[d][p] = width > 0 ? 1f / width : 0f;
            }
        float step = (knots[nKnots - 1] - knots[0]) / (nKnots - 1);
        boolean u = step > 0;
        for (int i = 0; i < nKnots && u; i++)
            u = Math.abs(knots[i] - (knots[0] + i * step)) <= 1e-5f * Math.max(1f, Math.abs(step) * nKnots);
        uniform = u;
        first = knots[0];
        invStep = u ? 1f / step : 0f;
    }

    public int order() { return k; }

    public int knotCount() { return nKnots; }

    /** G + k: the number of B-spline bases (and coefficients per edge). */
    public int basisCount() { return nBases; }

    public boolean isUniform() { return uniform; }

    public float knot(int i) { return t[i]; }

    /** Whether {@link #weights} uses the closed form of the cubic bases (uniform cubic grids, in every span). */
    public boolean closedForm() { return uniform && k == 3; }

    /** 1 / step of a uniform grid (0 for a non-uniform one). */
    public float invStep() { return invStep; }

    public float[] knots() { return t.clone(); }

    /** The s with t_s &lt;= x &lt; t_{s+1}, or -1 when x is outside [t_0, t_last) or NaN (all bases are 0). */
    public int span(float x) {
        if (!(x >= t[0] && x < t[nKnots - 1])) return -1;
        int s;
        if (uniform) {
            s = (int) ((x - first) * invStep);
            if (s > nKnots - 2) s = nKnots - 2;
            // the arithmetic guess can be one off at the knots themselves: settle on the exact span
            while (s > 0 && x < t[s]) s--;
            while (s < nKnots - 2 && x >= t[s + 1]) s++;
        } else {
            int lo = 0, hi = nKnots - 1;          // invariant: t[lo] <= x < t[hi]
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                if (x >= t[mid]) lo = mid; else hi = mid;
            }
            s = lo;
        }
        return s;
    }

    /**
     * The non-zero bases at x in span s (from {@link #span}), as a window of k + 1 consecutive
     * bases starting at the returned index: {@code c[j]} multiplies basis {@code start + j}.
     * The window is clamped into [0, basisCount) so it can be applied without bounds checks; bases
     * it covers that are zero at x get weight 0. {@code scratch} needs k + 1 floats.
     */
    public int weights(float x, int s, float[] c, float[] scratch) {
        if (closedForm()) {
            // Cubic splines on a uniform grid: the four bases B_{s-3} .. B_s are the fixed
            // polynomials of the position u in the span (what the recursion reduces to).
            float u = (x - t[s]) * invStep, v = 1f - u, u2 = u * u, u3 = u2 * u;
            float[] p = s - 3 == Math.clamp(s - 3, 0, nBases - 4) ? c : scratch;
            p[0] = v * v * v * (1f / 6);
            p[1] = (3 * u3 - 6 * u2 + 4) * (1f / 6);
            p[2] = (-3 * u3 + 3 * u2 + 3 * u + 1) * (1f / 6);
            p[3] = u3 * (1f / 6);
            if (p == c) return s - 3;
            // In the k spans at either end some of the four do not exist: keep those that do.
            int start = Math.clamp(s - 3, 0, nBases - 4);
            for (int j = 0; j < 4; j++) {
                int src = start + j - (s - 3);
                c[j] = src >= 0 && src <= 3 ? scratch[src] : 0f;
            }
            return start;
        }
        float[] n = scratch;                  // n[j] is basis m = s - k + j at the current order
        java.util.Arrays.fill(n, 0, k + 1, 0f);
        n[k] = 1f;
        for (int d = 1; d <= k; d++) {
            float[] invD = inv[d];
            for (int j = k - d; j <= k; j++) {
                int p = s + j;                    // padded index of knot m = s - k + j
                float left = (x - padded[p]) * invD[p] * n[j];
                float right = j < k ? (padded[p + d + 1] - x) * invD[p + 1] * n[j + 1] : 0f;
                n[j] = left + right;
            }
        }
        int start = Math.clamp(s - k, 0, nBases - k - 1);
        for (int j = 0; j <= k; j++) {
            int src = start + j - (s - k);
            c[j] = src >= 0 && src <= k ? n[src] : 0f;
        }
        return start;
    }

    /**
     * Every basis at x in double precision, by pykan's global recursion (the reference the local
     * evaluation is tested against, and the path for non-finite inputs). With {@code nanToNum}
     * (pykan) each order's NaN becomes 0 and infinities the largest double, as torch.nan_to_num
     * does; without it (efficient-kan) they propagate.
     */
    public double[] allBases(double x, boolean nanToNum) {
        double[] b = new double[nKnots - 1];
        for (int m = 0; m < nKnots - 1; m++) b[m] = (x >= t[m] && x < t[m + 1]) ? 1 : 0;
        for (int d = 1; d <= k; d++) {
            int count = nKnots - 1 - d;
            for (int m = 0; m < count; m++) {
                double v = (x - t[m]) / ((double) t[m + d] - t[m]) * b[m]
                        + ((double) t[m + d + 1] - x) / ((double) t[m + d + 1] - t[m + 1]) * b[m + 1];
                if (nanToNum) v = Double.isNaN(v) ? 0 : v == Double.POSITIVE_INFINITY ? Double.MAX_VALUE : v == Double.NEGATIVE_INFINITY ? -Double.MAX_VALUE : v;
                b[m] = v;
            }
        }
        return java.util.Arrays.copyOf(b, nBases);
    }
}
