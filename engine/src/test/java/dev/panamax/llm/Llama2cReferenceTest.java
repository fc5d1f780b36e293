package dev.panamax.llm;

import dev.panamax.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The engine against llama2.c's own outputs on the real stories260K checkpoint. */
class Llama2cReferenceTest {
    static LanguageModel model;

    @BeforeAll static void load() { model = LanguageModel.load(SharedData.file("llama2c/stories260K.bin")); }

    @AfterAll static void close() { if (model != null) model.close(); }

    static int[] ids(String file) throws IOException {
        return Files.readAllLines(SharedData.file(file)).stream().map(String::trim).filter(s -> !s.isEmpty())
                .mapToInt(Integer::parseInt).toArray();
    }

    @Test void configFromHeader() {
        ModelConfig c = model.config();
        assertEquals(64, c.dim());
        assertEquals(172, c.hiddenDim());
        assertEquals(5, c.layers());
        assertEquals(8, c.heads());
        assertEquals(4, c.kvHeads());
        assertEquals(512, c.vocabSize());
        assertEquals(512, c.seqLen());
        assertEquals("llama2.c", model.format());
    }

    @Test void greedyFromBosMatchesRunC() throws IOException {
        int[] expected = ids("llama2c/stories260K.greedy-bos.ids");
        assertEquals(256, expected.length);
        GenerateResult r = model.generate(new int[0], GenerateOptions.greedy().maxTokens(256));
        assertArrayEquals(expected, r.ids());
        assertArrayEquals(new int[] {1}, r.promptIds());
        assertEquals(256, r.forwardPasses());
        assertEquals("ntp", r.decoder());
    }

    @Test void greedyAfterPromptMatchesRunC() throws IOException {
        int[] prompt = Arrays.stream(Files.readString(SharedData.file("llama2c/stories260K.prompt1.prompt-ids")).trim().split(","))
                .mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        int[] all = ids("llama2c/stories260K.prompt1.greedy.ids");
        assertArrayEquals(prompt, Arrays.copyOf(all, prompt.length), "the reference starts with the prompt");
        int[] continuation = Arrays.copyOfRange(all, prompt.length, all.length);
        GenerateResult r = model.generate(prompt, GenerateOptions.greedy().maxTokens(continuation.length));
        assertArrayEquals(continuation, r.ids());
    }

    /** Logits at positions 0..7 (BOS, then the prompt, then greedy tokens), one position per pass. */
    @Test void logitsMatchRunC() throws IOException {
        List<String> lines = Files.readAllLines(SharedData.file("llama2c/stories260K.prompt1.logits8.csv"));
        int[] seq = new int[8];
        seq[0] = 1;
        int[] all = ids("llama2c/stories260K.prompt1.greedy.ids");
        System.arraycopy(all, 0, seq, 1, 7);
        float[][] got = LogitsProbe.logitsOneByOne(model, seq);
        float[][] gotBatched = LogitsProbe.logitsInOnePass(model, seq);
        double worst = 0;
        for (int pos = 0; pos < 8; pos++) {
            String[] f = lines.get(pos).split(",");
            assertEquals(512, f.length);
            for (int i = 0; i < 512; i++) {
                double want = Double.parseDouble(f[i]);
                worst = Math.max(worst, Math.abs(got[pos][i] - want));
                assertEquals(want, got[pos][i], 1e-4, "position " + pos + " logit " + i);
            }
            assertArrayEquals(got[pos], gotBatched[pos], "row invariance: one 8-row pass equals 8 one-row passes at " + pos);
        }
        assertTrue(worst < 1e-4, "worst " + worst);
    }
}
