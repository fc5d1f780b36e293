package dev.panamax.llm;

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
    /** The trunk's buffers, then one set per head used (heads run side by side, see {@link Transformer#heads}). */
    final Scratch trunk;
    final Scratch[] heads;

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
        trunk = new Scratch(c, maxRows, x);
        heads = new Scratch[headsUsed];
        for (int h = 0; h < headsUsed; h++) heads[h] = new Scratch(c, maxRows, new float[maxRows * d]);
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
