package dev.panamax.tokenizer;

import java.util.OptionalInt;
import java.util.Set;

/**
 * Text to token ids and back. Implementations are immutable and safe to share between threads.
 *
 * <p>{@link #encode(String)} adds no special tokens: a caller that wants BOS first calls
 * {@link #encode(String, boolean)} or prepends {@link #bos()} itself. Special tokens written
 * literally in the text (for example {@code <|endoftext|>} in a Hugging Face tokenizer) are kept whole,
 * as Hugging Face does by default.
 *
 * <p>{@link #decode(int[])} renders no control tokens (BOS, EOS, padding...) and nothing for ids
 * outside the vocabulary: a model's embedding is often padded past the tokenizer's size.
 */
public interface Tokenizer {

    int[] encode(String text);

    /** {@link #encode(String)} with {@link #bos()} in front when {@code addBos} and the tokenizer has one. */
    default int[] encode(String text, boolean addBos) {
        int[] ids = encode(text);
        OptionalInt bos = bos();
        if (!addBos || bos.isEmpty()) return ids;
        int[] withBos = new int[ids.length + 1];
        withBos[0] = bos.getAsInt();
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    /** The text of a whole sequence; bytes that are not valid UTF-8 become U+FFFD. */
    default String decode(int[] ids) {
        StreamDecoder decoder = streamDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(decoder.next(id));
        return sb.append(decoder.flush()).toString();
    }

    /**
     * A fresh decoder for one stream of ids, as a generator produces them. To continue a prompt,
     * feed it the prompt's ids first and drop their text: some tokenizers render a token
     * differently at the start of a text (the leading space SentencePiece adds is removed there).
     */
    StreamDecoder streamDecoder();

    /** One past the largest id this tokenizer can produce or render. */
    int vocabSize();

    OptionalInt bos();

    OptionalInt eos();

    /** Ids at which a generator should stop (EOS and end-of-turn tokens the model's files declare). */
    Set<Integer> stopIds();
}
