package dev.panamax.kernel;

import dev.panamax.tensor.Tensor;

/**
 * The compute kernels the models run on. Two implementations exist: the Vector API one and its plain
 * scalar twin, which tests compare it against. {@link KernelProvider#kernels()} picks one at startup.
 *
 * <p>Activations live on the heap as {@code float[]} (small, reused); weights are off-heap
 * {@link Tensor}s of F32, BF16 or F16, shaped (out, in), row-major.
 *
 * <p><b>Row invariance.</b> Every kernel that takes {@code rows} computes each row with exactly the
 * same arithmetic whatever the number of rows: a row's result is bit-identical in a 1-row and a
 * k-row call. Self-speculative MTP decoding relies on this to give the same ids as plain decoding.
 */
public interface Kernels {

    /** "panama" or "scalar". */
    String name();

    /**
     * {@code out[r][o] = sum_i x[r][i] * w[o][i]} for {@code r < rows}: x is rows × in, out is
     * rows × out, both dense; w is (out, in). Streams each weight once for all rows.
     */
    void matmul(float[] x, int rows, Tensor w, float[] out);

    /**
     * Several matmuls in one call: {@code outs[m] = xs[m] · ws[m]ᵀ} over {@code rows[m]} rows, each
     * bit for bit as {@link #matmul(float[], int, Tensor, float[])} computes it. One call lets the
     * threads split the rows of all the matrices at once, with one hand-off and one wait instead of
     * one per matrix: a transformer block's query, key and value projections, or its gate and up
     * projections, go in one call, and for the MTP heads run side by side (each reads the trunk's
     * output through norms of its own) the same projections of every head, where one head's
     * matrices alone are too small to share.
     */
    default void matmul(float[][] xs, int[] rows, Tensor[] ws, float[][] outs) {
        Checks.matmuls(xs, rows, ws, outs);
        for (int m = 0; m < ws.length; m++) matmul(xs[m], rows[m], ws[m], outs[m]);
    }

    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** {@code y[yOff + i] += alpha * x[xOff + i]}. */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /** {@code out = x / sqrt(mean(x^2) + eps) * weight} over n elements. out may equal x. */
    void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int n, float eps);

    /**
     * The index (from {@code off}) of the largest of x[off .. off + n), n &gt;= 1: the first one on
     * ties, -0 and +0 counting as equal; a NaN never wins unless it comes first. The same answer as
     * the loop {@code if (x[i] > max) best = i} from x[off]. Greedy decoding picks its tokens with
     * it: the MTP decoder takes up to 2n of them per pass.
     */
    int argmax(float[] x, int off, int n);

    /** In-place, numerically stable (max subtracted). */
    void softmax(float[] x, int off, int n);

    /** {@code gate[i] = silu(gate[i]) * up[i]} for i &lt; n. */
    void swiglu(float[] gate, float[] up, int n);

    /**
     * Rotary position embedding in place on rows × (heads · headDim); row r sits at position
     * {@code startPos + r}. {@code interleaved}: rotate pairs (x[2i], x[2i+1]) (Meta, llama2.c);
     * otherwise halves (x[i], x[i + headDim/2]) (Hugging Face).
     */
    void rope(float[] x, int rows, int heads, int headDim, int startPos, float theta, boolean interleaved);

    /**
     * Causal grouped-query attention of {@code rows} query rows against a KV cache.
     * q: rows × (heads · headDim); kCache, vCache: [position][kvHeads · headDim], filled for
     * positions 0 .. startPos + rows - 1; row r (at position startPos + r) attends to positions
     * 0 .. startPos + r. out: rows × (heads · headDim).
     */
    void attention(float[] q, int rows, float[] kCache, float[] vCache, int startPos,
                   int heads, int kvHeads, int headDim, float[] out);
}
