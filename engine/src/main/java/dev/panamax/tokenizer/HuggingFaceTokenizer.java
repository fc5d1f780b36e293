package dev.panamax.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamax.io.FormatException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A Hugging Face {@code tokenizer.json} with a BPE model: GPT-2 style byte-level BPE (ByteLevel
 * pre-tokenizer and decoder) and SentencePiece style BPE (Metaspace or Prepend/Replace of {@code ▁},
 * byte fallback {@code <0xNN>}). Encoding follows the library's pipeline: added tokens are cut out
 * of the text whole; each remaining segment is normalised and pre-tokenised into words; each word
 * starts as its characters (or their byte pieces, or unk) and merges by rank, lowest first and
 * leftmost on ties. Special tokens render as nothing when decoding.
 *
 * <p>BOS and EOS come from {@code tokenizer_config.json} ({@code bos_token}, {@code eos_token}),
 * then {@code config.json} ({@code bos_token_id}, {@code eos_token_id}), then well-known special
 * token names. Stop ids are EOS, the ids {@code generation_config.json} lists as
 * {@code eos_token_id}, and the end-of-turn special tokens present ({@code <|eot_id|>},
 * {@code <|im_end|>}, {@code <|end|>}, {@code <end_of_turn>}, {@code <|endoftext|>}).
 */
final class HuggingFaceTokenizer implements Tokenizer {

    private static final List<String> BOS_NAMES = List.of("<s>", "<|begin_of_text|>", "<bos>", "[BOS]", "<|startoftext|>", "<|endoftext|>");
    private static final List<String> EOS_NAMES = List.of("</s>", "<|end_of_text|>", "<eos>", "[EOS]", "<|endoftext|>");
    private static final List<String> END_OF_TURN = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>");

