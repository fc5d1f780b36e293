package dev.panamax.llm;

import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Self-speculative decoding against plain next-token decoding on random-weight MTP models. */
class MtpDecodingTest {

    /** Extra heads copied from head 1 draft what head 1 would say one step earlier: accepted on repeats. */
    static LanguageModel echoHeads(ModelConfig c, long seed) {
        Arena arena = Arena.ofShared();
        Map<String, Tensor> t = new java.util.LinkedHashMap<>(RandomModels.tensors(c, seed, DType.F32, arena));
        String head1 = "layers." + (c.layers() - c.futureTokens()) + ".";
        for (String name : List.copyOf(t.keySet()))
            if (name.startsWith("extra_heads.")) {
                String rest = name.substring(name.indexOf('.', "extra_heads.".length()) + 1);
                t.put(name, t.get(head1 + rest).withName(name));
            }
        return LanguageModel.of(c, WeightMapper.meta(t, null, c), arena);
    }

    static int[] prompt(SplittableRandom r, int vocab, int maxLen) {
        return r.ints(1 + r.nextInt(maxLen), 0, vocab).toArray();
    }

    @Test void greedyMtpEqualsNtpOnRandomModels() {
        List<LanguageModel> models = List.of(
                RandomModels.model(RandomModels.config(32, 64, 5, 4, 2, 48, 96, 4), 1, DType.F32),
                RandomModels.model(RandomModels.config(32, 48, 4, 4, 1, 40, 96, 3), 2, DType.BF16),
                echoHeads(RandomModels.config(24, 40, 4, 2, 2, 24, 96, 4), 3));
        SplittableRandom r = new SplittableRandom(42);
        long fewerPasses = 0;
        int prompts = 0;
        try {
            for (LanguageModel m : models) {
                ModelConfig c = m.config();
                for (int i = 0; i < 20; i++, prompts++) {
                    // Some prompts are longer than a prefill pass, so the prompt is read in several passes.
                    int[] p = prompt(r, c.vocabSize(), i % 5 == 0 ? 45 : 8);
                    int max = 1 + r.nextInt(40);
                    GenerateOptions o = GenerateOptions.greedy().maxTokens(max);
                    GenerateResult ntp = m.generate(p, o.decoder(GenerateOptions.Decoder.NTP));
                    assertEquals(max, ntp.ids().length);
                    for (int k = 1; k < c.futureTokens(); k++) {
                        GenerateResult mtp = m.generate(p, o.decoder(GenerateOptions.Decoder.MTP).draftHeads(k));
                        assertArrayEquals(ntp.ids(), mtp.ids(), "prompt " + Arrays.toString(p) + ", " + k + " draft heads");
                        assertEquals(k, mtp.draftHeads());
                        assertTrue(mtp.forwardPasses() <= ntp.forwardPasses());
                        if (mtp.forwardPasses() < ntp.forwardPasses()) fewerPasses++;
                    }
                }
            }
        } finally {
            models.forEach(LanguageModel::close);
        }
        assertTrue(prompts >= 50);
        assertTrue(fewerPasses > 10, "drafts were accepted in only " + fewerPasses + " generations: the accept path went untested");
    }

