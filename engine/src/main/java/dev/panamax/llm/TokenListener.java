package dev.panamax.llm;

/** Receives each generated token as soon as it is final, in order. */
@FunctionalInterface
public interface TokenListener {
    /**
     * @param id   the token id
     * @param text the text it adds (may be empty: no tokenizer, or a piece of a multi-byte character)
     */
    void onToken(int id, String text);
}
