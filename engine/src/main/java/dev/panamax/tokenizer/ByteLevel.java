package dev.panamax.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level alphabet. Byte-level BPE works on bytes, but its vocabulary is stored as text,
 * so each of the 256 byte values is given a printable character: the printable Latin-1 bytes
 * ({@code !..~}, {@code ¡..¬}, {@code ®..ÿ}) stand for themselves and the other 68 (controls, space,
 * soft hyphen...) take the characters from U+0100 on, in byte order. A space is thus {@code Ġ}
 * (U+0120) and a newline {@code Ċ} (U+010A).
 */
final class ByteLevel {
    private ByteLevel() {}

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];   // every alphabet character is below U+0144

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    /**
     * GPT-2's pre-tokenizer split: English contractions, optional space + letters, optional space +
     * digits, optional space + other symbols, whitespace not followed by non-space, and other
     * whitespace. The Unicode flag makes {@code \s} Unicode white space, as in the Rust original.
     */
    static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** The text's UTF-8 bytes, each written as its alphabet character. */
    static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(chars);
    }

    static char charOf(int b) { return BYTE_TO_CHAR[b]; }

    /** The bytes a token's characters stand for; a character outside the alphabet stays as its UTF-8. */
    static byte[] decode(String token) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b >= 0) out.write(b);
            else {
                int end = Character.isHighSurrogate(c) && i + 1 < token.length() ? i + 2 : i + 1;
                out.writeBytes(token.substring(i, end).getBytes(StandardCharsets.UTF_8));
                i = end - 1;
            }
        }
        return out.toByteArray();
    }
}
