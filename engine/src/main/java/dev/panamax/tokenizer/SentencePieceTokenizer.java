package dev.panamax.tokenizer;

import dev.panamax.io.FormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A SentencePiece BPE model ({@code tokenizer.model}, as Llama 2 ships it), read straight from its
 * protobuf. Encoding: normalise (identity, or NFKC for the nmt_nfkc family; the precompiled
 * character map itself is not applied), optionally squeeze spaces, prepend the dummy-prefix space,
 * write spaces as {@code ▁}; split into characters (user-defined pieces stay whole); merge the
 * adjacent pair whose concatenation is the piece with the highest score, leftmost on ties; finally
 * spell characters outside the vocabulary as {@code <0xNN>} byte pieces (byte fallback) or unk.
 * Decoding writes {@code ▁} as a space and drops the dummy prefix's space at the start of a text.
 */
final class SentencePieceTokenizer implements Tokenizer {

    // SentencePiece's piece types (ModelProto.SentencePiece.Type).
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    static final int MODEL_UNIGRAM = 1, MODEL_BPE = 2;
    private static final char SPACE_MARK = '\u2581';
    private static final byte[] UNK_SURFACE = " \u2047 ".getBytes(StandardCharsets.UTF_8);

    private final String[] pieces;
    private final int[] types;
    private final byte[][] rendered;           // decoded bytes of each piece away from the start
    private final Map<String, Integer> normalIds = new HashMap<>();
    private final Map<Integer, List<String>> userDefinedByFirstChar = new HashMap<>();
    private final Map<String, Integer> userDefinedIds = new HashMap<>();
    private final int[] byteIds = new int[256];
    private final PairMerges merges;
    private final int unkId, bosId, eosId;
    private final boolean byteFallback, addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces, nfkc;

    private SentencePieceTokenizer(Path file, String[] pieces, float[] scores, int[] types, Trainer trainer, NormalizerSpec norm) {
        this.pieces = pieces;
        this.types = types;
        int n = pieces.length;
        this.byteFallback = trainer.byteFallback;
        this.addDummyPrefix = norm.addDummyPrefix;
        this.removeExtraWhitespaces = norm.removeExtraWhitespaces;
        this.escapeWhitespaces = norm.escapeWhitespaces;
        this.nfkc = norm.name.toLowerCase().contains("nfkc");
        this.unkId = checkId(file, "trainer_spec.unk_id", trainer.unkId, n);
        this.bosId = checkId(file, "trainer_spec.bos_id", trainer.bosId, n);
        this.eosId = checkId(file, "trainer_spec.eos_id", trainer.eosId, n);

        Arrays.fill(byteIds, -1);
        for (int i = 0; i < n; i++) {
            switch (types[i]) {
                case NORMAL -> normalIds.putIfAbsent(pieces[i], i);
                case USER_DEFINED -> {
                    if (pieces[i].isEmpty()) throw new FormatException(file, "pieces[" + i + "]", "empty user-defined piece");
                    userDefinedIds.putIfAbsent(pieces[i], i);
                    userDefinedByFirstChar.computeIfAbsent(pieces[i].codePointAt(0), k -> new ArrayList<>()).add(pieces[i]);
                }
                case BYTE -> {
                    int b = ByteFallback.parse(pieces[i]);
                    if (b < 0) throw new FormatException(file, "pieces[" + i + "]", "byte piece '" + pieces[i] + "' is not <0xNN>");
                    if (byteIds[b] < 0) byteIds[b] = i;
                }
                default -> { }
            }
        }
        for (List<String> list : userDefinedByFirstChar.values()) list.sort(Comparator.comparingInt(String::length).reversed());

        int[] rank = ScoreRanks.denseDescending(scores);
        merges = new PairMerges(n * 4);
        for (int t = 0; t < n; t++) {
            if (types[t] != NORMAL || pieces[t].length() < 2 || normalIds.get(pieces[t]) != t) continue;
            String s = pieces[t];
            for (int k = s.offsetByCodePoints(0, 1); k < s.length(); k = s.offsetByCodePoints(k, 1)) {
                Integer left = normalIds.get(s.substring(0, k)), right = normalIds.get(s.substring(k));
                if (left != null && right != null) merges.put(left, right, t, rank[t]);
            }
        }

        rendered = new byte[n][];
        for (int i = 0; i < n; i++)
            rendered[i] = switch (types[i]) {
                case CONTROL -> null;
                case UNKNOWN -> UNK_SURFACE;
                case BYTE -> new byte[] {(byte) ByteFallback.parse(pieces[i])};
                default -> (escapeWhitespaces ? pieces[i].replace(SPACE_MARK, ' ') : pieces[i]).getBytes(StandardCharsets.UTF_8);
            };
    }

