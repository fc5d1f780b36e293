package dev.panamax.llm;

/** Receives each generated token as soon as it is final, in order. */
@FunctionalInterface
public interface TokenListener {
    /**
     * @param id   the token id, or -1 once at the end for text held back until then (the bytes of an
     *             incomplete character)
     * @param text the text it adds (may be empty: no tokenizer, or a piece of a multi-byte character)
     */
    void onToken(int id, String text);
}
