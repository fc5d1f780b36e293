package dev.panamax.tokenizer;

/** Byte-fallback pieces: {@code <0xNN>} stands for the raw byte NN (two upper-case hex digits). */
final class ByteFallback {
    private ByteFallback() {}

    private static final String[] PIECES = new String[256];
    static {
        for (int b = 0; b < 256; b++) PIECES[b] = "<0x" + Character.toUpperCase(Character.forDigit(b >> 4, 16))
                + Character.toUpperCase(Character.forDigit(b & 15, 16)) + ">";
    }

    static String piece(int b) { return PIECES[b]; }

    /** The byte a piece stands for, or -1 when it is not a byte piece. */
    static int parse(byte[] p) {
        if (p.length != 6 || p[0] != '<' || p[1] != '0' || p[2] != 'x' || p[5] != '>') return -1;
        int hi = Character.digit(p[3], 16), lo = Character.digit(p[4], 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    static int parse(String p) {
        if (p.length() != 6) return -1;
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            char c = p.charAt(i);
            if (c > 0x7F) return -1;
            b[i] = (byte) c;
        }
        return parse(b);
    }
}