    private static int checkId(Path file, String field, int id, int n) {
        if (id < -1 || id >= n) throw new FormatException(file, field, id + " is outside the " + n + " pieces");
        return id;
    }

    // ---------------------------------------------------------------- reading the protobuf

    private static final class Trainer {
        int modelType = MODEL_UNIGRAM, unkId = 0, bosId = 1, eosId = 2;
        boolean byteFallback;
    }

    private static final class NormalizerSpec {
        String name = "";
        boolean addDummyPrefix = true, removeExtraWhitespaces = true, escapeWhitespaces = true;
    }

    static SentencePieceTokenizer read(Path file) throws IOException {
        ProtoReader model = new ProtoReader(file, "ModelProto", ByteBuffer.wrap(Files.readAllBytes(file)));
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        Trainer trainer = new Trainer();
        NormalizerSpec norm = new NormalizerSpec();
        while (model.next()) {
            switch (model.field()) {
                case 1 -> {
                    ProtoReader p = model.message("pieces[" + pieces.size() + "]");
                    String piece = null;
                    float score = 0;
                    int type = NORMAL;
                    while (p.next()) {
                        switch (p.field()) {
                            case 1 -> piece = p.string();
                            case 2 -> score = p.float32();
                            case 3 -> type = p.int32();
                            default -> p.skip();
                        }
                    }
                    if (piece == null) throw p.error("piece without text");
                    if (type < NORMAL || type > BYTE) throw p.error("unknown piece type " + type);
                    if (Float.isNaN(score)) throw p.error("score is NaN");
                    pieces.add(piece);
                    scores.add(score);
                    types.add(type);
                }
                case 2 -> {
                    ProtoReader t = model.message("trainer_spec");
                    while (t.next()) {
                        switch (t.field()) {
                            case 3 -> trainer.modelType = t.int32();
                            case 35 -> trainer.byteFallback = t.bool();
                            case 40 -> trainer.unkId = t.int32();
                            case 41 -> trainer.bosId = t.int32();
                            case 42 -> trainer.eosId = t.int32();
                            default -> t.skip();
                        }
                    }
                }
                case 3 -> {
                    ProtoReader s = model.message("normalizer_spec");
                    while (s.next()) {
                        switch (s.field()) {
                            case 1 -> norm.name = s.string();
                            case 3 -> norm.addDummyPrefix = s.bool();
                            case 4 -> norm.removeExtraWhitespaces = s.bool();
                            case 5 -> norm.escapeWhitespaces = s.bool();
                            default -> s.skip();
                        }
                    }
                }
                default -> model.skip();
            }
        }
        if (pieces.isEmpty()) throw new FormatException(file, "pieces", "no pieces: not a SentencePiece model");
        if (trainer.modelType != MODEL_BPE)
            throw new FormatException(file, "trainer_spec.model_type", "model type " + trainer.modelType
                    + (trainer.modelType == MODEL_UNIGRAM ? " (unigram)" : "") + " is not supported; only BPE (2), as Llama 2 uses");
        float[] s = new float[scores.size()];
        int[] ty = new int[types.size()];
        for (int i = 0; i < s.length; i++) { s[i] = scores.get(i); ty[i] = types.get(i); }
        return new SentencePieceTokenizer(file, pieces.toArray(String[]::new), s, ty, trainer, norm);
    }

