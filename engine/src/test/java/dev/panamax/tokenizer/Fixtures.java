package dev.panamax.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Tiny hand-made tokenizers in every supported format, small enough that the expected ids of a
 * test can be worked out by hand. They share one SentencePiece-style vocabulary:
 * <pre>
 *   0 &lt;unk&gt;  1 &lt;s&gt;  2 &lt;/s&gt;  3..258 &lt;0x00&gt;..&lt;0xFF&gt;
 *   259 ▁  260 t  261 h  262 e  263 ▁t  264 he  265 ▁the  266 a  267 ▁a  268 ▁▁
 * </pre>
 * with merges, best first: ▁+t, h+e, ▁t+he, ▁+a, ▁+▁. The GPT-2 style tokenizer has the 256 byte
 * characters as ids 0..255 (id = byte value), then 256 Ġt, 257 he, 258 Ġthe, 259 in, 260 aa,
 * 261 ĠĠ and the special token 262 &lt;|endoftext|&gt;.
 */
final class Fixtures {
    private Fixtures() {}

    static final ObjectMapper JSON = new ObjectMapper();

    /** The SentencePiece-style pieces from id 259 on, and the merges in rank order. */
    static final List<String> SP_PIECES = List.of("▁", "t", "h", "e", "▁t", "he", "▁the", "a", "▁a", "▁▁");
    static final List<String[]> SP_MERGES = List.of(
            new String[] {"▁", "t"}, new String[] {"h", "e"}, new String[] {"▁t", "he"},
            new String[] {"▁", "a"}, new String[] {"▁", "▁"});

    static final List<String> VARIED_TEXT = List.of(
            "",
            "the a",
            "Hello, world!",
            "  leading and trailing  ",
            "tabs\tand\nnewlines\r\n",
            "def f(x):\n\treturn x  *  2\n\n\n    # four spaces\n\t\t}",
            "naïve café — “quotes” ½",
            "日本語のテキストと中文",
            "emoji 😀👍🏽 family 👨‍👩‍👧!",
            "mixed العربية עברית ελληνικά",
            "\u0000 control \u0007\u001b[0m",
            "aaaaaaa theatre the the  the   the");

    // ---------------------------------------------------------------- Hugging Face, GPT-2 style

