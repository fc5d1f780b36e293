package dev.panamax.tokenizer;

import dev.panamax.io.FormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Exact ids and round trips for every format, on the hand-made tokenizers of {@link Fixtures}. */
class TokenizerFormatsTest {

    @TempDir Path dir;

    private static Tokenizer load(Path file) { return Tokenizers.load(file).orElseThrow(); }

    /** Decoding all ids at once and one id at a time through a stream give the same text. */
    private static String streamed(Tokenizer t, int[] ids) {
        StreamDecoder d = t.streamDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(d.next(id));
        return sb.append(d.flush()).toString();
    }

    private static void assertRoundTrips(Tokenizer t, boolean addBos) {
        for (String text : Fixtures.VARIED_TEXT) {
            int[] ids = t.encode(text, addBos);
            assertEquals(text, t.decode(ids), () -> t + " on " + text);
            assertEquals(text, streamed(t, ids), () -> t + " streaming " + text);
        }
    }

    // ---------------------------------------------------------------- byte-level

    @Test void bytesAreTheirOwnIds() {
        Tokenizer t = Tokenizers.bytes();
        assertArrayEquals(new int[] {0x68, 0xC3, 0xA9}, t.encode("hé"));
        assertArrayEquals(new int[0], t.encode(""));
        assertEquals(256, t.vocabSize());
        assertEquals(OptionalInt.empty(), t.bos());
        assertEquals(Set.of(), t.stopIds());
        assertRoundTrips(t, false);
    }

    @Test void streamHoldsBackIncompleteCharacters() {
        Tokenizer t = Tokenizers.bytes();
        int[] ids = t.encode("a😀");                    // 61 F0 9F 98 80
        StreamDecoder d = t.streamDecoder();
        assertEquals("a", d.next(ids[0]));
        assertEquals("", d.next(ids[1]));
        assertEquals("", d.next(ids[2]));
        assertEquals("", d.next(ids[3]));
        assertEquals("😀", d.next(ids[4]));
        assertEquals("", d.flush());
        // A character cut short is replaced once the stream ends, not dropped silently.
        StreamDecoder cut = t.streamDecoder();
        assertEquals("", cut.next(0xE6));
        assertEquals("\uFFFD", cut.flush());
        // A byte that cannot start or continue a character is replaced at once.
        assertEquals("\uFFFDb", t.streamDecoder().next(0xFF) + t.streamDecoder().next('b'));
        assertEquals("", t.streamDecoder().next(999), "ids outside the vocabulary render nothing");
    }

    // ---------------------------------------------------------------- Hugging Face, GPT-2 byte-level

    @Test void gpt2StyleExactIds() throws IOException {
        Tokenizer t = load(Fixtures.gpt2Json(dir));
        assertEquals(263, t.vocabSize());
        // "the" -> t he (no t+he merge); " theatre" -> Ġt, then he, then Ġthe, rest as bytes.
        assertArrayEquals(new int[] {'t', 257, 258, 'a', 't', 'r', 'e'}, t.encode("the theatre"));
        // Equal ranks merge leftmost first: aaa -> aa a.
        assertArrayEquals(new int[] {260, 'a'}, t.encode("aaa"));
        assertArrayEquals(new int[] {260, 260}, t.encode("aaaa"));
        // GPT-2's split leaves the last space of a run to the next word: "a", "  ", " b".
        assertArrayEquals(new int[] {'a', 261, ' ', 'b'}, t.encode("a   b"));
        // Tabs and newlines are bytes 9 and 10 (characters ĉ and Ċ in the vocabulary).
        assertArrayEquals(new int[] {'\t', 'x', '\n'}, t.encode("\tx\n"));
        // Non-ASCII text is its UTF-8 bytes.
        assertArrayEquals(new int[] {0xE4, 0xB8, 0xAD}, t.encode("中"));
        // Special tokens in the text stay whole and render as nothing.
        assertArrayEquals(new int[] {262, 'h', 259}, t.encode("<|endoftext|>hin"));
        assertEquals("hin", t.decode(new int[] {262, 'h', 259}));
        // With no config files, BOS and EOS are found by name: GPT-2 uses <|endoftext|> for both.
        assertEquals(OptionalInt.of(262), t.bos());
        assertEquals(OptionalInt.of(262), t.eos());
        assertEquals(Set.of(262), t.stopIds());
        assertRoundTrips(t, false);
    }

