package dev.panamax.llm;

import dev.panamax.io.FormatException;
import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Turns named tensors into {@link ModelWeights}, checking every shape and dtype against the config.
 * Names are Meta's; another layout (Hugging Face) passes a function translating Meta names to its own.
 */
final class WeightMapper {
    private final Map<String, Tensor> tensors;
    private final Path source;
    private final ModelConfig c;
    private final UnaryOperator<String> naming;

    private WeightMapper(Map<String, Tensor> tensors, Path source, ModelConfig c, UnaryOperator<String> naming) {
        this.tensors = tensors;
        this.source = source;
        this.c = c;
        this.naming = naming;
    }

    /** Meta names: {@code layers.{i}.*} hold trunk and head 1, {@code extra_heads.{j}.*} heads 2..n. */
    static ModelWeights meta(Map<String, Tensor> tensors, Path source, ModelConfig config) {
        return new WeightMapper(tensors, source, config, UnaryOperator.identity()).map(false);
    }

    /** Hugging Face Llama names; a missing {@code lm_head.weight} means tied embeddings. */
    static ModelWeights huggingFace(Map<String, Tensor> tensors, Path source, ModelConfig config) {
        return new WeightMapper(tensors, source, config, WeightMapper::huggingFaceName).map(true);
    }

    private ModelWeights map(boolean tiedAllowed) {
        int inLayers = c.layers() - c.futureTokens() + 1; // trunk blocks and head 1
        List<BlockWeights> trunk = new ArrayList<>(), heads = new ArrayList<>();
        for (int i = 0; i < inLayers - 1; i++) trunk.add(block("layers." + i + "."));
        heads.add(block("layers." + (inLayers - 1) + "."));
        for (int j = 0; j < c.futureTokens() - 1; j++) heads.add(block("extra_heads." + j + "."));
        Tensor emb = matrix("tok_embeddings.weight", c.vocabSize(), c.dim());
        Tensor out = tiedAllowed && !tensors.containsKey(naming.apply("output.weight"))
                ? emb : matrix("output.weight", c.vocabSize(), c.dim());
        return new ModelWeights(emb, trunk, heads, vector("norm.weight", c.dim()), out);
    }

    private BlockWeights block(String p) {
        int d = c.dim(), kv = c.kvDim(), h = c.hiddenDim();
        return new BlockWeights(
                vector(p + "attention_norm.weight", d),
                matrix(p + "attention.wq.weight", d, d),
                matrix(p + "attention.wk.weight", kv, d),
                matrix(p + "attention.wv.weight", kv, d),
                matrix(p + "attention.wo.weight", d, d),
                vector(p + "ffn_norm.weight", d),
                matrix(p + "feed_forward.w1.weight", h, d),
                matrix(p + "feed_forward.w2.weight", d, h),
                matrix(p + "feed_forward.w3.weight", h, d));
    }

    private Tensor get(String metaName) {
        String name = naming.apply(metaName);
        Tensor t = tensors.get(name);
        if (t == null) throw new FormatException(source, name, "tensor missing");
        return t;
    }

    private Tensor matrix(String metaName, long rows, long cols) {
        Tensor t = get(metaName);
        if (t.dtype() != DType.F32 && t.dtype() != DType.BF16 && t.dtype() != DType.F16)
            throw new FormatException(source, naming.apply(metaName), "dtype " + t.dtype() + " not supported for weights (F32, BF16, F16)");
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols)
            throw new FormatException(source, naming.apply(metaName), "shape " + Arrays.toString(t.shape())
                    + " contradicts the config, expected [" + rows + ", " + cols + "]");
        return t;
    }

    private float[] vector(String metaName, long n) {
        Tensor t = get(metaName);
        if (!t.dtype().isFloat())
            throw new FormatException(source, naming.apply(metaName), "dtype " + t.dtype() + " is not a float type");
        if (t.rank() != 1 || t.dim(0) != n)
            throw new FormatException(source, naming.apply(metaName), "shape " + Arrays.toString(t.shape())
                    + " contradicts the config, expected [" + n + "]");
        return t.toFloatArray();
    }

    /** Meta name to Hugging Face Llama name. */
    static String huggingFaceName(String meta) {
        switch (meta) {
            case "tok_embeddings.weight": return "model.embed_tokens.weight";
            case "norm.weight": return "model.norm.weight";
            case "output.weight": return "lm_head.weight";
            default: break;
        }
        if (!meta.startsWith("layers.")) return meta;
        int dot = meta.indexOf('.', "layers.".length());
        String prefix = "model." + meta.substring(0, dot + 1), rest = meta.substring(dot + 1);
        return prefix + switch (rest) {
            case "attention_norm.weight" -> "input_layernorm.weight";
            case "ffn_norm.weight" -> "post_attention_layernorm.weight";
            case "attention.wq.weight" -> "self_attn.q_proj.weight";
            case "attention.wk.weight" -> "self_attn.k_proj.weight";
            case "attention.wv.weight" -> "self_attn.v_proj.weight";
            case "attention.wo.weight" -> "self_attn.o_proj.weight";
            case "feed_forward.w1.weight" -> "mlp.gate_proj.weight";
            case "feed_forward.w2.weight" -> "mlp.down_proj.weight";
            case "feed_forward.w3.weight" -> "mlp.up_proj.weight";
            default -> rest;
        };
    }
}