    @Test void headsSideBySideGiveTheBitsOfOneHeadAtATime() {
        // The decoders run the heads side by side (Transformer.heads: one kernel call per projection
        // for all of them). Each head must still get exactly the outputs and cached keys and values
        // it gets alone. The drafting heads only propose tokens, so the decoders' ids cannot show a
        // fault here. Wide enough that the grouped feed-forward calls go to the pool.
        for (DType dtype : new DType[] {DType.F32, DType.BF16})
            try (LanguageModel m = RandomModels.model(RandomModels.config(96, 256, 6, 4, 2, 64, 64, 4), 9, dtype)) {
                Transformer t = m.transformer();
                ModelConfig c = m.config();
                int heads = c.futureTokens(), count = 6, d = c.dim();
                int[] prefix = {5, 9, 2, 40, 7}, rows = {11, 3, 63, 0, 8, 21};
                for (int h0 : new int[] {0, 1})                       // prefill and verify: all heads; drafting: heads 2..n
                    for (int from : new int[] {0, count - 1, count}) {  // every row's output, the last row's, none
                        int n = heads - h0, out = count - from;
                        Session alone = t.newSession(prefix.length + count, heads * count, heads);
                        Session together = t.newSession(prefix.length + count, heads * count, heads);
                        for (Session s : new Session[] {alone, together}) {
                            t.trunk(s, prefix, 0, prefix.length);
                            t.heads(s, 0, heads, prefix.length, prefix.length, 0);
                            s.advance(prefix.length);
                            t.trunk(s, rows, 0, count);
                        }
                        for (int g = 0; g < n; g++) assertEquals(out, t.head(alone, h0 + g, count, from, g * out));
                        assertEquals(out, t.heads(together, h0, n, count, from, 0));
                        String where = dtype + " heads " + (h0 + 1) + ".." + heads + " from row " + from;
                        assertArrayEquals(Arrays.copyOf(alone.normed, n * out * d), Arrays.copyOf(together.normed, n * out * d), where + ": outputs");
                        for (int b = c.trunkLayers() + h0; b < c.trunkLayers() + heads; b++) {
                            assertArrayEquals(alone.keys[b], together.keys[b], where + ": keys of block " + b);
                            assertArrayEquals(alone.values[b], together.values[b], where + ": values of block " + b);
                        }
                    }
            }
    }

    @Test void streamingSeesEveryTokenInOrderAndCountsAddUp() {
        try (LanguageModel m = echoHeads(RandomModels.config(24, 40, 4, 2, 2, 24, 96, 4), 5)) {
            List<Integer> streamed = new ArrayList<>();
            GenerateResult r = m.generate(new int[] {3, 4, 5}, GenerateOptions.greedy().maxTokens(50), (id, text) -> streamed.add(id));
            assertArrayEquals(r.ids(), streamed.stream().mapToInt(Integer::intValue).toArray());
            assertEquals("mtp", r.decoder(), "mtp is the default for a model with heads");
            assertEquals(3, r.draftHeads());
            assertEquals((double) r.ids().length / r.forwardPasses(), r.acceptedPerForward(), 1e-12);
            assertTrue(r.acceptanceRate() >= 0 && r.acceptanceRate() <= 1);
        }
    }

    @Test void stopTokenEndsBothDecodersAtTheSamePlace() {
        ModelConfig base = RandomModels.config(24, 40, 4, 2, 2, 24, 96, 4);
        // Stop on the token ntp produces 6th: both decoders must end right before it.
        try (LanguageModel probe = echoHeads(base, 7)) {
            int[] free = probe.generate(new int[] {1, 2}, GenerateOptions.greedy().maxTokens(30).decoder(GenerateOptions.Decoder.NTP)).ids();
            int stop = free[5];
            int firstStop = 0;
            while (free[firstStop] != stop) firstStop++;
            ModelConfig c = new ModelConfig(base.dim(), base.hiddenDim(), base.layers(), base.heads(), base.kvHeads(), base.vocabSize(),
                    base.seqLen(), base.normEps(), base.ropeTheta(), true, base.futureTokens(), -1, new int[] {stop});
            try (LanguageModel m = echoHeads(c, 7)) {
                for (GenerateOptions.Decoder d : GenerateOptions.Decoder.values()) {
                    int[] ids = m.generate(new int[] {1, 2}, GenerateOptions.greedy().maxTokens(30).decoder(d)).ids();
                    assertArrayEquals(Arrays.copyOf(free, firstStop), ids, d.id());
                }
            }
        }
    }

    @Test void contextPolicyAndOptionErrorsAreClear() {
        try (LanguageModel m = RandomModels.model(RandomModels.config(16, 32, 3, 2, 2, 20, 24, 3), 9, DType.F32)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.generate(new int[10], GenerateOptions.greedy().maxTokens(15)));
            assertTrue(e.getMessage().contains("context of 24"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> m.generate(new int[] {1}, GenerateOptions.greedy().maxTokens(Integer.MAX_VALUE)));
            assertTrue(e.getMessage().contains("context of 24"), "the largest max tokens is refused, not allocated: " + e.getMessage());
            assertEquals(14, m.generate(new int[10], GenerateOptions.greedy().maxTokens(14)).ids().length, "exactly the context fits");
            assertThrows(IllegalArgumentException.class, () -> m.generate(new int[] {20}, GenerateOptions.greedy()));
            assertThrows(IllegalArgumentException.class, () -> m.generate(new int[] {1}, GenerateOptions.greedy().draftHeads(3)));
            assertThrows(IllegalArgumentException.class, () -> m.generate(new int[0], GenerateOptions.greedy()), "no BOS, no ids");
        }
        try (LanguageModel m = RandomModels.model(RandomModels.config(16, 32, 2, 2, 2, 20, 24, 1), 9, DType.F32)) {
            assertEquals("ntp", m.generate(new int[] {1}, GenerateOptions.greedy().maxTokens(3)).decoder());
            assertThrows(IllegalArgumentException.class,
                    () -> m.generate(new int[] {1}, GenerateOptions.greedy().decoder(GenerateOptions.Decoder.MTP)));
        }
    }

