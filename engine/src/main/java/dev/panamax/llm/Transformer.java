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

    /**
     * The arguments of {@link #blocks}, made once: trunk block l alone; heads h0.. onwards (a group
     * of n heads takes the first n) with their KV caches.
     */
    private final BlockWeights[][] trunkWeights, headWeights;
    private final int[][] trunkCaches, headCaches;

    Transformer(ModelConfig config, ModelWeights weights, Kernels kernels) {
        if (weights.trunk().size() != config.trunkLayers() || weights.heads().size() != config.futureTokens())
            throw new IllegalArgumentException("weights hold " + weights.trunk().size() + " trunk blocks and "
                    + weights.heads().size() + " heads; the config says " + config.trunkLayers() + " and " + config.futureTokens());
        this.config = config;
        this.weights = weights;
        this.kernels = kernels;
        int trunk = config.trunkLayers(), heads = config.futureTokens();
        trunkWeights = new BlockWeights[trunk][];
        trunkCaches = new int[trunk][];
        for (int l = 0; l < trunk; l++) {
            trunkWeights[l] = new BlockWeights[] {weights.trunk().get(l)};
            trunkCaches[l] = new int[] {l};
        }
        headWeights = new BlockWeights[heads][];
        headCaches = new int[heads][];
        for (int h0 = 0; h0 < heads; h0++) {
            headWeights[h0] = weights.heads().subList(h0, heads).toArray(BlockWeights[]::new);
            headCaches[h0] = new int[heads - h0];
            for (int g = 0; g < heads - h0; g++) headCaches[h0][g] = trunk + h0 + g;
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
            blocks(s, trunkWeights[l], trunkCaches[l], s.trunkGroup, 1, count, 0);
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
        Session.Scratch[] group = s.headGroups[h0];
        for (int g = 0; g < n; g++) System.arraycopy(s.x, 0, group[g].x, 0, count * d);
        blocks(s, headWeights[h0], headCaches[h0], group, n, count, from);
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

    /**
     * The first {@code nb} blocks of {@code bs} side by side, block g over {@code count} rows of its
     * own residual stream {@code sc[g].x}, at positions {@code s.length() ..}, with KV cache
     * {@code caches[g]}. Rows [from, count) come out, moved to the start of each stream. Every
     * projection is one kernel call for all the blocks.
     */
    private void blocks(Session s, BlockWeights[] bs, int[] caches, Session.Scratch[] sc, int nb, int count, int from) {
        ModelConfig c = config;
        Kernels K = kernels;
        int d = c.dim(), kvDim = c.kvDim(), hidden = c.hiddenDim(), start = s.length();
        float eps = c.normEps();
        if (start + count > s.capacity)
            throw new IllegalStateException("positions up to " + (start + count) + " exceed the session's capacity " + s.capacity);
        int n = count - from;

        // Attention: keys and values for every row, since later positions attend to all of them;
        // queries only for the rows wanted, [from, count), read from their own copy of the normed rows.
        Session.Call call = s.call(nb, 3);
        for (int g = 0; g < nb; g++) {
            Session.Scratch t = sc[g];
            for (int r = 0; r < count; r++) K.rmsnorm(t.xb, r * d, t.x, r * d, bs[g].attentionNorm(), d, eps);
            float[] qIn = t.xb;
            if (from > 0) {
                System.arraycopy(t.xb, from * d, t.xq, 0, n * d);
                qIn = t.xq;
            }
            call.set(3 * g, qIn, n, bs[g].wq(), t.q);
            call.set(3 * g + 1, t.xb, count, bs[g].wk(), t.k);
            call.set(3 * g + 2, t.xb, count, bs[g].wv(), t.v);
        }
        K.matmul(call.xs, call.rows, call.ws, call.outs);
        for (int g = 0; g < nb; g++) {
            Session.Scratch t = sc[g];
            K.rope(t.k, count, c.kvHeads(), c.headSize(), start, c.ropeTheta(), c.ropeInterleaved());
            System.arraycopy(t.k, 0, s.keys[caches[g]], start * kvDim, count * kvDim);
            System.arraycopy(t.v, 0, s.values[caches[g]], start * kvDim, count * kvDim);
        }
        if (n == 0) return;

        call = s.call(nb, 1);
        for (int g = 0; g < nb; g++) {
            Session.Scratch t = sc[g];
            if (from > 0) System.arraycopy(t.x, from * d, t.x, 0, n * d); // only the last rows go on
            K.rope(t.q, n, c.heads(), c.headSize(), start + from, c.ropeTheta(), c.ropeInterleaved());
            K.attention(t.q, n, s.keys[caches[g]], s.values[caches[g]], start + from, c.heads(), c.kvHeads(), c.headSize(), t.att);
            call.set(g, t.att, n, bs[g].wo(), t.xb2);
        }
        K.matmul(call.xs, call.rows, call.ws, call.outs);

        // SwiGLU feed-forward.
        call = s.call(nb, 2);
        for (int g = 0; g < nb; g++) {
            Session.Scratch t = sc[g];
            K.axpy(1f, t.xb2, 0, t.x, 0, n * d);
            for (int r = 0; r < n; r++) K.rmsnorm(t.xb, r * d, t.x, r * d, bs[g].ffnNorm(), d, eps);
            call.set(2 * g, t.xb, n, bs[g].w1(), t.hb);
            call.set(2 * g + 1, t.xb, n, bs[g].w3(), t.hb2);
        }
        K.matmul(call.xs, call.rows, call.ws, call.outs);
        call = s.call(nb, 1);
        for (int g = 0; g < nb; g++) {
            Session.Scratch t = sc[g];
            K.swiglu(t.hb, t.hb2, n * hidden);
            call.set(g, t.hb, n, bs[g].w2(), t.xb2);
        }
        K.matmul(call.xs, call.rows, call.ws, call.outs);
        for (int g = 0; g < nb; g++) K.axpy(1f, sc[g].xb2, 0, sc[g].x, 0, n * d);
    }

    private static void checkRows(Session s, int rows) {
        if (rows < 1 || rows > s.maxRows)
            throw new IllegalArgumentException(rows + " rows outside 1.." + s.maxRows + " (the session's pass size)");
    }
}
