package dev.panamax.llm;

/**
 * How to generate.
 *
 * @param maxTokens   tokens to generate at most (a stop token ends earlier)
 * @param temperature 0 for greedy; otherwise softmax temperature of sampling
 * @param topP        nucleus mass in (0, 1]; 1 keeps every token
 * @param seed        seed of the sampler's random stream
 * @param decoder     {@link Decoder#NTP}, {@link Decoder#MTP}, or null for the model's default
 *                    (MTP when it has extra heads)
 * @param draftHeads  extra heads MTP drafts with; -1 for all the model has
 * @param addBos      put the model's BOS id before the prompt (when it has one)
 * @param stopTokens  end at the model's stop ids (EOS); false generates exactly maxTokens
 */
public record GenerateOptions(int maxTokens, float temperature, float topP, long seed, Decoder decoder,
                              int draftHeads, boolean addBos, boolean stopTokens) {

    public enum Decoder {
        /** Next-token prediction: head 1 only. */
        NTP,
        /** Self-speculative: extra heads draft, head 1 verifies in one k-row pass. */
        MTP;

        public String id() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    public GenerateOptions {
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens must be >= 0, is " + maxTokens);
        if (!(temperature >= 0) || Float.isInfinite(temperature))
            throw new IllegalArgumentException("temperature must be a finite number >= 0, is " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must lie in (0, 1], is " + topP);
        if (draftHeads < -1) throw new IllegalArgumentException("draft heads must be >= 0 (or -1 for all), is " + draftHeads);
    }

    /** Greedy, 256 tokens, the model's default decoder with all its heads, BOS added, stop ids honoured. */
    public static GenerateOptions greedy() { return new GenerateOptions(256, 0f, 1f, 0L, null, -1, true, true); }

    /** Sampling at a temperature, top-p 1, seed 0. */
    public static GenerateOptions sampling(float temperature) { return greedy().temperature(temperature); }

    public GenerateOptions maxTokens(int n) { return new GenerateOptions(n, temperature, topP, seed, decoder, draftHeads, addBos, stopTokens); }

    public GenerateOptions temperature(float t) { return new GenerateOptions(maxTokens, t, topP, seed, decoder, draftHeads, addBos, stopTokens); }

    public GenerateOptions topP(float p) { return new GenerateOptions(maxTokens, temperature, p, seed, decoder, draftHeads, addBos, stopTokens); }

    public GenerateOptions seed(long s) { return new GenerateOptions(maxTokens, temperature, topP, s, decoder, draftHeads, addBos, stopTokens); }

    public GenerateOptions decoder(Decoder d) { return new GenerateOptions(maxTokens, temperature, topP, seed, d, draftHeads, addBos, stopTokens); }

    public GenerateOptions draftHeads(int k) { return new GenerateOptions(maxTokens, temperature, topP, seed, decoder, k, addBos, stopTokens); }

    public GenerateOptions addBos(boolean b) { return new GenerateOptions(maxTokens, temperature, topP, seed, decoder, draftHeads, b, stopTokens); }

    public GenerateOptions stopTokens(boolean b) { return new GenerateOptions(maxTokens, temperature, topP, seed, decoder, draftHeads, addBos, b); }
}
