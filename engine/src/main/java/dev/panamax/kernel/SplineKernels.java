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
 *
 * <p><b>The order of a sample's sum over the inputs</b> (every local path follows it, so a sample
 * gets the same floats whatever batch it is in): the inputs are cut into {@link #blocks} P
 * contiguous blocks, P = 4 from {@link #BLOCKED_FROM} inputs on and 1 below, block b holding inputs
 * {@link #blockStart blockStart(inputs, b)} = {@code b * inputs / P} (integer division) up to
 * {@code blockStart(inputs, b + 1)}. Each block's partial sum s_b is its own chain of fused
 * multiply-adds, input by input in increasing order (per input: the base term, then its spline
 * terms j = 0, 1, ..., as in {@link #accumulate}); block 0's chain starts from the output's prior
 * value y, the others from +0. The output is then {@code ((s0 + s1) + s2) + s3} (plain float
 * additions, left to right); with one block, s0. One chain over all the inputs is latency-bound
 * on a narrow layer (256 inputs of 5 terms: 1280 dependent multiply-adds per output); four
 * chains overlap. A layer of few inputs has short chains, and there the blocks' extra passes
 * only cost ([2,5,1] at batch 64: 5-15% slower with a block per input), so it keeps one.
 */
public interface SplineKernels {

    /** The fewest inputs whose sum is cut into four blocks (each of four inputs or more); fewer make one block. */
    int BLOCKED_FROM = 16;

    /** How many blocks a sample's sum over {@code inputs} inputs is cut into: 4 from {@link #BLOCKED_FROM} inputs on, else 1. */
    static int blocks(int inputs) { return inputs >= BLOCKED_FROM ? 4 : 1; }

    /**
     * The first input of block b (0 .. {@link #blocks}): {@code b * inputs / blocks(inputs)}, so
     * {@code blockStart(inputs, blocks(inputs)) == inputs}; blocks differ in size by at most one.
     */
    static int blockStart(int inputs, int b) { return b * inputs / blocks(inputs); }

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
     * One sample through a slice of a layer: every input's {@link #accumulate}, summed in the block
     * order above, with the outputs held in registers instead of going through y once per input.
     * Input i's rows of w start at {@code o0 + i * inputStride}, {@code stride} apart: row 0 the
     * base weights, rows {@code row[i] .. row[i] + terms - 1} its spline weights ({@code row[i] < 0}:
     * none, the input lies outside its grid). For {@code o < n} and each block b, starting from
     * {@code acc = y[yOff + o]} for b = 0 and {@code acc = +0} for the others, for the block's inputs i in turn:
     * <pre>
     *   p = o0 + i * inputStride + o
     *   acc = fma(base[i], w[p], acc)
     *   when row[i] &gt;= 0, for j &lt; terms:  acc = fma(c[j * cs + i], w[p + (row[i] + j) * stride], acc)
     * </pre>
     * giving s_b; then {@code y[yOff + o] = ((s0 + s1) + s2) + s3} (or s0, one block): the
     * same floats as {@link #accumulate} input by input into y for block 0 and into a zeroed buffer
     * for each other block, added into y after it. w must hold 16 floats past the last row read
     * (a whole vector is read from any row start). This is batch 1's kernel, where a layer's cost is
     * reading its k + 2 rows of w per input; each thread takes its own slice of the outputs on
     * every call, so that slice of w stays in its cache.
     */
    void accumulateSample(float[] w, int inputStride, int stride, int o0, float[] base, int[] row, float[] c, int cs, int terms,
                          int inputs, int n, float[] y, int yOff);

    /**
     * Some of {@link #accumulateSample}'s block chains, each on its own, for a caller that adds them
     * up itself: batch 1 computes a narrow layer inside the split of the wide layer before it, each
     * thread the blocks of the inputs it has just produced ({@code LayerPlan}), and the caller then
     * forms {@code ((s0 + s1) + s2) + s3}, the floats of accumulateSample into a y of +0 (whose
     * block 0 starts from y). For each chain b &lt; {@code bounds.length - 1}, over inputs i = {@code bounds[b] .. bounds[b + 1] - 1} in
     * turn, from {@code acc = +0}, the chain written out in accumulateSample (w, base, row, c, cs,
     * terms and o0 as there), stored at {@code s[sOff + b * n + o]} for {@code o < n}. w must hold
     * 16 floats past the last row read.
     */
    void chainSums(float[] w, int inputStride, int stride, int o0, float[] base, int[] row, float[] c, int cs, int terms,
                   int[] bounds, int n, float[] s, int sOff);

    /**
     * One input of a layer on a uniform cubic grid (k = 3), for n samples in vector lanes: the
     * narrow layers' local path, where a pass over a handful of outputs is too short to vectorise.
     *
     * <p>The spans handled are numbered q = 0 .. intervals - 1, span q running from {@code knots[q]}
     * to {@code knots[q + 1]} (a KAN layer passes all its knots, firstSpan 0, and a table that holds
     * 0 for the bases missing in the spans at the ends). For sample t the span is guessed as
     * {@code (int) ((x[t] - x0) * invStep) - firstSpan} and accepted only when
     * {@code knots[q] <= x[t] < knots[q + 1]}; then, with {@code u = (x[t] - knots[q]) * invStep},
     * for every output {@code o < nOut}, on the transposed accumulator {@code y[o * ys + t]} (the
     * partial sum of the input's block, in the block order above), the fused chain of {@link #accumulate}: {@code base[t] * wBase[wBaseOff + o]}, then
     * {@code cj * table[tableOff + (4 * o + j) * intervals + q]}
     * for j = 0..3, where c0..c3 are the closed-form cubic bases
     * {@code v³/6, (3u³ - 6u² + 4)/6, (-3u³ + 3u² + 3u + 1)/6, u³/6} ({@code v = 1 - u}) computed
     * with exactly the operations of {@code Knots.weights} (no fusing). So an accepted sample gets
     * the same floats as the per-sample path (at the ends of the grid that path's window holds the
     * same non-zero terms in the same order; only the sign of an exact zero sum could differ).
     *
     * <p>Samples in none of these spans (outside the grid, NaN, infinite, or on a knot where the
     * arithmetic guess is one off) are left untouched; their indices t are written to
     * {@code outliers} (n ints) and their count returned, for the caller's per-sample path.
     * {@code table} must hold 16 floats past its last row (a whole vector is read from any row).
     */
    int cubicUniform(float[] x, float[] base, int n, float[] knots, int intervals, float x0, float invStep, int firstSpan,
                     float[] wBase, int wBaseOff, float[] table, int tableOff, int nOut, float[] y, int ys, int[] outliers);

    /**
     * The spans and closed-form cubic bases of {@link #cubicUniform}, without the update (the dense
     * path scatters them into its feature matrix): for each accepted sample t, {@code span[t] = q}
     * and {@code c[j * cs + t]} the basis c_j (j = 0..3), bit-identical to {@code Knots.weights}.
     * Rejected samples are listed in {@code outliers} (their count returned); their span and bases
     * are left unspecified.
     */
    int cubicBases(float[] x, int n, float[] knots, int intervals, float x0, float invStep, int firstSpan,
                   int[] span, float[] c, int cs, int[] outliers);

    /**
     * {@link #cubicBases} for a layer's whole grid (all its knots, firstSpan 0) of {@code nBases}
     * bases (nBases &gt;= 4), giving each accepted sample t the window that {@code Knots.weights}
     * gives: its first basis {@code start = clamp(q - 3, 0, nBases - 4)} as {@code first[t] = 1 + start}
     * (the row of w it starts at) and {@code c[j * cs + t]} the weight of basis start + j, which is
     * {@link #cubicBases}' c_(j + start - q + 3), or 0 where that index falls outside 0..3 (the
     * spans at the ends of the grid, where some of the four bases do not exist). Bases are moved,
     * never recomputed, so the floats are those of Knots.weights. Rejected samples as in cubicBases.
     */
    int cubicWindows(float[] x, int n, float[] knots, int intervals, float x0, float invStep, int nBases,
                     int[] first, float[] c, int cs, int[] outliers);

    /**
     * {@link #silu} and {@link #cubicWindows} of the same n values {@code x[xOff] .. x[xOff + n - 1]}
     * in one pass over them: {@code base[t]} the SiLU of value t as silu gives it, and {@code first[t]},
     * {@code c[j * cs + t]} and the outliers (indices t, counted from 0, their count returned) as
     * cubicWindows gives them for those values, bit for bit (an outlier's row and bases are left
     * unspecified). Batch 1 prepares a layer on a grid its inputs share with it: the two kernels
     * one after the other load the values twice and the windows' rows and bases once more to clamp them.
     */
    int siluCubicWindows(float[] x, int xOff, int n, float[] knots, int intervals, float x0, float invStep, int nBases,
                         float[] base, int[] first, float[] c, int cs, int[] outliers);

    /**
     * {@code out[outOff + i] = x / (1 + exp(-x))} for i &lt; n (SiLU, the default base function).
     * The vector implementation uses an exponential built from lane-wise operations, so a value
     * gets the same bits whether the JIT has compiled the kernel yet or not (KAN rows must not
     * depend on the batch they are in); the scalar twin uses Math.exp (equal within 2 ulp).
     */
    void silu(float[] x, int xOff, float[] out, int outOff, int n);

    /**
     * Whether {@code x[from] .. x[from + n - 1]} are all finite (no NaN, no infinity): a KAN layer
     * checks its input on every call, since a sample with a value that is not finite is recomputed
     * exactly.
     */
    boolean allFinite(float[] x, int from, int n);

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
