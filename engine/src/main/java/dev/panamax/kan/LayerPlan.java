package dev.panamax.kan;

import dev.panamax.kernel.Gemm;
import dev.panamax.kernel.KernelProvider;
import dev.panamax.kernel.WorkerPool;
import dev.panamax.kernel.SplineKernels;
import java.util.Arrays;

/**
 * How one {@link KanLayer} runs in float32. The spline edges' parameters are folded into one packed
 * matrix {@code w[in][1 + nBases][out]}:
 *
 * <pre>
 *   w[i][0][j]     = mask[i][j] · scale_base[i][j]                   (multiplies base(x_i))
 *   w[i][1 + m][j] = mask[i][j] · scale_sp[i][j] · coef[i][j][m]     (multiplies B_m(x_i))
 * </pre>
 *
 * so a layer's spline part is {@code [base(X) | B(X)] · w}. Two ways to compute it:
 * <ul>
 *   <li><b>local</b>: per sample and input, find the knot span, evaluate the k + 1 non-zero bases,
 *       and add k + 2 rows of w into the outputs with one fused pass ({@link SplineKernels#accumulate});
 *       (k + 2)·in·out multiply-adds per sample.</li>
 *   <li><b>dense</b>: build the sparse feature matrix [base(X) | B(X)] for a tile of samples and
 *       multiply it by w in one GEMM: (G + k + 1)·in·out multiply-adds, but at GEMM efficiency.</li>
 * </ul>
 * The model picks dense for batches at or above {@link #denseFrom}, set by a measurement.
 *
 * <p>Symbolic edges are added in double afterwards; a sample with a non-finite input to this layer
 * is recomputed edge by edge with pykan's exact semantics ({@link Reference}), so NaN and infinities
 * appear exactly where pykan has them.
 */
final class LayerPlan {
    private static final int TILE_FLOATS = 4096;    // local path: a tile of outputs this large stays in L1
    private static final int DENSE_TILE = 256;
    private static final int NARROW_OUT = 8;           // up to this many outputs the local path computes bases across the batch
    private static final long SPLIT_FROM = 1L << 14;   // rows·in·out from which a small batch is split by outputs

    final KanLayer layer;
    private final int in, out, rowsPerInput, k;
    private final float[] w;
    private final int[] symbolicEdges;   // edges (j * in + i) whose symbolic term is non-zero for finite inputs
    private final float[] subScale, subBias, nodeScale, nodeBias;
    private final SplineKernels kernels;

    volatile int denseFrom = Integer.MAX_VALUE;
    volatile boolean splitOutputs = true;   // small batches on wide layers: split outputs across the pool (measured)
    volatile boolean batchBases = false;    // local path: bases in vector lanes across the batch (narrow layers)

