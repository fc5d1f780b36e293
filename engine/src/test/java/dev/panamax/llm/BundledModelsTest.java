package dev.panamax.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamax.SharedData;
import dev.panamax.tokenizer.Tokenizer;
import dev.panamax.tokenizer.Tokenizers;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The models shipped under {@code models/} against the PyTorch reference that trained them
 * ({@code models/make_test_vectors.py --bundled}, float64 from the stored BF16/F32 weights): every
 * head's logits at the recorded positions, greedy ids with the NTP and MTP decoders, and the
 * tokenizer's encoding of the recorded text and of every held-out prompt.
 */
class BundledModelsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static Path dir(String name) { return SharedData.projectRoot().resolve("models").resolve(name); }

    @ParameterizedTest
    @ValueSource(strings = {"code-mtp4", "bytes-mtp8", "stories260K-mtp4"})
    void logitsAndGreedyIdsMatchTheReference(String name) throws IOException {
        ReferenceModelsTest.assertMatchesVectors(dir(name), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"code-mtp4", "bytes-mtp8"})
    void tokenizerEncodesLikeTheTrainer(String name) throws IOException {
        Tokenizer tok = Tokenizers.load(dir(name)).orElseThrow(() -> new AssertionError(name + ": no tokenizer"));
        JsonNode v = JSON.readTree(dir(name).resolve("vectors.json").toFile());
        String text = v.get("text").asText();
        assertArrayEquals(ReferenceModelsTest.ints(v.get("text_ids")), tok.encode(text), name + " vectors text");
        assertEquals(text, tok.decode(tok.encode(text)));
        List<String> prompts = Files.readAllLines(dir(name).resolve("heldout-prompts.jsonl"));
        assertTrue(prompts.size() >= 50, name + ": at least 50 held-out prompts");
        for (String line : prompts) {
            JsonNode p = JSON.readTree(line);
            assertArrayEquals(ReferenceModelsTest.ints(p.get("ids")), tok.encode(p.get("text").asText()),
                    name + " prompt " + p.get("text").asText());
        }
    }

    /**
     * stories260K-mtp4 keeps the original checkpoint as trunk + head 1, so its greedy ids from BOS are
     * llama2.c's own ({@code stories260K.greedy-bos.ids}), whichever decoder runs.
     */
    @org.junit.jupiter.api.Test
    void attachedHeadsLeaveTheOriginalModelsGreedyIdsAlone() throws IOException {
        int[] expected = Files.readAllLines(SharedData.file("llama2c/stories260K.greedy-bos.ids")).stream()
                .map(String::trim).filter(l -> !l.isEmpty()).mapToInt(Integer::parseInt).toArray();
        try (LanguageModel m = LanguageModel.load(dir("stories260K-mtp4"))) {
            GenerateOptions o = GenerateOptions.greedy().addBos(false).stopTokens(false).maxTokens(expected.length);
            assertArrayEquals(expected, m.generate(new int[] {1}, o.decoder(GenerateOptions.Decoder.NTP)).ids(), "ntp");
            GenerateResult mtp = m.generate(new int[] {1}, o.decoder(GenerateOptions.Decoder.MTP));
            assertArrayEquals(expected, mtp.ids(), "mtp");
            assertTrue(mtp.forwardPasses() < expected.length, "the heads' drafts were accepted at least once");
        }
    }
}
