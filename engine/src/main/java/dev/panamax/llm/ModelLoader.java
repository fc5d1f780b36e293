package dev.panamax.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamax.io.FormatException;
import dev.panamax.io.Llama2cCheckpoint;
import dev.panamax.io.SafeTensors;
import dev.panamax.io.TensorFile;
import dev.panamax.io.TorchZip;
import dev.panamax.tensor.Mapping;
import dev.panamax.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Finds out what a path holds and loads it: a llama2.c {@code .bin}; a Meta folder
 * ({@code params.json} with {@code consolidated*.pth} or {@code .safetensors} under Meta's names,
 * MTP heads included); a Hugging Face Llama folder ({@code config.json} with safetensors).
 */
final class ModelLoader {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a load produced; {@code resources} unmaps the weights. */
    record Loaded(String format, ModelConfig config, ModelWeights weights, AutoCloseable resources, Path folder) {}

    private ModelLoader() {}

    static Loaded load(Path path) {
        if (!Files.exists(path)) throw new FormatException(path, null, "no such file or folder");
        if (Files.isRegularFile(path)) {
            String name = path.getFileName().toString();
            if (name.endsWith(".bin") && !name.startsWith("tokenizer")) return llama2c(path);
            Path folder = path.toAbsolutePath().getParent();
            if (name.endsWith(".pth") || name.endsWith(".safetensors") || name.endsWith(".safetensors.index.json")) {
                if (Files.exists(folder.resolve("params.json"))) return meta(folder, path);
                if (Files.exists(folder.resolve("config.json"))) return huggingFace(folder, path);
                throw new FormatException(path, null, "weights without a params.json (Meta) or config.json (Hugging Face) beside them");
            }
            throw new FormatException(path, null, "unknown model format: expected a llama2.c .bin, a Meta or Hugging Face folder, or its weight file");
        }
        if (Files.exists(path.resolve("params.json"))) return meta(path, null);
        if (Files.exists(path.resolve("config.json"))) return huggingFace(path, null);
        List<Path> bins = list(path, p -> p.endsWith(".bin") && !p.startsWith("tokenizer"));
        if (bins.size() == 1) return llama2c(bins.get(0));
        throw new FormatException(path, null, "unknown model format: the folder holds no params.json (Meta), no config.json"
                + " (Hugging Face) and " + (bins.isEmpty() ? "no" : "several") + " llama2.c .bin files; found " + list(path, p -> true));
    }

    static Loaded llama2c(Path file) {
        Mapping mapping = new Mapping();
        try {
            Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(file, mapping);
            Llama2cCheckpoint.Header h = ckpt.header();
            // llama2.c: eps 1e-5, theta 10000, interleaved RoPE, BOS 1 before the prompt, stop on 1.
            ModelConfig config = config(file, () -> new ModelConfig(h.dim(), h.hiddenDim(), h.nLayers(), h.nHeads(), h.nKvHeads(),
                    h.vocabSize(), h.seqLen(), 1e-5f, 10000f, true, 1, 1, new int[] {1}));
            ModelWeights weights = WeightMapper.meta(ckpt.tensors(), file, config);
            return new Loaded("llama2.c", config, weights, mapping, file.toAbsolutePath().getParent());
        } catch (RuntimeException e) {
            mapping.close();
            throw e;
        }
    }

    static Loaded meta(Path folder, Path weightsFile) {
        Path paramsFile = folder.resolve("params.json");
        JsonNode p = readJson(paramsFile);
        Path wf = weightsFile != null ? weightsFile : metaWeights(folder);
        TensorFile tf = open(wf);
        try {
            Map<String, Tensor> tensors = tf.tensors();
            int dim = requiredInt(paramsFile, p, "dim");
            int heads = requiredInt(paramsFile, p, "n_heads");
            int vocab = intField(paramsFile, p, "vocab_size", -1);
            if (vocab <= 0) { // Meta's own params.json leave it to the tokenizer: the embedding knows
                Tensor emb = tensors.get("tok_embeddings.weight");
                if (emb == null || emb.rank() != 2) throw new FormatException(wf, "tok_embeddings.weight", "tensor missing or not 2-D");
                vocab = (int) emb.dim(0);
            }
            int multipleOf = intField(paramsFile, p, "multiple_of", 256);
            if (multipleOf <= 0) throw new FormatException(paramsFile, "multiple_of", "must be positive, is " + multipleOf);
            // Meta's FFN width: two thirds of 4·dim, times the multiplier, rounded up to multiple_of.
            int hidden = (int) (2.0 * (4L * dim) / 3);
            JsonNode mult = p.get("ffn_dim_multiplier");
            if (mult != null && !mult.isNull()) hidden = (int) (mult.asDouble() * hidden);
            hidden = multipleOf * ((hidden + multipleOf - 1) / multipleOf);
            if (p.has("hidden_dim")) hidden = intField(paramsFile, p, "hidden_dim", hidden);
            int finalVocab = vocab, finalHidden = hidden;
            ModelConfig config = config(paramsFile, () -> new ModelConfig(dim, finalHidden,
                    requiredInt(paramsFile, p, "n_layers"), heads, intField(paramsFile, p, "n_kv_heads", heads),
                    finalVocab, intField(paramsFile, p, "max_seq_len", 2048),
                    floatField(paramsFile, p, "norm_eps", 1e-5f), floatField(paramsFile, p, "rope_theta", 10000f), true,
                    intField(paramsFile, p, "n_future_tokens", 1), -1, new int[0]));
            return new Loaded("meta", config, WeightMapper.meta(tensors, wf, config), tf, folder);
        } catch (RuntimeException e) {
            tf.close();
            throw e;
        }
    }

