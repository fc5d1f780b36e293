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

    // Scratch for one pass of up to maxRows rows; sized once so decoding allocates nothing.
    final float[] x, hx, xb, xb2, q, k, v, att, hb, hb2, normed, logits;
    /** The outputs of the block's grouped matmuls: query, key and value; key and value; gate and up. */
    final float[][] qkv, kv, gateUp;

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
        hx = new float[maxRows * d];
        xb = new float[maxRows * d];
        xb2 = new float[maxRows * d];
        q = new float[maxRows * d];
        att = new float[maxRows * d];
        k = new float[maxRows * c.kvDim()];
        v = new float[maxRows * c.kvDim()];
        hb = new float[maxRows * c.hiddenDim()];
        hb2 = new float[maxRows * c.hiddenDim()];
        normed = new float[maxRows * d];
        logits = new float[Math.multiplyExact(maxRows, c.vocabSize())];
        qkv = new float[][] {q, k, v};
        kv = new float[][] {k, v};
        gateUp = new float[][] {hb, hb2};
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
