package dev.panamax.llm;

import dev.panamax.tensor.Tensor;

import java.util.Arrays;

/**
 * One generation's state: a KV cache for every block it runs (each trunk block, and each head it
 * uses), the number of positions those caches hold, and the scratch buffers of a forward pass.
 *
 * <p>All caches share one length. A forward pass writes keys and values at positions
 * {@code length ..} without moving it; the decoder then {@link #advance advances} over the rows it
 * accepts. Rows written beyond the length are simply overwritten by the next pass, so rolling back
 * is a length reset, never a copy.
 *
 * <p>A session belongs to one thread; a loaded model serves many sessions at once.
 */
public final class Session {
    final Transformer model;
    final int capacity;
    final int maxRows;
    final int headsUsed;
    /** Per block: trunk blocks first, then heads 1..headsUsed. Each is [position][kvDim]. */
    final float[][] keys, values;
    private int length;

    // Scratch for one pass of up to maxRows rows; sized once so decoding allocates no buffers.
    /** The trunk's output rows, which every head reads. */
    final float[] x;
    /** The heads' final-normed output rows, and their logits. */
    final float[] normed, logits;

    /**
     * The arguments of one kernel call over several matrices ({@code Kernels.matmul(xs, rows, ws, outs)}),
     * filled afresh before each call: a pass then allocates no argument arrays.
     */
    static final class Call {
        final float[][] xs, outs;
        final int[] rows;
        final Tensor[] ws;

        Call(int matrices) {
            xs = new float[matrices][];
            outs = new float[matrices][];
            rows = new int[matrices];
            ws = new Tensor[matrices];
        }

        void set(int i, float[] x, int r, Tensor w, float[] out) {
            xs[i] = x;
            rows[i] = r;
            ws[i] = w;
            outs[i] = out;
        }
    }

    /**
     * The trunk's buffers as a group of one; then one set per head used, heads h0.. onwards' from
     * {@code headGroups[h0]} (heads run side by side, see {@link Transformer#heads}; a group of n
     * heads is the first n of them).
     */
    final Scratch[] trunkGroup;
    final Scratch[][] headGroups;

    /** calls[p][g - 1]: the call of g blocks side by side with p + 1 matrices each (wo and w2: 1; gate and up: 2; q, k, v: 3). */
    private final Call[][] calls;

    /** The reusable call of {@code blocks} blocks side by side with {@code perBlock} matrices each. */
    Call call(int blocks, int perBlock) { return calls[perBlock - 1][blocks - 1]; }

    /**
     * The buffers of one block's pass: its residual stream, then the values between its steps. Each
     * head has its own, so that the heads can run in step, one kernel call per projection for all.
     */
    static final class Scratch {
        final float[] x, xb, xq, xb2, q, k, v, att, hb, hb2;

        Scratch(ModelConfig c, int maxRows, float[] x) {
            int d = c.dim();
            this.x = x;
            xb = new float[maxRows * d];
            xq = new float[maxRows * d];
            xb2 = new float[maxRows * d];
            q = new float[maxRows * d];
            att = new float[maxRows * d];
            k = new float[maxRows * c.kvDim()];
            v = new float[maxRows * c.kvDim()];
            hb = new float[maxRows * c.hiddenDim()];
            hb2 = new float[maxRows * c.hiddenDim()];
        }
    }

    Session(Transformer model, int capacity, int maxRows, int headsUsed) {
        ModelConfig c = model.config;
        if (capacity < 1 || capacity > c.seqLen())
            throw new IllegalArgumentException("session capacity " + capacity + " must lie in 1.." + c.seqLen() + " (the model's context)");
        if (maxRows < 1) throw new IllegalArgumentException("maxRows must be >= 1, is " + maxRows);
        if (headsUsed < 1 || headsUsed > c.futureTokens())
            throw new IllegalArgumentException("heads used " + headsUsed + " must lie in 1.." + c.futureTokens());
        this.model = model;
        this.capacity = capacity;
        this.maxRows = maxRows;
        this.headsUsed = headsUsed;
        int blocks = c.trunkLayers() + headsUsed;
        long cacheFloats = (long) capacity * c.kvDim();
        if (cacheFloats > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("a KV cache of " + capacity + " positions × " + c.kvDim() + " is too large");
        keys = new float[blocks][(int) cacheFloats];
        values = new float[blocks][(int) cacheFloats];
        int d = c.dim();
        x = new float[maxRows * d];
        normed = new float[maxRows * d];
        logits = new float[Math.multiplyExact(maxRows, c.vocabSize())];
        trunkGroup = new Scratch[] {new Scratch(c, maxRows, x)};
        Scratch[] heads = new Scratch[headsUsed];
        for (int h = 0; h < headsUsed; h++) heads[h] = new Scratch(c, maxRows, new float[maxRows * d]);
        headGroups = new Scratch[headsUsed][];
        for (int h0 = 0; h0 < headsUsed; h0++) headGroups[h0] = Arrays.copyOfRange(heads, h0, headsUsed);
        calls = new Call[3][headsUsed];
        for (int p = 0; p < 3; p++)
            for (int g = 1; g <= headsUsed; g++) calls[p][g - 1] = new Call((p + 1) * g);
    }

    /** Positions held by every cache. */
    public int length() { return length; }

    /** Positions the caches can hold. */
    public int capacity() { return capacity; }

    /** Accepts the next {@code n} positions written by the last pass. */
    void advance(int n) {
        if (n < 0 || length + n > capacity)
            throw new IllegalStateException("cannot advance " + n + " from " + length + " (capacity " + capacity + ")");
        length += n;
    }

    /** Forgets every position from {@code newLength} on, in every cache: a length reset, no copy. */
    public void rollback(int newLength) {
        if (newLength < 0 || newLength > length)
            throw new IllegalArgumentException("rollback to " + newLength + " outside 0.." + length);
        length = newLength;
    }

    /** Row {@code row} of the logits the last {@link Transformer#unembed} computed. */
    int logitsOffset(int row) { return row * model.config.vocabSize(); }
}