    /** A token kept whole when it appears in the text. */
    private record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip) {}

    private final Map<String, Integer> vocab;
    private final String[] tokens;                 // id -> model token text (null for a gap)
    private final byte[][] rendered;               // id -> bytes away from the start; null renders nothing
    private final boolean[] startSensitive;        // the rendering differs at the start of a text
    private final PairMerges merges;
    private final Map<Integer, List<AddedToken>> addedByFirstChar = new HashMap<>();
    private final HfPipeline.TextNormalizer normalizer;
    private final HfPipeline.PreTokenizer preTokenizer;
    private final HfPipeline.TokenDecoder decoder;
    private final boolean byteFallback, fuseUnk, ignoreMerges;
    private final int unkId;
    private final int[] byteIds = new int[256];
    private final OptionalInt bos, eos;
    private final Set<Integer> stopIds;

    // Words repeat (identifiers, keywords, indentation), so their ids are remembered, as the
    // Hugging Face library does; bounded so that a long run cannot grow it without limit.
    private static final int CACHE_WORDS = 50_000, CACHE_WORD_LENGTH = 48;
    private final java.util.concurrent.ConcurrentHashMap<String, int[]> wordCache = new java.util.concurrent.ConcurrentHashMap<>();

    private HuggingFaceTokenizer(Path file, JsonNode root) {
        JsonNode model = root.path("model");
        if (!model.isObject()) throw new FormatException(file, "model", "missing");
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) throw new FormatException(file, "model.type", "model type '" + type + "' is not supported; only BPE");
        for (String unsupported : List.of("continuing_subword_prefix", "end_of_word_suffix"))
            if (model.hasNonNull(unsupported) && !model.get(unsupported).asText().isEmpty())
                throw new FormatException(file, "model." + unsupported, "BPE with a " + unsupported + " is not supported");

        // Vocabulary, then added tokens (which may reuse vocabulary ids or extend them).
        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject() || vocabNode.isEmpty()) throw new FormatException(file, "model.vocab", "missing or empty");
        vocab = new HashMap<>(vocabNode.size() * 2);
        int maxId = -1;
        for (Map.Entry<String, JsonNode> e : vocabNode.properties()) {
            int id = checkedId(file, "model.vocab[" + e.getKey() + "]", e.getValue());
            vocab.put(e.getKey(), id);
            maxId = Math.max(maxId, id);
        }
        List<AddedToken> added = new ArrayList<>();
        JsonNode addedNode = root.path("added_tokens");
        for (int i = 0; i < addedNode.size(); i++) {
            JsonNode a = addedNode.get(i);
            String where = "added_tokens[" + i + "]";
            int id = checkedId(file, where + ".id", a.get("id"));
            String content = a.path("content").asText("");
            if (content.isEmpty()) throw new FormatException(file, where + ".content", "empty");
            added.add(new AddedToken(id, content, a.path("special").asBoolean(false),
                    a.path("lstrip").asBoolean(false), a.path("rstrip").asBoolean(false)));
            maxId = Math.max(maxId, id);
        }
        tokens = new String[maxId + 1];
        vocab.forEach((text, id) -> tokens[id] = text);
        for (AddedToken a : added) addedByFirstChar.computeIfAbsent(a.content.codePointAt(0), k -> new ArrayList<>()).add(a);
        for (List<AddedToken> list : addedByFirstChar.values())
            list.sort(Comparator.comparingInt((AddedToken a) -> a.content.length()).reversed());

        // Merges: "left right" strings (older files) or [left, right] pairs; rank = position.
        JsonNode mergeNode = model.path("merges");
        merges = new PairMerges(Math.max(16, mergeNode.size()));
        for (int rank = 0; rank < mergeNode.size(); rank++) {
            JsonNode m = mergeNode.get(rank);
            String left, right;
            if (m.isArray() && m.size() == 2) { left = m.get(0).asText(); right = m.get(1).asText(); }
            else {
                String s = m.asText();
                int space = s.indexOf(' ', 1);
                if (!m.isTextual() || space < 0) throw new FormatException(file, "model.merges[" + rank + "]", "not 'left right' nor [left, right]: " + m);
                left = s.substring(0, space);
                right = s.substring(space + 1);
            }
            Integer l = vocab.get(left), r = vocab.get(right), merged = vocab.get(left + right);
            if (l == null || r == null || merged == null)
                throw new FormatException(file, "model.merges[" + rank + "]", "'" + left + "' + '" + right + "' uses a token outside the vocabulary");
            merges.put(l, r, merged, rank);
        }

        byteFallback = model.path("byte_fallback").asBoolean(false);
        fuseUnk = model.path("fuse_unk").asBoolean(false);
        ignoreMerges = model.path("ignore_merges").asBoolean(false);
        String unk = model.path("unk_token").isTextual() ? model.get("unk_token").asText() : null;
        unkId = unk != null && vocab.containsKey(unk) ? vocab.get(unk) : -1;
        for (int b = 0; b < 256; b++) byteIds[b] = vocab.getOrDefault(ByteFallback.piece(b), -1);

        normalizer = HfPipeline.normalizer(file, root.get("normalizer"), "normalizer");
        preTokenizer = HfPipeline.preTokenizer(file, root.get("pre_tokenizer"), "pre_tokenizer");
        decoder = HfPipeline.decoder(file, root.get("decoder"));

        rendered = new byte[tokens.length][];
        startSensitive = new boolean[tokens.length];
        for (int id = 0; id < tokens.length; id++) {
            if (tokens[id] == null) continue;
            rendered[id] = decoder.decode(tokens[id], false);
            startSensitive[id] = !Arrays.equals(rendered[id], decoder.decode(tokens[id], true));
        }
        for (AddedToken a : added) {
            rendered[a.id] = a.special ? null : a.content.getBytes(StandardCharsets.UTF_8);
            startSensitive[a.id] = false;
        }

        Path dir = file.toAbsolutePath().getParent();
        JsonNode tokConfig = readOptionalJson(dir.resolve("tokenizer_config.json"));
        JsonNode config = readOptionalJson(dir.resolve("config.json"));
        JsonNode genConfig = readOptionalJson(dir.resolve("generation_config.json"));
        bos = specialId(tokConfig.get("bos_token"), config.get("bos_token_id"), BOS_NAMES, added);
        eos = specialId(tokConfig.get("eos_token"), config.get("eos_token_id"), EOS_NAMES, added);
        Set<Integer> stops = new LinkedHashSet<>();
        eos.ifPresent(stops::add);
        for (JsonNode ids : List.of(genConfig.path("eos_token_id"), config.path("eos_token_id")))
            for (JsonNode id : ids.isArray() ? ids : List.of(ids))
                if (id.canConvertToInt() && id.asInt() >= 0 && id.asInt() < tokens.length) stops.add(id.asInt());
        for (AddedToken a : added) if (a.special && END_OF_TURN.contains(a.content)) stops.add(a.id);
        stopIds = Set.copyOf(stops);
    }

    static HuggingFaceTokenizer read(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (JacksonException e) {
            throw new FormatException(file, null, FormatException.json(e), e);
        }
        if (root == null || !root.isObject()) throw new FormatException(file, null, "not a JSON object");
        return new HuggingFaceTokenizer(file, root);
    }

    private static int checkedId(Path file, String where, JsonNode n) {
        if (n == null || !n.canConvertToInt() || n.asInt() < 0 || n.asInt() > 1 << 24)
            throw new FormatException(file, where, "token id must be an integer in 0.." + (1 << 24) + ", got " + n);
        return n.asInt();
    }

    private static JsonNode readOptionalJson(Path file) {
        if (!Files.isRegularFile(file)) return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        try {
            JsonNode n = new ObjectMapper().readTree(file.toFile());
            return n == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : n;
        } catch (JacksonException e) {
            throw new FormatException(file, null, FormatException.json(e), e);
        } catch (IOException e) {
            throw new FormatException(file, null, "cannot read: " + e.getMessage(), e);
        }
    }

    /** A special token's id: named by tokenizer_config.json, numbered by config.json, or guessed by name. */
    private OptionalInt specialId(JsonNode named, JsonNode numbered, List<String> wellKnown, List<AddedToken> added) {
        if (named != null) {
            String name = named.isTextual() ? named.asText() : named.path("content").asText(null);
            Integer id = name == null ? null : idOf(name, added);
            if (id != null) return OptionalInt.of(id);
        }
        if (numbered != null && numbered.canConvertToInt() && numbered.asInt() >= 0 && numbered.asInt() < tokens.length)
            return OptionalInt.of(numbered.asInt());
        for (String name : wellKnown) {
            Integer id = idOf(name, added);
            if (id != null) return OptionalInt.of(id);
        }
        return OptionalInt.empty();
    }

    private Integer idOf(String text, List<AddedToken> added) {
        for (AddedToken a : added) if (a.content.equals(text)) return a.id;
        return vocab.get(text);
    }

    // ---------------------------------------------------------------- encoding

    @Override public int[] encode(String text) {
        IntList out = new IntList(text.length() + 8);
        int segmentStart = 0, i = 0;
        while (i < text.length()) {
            AddedToken a = addedAt(text, i);
            if (a == null) { i++; continue; }
            int start = i, end = i + a.content.length();
            if (a.lstrip) while (start > segmentStart && Character.isWhitespace(text.charAt(start - 1))) start--;
            if (a.rstrip) while (end < text.length() && Character.isWhitespace(text.charAt(end))) end++;
            encodeSegment(text.substring(segmentStart, start), segmentStart == 0, out);
            out.add(a.id);
            segmentStart = i = end;
        }
        encodeSegment(text.substring(segmentStart), segmentStart == 0, out);
        return out.toArray();
    }

    private AddedToken addedAt(String text, int i) {
        if (addedByFirstChar.isEmpty()) return null;
        List<AddedToken> candidates = addedByFirstChar.get(text.codePointAt(i));
        if (candidates != null) for (AddedToken a : candidates) if (text.startsWith(a.content, i)) return a;
        return null;
    }

    private void encodeSegment(String segment, boolean first, IntList out) {
        if (segment.isEmpty()) return;
        String normalized = normalizer.apply(segment);
        if (normalized.isEmpty()) return;
        for (String word : preTokenizer.apply(List.of(normalized), first)) encodeWord(word, out);
    }

    private void encodeWord(String word, IntList out) {
        if (word.isEmpty()) return;
        if (word.length() <= CACHE_WORD_LENGTH) {
            int[] cached = wordCache.get(word);
            if (cached == null) {
                cached = mergeWord(word);
                if (wordCache.size() < CACHE_WORDS) wordCache.put(word, cached);
            }
            out.addAll(cached);
        } else out.addAll(mergeWord(word));
    }

    private int[] mergeWord(String word) {
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) return new int[] {whole};
        }
        int[] symbols = new int[word.length() * 4];
        int n = 0;
        boolean lastWasUnk = false;
        for (int i = 0; i < word.length(); ) {
            int end = word.offsetByCodePoints(i, 1);
            String c = word.substring(i, end);
            i = end;
            Integer id = vocab.get(c);
            if (id != null) { symbols[n++] = id; lastWasUnk = false; continue; }
            if (byteFallback) {
                byte[] bytes = c.getBytes(StandardCharsets.UTF_8);
                boolean all = true;
                for (byte b : bytes) all &= byteIds[b & 0xFF] >= 0;
                if (all) {
                    for (byte b : bytes) symbols[n++] = byteIds[b & 0xFF];
                    lastWasUnk = false;
                    continue;
                }
            }
            if (unkId < 0) throw new IllegalArgumentException("character U+" + Integer.toHexString(c.codePointAt(0)).toUpperCase()
                    + " is not in the vocabulary, which has no unk token and no byte fallback");
            if (!(fuseUnk && lastWasUnk)) symbols[n++] = unkId;
            lastWasUnk = true;
        }
        return merges.apply(symbols, 0, n);
    }

    // ---------------------------------------------------------------- decoding

    @Override public StreamDecoder streamDecoder() {
        return new StreamDecoder((id, previous, atStart) -> {
            if (id < 0 || id >= tokens.length) return null;
            if (atStart && startSensitive[id]) return decoder.decode(tokens[id], true);
            return rendered[id];
        });
    }

    @Override public int vocabSize() { return tokens.length; }
    @Override public OptionalInt bos() { return bos; }
    @Override public OptionalInt eos() { return eos; }
    @Override public Set<Integer> stopIds() { return stopIds; }
    @Override public String toString() { return "Hugging Face BPE tokenizer (" + tokens.length + " tokens)"; }

    /** A growable int array. */
    private static final class IntList {
        private int[] a;
        private int n;

        IntList(int capacity) { a = new int[Math.max(8, capacity)]; }

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        void addAll(int[] v) {
            if (n + v.length > a.length) a = Arrays.copyOf(a, Math.max(n * 2, n + v.length));
            System.arraycopy(v, 0, a, n, v.length);
            n += v.length;
        }

        int[] toArray() { return Arrays.copyOf(a, n); }
    }
}
