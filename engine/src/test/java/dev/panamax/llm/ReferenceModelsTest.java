package dev.panamax.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamax.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The engine against the PyTorch reference ({@code models/panamax_ref}, float64) on the small
 * random models in {@code src/test/resources/refmodels}: every head's logits at every position, and
 * greedy ids with both decoders.
 */
class ReferenceModelsTest {
    static Path dir(String name) { return SharedData.projectRoot().resolve("engine/src/test/resources/refmodels").resolve(name); }

    @ParameterizedTest
    @ValueSource(strings = {"meta-ntp-f32", "meta-mtp3-f32", "meta-mtp4-bf16", "hf-tied-f32", "hf-f32"})
    void logitsAndGreedyIdsMatchTheReference(String name) throws IOException {
        assertMatchesVectors(dir(name), name);
    }

    /**
     * The model in {@code dir} against its {@code vectors.json}: every head's logits at the recorded
     * positions within the stated tolerance, and the recorded greedy ids with both decoders.
     */
    static void assertMatchesVectors(Path dir, String name) throws IOException {
        JsonNode v = new ObjectMapper().readTree(dir.resolve("vectors.json").toFile());
        double tol = v.get("tolerance").asDouble();
        try (LanguageModel m = LanguageModel.load(dir)) {
            ModelConfig c = m.config();
            assertEquals(v.get("n_heads").asInt(), c.futureTokens(), name + " heads");
            assertEquals(v.get("vocab_size").asInt(), c.vocabSize(), name + " vocabulary");
            int[] input = ints(v.get("input_ids"));
            Transformer t = LogitsProbe.transformer(m);
            Session s = t.newSession(input.length, input.length, c.futureTokens());
            t.trunk(s, input, 0, input.length);
            JsonNode positions = v.get("logit_positions");
            for (int h = 0; h < c.futureTokens(); h++) {
                t.head(s, h, input.length, 0, 0);
                t.unembed(s, input.length);
                for (int i = 0; i < positions.size(); i++) {
                    int pos = positions.get(i).asInt();
                    JsonNode want = v.get("logits").get(h).get(i);
                    for (int tok = 0; tok < c.vocabSize(); tok++)
                        assertEquals(want.get(tok).asDouble(), s.logits[pos * c.vocabSize() + tok], tol,
                                name + " head " + (h + 1) + " position " + pos + " token " + tok);
                }
            }

            int[] prompt = ints(v.get("greedy").get("prompt_ids")), expected = ints(v.get("greedy").get("ids"));
            GenerateOptions o = GenerateOptions.greedy().addBos(false).stopTokens(false).maxTokens(expected.length);
            assertArrayEquals(expected, m.generate(prompt, o.decoder(GenerateOptions.Decoder.NTP)).ids(), name + " ntp");
            if (c.futureTokens() > 1)
                assertArrayEquals(expected, m.generate(prompt, o.decoder(GenerateOptions.Decoder.MTP)).ids(), name + " mtp");
        }
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }
}