    static Loaded huggingFace(Path folder, Path weightsFile) {
        Path cfgFile = folder.resolve("config.json");
        JsonNode c = readJson(cfgFile);
        Path wf = weightsFile != null ? weightsFile : huggingFaceWeights(folder);
        TensorFile tf = open(wf);
        try {
            int dim = requiredInt(cfgFile, c, "hidden_size"), heads = requiredInt(cfgFile, c, "num_attention_heads");
            if (c.has("head_dim") && !c.get("head_dim").isNull() && heads > 0 && intField(cfgFile, c, "head_dim", 0) * heads != dim)
                throw new FormatException(cfgFile, "head_dim", "head_dim × num_attention_heads must equal hidden_size " + dim);
            JsonNode eos = c.get("eos_token_id");
            List<Integer> stops = new ArrayList<>();
            if (eos != null && eos.isInt()) stops.add(eos.asInt());
            if (eos != null && eos.isArray()) eos.forEach(e -> stops.add(e.asInt()));
            JsonNode bos = c.get("bos_token_id");
            int bosId = bos != null && bos.isInt() ? bos.asInt() : -1;
            ModelConfig config = config(cfgFile, () -> new ModelConfig(dim, requiredInt(cfgFile, c, "intermediate_size"),
                    requiredInt(cfgFile, c, "num_hidden_layers"), heads, intField(cfgFile, c, "num_key_value_heads", heads),
                    requiredInt(cfgFile, c, "vocab_size"), intField(cfgFile, c, "max_position_embeddings", 2048),
                    floatField(cfgFile, c, "rms_norm_eps", 1e-6f), floatField(cfgFile, c, "rope_theta", 10000f), false,
                    1, bosId, stops.stream().mapToInt(Integer::intValue).toArray()));
            boolean tied = c.path("tie_word_embeddings").asBoolean(false);
            if (!tied && !tf.has("lm_head.weight"))
                throw new FormatException(wf, "lm_head.weight", "tensor missing and tie_word_embeddings is not true");
            return new Loaded("huggingface", config, WeightMapper.huggingFace(tensors(tf, tied), wf, config), tf, folder);
        } catch (RuntimeException e) {
            tf.close();
            throw e;
        }
    }

    /** With tied embeddings any lm_head in the file is ignored, as Hugging Face does. */
    private static Map<String, Tensor> tensors(TensorFile tf, boolean tied) {
        if (!tied || !tf.has("lm_head.weight")) return tf.tensors();
        Map<String, Tensor> m = new java.util.LinkedHashMap<>(tf.tensors());
        m.remove("lm_head.weight");
        return m;
    }

    private static Path metaWeights(Path folder) {
        List<Path> pth = list(folder, n -> n.startsWith("consolidated") && n.endsWith(".pth"));
        if (pth.size() > 1)
            throw new FormatException(folder, null, "found " + pth.size() + " consolidated*.pth shards; model-parallel shards are not supported, merge them first");
        if (pth.size() == 1) return pth.get(0);
        return safetensorsIn(folder);
    }

    private static Path huggingFaceWeights(Path folder) {
        return safetensorsIn(folder);
    }

    private static Path safetensorsIn(Path folder) {
        Path index = folder.resolve("model.safetensors.index.json");
        if (Files.exists(index)) return index;
        List<Path> st = list(folder, n -> n.endsWith(".safetensors"));
        if (st.size() == 1) return st.get(0);
        if (st.isEmpty()) throw new FormatException(folder, null, "no weights found: expected consolidated.pth, model.safetensors or model.safetensors.index.json");
        throw new FormatException(folder, null, st.size() + " .safetensors files and no model.safetensors.index.json to join them");
    }

    private static TensorFile open(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".pth") || name.endsWith(".pt")) return TorchZip.open(file);
        if (name.endsWith(".safetensors") || name.endsWith(".safetensors.index.json")) return SafeTensors.open(file);
        throw new FormatException(file, null, "unknown weight file type (expected .pth or .safetensors)");
    }

    private static List<Path> list(Path folder, java.util.function.Predicate<String> nameFilter) {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(f -> nameFilter.test(f.getFileName().toString())).sorted().toList();
        } catch (IOException e) {
            throw new FormatException(folder, null, "cannot list: " + e.getMessage(), e);
        }
    }

    private static JsonNode readJson(Path file) {
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null || !n.isObject()) throw new FormatException(file, null, "not a JSON object");
            return n;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new FormatException(file, null, FormatException.json(e), e);
        } catch (IOException e) {
            throw new FormatException(file, null, "cannot read: " + e.getMessage(), e);
        }
    }

    private static int requiredInt(Path file, JsonNode n, String field) {
        if (n.get(field) == null || n.get(field).isNull()) throw new FormatException(file, field, "field missing");
        return intField(file, n, field, 0);
    }

    private static int intField(Path file, JsonNode n, String field, int fallback) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return fallback;
        if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new FormatException(file, field, "must be an integer, is " + v);
        return v.asInt();
    }

    private static float floatField(Path file, JsonNode n, String field, float fallback) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return fallback;
        if (!v.isNumber()) throw new FormatException(file, field, "must be a number, is " + v);
        float f = (float) v.asDouble();
        if (!(f > 0) || Float.isInfinite(f)) throw new FormatException(file, field, "must be a positive number, is " + v);
        return f;
    }

    private static ModelConfig config(Path file, java.util.function.Supplier<ModelConfig> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, null, e.getMessage(), e);
        }
    }
}