    static Path gpt2Json(Path dir) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode vocab = JSON.createObjectNode();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteLevel.charOf(b)), b);
        String[] merged = {"Ġt", "he", "Ġthe", "in", "aa", "ĠĠ"};
        for (int i = 0; i < merged.length; i++) vocab.put(merged[i], 256 + i);
        ArrayNode merges = JSON.createArrayNode();
        for (String m : List.of("Ġ t", "h e", "Ġt he", "i n", "a a", "Ġ Ġ")) merges.add(m);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.set("vocab", vocab);
        model.set("merges", merges);
        root.putArray("added_tokens").addObject().put("id", 262).put("content", "<|endoftext|>").put("special", true);
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel");
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    // ---------------------------------------------------------------- Hugging Face, SentencePiece style

    enum SpStyle { PREPEND_REPLACE, METASPACE, METASPACE_SPLIT }

    static Path spJson(Path dir, SpStyle style) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode vocab = JSON.createObjectNode();
        vocab.put("<unk>", 0).put("<s>", 1).put("</s>", 2);
        for (int b = 0; b < 256; b++) vocab.put(String.format("<0x%02X>", b), 3 + b);
        for (int i = 0; i < SP_PIECES.size(); i++) vocab.put(SP_PIECES.get(i), 259 + i);
        ArrayNode merges = JSON.createArrayNode();
        for (String[] m : SP_MERGES) merges.addArray().add(m[0]).add(m[1]);   // the newer [left, right] form
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").put("unk_token", "<unk>").put("byte_fallback", true).put("fuse_unk", true);
        model.set("vocab", vocab);
        model.set("merges", merges);
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<unk>", "<s>", "</s>"};
        for (int i = 0; i < 3; i++) added.addObject().put("id", i).put("content", specials[i]).put("special", true);
        switch (style) {
            case PREPEND_REPLACE -> {
                ObjectNode n = root.putObject("normalizer").put("type", "Sequence");
                ArrayNode list = n.putArray("normalizers");
                list.addObject().put("type", "Prepend").put("prepend", "▁");
                list.addObject().put("type", "Replace").put("content", "▁").putObject("pattern").put("String", " ");
                ObjectNode d = root.putObject("decoder").put("type", "Sequence");
                ArrayNode steps = d.putArray("decoders");
                steps.addObject().put("type", "Replace").put("content", " ").putObject("pattern").put("String", "▁");
                steps.addObject().put("type", "ByteFallback");
                steps.addObject().put("type", "Fuse");
                steps.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
            }
            case METASPACE, METASPACE_SPLIT -> {
                root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "▁")
                        .put("prepend_scheme", "first").put("split", style == SpStyle.METASPACE_SPLIT);
                ObjectNode d = root.putObject("decoder").put("type", "Sequence");
                ArrayNode steps = d.putArray("decoders");
                steps.addObject().put("type", "ByteFallback");
                steps.addObject().put("type", "Metaspace").put("replacement", "▁").put("prepend_scheme", "first");
            }
        }
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    // ---------------------------------------------------------------- SentencePiece tokenizer.model

    /** The same vocabulary as a SentencePiece BPE model: merged pieces score -1, -2, ... in merge order. */
    static Path spModel(Path dir) throws IOException {
        Proto model = new Proto();
        piece(model, "<unk>", 0, 2);
        piece(model, "<s>", 0, 3);
        piece(model, "</s>", 0, 3);
        for (int b = 0; b < 256; b++) piece(model, String.format("<0x%02X>", b), 0, 6);
        for (String p : SP_PIECES) {
            int mergeIndex = -1;
            for (int i = 0; i < SP_MERGES.size(); i++) if ((SP_MERGES.get(i)[0] + SP_MERGES.get(i)[1]).equals(p)) mergeIndex = i;
            piece(model, p, mergeIndex >= 0 ? -1 - mergeIndex : -100, 1);
        }
        Proto trainer = new Proto().varint(3, 2).varint(35, 1).varint(40, 0).varint(41, 1).varint(42, 2);
        model.message(2, trainer);
        Proto normalizer = new Proto().string(1, "identity").varint(3, 1).varint(4, 0).varint(5, 1);
        model.message(3, normalizer);
        Path file = dir.resolve("tokenizer.model");
        Files.write(file, model.bytes());
        return file;
    }

    private static void piece(Proto model, String text, float score, int type) {
        Proto p = new Proto().string(1, text).float32(2, score);
        if (type != 1) p.varint(3, type);
        model.message(1, p);
    }

    /** A protobuf message writer, the mirror of ProtoReader. */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) { tag(field, 0); writeVarint(value); return this; }

        Proto float32(int field, float value) {
            tag(field, 5);
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).array());
            return this;
        }

        Proto string(int field, String s) { return bytes(field, s.getBytes(StandardCharsets.UTF_8)); }

        Proto message(int field, Proto m) { return bytes(field, m.bytes()); }

        Proto bytes(int field, byte[] b) { tag(field, 2); writeVarint(b.length); out.writeBytes(b); return this; }

        byte[] bytes() { return out.toByteArray(); }

        private void tag(int field, int wireType) { writeVarint((long) field << 3 | wireType); }

        private void writeVarint(long v) {
            while ((v & ~0x7FL) != 0) { out.write((int) (v & 0x7F) | 0x80); v >>>= 7; }
            out.write((int) v);
        }
    }

    // ---------------------------------------------------------------- llama2.c tokenizer.bin

    /** The same vocabulary as llama2.c exports it: ▁ written as a space, BOS/EOS as "\n<s>\n"/"\n</s>\n". */
    static Path llama2cBin(Path dir, String name) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> texts = new java.util.ArrayList<>(List.of("<unk>", "\n<s>\n", "\n</s>\n"));
        List<Float> scores = new java.util.ArrayList<>(List.of(0f, 0f, 0f));
        for (int b = 0; b < 256; b++) { texts.add(String.format("<0x%02X>", b)); scores.add(0f); }
        for (String p : SP_PIECES) {
            int mergeIndex = -1;
            for (int i = 0; i < SP_MERGES.size(); i++) if ((SP_MERGES.get(i)[0] + SP_MERGES.get(i)[1]).equals(p)) mergeIndex = i;
            texts.add(p.replace('▁', ' '));
            scores.add(mergeIndex >= 0 ? -1f - mergeIndex : -100f);
        }
        int max = texts.stream().mapToInt(t -> t.getBytes(StandardCharsets.UTF_8).length).max().orElseThrow();
        ByteBuffer header = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(max);
        out.writeBytes(header.array());
        for (int i = 0; i < texts.size(); i++) {
            byte[] b = texts.get(i).getBytes(StandardCharsets.UTF_8);
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(scores.get(i)).putInt(b.length).array());
            out.writeBytes(b);
        }
        Path file = dir.resolve(name);
        Files.write(file, out.toByteArray());
        return file;
    }
}
