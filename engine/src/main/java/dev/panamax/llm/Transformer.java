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
 * shared blocks; {@link #heads} runs heads' blocks over the trunk's output and leaves their
 * final-normed rows in {@code session.normed}; {@link #unembed} turns gathered rows into logits.
 * Every projection is one k-row matmul, so each weight is streamed once for all rows, and the
 * projections that can run together go in one kernel call (query, key and value; gate and up; and
 * the same projection of every head run side by side), so the threads split them as one job. Heads
 * can stop early: a head writes keys and values for every row (later positions attend to them) but
 * runs attention and its feed-forward only for the rows whose output is wanted.
 *
 * <p>Stateless: all state lives in the {@link Session}, so threads may share one Transformer.
 */
final class Transformer {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final ModelConfig config;
    final ModelWeights weights;
    final Kernels kernels;

    Transformer(ModelConfig config, ModelWeights weights, Kernels kernels) {
        if (weights.trunk().size() != config.trunkLayers() || weights.heads().size() != config.futureTokens())
            throw new IllegalArgumentException("weights hold " + weights.trunk().size() + " trunk blocks and "
                    + weights.heads().size() + " heads; the config says " + config.trunkLayers() + " and " + config.futureTokens());
        this.config = config;
        this.weights = weights;
        this.kernels = kernels;
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
            block(s, weights.trunk().get(l), l, s.trunk, count, 0);
    }

    /**
     * Runs head {@code h} (0 = head 1) over trunk rows [0, count): keys and values for all of them,
     * the full block for rows [from, count) only. Their final-normed outputs go to
     * {@code s.normed} from row {@code dstRow}. Returns the number of output rows, count - from.
     */
    int head(Session s, int h, int count, int from, int dstRow) {
        return heads(s, h, 1, count, from, dstRow);
    }

    /**
     * Runs heads {@code h0 .. h0 + n - 1} side by side over trunk rows [0, count), each as
     * {@link #head} would: head h0 + g's output rows go to {@code s.normed} from row
     * {@code dstRow + g · (count - from)}. The heads all read the trunk's output, so each
     * projection of every head goes in one kernel call: the threads then share matrices that
     * are too small to share one head at a time (the draft heads run on one row). Returns the
     * output rows per head.
     */
    int heads(Session s, int h0, int n, int count, int from, int dstRow) {
        if (n < 1 || h0 < 0 || h0 + n > s.headsUsed)
            throw new IllegalArgumentException("heads " + (h0 + 1) + ".." + (h0 + n) + " are not all used by this session (1.." + s.headsUsed + ")");
        if (from < 0 || from > count) throw new IllegalArgumentException("from " + from + " outside 0.." + count);
        int d = config.dim(), out = count - from;
        if (dstRow < 0 || dstRow + n * out > s.maxRows) throw new IllegalArgumentException("output rows exceed the session's " + s.maxRows);
        Session.Scratch[] group = new Session.Scratch[n];
        BlockWeights[] bs = new BlockWeights[n];
        int[] caches = new int[n];
        for (int g = 0; g < n; g++) {
            group[g] = s.heads[h0 + g];
            bs[g] = weights.heads().get(h0 + g);
            caches[g] = config.trunkLayers() + h0 + g;
            System.arraycopy(s.x, 0, group[g].x, 0, count * d);
        }
        blocks(s, bs, caches, group, count, from);
        for (int g = 0; g < n; g++)
            for (int r = 0; r < out; r++)
                kernels.rmsnorm(s.normed, (dstRow + g * out + r) * d, group[g].x, r * d, weights.norm(), d, config.normEps());
        return out;
    }

    /** Logits of rows [0, rows) of {@code s.normed} into {@code s.logits}, one matmul for all of them. */
    void unembed(Session s, int rows) {
        checkRows(s, rows);
        kernels.matmul(s.normed, rows, weights.output(), s.logits);
    }

    /** One block over {@code count} rows of the residual stream {@code sc.x}, at positions {@code s.length() ..}. */
    private void block(Session s, BlockWeights b, int cache, Session.Scratch sc, int count, int from) {
        blocks(s, new BlockWeights[] {b}, new int[] {cache}, new Session.Scratch[] {sc}, count, from);
    }

    /**
     * Blocks side by side, block g over {@code count} rows of its own residual stream
     * {@code sc[g].x}, at positions {@code s.length() ..}, with KV cache {@code caches[g]}. Rows
     * [from, count) come out, moved to the start of each stream. Every projection is one kernel call
     * for all the blocks.
     */
    private void blocks(Session s, BlockWeights[] bs, int[] caches, Session.Scratch[] sc, int count, int from) {
        ModelConfig c = config;
        Kernels K = kernels;
        int d = c.dim(), kvDim = c.kvDim(), hidden = c.hiddenDim(), start = s.length(), nb = bs.length;
        float eps = c.normEps();
        if (start + count > s.capacity)
            throw new IllegalStateException("positions up to " + (start + count) + " exceed the session's capacity " + s.capacity);
        int n = count - from;

        // Attention: keys and values for every row, since later positions attend to all of them;
        // queries only for the rows wanted, [from, count), read from their own copy of the normed rows.
        float[][] xs = new float[3 * nb][], outs = new float[3 * nb][];
        Tensor[] ws = new Tensor[3 * nb];
        int[] rows = new int[3 * nb];
        for (int g = 0; g < nb; g++) {
            Session.Scratch t = sc[g];
            for (int r = 0; r < count; r++) K.rmsnorm(t.xb, r * d, t.x, r * d, bs[g].attentionNorm(), d, eps);
            float[] qIn = t.xb;
            if (from > 0) {
                System.arraycopy(t.xb, from * d, t.xq, 0, n * d);
                qIn = t.xq;
            }
            set(xs, rows, ws, outs, 3 * g, qIn, n, bs[g].wq(), t.q);
            set(xs, rows, ws, outs, 3 * g + 1, t.xb, count, bs[g].wk(), t.k);
            set(xs, rows, ws, outs, 3 * g + 2, t.xb, count, bs[g].wv(), t.v);
        }
        K.matmul(xs, rows, ws, outs);
        for (int g = 0; g < nb; g++) {
            Session.Scratch t = sc[g];
            K.rope(t.k, count, c.kvHeads(), c.headSize(), start, c.ropeTheta(), c.ropeInterleaved());
            System.arraycopy(t.k, 0, s.keys[caches[g]], start * kvDim, count * kvDim);
            System.arraycopy(t.v, 0, s.values[caches[g]], start * kvDim, count * kvDim);
        }
        if (n == 0) return;

        xs = new float[nb][];
        outs = new float[nb][];
        ws = new Tensor[nb];
        rows = new int[nb];
        for (int g = 0; g < nb; g++) {
            Session.Scratch t = sc[g];
            if (from > 0) System.arraycopy(t.x, from * d, t.x, 0, n * d); // only the last rows go on
            K.rope(t.q, n, c.heads(), c.headSize(), start + from, c.ropeTheta(), c.ropeInterleaved());
            K.attention(t.q, n, s.keys[caches[g]], s.values[caches[g]], start + from, c.heads(), c.kvHeads(), c.headSize(), t.att);
            set(xs, rows, ws, outs, g, t.att, n, bs[g].wo(), t.xb2);
        }
        K.matmul(xs, rows, ws, outs);

        // SwiGLU feed-forward.
        xs = new float[2 * nb][];
        outs = new float[2 * nb][];
        ws = new Tensor[2 * nb];
        rows = new int[2 * nb];
        for (int g = 0; g < nb; g++) {
            Session.Scratch t = sc[g];
            K.axpy(1f, t.xb2, 0, t.x, 0, n * d);
            for (int r = 0; r < n; r++) K.rmsnorm(t.xb, r * d, t.x, r * d, bs[g].ffnNorm(), d, eps);
            set(xs, rows, ws, outs, 2 * g, t.xb, n, bs[g].w1(), t.hb);
            set(xs, rows, ws, outs, 2 * g + 1, t.xb, n, bs[g].w3(), t.hb2);
        }
        K.matmul(xs, rows, ws, outs);
        xs = new float[nb][];
        outs = new float[nb][];
        ws = new Tensor[nb];
        rows = new int[nb];
        for (int g = 0; g < nb; g++) {
            Session.Scratch t = sc[g];
            K.swiglu(t.hb, t.hb2, n * hidden);
            set(xs, rows, ws, outs, g, t.hb, n, bs[g].w2(), t.xb2);
        }
        K.matmul(xs, rows, ws, outs);
        for (int g = 0; g < nb; g++) K.axpy(1f, sc[g].xb2, 0, sc[g].x, 0, n * d);
    }

    private static void set(float[][] xs, int[] rows, Tensor[] ws, float[][] outs, int i, float[] x, int r, Tensor w, float[] out) {
        xs[i] = x;
        rows[i] = r;
        ws[i] = w;
        outs[i] = out;
    }

    private static void checkRows(Session s, int rows) {
        if (rows < 1 || rows > s.maxRows)
            throw new IllegalArgumentException(rows + " rows outside 1.." + s.maxRows + " (the session's pass size)");
    }
}
