package dev.panamax.llm;

import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random-weight Meta-layout models built in memory, for tests and benchmarks: tensors under Meta's
 * names (so the real weight mapper checks them) filled from a seeded stream. Matrices are scaled by
 * 1.5/sqrt(in) so logits spread over a few units and greedy choices are clear.
 */
public final class RandomModels {
    private RandomModels() {}

    /** A small MTP config: {@code futureTokens} heads over a trunk of {@code layers - futureTokens} blocks. */
    public static ModelConfig config(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen, int futureTokens) {
        return new ModelConfig(dim, hidden, layers, heads, kvHeads, vocab, seqLen, 1e-5f, 10000f, true, futureTokens, -1, new int[0]);
    }

    /** Meta-named random tensors for {@code c}, allocated in {@code arena}. */
    public static Map<String, Tensor> tensors(ModelConfig c, long seed, DType dtype, Arena arena) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        int d = c.dim(), kv = c.kvDim(), h = c.hiddenDim();
        t.put("tok_embeddings.weight", fill(Tensor.allocate(arena, "tok_embeddings.weight", dtype, c.vocabSize(), d), r, 1.0, 0));
        List<String> blocks = new ArrayList<>();
        for (int i = 0; i < c.layers() - c.futureTokens() + 1; i++) blocks.add("layers." + i + ".");
        for (int j = 0; j < c.futureTokens() - 1; j++) blocks.add("extra_heads." + j + ".");
        for (String p : blocks) {
            t.put(p + "attention_norm.weight", norm(arena, p + "attention_norm.weight", d, r));
            t.put(p + "attention.wq.weight", matrix(arena, p + "attention.wq.weight", dtype, d, d, r));
            t.put(p + "attention.wk.weight", matrix(arena, p + "attention.wk.weight", dtype, kv, d, r));
            t.put(p + "attention.wv.weight", matrix(arena, p + "attention.wv.weight", dtype, kv, d, r));
            t.put(p + "attention.wo.weight", matrix(arena, p + "attention.wo.weight", dtype, d, d, r));
            t.put(p + "ffn_norm.weight", norm(arena, p + "ffn_norm.weight", d, r));
            t.put(p + "feed_forward.w1.weight", matrix(arena, p + "feed_forward.w1.weight", dtype, h, d, r));
            t.put(p + "feed_forward.w2.weight", matrix(arena, p + "feed_forward.w2.weight", dtype, d, h, r));
            t.put(p + "feed_forward.w3.weight", matrix(arena, p + "feed_forward.w3.weight", dtype, h, d, r));
        }
        t.put("norm.weight", norm(arena, "norm.weight", d, r));
        t.put("output.weight", matrix(arena, "output.weight", dtype, c.vocabSize(), d, r));
        return t;
    }

    /** A loaded random model; closing it frees the weights. */
    public static LanguageModel model(ModelConfig c, long seed, DType dtype) {
        Arena arena = Arena.ofShared();
        try {
            ModelWeights w = WeightMapper.meta(tensors(c, seed, dtype, arena), null, c);
            return LanguageModel.of(c, w, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Tensor matrix(Arena arena, String name, DType dtype, int out, int in, SplittableRandom r) {
        return fill(Tensor.allocate(arena, name, dtype, out, in), r, 1.5 / Math.sqrt(in), 0);
    }

    private static Tensor norm(Arena arena, String name, int n, SplittableRandom r) {
        return fill(Tensor.allocate(arena, name, DType.F32, n), r, 0.2, 1);
    }

    private static Tensor fill(Tensor t, SplittableRandom r, double scale, double mean) {
        for (long i = 0; i < t.size(); i++) t.setFloat(i, (float) (mean + scale * gaussian(r)));
        return t;
    }

    private static double gaussian(SplittableRandom r) {
        return r.nextGaussian();
    }
}