    // ---------------------------------------------------------------- encoding

    @Override public int[] encode(String text) {
        String s = nfkc ? Normalizer.normalize(text, Normalizer.Form.NFKC) : text;
        if (removeExtraWhitespaces) s = squeezeSpaces(s);
        if (s.isEmpty()) return new int[0];
        if (addDummyPrefix) s = " " + s;
        if (escapeWhitespaces) s = s.replace(' ', SPACE_MARK);

        // Initial symbols: user-defined pieces whole, otherwise one character each. A character
        // outside the vocabulary is stored as -(its offset + 1) so the merges pass it by.
        int[] symbols = new int[s.length()];
        int n = 0;
        for (int i = 0; i < s.length(); ) {
            String user = userDefinedAt(s, i);
            if (user != null) {
                symbols[n++] = userDefinedIds.get(user);
                i += user.length();
                continue;
            }
            int end = s.offsetByCodePoints(i, 1);
            Integer id = normalIds.get(s.substring(i, end));
            symbols[n++] = id != null ? id : -(i + 1);
            i = end;
        }
        int[] merged = merges.apply(symbols, 0, n);

        int[] out = new int[merged.length * 4];
        int k = 0;
        for (int id : merged) {
            if (id >= 0) { out[k++] = id; continue; }
            int offset = -id - 1;
            byte[] bytes = new String(Character.toChars(s.codePointAt(offset))).getBytes(StandardCharsets.UTF_8);
            boolean spelled = byteFallback;
            for (byte b : bytes) spelled &= byteIds[b & 0xFF] >= 0;
            if (spelled) for (byte b : bytes) out[k++] = byteIds[b & 0xFF];
            else if (unkId >= 0) out[k++] = unkId;
            else throw new IllegalArgumentException("character U+" + Integer.toHexString(s.codePointAt(offset)).toUpperCase()
                    + " is not in the vocabulary and the model has neither byte fallback nor an unk piece");
        }
        return Arrays.copyOf(out, k);
    }

    private String userDefinedAt(String s, int i) {
        if (userDefinedByFirstChar.isEmpty()) return null;
        List<String> candidates = userDefinedByFirstChar.get(s.codePointAt(i));
        if (candidates != null) for (String c : candidates) if (s.startsWith(c, i)) return c;
        return null;
    }

    /** SentencePiece's remove_extra_whitespaces: no leading or trailing spaces, runs become one. */
    private static String squeezeSpaces(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean space = true;                          // true: drop spaces (at the start, after a space)
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ') { if (!space) sb.append(c); space = true; }
            else { sb.append(c); space = false; }
        }
        int end = sb.length();
        if (end > 0 && sb.charAt(end - 1) == ' ') sb.setLength(end - 1);
        return sb.toString();
    }

    // ---------------------------------------------------------------- decoding

    @Override public StreamDecoder streamDecoder() {
        return new StreamDecoder((id, previous, atStart) -> {
            if (id < 0 || id >= pieces.length) return null;
            byte[] b = rendered[id];
            if (b != null && atStart && addDummyPrefix && types[id] != BYTE && b.length > 0 && b[0] == ' ')
                return Arrays.copyOfRange(b, 1, b.length);
            return b;
        });
    }

    @Override public int vocabSize() { return pieces.length; }
    @Override public OptionalInt bos() { return bosId >= 0 ? OptionalInt.of(bosId) : OptionalInt.empty(); }
    @Override public OptionalInt eos() { return eosId >= 0 ? OptionalInt.of(eosId) : OptionalInt.empty(); }
    @Override public Set<Integer> stopIds() { return eosId >= 0 ? Set.of(eosId) : Set.of(); }
    @Override public String toString() { return "SentencePiece BPE tokenizer (" + pieces.length + " pieces)"; }
}
