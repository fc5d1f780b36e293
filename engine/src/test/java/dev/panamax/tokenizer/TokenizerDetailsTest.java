package dev.panamax.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** Options beyond the common path: user-defined pieces, whitespace squeezing, added-token stripping, splits. */
class TokenizerDetailsTest {

    @TempDir Path dir;

    @Test void llama2cAndSentencePieceAgreeOnTheSameVocabulary() throws IOException {
        Tokenizer bin = Tokenizers.load(Fixtures.llama2cBin(dir, "tokenizer.bin")).orElseThrow();
        Tokenizer model = Tokenizers.load(Fixtures.spModel(dir)).orElseThrow();
        for (String text : Fixtures.VARIED_TEXT) assertArrayEquals(model.encode(text), bin.encode(text), text);
    }

    @Test void longTextsMergeAsOneSequence() throws IOException {
        // SentencePiece merges across the whole text (no word split): 60k characters in one heap.
        Tokenizer t = Tokenizers.load(Fixtures.spModel(dir)).orElseThrow();
        String text = "the a ".repeat(10_000);
        int[] ids = t.encode(text);
        assertEquals(20_000 + 1, ids.length, "▁the ▁a per repeat, then the trailing ▁");
        assertEquals(265, ids[0]);
        assertEquals(259, ids[ids.length - 1]);
        assertEquals(text, t.decode(ids));
    }

    /** A SentencePiece model with a user-defined piece, squeezed whitespace and no byte fallback. */
    @Test void sentencePieceOptions() throws IOException {
        Fixtures.Proto model = new Fixtures.Proto();
        String[] pieces = {"<unk>", "<s>", "</s>", "▁", "t", "h", "e", "▁t", "<sep>"};
        float[] scores = {0, 0, 0, -10, -10, -10, -10, -1, 0};
        int[] types = {2, 3, 3, 1, 1, 1, 1, 1, 4};
        for (int i = 0; i < pieces.length; i++)
            model.message(1, new Fixtures.Proto().string(1, pieces[i]).float32(2, scores[i]).varint(3, types[i]));
        model.message(2, new Fixtures.Proto().varint(3, 2).varint(41, -1));   // BPE, no BOS
        model.message(3, new Fixtures.Proto().string(1, "identity"));          // defaults: squeeze, dummy prefix
        Path file = dir.resolve("tokenizer.model");
        Files.write(file, model.bytes());
        Tokenizer t = Tokenizers.load(file).orElseThrow();
        // "  t<sep>x  te " -> "t<sep>x te" -> "▁t<sep>x▁te": <sep> stays whole, x and unknown -> unk.
        assertArrayEquals(new int[] {7, 8, 0, 7, 6}, t.encode("  t<sep>x  te "));
        assertTrue(t.bos().isEmpty());
        assertEquals("t<sep> \u2047  te", t.decode(new int[] {7, 8, 0, 7, 6}), "unk renders as SentencePiece's ⁇");
        assertArrayEquals(new int[0], t.encode("   "));
    }

    @Test void addedTokensStripNeighbouringSpacesWhenAsked() throws IOException {
        ObjectNode root = Fixtures.JSON.readValue(Fixtures.gpt2Json(dir).toFile(), ObjectNode.class);
        ArrayNode added = (ArrayNode) root.get("added_tokens");
        added.addObject().put("id", 263).put("content", "<mask>").put("special", true).put("lstrip", true).put("rstrip", true);
        added.addObject().put("id", 264).put("content", "@@").put("special", false);
        Fixtures.JSON.writeValue(dir.resolve("tokenizer.json").toFile(), root);
        Tokenizer t = Tokenizers.load(dir).orElseThrow();
        assertArrayEquals(new int[] {'a', 263, 'b'}, t.encode("a  <mask> b"));
        assertArrayEquals(new int[] {'a', 264, 'b'}, t.encode("a@@b"));
        assertEquals("a@@b", t.decode(new int[] {'a', 264, 'b'}), "non-special added tokens render");
        assertEquals(265, t.vocabSize());
    }

    @Test void splitBehaviorsFollowHuggingFace() {
        Pattern dash = Pattern.compile("-");
        assertEquals(List.of("a", "-", "-", "b"), HfPipeline.split("a--b", dash, HfPipeline.Behavior.ISOLATED, false));
        assertEquals(List.of("a", "b"), HfPipeline.split("a--b", dash, HfPipeline.Behavior.REMOVED, false));
        assertEquals(List.of("a-", "-", "b"), HfPipeline.split("a--b", dash, HfPipeline.Behavior.MERGED_WITH_PREVIOUS, false));
        assertEquals(List.of("a", "-", "-b"), HfPipeline.split("a--b", dash, HfPipeline.Behavior.MERGED_WITH_NEXT, false));
        assertEquals(List.of("a", "--", "b"), HfPipeline.split("a--b", dash, HfPipeline.Behavior.CONTIGUOUS, false));
        assertEquals(List.of("-", "-"), HfPipeline.split("a--b", dash, HfPipeline.Behavior.REMOVED, true));
    }

    /** A Llama 3 style pre-tokenizer: a Split regex with lookahead and (?i:), then ByteLevel without its own regex. */
    @Test void llama3StyleSplitRegex() throws IOException {
        ObjectNode root = Fixtures.JSON.readValue(Fixtures.gpt2Json(dir).toFile(), ObjectNode.class);
        ObjectNode seq = root.putObject("pre_tokenizer").put("type", "Sequence");
        ArrayNode list = seq.putArray("pretokenizers");
        list.addObject().put("type", "Split").put("behavior", "Isolated").put("invert", false).putObject("pattern").put("Regex",
                "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
        list.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", false);
        Fixtures.JSON.writeValue(dir.resolve("tokenizer.json").toFile(), root);
        Tokenizer t = Tokenizers.load(dir).orElseThrow();
        // Digits go in threes; "THE" keeps its case; " the" still merges to Ġthe.
        assertArrayEquals(new int[] {'1', '2', '3', '4', 258, ' ', 'T', 'H', 'E'}, t.encode("1234 the THE"));
        for (String text : Fixtures.VARIED_TEXT) assertEquals(text, t.decode(t.encode(text)), text);
    }
}
