package dev.panamax.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The byte-level tokenizer: a text's UTF-8 bytes are its ids, 0..255, and nothing else. It needs
 * no file. Panamax's bundled byte-level MTP model (the paper's byte-level setting) uses exactly this:
 * a vocabulary of 256, no BOS, no EOS, no stop id.
 */
final class ByteTokenizer implements Tokenizer {

    static final ByteTokenizer INSTANCE = new ByteTokenizer();

    private static final byte[][] SINGLE = new byte[256][];
    static { for (int b = 0; b < 256; b++) SINGLE[b] = new byte[] {(byte) b}; }

    private ByteTokenizer() {}

    @Override public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) ids[i] = bytes[i] & 0xFF;
        return ids;
    }

    @Override public StreamDecoder streamDecoder() {
        return new StreamDecoder((id, previous, atStart) -> id >= 0 && id < 256 ? SINGLE[id] : null);
    }

    @Override public int vocabSize() { return 256; }
    @Override public OptionalInt bos() { return OptionalInt.empty(); }
    @Override public OptionalInt eos() { return OptionalInt.empty(); }
    @Override public Set<Integer> stopIds() { return Set.of(); }
    @Override public String toString() { return "byte-level tokenizer (256 ids)"; }
}
