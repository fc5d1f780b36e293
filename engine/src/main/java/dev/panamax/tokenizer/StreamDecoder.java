package dev.panamax.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns a stream of token ids into text as they come. A token may end inside a multi-byte UTF-8
 * character (byte-level and byte-fallback tokenizers split emoji and CJK into bytes), so the bytes
 * of an incomplete character are held back until the token that completes it arrives. Not
 * thread-safe: one decoder per stream.
 */
public final class StreamDecoder {

    /** How a tokenizer renders one id in context. */
    interface Renderer {
        /**
         * The bytes of {@code id}'s text, or null for a token that renders nothing and does not
         * count as text (control tokens, unknown ids).
         *
         * @param previousId the id before it in this stream, -1 at the start
         * @param atStart    true while no text token has come yet in this stream
         */
        byte[] render(int id, int previousId, boolean atStart);
    }

    private final Renderer renderer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private int previousId = -1;
    private boolean atStart = true;

    StreamDecoder(Renderer renderer) { this.renderer = renderer; }

    /** The text that {@code id} completes; empty while a character is still incomplete. */
    public String next(int id) {
        byte[] bytes = renderer.render(id, previousId, atStart);
        previousId = id;
        if (bytes == null) return "";
        atStart = false;
        pending.write(bytes, 0, bytes.length);
        byte[] all = pending.toByteArray();
        int complete = completePrefix(all);
        pending.reset();
        pending.write(all, complete, all.length - complete);
        return new String(all, 0, complete, StandardCharsets.UTF_8);
    }

    /** What is still held back, with U+FFFD for a character that will never be completed. */
    public String flush() {
        String rest = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return rest;
    }

    /**
     * The length of the longest prefix of {@code b} that does not end inside a UTF-8 character:
     * everything but a trailing lead byte whose continuation bytes have not all arrived yet.
     */
    static int completePrefix(byte[] b) {
        int n = b.length;
        for (int i = n - 1; i >= 0 && i >= n - 4; i--) {
            int c = b[i] & 0xFF;
            if ((c & 0xC0) == 0x80) continue;          // a continuation byte: look further back
            int need = c >= 0xF0 && c <= 0xF7 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            if (c >= 0xF8) need = 1;                    // never valid: no point waiting
            return i + need > n ? i : n;
        }
        return n;                                       // only continuation bytes: invalid anyway
    }
}
