package dev.panamax.llm;

/**
 * Times the passes a decoding step is made of, on a loaded model, without the decoder around them:
 * what {@code panamax bench mtp} needs for its verify-cost curve (the time of a k-row pass against
 * a 1-row pass). Every pass starts from the same cached prefix and leaves it as it was, so each
 * measurement sees the same attention length.
 *
 * <p>Owns one session: use it from one thread.
 */
public final class StepTimer {
    private final Transformer model;
    private final Session session;
    private final int prefix;
    private final int[] tokens;

    /**
     * @param model   a loaded model
     * @param prefix  positions cached before every timed pass (at least 1)
     * @param maxRows the most rows a timed pass may have
     */
    public StepTimer(LanguageModel model, int prefix, int maxRows) {
        this.model = model.transformer();
        ModelConfig c = this.model.config;
        if (prefix < 1 || maxRows < 1 || (long) prefix + maxRows > c.seqLen())
            throw new IllegalArgumentException("prefix " + prefix + " and " + maxRows + " rows must be >= 1 and fit the context of " + c.seqLen());
        this.prefix = prefix;
        int rows = Math.max(maxRows, c.futureTokens());
        session = this.model.newSession(prefix + maxRows, rows, c.futureTokens());
        tokens = new int[Math.max(prefix, rows)];
        for (int i = 0; i < tokens.length; i++) tokens[i] = (int) ((i * 7919L + 3) % c.vocabSize()); // fixed, varied ids
        // Cache the prefix in every block, a pass of at most `rows` rows at a time: keys and values only.
        for (int off = 0; off < prefix; ) {
            int n = Math.min(rows, prefix - off);
            this.model.trunk(session, tokens, off, n);
            this.model.heads(session, 0, c.futureTokens(), n, n, 0);
            session.advance(n);
            off += n;
        }
    }

    /**
     * Nanoseconds of one verify pass of {@code rows} rows: the trunk, head 1 and the unembedding over
     * every row, as the mtp decoder runs it (and, for 1 row, as the ntp decoder does).
     */
    public long verifyNanos(int rows) {
        session.rollback(prefix);
        long t0 = System.nanoTime();
        model.trunk(session, tokens, 0, rows);
        model.head(session, 0, rows, 0, 0);
        model.unembed(session, rows);
        return System.nanoTime() - t0;
    }

    /**
     * Where the time of one decoding step goes, in nanoseconds: a verify pass of {@code rows} rows
     * cut into its parts, then the drafting of {@code drafts} heads after it, as the mtp decoder
     * runs them ({@code rows} = 1, {@code drafts} = 0: an ntp step). Kernel by kernel the parts are
     * the trunk's blocks, head 1's block, the unembedding and the argmaxes of its rows; then the draft
     * heads side by side on one row, their unembedding and their argmaxes.
     */
    public record StepProfile(long trunk, long head, long unembedding, long argmax,
                              long draftHeads, long draftUnembedding, long draftArgmax) {
        public long total() { return trunk + head + unembedding + argmax + draftHeads + draftUnembedding + draftArgmax; }
    }

    /** One step of {@code rows} verify rows and {@code drafts} drafting heads, timed part by part (see {@link StepProfile}). */
    public StepProfile profile(int rows, int drafts) {
        ModelConfig c = model.config;
        if (drafts < 0 || drafts > c.futureTokens() - 1)
            throw new IllegalArgumentException("draft heads " + drafts + " outside 0.." + (c.futureTokens() - 1));
        int vocab = c.vocabSize();
        session.rollback(prefix);
        long t0 = System.nanoTime();
        model.trunk(session, tokens, 0, rows);
        long t1 = System.nanoTime();
        model.head(session, 0, rows, 0, 0);
        long t2 = System.nanoTime();
        model.unembed(session, rows);
        long t3 = System.nanoTime();
        int sink = 0;
        for (int r = 0; r < rows; r++) sink += model.kernels.argmax(session.logits, session.logitsOffset(r), vocab);
        long t4 = System.nanoTime(), t5 = t4, t6 = t4, t7 = t4;
        if (drafts > 0) {
            model.heads(session, 1, drafts, 1, 0, 0);
            t5 = System.nanoTime();
            model.unembed(session, drafts);
            t6 = System.nanoTime();
            for (int r = 0; r < drafts; r++) sink += model.kernels.argmax(session.logits, session.logitsOffset(r), vocab);
            t7 = System.nanoTime();
        }
        if (sink < 0) throw new AssertionError(); // keeps the argmaxes
        return new StepProfile(t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6);
    }

    /**
     * Nanoseconds of the drafting that follows a verify pass in the mtp decoder: heads 2..n over the
     * last accepted row, and their logits in one unembedding. Call after {@link #verifyNanos}, whose
     * trunk output it reads. Zero for a model without extra heads.
     */
    public long draftNanos() { return draftNanos(model.config.futureTokens() - 1); }

    /** As {@link #draftNanos()} with the first {@code drafts} extra heads only (the decoder's --draft-heads). */
    public long draftNanos(int drafts) {
        if (drafts < 0 || drafts > model.config.futureTokens() - 1)
            throw new IllegalArgumentException("draft heads " + drafts + " outside 0.." + (model.config.futureTokens() - 1));
        if (drafts == 0) return 0;
        long t0 = System.nanoTime();
        model.heads(session, 1, drafts, 1, 0, 0);
        model.unembed(session, drafts);
        return System.nanoTime() - t0;
    }
}
