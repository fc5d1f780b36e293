package dev.panamax.llm;

import dev.panamax.kernel.Kernels;
import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The forward pass of a Llama-style MTP model over k rows at once, through the {@link Kernels}.
 *
 * <p>A pass has three steps the decoder calls in turn: {@link #trunk} runs the tokens through the
 * shared blocks; {@link #head} runs one head's block over the trunk's output and leaves its
 * final-normed rows in {@code session.normed}; {@link #unembed} turns gathered rows into logits.
 * Every projection is one k-row matmul, so each weight is streamed once for all rows, and
 * projections of the same input go in one call (query, key and value; gate and up), so the threads
 * split them as one job. Heads can
 * stop early: a head writes keys and values for every row (later positions attend to them) but
 * runs attention and its feed-forward only for the rows whose output is wanted.
 *
 * <p>Stateless: all state lives in the {@link Session}, so threads may share one Transformer.
 */
final class Transformer {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final ModelConfig config;
    final ModelWeights weights;
    final Kernels kernels;
    /** Per block (trunk blocks, then heads): the matrices of the grouped matmuls, as {@link Session}'s outputs. */
    private final Tensor[][] qkv, kv, gateUp;

    Transformer(ModelConfig config, ModelWeights weights, Kernels kernels) {
        if (weights.trunk().size() != config.trunkLayers() || weights.heads().size() != config.futureTokens())
            throw new IllegalArgumentException("weights hold " + weights.trunk().size() + " trunk blocks and "
                    + weights.heads().size() + " heads; the config says " + config.trunkLayers() + " and " + config.futureTokens());
        this.config = config;
        this.weights = weights;
        this.kernels = kernels;
        int blocks = config.trunkLayers() + config.futureTokens();
        qkv = new Tensor[blocks][];
        kv = new Tensor[blocks][];
        gateUp = new Tensor[blocks][];
        for (int i = 0; i < blocks; i++) {
            BlockWeights b = i < config.trunkLayers() ? weights.trunk().get(i) : weights.heads().get(i - config.trunkLayers());
            qkv[i] = new Tensor[] {b.wq(), b.wk(), b.wv()};
            kv[i] = new Tensor[] {b.wk(), b.wv()};
            gateUp[i] = new Tensor[] {b.w1(), b.w3()};
        }
    }

    Session newSession(int capacity, int maxRows, int headsUsed) {
        return new Session(this, capacity, maxRows, headsUsed);
    }

    /**
     * Runs {@code count} tokens from {@code tokens[off]} at positions {@code s.length() ..} through
     * the trunk; its output rows stay in {@code s.x} for the heads. The length does not move.
     */
    void trunk(Session s, int[] tokens, int off, int count) {
        checkRows(s, count);
        int d = config.dim();
        Tensor emb = weights.tokenEmbedding();
        for (int r = 0; r < count; r++) {
            int id = tokens[off + r];
            if (id < 0 || id >= config.vocabSize())
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary 0.." + (config.vocabSize() - 1));
            if (emb.dtype() == DType.F32) MemorySegment.copy(emb.data(), F32, (long) id * d * 4, s.x, r * d, d);
            else for (int i = 0; i < d; i++) s.x[r * d + i] = emb.getFloat((long) id * d + i);
        }
        for (int l = 0; l < config.trunkLayers(); l++)
            block(s, weights.trunk().get(l), l, s.x, count, 0);
    }

    /**
     * Runs head {@code h} (0 = head 1) over trunk rows [0, count): keys and values for all of them,
     * the full block for rows [from, count) only. Their final-normed outputs go to
     * {@code s.normed} from row {@code dstRow}. Returns the number of output rows, count - from.
     */
    int head(Session s, int h, int count, int from, int dstRow) {
        if (h < 0 || h >= s.headsUsed) throw new IllegalArgumentException("head " + (h + 1) + " is not used by this session");
        if (from < 0 || from > count) throw new IllegalArgumentException("from " + from + " outside 0.." + count);
        int d = config.dim(), n = count - from;
        if (dstRow < 0 || dstRow + n > s.maxRows) throw new IllegalArgumentException("output rows exceed the session's " + s.maxRows);
        System.arraycopy(s.x, 0, s.hx, 0, count * d);
        block(s, weights.heads().get(h), config.trunkLayers() + h, s.hx, count, from);
        for (int r = 0; r < n; r++)
            kernels.rmsnorm(s.normed, (dstRow + r) * d, s.hx, r * d, weights.norm(), d, config.normEps());
        return n;
    }

    /** Logits of rows [0, rows) of {@code s.normed} into {@code s.logits}, one matmul for all of them. */
    void unembed(Session s, int rows) {
        checkRows(s, rows);
        kernels.matmul(s.normed, rows, weights.output(), s.logits);
    }

    /**
     * One block over {@code count} rows of the residual stream {@code x}, at positions
     * {@code s.length() ..}. Rows [from, count) come out, moved to the start of {@code x}.
     */
    private void block(Session s, BlockWeights b, int cache, float[] x, int count, int from) {
        ModelConfig c = config;
        Kernels K = kernels;
        int d = c.dim(), kvDim = c.kvDim(), hidden = c.hiddenDim(), start = s.length();
        float eps = c.normEps();
        if (start + count > s.capacity)
            throw new IllegalStateException("positions up to " + (start + count) + " exceed the session's capacity " + s.capacity);

        // Attention: keys and values for every row, since later positions attend to all of them;
        // queries only for the rows wanted (all of them in the trunk: one matmul call for the three).
        for (int r = 0; r < count; r++) K.rmsnorm(s.xb, r * d, x, r * d, b.attentionNorm(), d, eps);
        if (from == 0) K.matmul(s.xb, count, qkv[cache], s.qkv);
        else K.matmul(s.xb, count, kv[cache], s.kv);
        K.rope(s.k, count, c.kvHeads(), c.headSize(), start, c.ropeTheta(), c.ropeInterleaved());
        System.arraycopy(s.k, 0, s.keys[cache], start * kvDim, count * kvDim);
        System.arraycopy(s.v, 0, s.values[cache], start * kvDim, count * kvDim);

        int n = count - from;
        if (n == 0) return;
        if (from > 0) { // only the last rows are wanted: move them to the front, then their queries
            System.arraycopy(s.xb, from * d, s.xb, 0, n * d);
            System.arraycopy(x, from * d, x, 0, n * d);
            K.matmul(s.xb, n, b.wq(), s.q);
        }
        K.rope(s.q, n, c.heads(), c.headSize(), start + from, c.ropeTheta(), c.ropeInterleaved());
        K.attention(s.q, n, s.keys[cache], s.values[cache], start + from, c.heads(), c.kvHeads(), c.headSize(), s.att);
        K.matmul(s.att, n, b.wo(), s.xb2);
        K.axpy(1f, s.xb2, 0, x, 0, n * d);

        // SwiGLU feed-forward.
        for (int r = 0; r < n; r++) K.rmsnorm(s.xb, r * d, x, r * d, b.ffnNorm(), d, eps);
        K.matmul(s.xb, n, gateUp[cache], s.gateUp);
        K.swiglu(s.hb, s.hb2, n * hidden);
        K.matmul(s.hb, n, b.w2(), s.xb2);
        K.axpy(1f, s.xb2, 0, x, 0, n * d);
    }

    private static void checkRows(Session s, int rows) {
        if (rows < 1 || rows > s.maxRows)
            throw new IllegalArgumentException(rows + " rows outside 1.." + s.maxRows + " (the session's pass size)");
    }
}
