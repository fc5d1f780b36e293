package dev.panamax.llm;

/**
 * What a generation produced.
 *
 * @param promptIds          the ids the model read first (BOS included when added)
 * @param ids                the generated ids only (a stop token is not included)
 * @param text               the generated text, empty when the model has no tokenizer
 * @param tokensPerSecond    generated tokens per second of wall time, prompt processing included
 * @param forwardPasses      forward passes run (the prompt counts as one)
 * @param acceptedPerForward mean tokens produced per forward pass (1 for NTP)
 * @param acceptanceRate     fraction of drafted tokens accepted (0 when nothing was drafted)
 * @param decoder            "ntp" or "mtp"
 * @param draftHeads         extra heads that drafted (0 for NTP)
 */
public record GenerateResult(int[] promptIds, int[] ids, String text, double tokensPerSecond, int forwardPasses,
                             double acceptedPerForward, double acceptanceRate, String decoder, int draftHeads) {
    public GenerateResult {
        promptIds = promptIds.clone();
        ids = ids.clone();
    }

    @Override public int[] promptIds() { return promptIds.clone(); }

    @Override public int[] ids() { return ids.clone(); }
}
