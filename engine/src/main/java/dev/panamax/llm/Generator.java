package dev.panamax.llm;

import java.util.Arrays;

/**
 * One generation: the decoding loop of {@code ntp} or {@code mtp}, over a Session of its own.
 *
 * <p><b>ntp</b>: one row per pass through the trunk and head 1.
 *
 * <p><b>mtp</b>: after each pass head 1 gives the next token and heads 2..m+1 draft the m tokens
 * after it. The next pass feeds [next, draft 1..m] through the trunk and head 1 as one (m+1)-row
 * pass; draft i is accepted while it equals what head 1 picks at the row before it. With a
 * accepted, the pass yields a+1 tokens: the drafts and head 1's pick at row a. Every cache then
 * keeps a+1 of the m+1 positions (a length reset), and the draft heads run on row a alone to draft
 * again. Because the kernels compute each row the same whatever the number of rows, greedy mtp
 * gives exactly the ids of greedy ntp.
 *
 * <p>With a temperature, drafts are sampled from their heads' distributions q and verified by
 * speculative sampling against head 1's distribution p (accept with min(1, p/q), else resample
 * from max(0, p - q) normalised), so the output is distributed exactly as ntp sampling's.
 */
final class Generator {
    /** Rows per pass while reading the prompt. */
    static final int PREFILL_ROWS = 32;

    private final Transformer model;
    private final ModelConfig config;
    private final Sampler sampler;
    private final int maxTokens;
    private final int drafts; // m: extra heads drafting (0 for ntp)
    private final TokenListener listener;
    private final java.util.function.IntFunction<String> pieces;
    private final boolean stopTokens;

    // Output and counters.
    private final int[] out;
    private int produced, forwardPasses, drafted, accepted;
    private boolean stopped;

    Generator(Transformer model, int maxTokens, float temperature, float topP, long seed, int drafts,
              boolean stopTokens, TokenListener listener, java.util.function.IntFunction<String> pieces) {
        this.stopTokens = stopTokens;
        this.model = model;
        this.config = model.config;
        this.sampler = new Sampler(model.kernels, config.vocabSize(), temperature, topP, seed);
        this.maxTokens = maxTokens;
        this.drafts = drafts;
        this.listener = listener;
        this.pieces = pieces;
        // No more than the context can hold: run() rejects a larger maxTokens with a clear message,
        // which an array of maxTokens (up to 2^31 - 1) would pre-empt with an OutOfMemoryError.
        this.out = new int[Math.min(maxTokens, config.seqLen())];
    }

    int[] ids() { return Arrays.copyOf(out, produced); }

    int forwardPasses() { return forwardPasses; }

    int drafted() { return drafted; }

    int accepted() { return accepted; }