    @Test void seededSamplingIsReproducible() {
        try (LanguageModel m = RandomModels.model(RandomModels.config(16, 32, 3, 2, 2, 20, 64, 3), 11, DType.F32)) {
            for (GenerateOptions.Decoder d : GenerateOptions.Decoder.values()) {
                GenerateOptions o = GenerateOptions.sampling(0.9f).topP(0.9f).seed(5).maxTokens(30).decoder(d);
                assertArrayEquals(m.generate(new int[] {1, 2}, o).ids(), m.generate(new int[] {1, 2}, o).ids());
            }
        }
    }

    /**
     * Speculative sampling is lossless: over many seeds, the tokens mtp samples at each of the first
     * four positions follow the same distribution as ntp sampling's. Chi-square two-sample test at
     * significance 0.001 per position (fixed seeds: deterministic); and a sanity check that the test
     * does see a real difference (temperature 1 against 1.5).
     */
    @Test void speculativeSamplingMatchesNtpDistribution() {
        ModelConfig c = RandomModels.config(16, 32, 3, 2, 2, 6, 32, 3);
        int runs = 3000, positions = 4;
        double alpha = 0.001;
        try (LanguageModel m = RandomModels.model(c, 13, DType.F32)) {
            for (float topP : new float[] {1f, 0.8f}) {
                long[][] ntp = histogram(m, GenerateOptions.Decoder.NTP, 1f, topP, runs, positions, 0);
                long[][] mtp = histogram(m, GenerateOptions.Decoder.MTP, 1f, topP, runs, positions, 1_000_000);
                for (int pos = 0; pos < positions; pos++) {
                    double p = pValue(ntp[pos], mtp[pos]);
                    assertTrue(p > alpha, "top-p " + topP + ", position " + pos + ": p-value " + p + "\nntp " + Arrays.toString(ntp[pos]) + "\nmtp " + Arrays.toString(mtp[pos]));
                }
            }
            long[][] hot = histogram(m, GenerateOptions.Decoder.NTP, 1.5f, 1f, runs, positions, 2_000_000);
            long[][] ntp = histogram(m, GenerateOptions.Decoder.NTP, 1f, 1f, runs, positions, 0);
            assertTrue(pValue(ntp[0], hot[0]) < alpha, "the test cannot tell temperature 1 from 1.5: too weak");
        }
    }

    private static long[][] histogram(LanguageModel m, GenerateOptions.Decoder d, float t, float topP, int runs, int positions, long seedBase) {
        long[][] h = new long[positions][m.config().vocabSize()];
        for (int i = 0; i < runs; i++) {
            int[] ids = m.generate(new int[] {1, 2, 3}, GenerateOptions.sampling(t).topP(topP).seed(seedBase + i).maxTokens(positions).decoder(d)).ids();
            for (int pos = 0; pos < positions; pos++) h[pos][ids[pos]]++;
        }
        return h;
    }

    /** Two-sample chi-square over the bins either sample saw. */
    private static double pValue(long[] a, long[] b) {
        List<long[]> bins = new ArrayList<>();
        for (int i = 0; i < a.length; i++) if (a[i] + b[i] > 0) bins.add(new long[] {a[i], b[i]});
        if (bins.size() < 2) return 1;
        long[] x = bins.stream().mapToLong(v -> v[0]).toArray(), y = bins.stream().mapToLong(v -> v[1]).toArray();
        return new ChiSquareTest().chiSquareTestDataSetsComparison(x, y);
    }
}