    @Test void gpt2StyleTakesSpecialIdsFromConfigFiles() throws IOException {
        Fixtures.gpt2Json(dir);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<|endoftext|>\", \"eos_token\": {\"content\": \"he\"}}");
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [257, 5]}");
        Tokenizer t = load(dir);
        assertEquals(OptionalInt.of(262), t.bos());
        assertEquals(OptionalInt.of(257), t.eos());
        assertEquals(Set.of(257, 5, 262), t.stopIds());
        assertArrayEquals(new int[] {262, 'x'}, t.encode("x", true));
    }

    // ---------------------------------------------------------------- Hugging Face, SentencePiece style

    @Test void sentencePieceStyleJsonExactIds() throws IOException {
        for (Fixtures.SpStyle style : Fixtures.SpStyle.values()) {
            Path sub = Files.createDirectories(dir.resolve(style.name()));
            Tokenizer t = load(Fixtures.spJson(sub, style));
            String why = style.name();
            assertSentencePieceIds(t, why);
            if (style == Fixtures.SpStyle.PREPEND_REPLACE) {
                assertDummyPrefixAlways(t, why);
                assertRoundTrips(t, false);
                assertRoundTrips(t, true);
            } else {
                // Hugging Face's Metaspace adds no ▁ to a text that already starts with a space,
                // so a leading space is lost: "  a" is ▁ ▁a, which decodes as " a".
                assertArrayEquals(new int[] {259, 267}, t.encode("  a"), why);
                assertEquals(" a", t.decode(t.encode("  a")), why);
                for (String text : Fixtures.VARIED_TEXT) {
                    if (text.startsWith(" ")) continue;
                    assertEquals(text, t.decode(t.encode(text, true)), why + " on " + text);
                    assertEquals(text, streamed(t, t.encode(text)), why + " streaming " + text);
                }
            }
            // Split into words or not, the merges never cross a word start here: same ids.
            assertArrayEquals(new int[] {265, 265, 259, 265}, t.encode("the the  the"), why);
        }
    }

    /** SentencePiece always adds the dummy prefix: "▁▁▁a" merges ▁+a (rank 3) first, then the leftmost ▁+▁. */
    static void assertDummyPrefixAlways(Tokenizer t, String why) {
        assertArrayEquals(new int[] {268, 267}, t.encode("  a"), why);
        assertEquals("  a", t.decode(new int[] {268, 267}), why);
    }

    /** What the shared SentencePiece-style vocabulary must give, whatever the file format. */
    static void assertSentencePieceIds(Tokenizer t, String why) {
        // "▁the▁a": ▁+t, then h+e, then ▁t+he, then ▁+a.
        assertArrayEquals(new int[] {265, 267}, t.encode("the a"), why);
        assertArrayEquals(new int[] {1, 265, 267}, t.encode("the a", true), why);
        // é is not a piece: byte fallback to <0xC3><0xA9> (ids 3 + byte).
        assertArrayEquals(new int[] {259, 261, 3 + 0xC3, 3 + 0xA9}, t.encode("hé"), why);
        assertArrayEquals(new int[0], t.encode(""), why);
        // Decoding drops the dummy prefix's space at the start, and only there.
        assertEquals("the a", t.decode(new int[] {1, 265, 267}), why);
        assertEquals("  a the", t.decode(new int[] {1, 268, 267, 265}), why);
        assertEquals("hé", t.decode(new int[] {1, 259, 261, 3 + 0xC3, 3 + 0xA9}), why);
        assertEquals(OptionalInt.of(1), t.bos(), why);
        assertEquals(OptionalInt.of(2), t.eos(), why);
        assertFalse(t.stopIds().isEmpty(), why);
        assertEquals(269, t.vocabSize(), why);
    }

    // ---------------------------------------------------------------- SentencePiece tokenizer.model

    @Test void sentencePieceModelExactIds() throws IOException {
        Tokenizer t = load(Fixtures.spModel(dir));
        assertSentencePieceIds(t, "tokenizer.model");
        assertDummyPrefixAlways(t, "tokenizer.model");
        assertEquals(Set.of(2), t.stopIds());
        assertRoundTrips(t, false);
        assertRoundTrips(t, true);
    }

    @Test void sentencePieceModelAgreesWithTheEquivalentJson() throws IOException {
        Tokenizer model = load(Fixtures.spModel(dir));
        Tokenizer json = load(Fixtures.spJson(Files.createDirectories(dir.resolve("json")), Fixtures.SpStyle.PREPEND_REPLACE));
        for (String text : Fixtures.VARIED_TEXT) assertArrayEquals(json.encode(text), model.encode(text), text);
    }

    // ---------------------------------------------------------------- llama2.c tokenizer.bin

    @Test void llama2cExactIdsAsRunC() throws IOException {
        Tokenizer t = load(Fixtures.llama2cBin(dir, "tokenizer.bin"));
        assertSentencePieceIds(t, "tokenizer.bin");
        assertArrayEquals(new int[] {268, 267}, t.encode("  a"));
        // Without BOS in front, run.c keeps the leading space.
        assertEquals(" the a", t.decode(new int[] {265, 267}));
        assertEquals(Set.of(1), t.stopIds(), "run.c stops at BOS only");
        // Each UTF-8 character is looked up whole; emoji fall back to their four bytes.
        assertArrayEquals(new int[] {259, 3 + 0xF0, 3 + 0x9F, 3 + 0x98, 3 + 0x80}, t.encode("😀"));
        assertRoundTrips(t, true);
    }

    // ---------------------------------------------------------------- detection and bad files

    @Test void detectsTheFormatFromFolderOrFile() throws IOException {
        assertTrue(Tokenizers.load(dir).isEmpty(), "an empty folder has no tokenizer");
        Fixtures.llama2cBin(dir, "tok269.bin");
        assertTrue(Tokenizers.load(dir).isEmpty(), "only tokenizer.bin is looked for in a folder");
        assertTrue(load(dir.resolve("tok269.bin")).toString().contains("llama2.c"));
        Fixtures.llama2cBin(dir, "tokenizer.bin");
        Path checkpoint = Files.writeString(dir.resolve("stories.bin"), "not a tokenizer");
        assertTrue(load(checkpoint).toString().contains("llama2.c"), "a model file leads to its folder");
        Fixtures.spModel(dir);
        assertTrue(load(dir).toString().contains("SentencePiece"), "tokenizer.model wins over tokenizer.bin");
        Fixtures.gpt2Json(dir);
        assertTrue(load(dir).toString().contains("Hugging Face"), "tokenizer.json wins over both");
        assertTrue(Tokenizers.load(dir.resolve("missing")).isEmpty());
    }

    @Test void badFilesNameTheFileAndTheField() throws IOException {
        Path bin = Fixtures.llama2cBin(dir, "tokenizer.bin");
        byte[] full = Files.readAllBytes(bin);
        Files.write(bin, java.util.Arrays.copyOf(full, full.length - 3));
        FormatException e = assertThrows(FormatException.class, () -> Tokenizers.load(bin));
        assertEquals(bin, e.file());
        assertEquals("token 268", e.item());

        Path model = Fixtures.spModel(dir);
        byte[] proto = Files.readAllBytes(model);
        Files.write(model, java.util.Arrays.copyOf(proto, proto.length / 2));
        assertThrows(FormatException.class, () -> Tokenizers.load(model));
        Files.write(model, new Fixtures.Proto().message(1, new Fixtures.Proto().string(1, "x")).bytes());
        FormatException unigram = assertThrows(FormatException.class, () -> Tokenizers.load(model));
        assertEquals("trainer_spec.model_type", unigram.item());

        Path json = dir.resolve("tokenizer.json");
        for (String bad : List.of("{", "[]", "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}",
                "{\"model\": {\"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}",
                "{\"model\": {\"vocab\": {\"a\": -1}}}",
                "{\"model\": {\"vocab\": {\"a\": 0}}, \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}}")) {
            Files.writeString(json, bad);
            FormatException f = assertThrows(FormatException.class, () -> Tokenizers.load(json), bad);
            assertEquals(json, f.file());
        }
    }
}