    /** Generates after {@code prompt} (which must not be empty and must fit the context with maxTokens). */
    void run(int[] prompt) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty (no BOS and no ids)");
        if ((long) prompt.length + maxTokens > config.seqLen())
            throw new IllegalArgumentException("prompt (" + prompt.length + " tokens) plus max tokens (" + maxTokens
                    + ") exceeds the model's context of " + config.seqLen() + " tokens");
        if (maxTokens == 0) return;
        // Positions: the prompt and every generated token but the last one are fed to the model.
        int capacity = prompt.length + maxTokens - 1;
        Session s = model.newSession(Math.max(1, capacity), Math.max(Math.min(PREFILL_ROWS, prompt.length), drafts + 1), 1 + drafts);
        if (drafts == 0) ntp(s, prompt);
        else mtp(s, prompt);
    }

    private void ntp(Session s, int[] prompt) {
        float[] dist = new float[config.vocabSize()];
        int[] one = new int[1];
        prefill(s, prompt);
        while (true) {
            one[0] = sampler.next(s.logits, 0, dist);
            if (!emit(one[0])) return;
            model.trunk(s, one, 0, 1);
            model.head(s, 0, 1, 0, 0);
            model.unembed(s, 1);
            s.advance(1);
            forwardPasses++;
        }
    }

    private void mtp(Session s, int[] prompt) {
        int m = drafts, vocab = config.vocabSize();
        boolean greedy = sampler.greedy();
        float[] q = greedy ? null : new float[m * vocab]; // drafting distributions, one row per draft
        float[] p = greedy ? null : new float[vocab];
        int[] draft = new int[m];
        int[] tokens = new int[m + 1];

        prefill(s, prompt); // logits rows: head 1, then heads 2..m+1
        int next = greedy ? sampler.argmax(s.logits, 0) : sampleRow(s, 0, p);
        fillDrafts(s, 1, draft, q);

        while (emit(next)) {
            // Drafts beyond the tokens still wanted would be wasted work.
            int nd = Math.min(m, maxTokens - produced - 1);
            tokens[0] = next;
            System.arraycopy(draft, 0, tokens, 1, nd);
            int k = nd + 1;
            model.trunk(s, tokens, 0, k);
            model.head(s, 0, k, 0, 0);
            model.unembed(s, k);
            forwardPasses++;

            // Verify: draft i stands at row i+1 and must be what head 1 picks at row i.
            int a = 0;
            if (greedy) {
                while (a < nd && sampler.argmax(s.logits, s.logitsOffset(a)) == draft[a]) a++;
                next = sampler.argmax(s.logits, s.logitsOffset(a));
            } else {
                next = -1;
                while (a < nd) {
                    sampler.distribution(s.logits, s.logitsOffset(a), p, 0);
                    int x = draft[a];
                    float px = p[x], qx = q[a * vocab + x];
                    if (sampler.uniform() * qx < px) { a++; continue; } // accept with min(1, p/q)
                    next = sampleResidual(p, q, a * vocab);
                    break;
                }
                if (next < 0) next = sampleRow(s, s.logitsOffset(a), p);
            }
            drafted += nd;
            accepted += a;
            for (int i = 0; i < a; i++)
                if (!emit(draft[i])) return;
            if (produced + 1 < maxTokens) { // the draft heads are needed only if more passes follow
                model.heads(s, 1, m, a + 1, a, 0);
                model.unembed(s, m);
                fillDrafts(s, 0, draft, q);
            }
            s.advance(a + 1);
        }
    }

    /** Reads the prompt in passes of up to maxRows; leaves logits of the last row: head 1 then each drafting head. */
    private void prefill(Session s, int[] prompt) {
        int heads = 1 + drafts;
        for (int off = 0; off < prompt.length; ) {
            int count = Math.min(s.maxRows, prompt.length - off);
            boolean last = off + count == prompt.length;
            model.trunk(s, prompt, off, count);
            // Every head caches keys and values of every row; only the very last row needs outputs.
            model.heads(s, 0, heads, count, last ? count - 1 : count, 0);
            if (last) model.unembed(s, heads);
            s.advance(count);
            off += count;
        }
        forwardPasses++;
    }

    /** Drafts from logits rows [firstRow, firstRow + m); in sampling mode keeps each draft's distribution in q. */
    private void fillDrafts(Session s, int firstRow, int[] draft, float[] q) {
        int vocab = config.vocabSize();
        for (int j = 0; j < drafts; j++) {
            int off = s.logitsOffset(firstRow + j);
            if (q == null) draft[j] = sampler.argmax(s.logits, off);
            else {
                sampler.distribution(s.logits, off, q, j * vocab);
                draft[j] = sampler.sample(q, j * vocab);
            }
        }
    }

    private int sampleRow(Session s, int off, float[] p) {
        sampler.distribution(s.logits, off, p, 0);
        return sampler.sample(p, 0);
    }

    /** Samples from normalise(max(0, p - q)) with q at qOff; p is overwritten. */
    private int sampleResidual(float[] p, float[] q, int qOff) {
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            float r = Math.max(0f, p[i] - q[qOff + i]);
            p[i] = r;
            sum += r;
        }
        if (sum <= 0) throw new IllegalStateException("speculative sampling: empty residual after a rejection");
        float inv = (float) (1 / sum);
        for (int i = 0; i < p.length; i++) p[i] *= inv;
        return sampler.sample(p, 0);
    }

    /** Records a token; false once the generation is over (a stop token, which is dropped, or maxTokens). */
    private boolean emit(int id) {
        if (stopped) return false;
        if (stopTokens && config.isStop(id)) { stopped = true; return false; }
        out[produced++] = id;
        String piece = pieces == null ? "" : pieces.apply(id); // decoded even without a listener: the result's text needs it
        if (listener != null) listener.onToken(id, piece);
        if (produced == maxTokens) { stopped = true; return false; }
        return true;
    }
}
