package dev.panamax.tokenizer;

import dev.panamax.io.FormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * llama2.c's {@code tokenizer.bin}: int32 max_token_length, then for each token a float32 score,
 * an int32 byte length and the bytes. The file does not store the token count; it is whatever
 * fills the file exactly. Encoding and decoding follow run.c:
 * <ul>
 *   <li>a non-empty text starts with the token for {@code " "} (SentencePiece's dummy prefix; the
 *       exporter wrote {@code ▁} as a space);</li>
 *   <li>each UTF-8 character becomes its token, or its bytes' {@code <0xNN>} tokens;</li>
 *   <li>then the adjacent pair whose concatenation is the token with the highest score merges,
 *       leftmost on ties, until none does;</li>
 *   <li>right after BOS a piece's leading space is dropped, and {@code <0xNN>} pieces are raw bytes.</li>
 * </ul>
 * BOS is 1 and EOS 2, llama2.c's fixed ids; both render as nothing. The only stop id is BOS, as in
 * run.c (which keeps generating past EOS).
 */
final class Llama2cTokenizer implements Tokenizer {

    static final int BOS = 1, EOS = 2;

    private final byte[][] pieces;            // raw bytes of each token
    private final Map<String, Integer> ids;   // piece bytes as ISO-8859-1 text -> first id with them
    private final PairMerges merges;
    private final int[] byteIds = new int[256];
    private final int spaceId;

    private Llama2cTokenizer(byte[][] pieces, float[] scores) {
        this.pieces = pieces;
        int n = pieces.length;
        ids = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) ids.putIfAbsent(latin1(pieces[i]), i);
        spaceId = ids.getOrDefault(" ", -1);
        for (int b = 0; b < 256; b++) byteIds[b] = ids.getOrDefault(ByteFallback.piece(b), 0);

        // The merge priority of a piece is the rank of its score, highest first; equal scores
        // share a rank so that position alone breaks the tie, as run.c's strict '>' does.
        int[] rank = ScoreRanks.denseDescending(scores);
        merges = new PairMerges(n * 4);
        for (int t = 0; t < n; t++) {
            if (!(scores[t] > -1e10f)) continue;          // run.c starts its search at -1e10
            String s = latin1(pieces[t]);
            int merged = ids.get(s);
            if (merged != t) continue;                     // a duplicate: run.c finds the first
            for (int k = 1; k < s.length(); k++) {
                Integer left = ids.get(s.substring(0, k)), right = ids.get(s.substring(k));
                if (left != null && right != null) merges.put(left, right, merged, rank[merged]);
            }
        }
    }

    static Llama2cTokenizer read(Path file) throws IOException {
        byte[] data = Files.readAllBytes(file);
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (data.length < 4) throw new FormatException(file, "max_token_length", "file too short for a llama2.c tokenizer");
        int maxLength = in.getInt();
        if (maxLength <= 0 || maxLength > 1 << 16)
            throw new FormatException(file, "max_token_length", "implausible value " + maxLength);
        List<byte[]> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (in.hasRemaining()) {
            int index = pieces.size();
            if (in.remaining() < 8) throw new FormatException(file, "token " + index, "truncated: " + in.remaining() + " bytes left, need score and length");
            float score = in.getFloat();
            int length = in.getInt();
            if (Float.isNaN(score)) throw new FormatException(file, "token " + index, "score is NaN");
            if (length < 0 || length > maxLength)
                throw new FormatException(file, "token " + index, "length " + length + " outside 0.." + maxLength + " (max_token_length)");
            if (length > in.remaining())
                throw new FormatException(file, "token " + index, "truncated: length " + length + " but " + in.remaining() + " bytes left");
            byte[] piece = new byte[length];
            in.get(piece);
            pieces.add(piece);
            scores.add(score);
        }
        if (pieces.size() < 3) throw new FormatException(file, null, "only " + pieces.size() + " tokens; llama2.c needs at least <unk>, BOS and EOS");
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) s[i] = scores.get(i);
        return new Llama2cTokenizer(pieces.toArray(byte[][]::new), s);
    }

    private static String latin1(byte[] b) { return new String(b, StandardCharsets.ISO_8859_1); }

    @Override public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] symbols = new int[bytes.length + 1];
        int n = 0;
        if (bytes.length > 0 && spaceId >= 0) symbols[n++] = spaceId;
        for (int i = 0; i < bytes.length; ) {
            int end = i + 1;                                        // a lead byte and up to 3 continuations
            while (end < bytes.length && end - i < 4 && (bytes[end] & 0xC0) == 0x80) end++;
            Integer id = ids.get(new String(bytes, i, end - i, StandardCharsets.ISO_8859_1));
            if (id != null) symbols[n++] = id;
            else for (int j = i; j < end; j++) symbols[n++] = byteIds[bytes[j] & 0xFF];
            i = end;
        }
        return merges.apply(symbols, 0, n);
    }

    @Override public StreamDecoder streamDecoder() {
        return new StreamDecoder((id, previous, atStart) -> {
            if (id < 0 || id >= pieces.length || id == BOS || id == EOS) return null;
            byte[] piece = pieces[id];
            if (previous == BOS && piece.length > 0 && piece[0] == ' ') return java.util.Arrays.copyOfRange(piece, 1, piece.length);
            int raw = ByteFallback.parse(piece);
            return raw >= 0 ? new byte[] {(byte) raw} : piece;
        });
    }

    @Override public int vocabSize() { return pieces.length; }
    @Override public OptionalInt bos() { return OptionalInt.of(BOS); }
    @Override public OptionalInt eos() { return OptionalInt.of(EOS); }
    @Override public Set<Integer> stopIds() { return Set.of(BOS); }
    @Override public String toString() { return "llama2.c tokenizer (" + pieces.length + " tokens)"; }
}