    LayerPlan(KanLayer layer, SplineKernels kernels) {
        this.layer = layer;
        this.kernels = kernels;
        this.in = layer.in();
        this.out = layer.out();
        this.k = layer.k();
        int nb = layer.basisCount();
        this.rowsPerInput = 1 + nb;
        this.w = new float[in * rowsPerInput * out];
        for (int i = 0; i < in; i++)
            for (int j = 0; j < out; j++) {
                int e = i * out + j;
                double m = layer.mask()[e];
                w[(i * rowsPerInput) * out + j] = (float) (m * layer.scaleBase()[e]);
                double s = m * layer.scaleSp()[e];
                for (int b = 0; b < nb; b++)
                    w[(i * rowsPerInput + 1 + b) * out + j] = (float) (s * layer.coef()[e * nb + b]);
            }
        int[] edges = new int[0];
        if (layer.hasSymbolic()) {
            edges = java.util.stream.IntStream.range(0, in * out).filter(e -> {
                // '0' contributes mask·d for finite x; any other function may contribute even with mask 0 (NaN)
                return layer.symFun()[e] != Symbolic.ZERO || layer.symMask()[e] * layer.symAffine()[e * 4 + 3] != 0;
            }).toArray();
        }
        this.symbolicEdges = edges;
        this.subScale = toFloat(layer.subScale());
        this.subBias = toFloat(layer.subBias());
        this.nodeScale = toFloat(layer.nodeScale());
        this.nodeBias = toFloat(layer.nodeBias());
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /** The layer on {@code rows} samples of x (rows × in): rows × nodes. */
    float[] forward(float[] x, int rows) {
        float[] sub = new float[rows * out];
        if (rows >= denseFrom) dense(x, rows, sub); else local(x, rows, sub);
        if (symbolicEdges.length > 0) addSymbolic(x, rows, sub);
        for (int r = 0; r < rows; r++)
            if (!finiteRow(x, r)) {
                double[] xr = new double[in];
                for (int i = 0; i < in; i++) xr[i] = x[r * in + i];
                double[] exact = Reference.subnodesBeforeAffine(layer, xr);
                for (int j = 0; j < out; j++) sub[r * out + j] = (float) exact[j];
            }
        return nodes(sub, rows);
    }

    private boolean finiteRow(float[] x, int r) {
        for (int i = 0; i < in; i++) if (!Float.isFinite(x[r * in + i])) return false;
        return true;
    }

    /**
     * Local path. A small batch on a wide layer splits its outputs across the worker pool (each
     * worker streams its own slice of w, so batch 1 uses both cores' caches); a large batch is
     * already split by samples in {@link KanModel#forward}.
     */
    void local(float[] x, int rows, float[] sub) {
        WorkerPool pool = KernelProvider.pool();
        int slices = pool.threads();
        if (splitOutputs && splittable(rows)) {
            int width = (out / slices + 15) / 16 * 16;     // whole vectors per slice
            pool.parallelFor(slices, c -> {
                int o0 = Math.min(out, c * width), o1 = c == slices - 1 ? out : Math.min(out, o0 + width);
                if (o1 > o0) local(x, rows, sub, o0, o1);
            });
        } else {
            local(x, rows, sub, 0, out);
        }
    }

    /** Layers narrow enough that the per-sample basis work, not the update over outputs, dominates the local path. */
    boolean narrow() {
        if (k != 3 || out > NARROW_OUT) return false;
        for (Knots kn : layer.knots()) if (!kn.isUniform()) return false;
        return true;
    }

    boolean splittable(int rows) {
        return KernelProvider.pool().threads() > 1 && out >= 64 * KernelProvider.pool().threads()
                && (long) rows * in * out >= SPLIT_FROM && rows < KanModel.PARALLEL_FROM;
    }

    /** Outputs [o0, o1) of the local path: per input i, a tile of samples each adds its k + 2 rows of w[i]. */
    private void local(float[] x, int rows, float[] sub, int o0, int o1) {
        int n = o1 - o0;
        int tile = Math.clamp(TILE_FLOATS / n, 1, 64);
        float[] xi = new float[tile], bi = new float[tile], c = new float[k + 1], scratch = new float[k + 1];
        Lanes lanes = batchBases ? new Lanes(tile, n) : null;
        Knots[] knots = layer.knots();
        for (int r0 = 0; r0 < rows; r0 += tile) {
            int tb = Math.min(tile, rows - r0);
            for (int i = 0; i < in; i++) {
                for (int t = 0; t < tb; t++) xi[t] = x[(r0 + t) * in + i];
                base(xi, bi, tb);
                Knots kn = knots[i];
                int wi = i * rowsPerInput * out + o0;
                if (lanes != null && kn.isUniform() && k == 3) {
                    cubicTile(kn, xi, bi, tb, wi, n, sub, (r0 * out) + o0, lanes);
                    continue;
                }
                for (int t = 0; t < tb; t++) {
                    float v = xi[t];
                    int s = kn.span(v);
                    int yOff = (r0 + t) * out + o0;
                    if (s < 0) {
                        kernels.accumulate(w, wi, bi[t], wi, out, c, 0, n, sub, yOff);
                    } else {
                        int start = kn.weights(v, s, c, scratch);
                        kernels.accumulate(w, wi, bi[t], wi + (1 + start) * out, out, c, k + 1, n, sub, yOff);
                    }
                }
            }
        }
    }

    /** Per-tile scratch of the batch-vectorised path: spans, left knots, weights, spline rows, transposed outputs. */
    private record Lanes(int[] span, float[] left, float[] c0, float[] c1, float[] c2, float[] c3, int[] row,
                         float[] yT, float[] c, float[] scratch) {
        Lanes(int tile, int n) {
            this(new int[tile], new float[tile], new float[tile], new float[tile], new float[tile], new float[tile],
                    new int[tile], new float[tile * n], new float[4], new float[4]);
        }
    }

    /**
     * One input of a tile of samples on a uniform cubic grid, in vector lanes across the samples:
     * the four bases by their closed form ({@link SplineKernels#cubicWeights}), then the update of
     * each output with the spline rows gathered by span ({@link SplineKernels#accumulateLanes}) on a
     * transposed copy of the tile's outputs. Spans at the ends of the grid, where the closed form
     * does not hold, take the recursion; samples outside the grid get zero weights. Each sample's
     * result equals the per-sample path's.
     */
    private void cubicTile(Knots kn, float[] xi, float[] bi, int tb, int wi, int n, float[] sub, int yOff0, Lanes l) {
        for (int t = 0; t < tb; t++) {
            int s = kn.span(xi[t]);
            l.span[t] = s;
            l.left[t] = s >= 0 ? kn.knot(s) : xi[t];    // a placeholder where the weights go unused
        }
        kernels.cubicWeights(xi, l.left, kn.invStep(), tb, l.c0, l.c1, l.c2, l.c3);
        float[] c = l.c;
        for (int t = 0; t < tb; t++) {
            int s = l.span[t], start;
            if (s >= 0 && kn.closedFormAt(s)) {
                start = s - 3;
            } else {
                if (s < 0) { c[0] = c[1] = c[2] = c[3] = 0f; start = 0; }
                else start = kn.weights(xi[t], s, c, l.scratch);
                l.c0[t] = c[0]; l.c1[t] = c[1]; l.c2[t] = c[2]; l.c3[t] = c[3];
            }
            l.row[t] = wi + (1 + start) * out;
        }
        float[] yT = l.yT;
        for (int t = 0; t < tb; t++)
            for (int o = 0; o < n; o++) yT[o * tb + t] = sub[yOff0 + t * out + o];
        kernels.accumulateLanes(w, wi, out, l.row, bi, l.c0, l.c1, l.c2, l.c3, tb, n, yT, tb);
        for (int t = 0; t < tb; t++)
            for (int o = 0; o < n; o++) sub[yOff0 + t * out + o] = yT[o * tb + t];
    }

    private void base(float[] x, float[] b, int n) {
        switch (layer.base()) {
            case SILU -> kernels.silu(x, 0, b, 0, n);
            case IDENTITY -> System.arraycopy(x, 0, b, 0, n);
            case ZERO -> Arrays.fill(b, 0, n, 0f);      // non-finite inputs are redone exactly
        }
    }

    /** Dense path: [base(X) | B(X)] for a tile of samples, times w, as one GEMM (oneDNN when present). */
    void dense(float[] x, int rows, float[] sub) {
        int width = in * rowsPerInput;
        int tile = Math.min(DENSE_TILE, rows);
        float[] features = new float[tile * width], xi = new float[tile], bi = new float[tile],
                c = new float[k + 1], scratch = new float[k + 1], y = new float[tile * out];
        Knots[] knots = layer.knots();
        for (int r0 = 0; r0 < rows; r0 += tile) {
            int tb = Math.min(tile, rows - r0);
            Arrays.fill(features, 0f);
            for (int i = 0; i < in; i++) {
                for (int t = 0; t < tb; t++) xi[t] = x[(r0 + t) * in + i];
                base(xi, bi, tb);
                for (int t = 0; t < tb; t++) {
                    int f = t * width + i * rowsPerInput;
                    features[f] = bi[t];
                    int s = knots[i].span(xi[t]);
                    if (s >= 0) {
                        int start = knots[i].weights(xi[t], s, c, scratch);
                        System.arraycopy(c, 0, features, f + 1 + start, k + 1);
                    }
                }
            }
            Gemm.matmul(features, w, y, tb, out, width);
            System.arraycopy(y, 0, sub, r0 * out, tb * out);
        }
    }

    /** Adds c·f(a·x + b) + d, summed over inputs in double, for the symbolic edges that can be non-zero. */
    private void addSymbolic(float[] x, int rows, float[] sub) {
        double[] acc = new double[out];
        double[] affine = layer.symAffine(), mask = layer.symMask();
        Symbolic[] funs = layer.symFun();
        for (int r = 0; r < rows; r++) {
            Arrays.fill(acc, 0);
            for (int e : symbolicEdges) {
                int j = e / in, i = e % in;
                double a = affine[4 * e], b = affine[4 * e + 1], c = affine[4 * e + 2], d = affine[4 * e + 3];
                acc[j] += mask[e] * (c * funs[e].apply(a * x[r * in + i] + b) + d);
            }
            for (int j = 0; j < out; j++) sub[r * out + j] = (float) (sub[r * out + j] + acc[j]);
        }
    }

    /** Subnode affine, multiplication nodes, node affine: rows × out subnodes to rows × nodes. */
    private float[] nodes(float[] sub, int rows) {
        int nodes = layer.nodes(), nSum = layer.nSum();
        int[] arity = layer.multArity();
        float[] y = new float[rows * nodes];
        for (int r = 0; r < rows; r++) {
            int so = r * out, yo = r * nodes;
            for (int j = 0; j < out; j++) sub[so + j] = subScale[j] * sub[so + j] + subBias[j];
            for (int j = 0; j < nSum; j++) y[yo + j] = sub[so + j];
            int at = nSum;
            for (int g = 0; g < arity.length; g++) {
                float p = sub[so + at] * sub[so + at + 1];
                for (int q = 2; q < arity[g]; q++) p *= sub[so + at + q];
                y[yo + nSum + g] = p;
                at += arity[g];
            }
            for (int j = 0; j < nodes; j++) y[yo + j] = nodeScale[j] * y[yo + j] + nodeBias[j];
        }
        return y;
    }

    /** Multiply-adds per sample of each path, for reports. */
    long localMacs() { return (long) (k + 2) * in * out; }

    long denseMacs() { return (long) rowsPerInput * in * out; }
}
