package dev.panamax.llm;

import dev.panamax.io.FormatException;
import dev.panamax.kernel.KernelProvider;
import dev.panamax.tokenizer.StreamDecoder;
import dev.panamax.tokenizer.Tokenizer;
import dev.panamax.tokenizer.Tokenizers;

import java.nio.file.Path;

/**
 * A loaded language model, ready to generate. Load once, share between threads (every generation
 * owns its KV caches), close to release the mapped weights.
 *
 * <pre>{@code
 * try (var model = LanguageModel.load(Path.of("stories260K.bin"))) {
 *     var result = model.generate(new int[] {5, 50, 100}, GenerateOptions.greedy().maxTokens(64));
 *     System.out.println(Arrays.toString(result.ids()));
 * }
 * }</pre>
 */
public final class LanguageModel implements AutoCloseable {
    private final Path source;
    private final String format;
    private final Transformer transformer;
    private final AutoCloseable resources;
    private final Tokenizer tokenizer; // null when none was found
    private volatile boolean closed;

    private LanguageModel(Path source, String format, Transformer transformer, AutoCloseable resources, Tokenizer tokenizer) {
        this.source = source;
        this.format = format;
        this.transformer = transformer;
        this.resources = resources;
        this.tokenizer = tokenizer;
    }

    /**
     * Loads a model from a file or a folder, detecting its format: a llama2.c {@code .bin}
     * checkpoint; a Meta folder ({@code params.json} with {@code consolidated*.pth} or a
     * {@code .safetensors} under Meta's names, {@code n_future_tokens} heads included); a Hugging
     * Face Llama folder ({@code config.json} with safetensors). An unknown format is named in the
     * {@link FormatException}.
     *
     * <p>A tokenizer beside the weights ({@code tokenizer.json}, {@code tokenizer.model} or
     * {@code tokenizer.bin}) is loaded too; when the model's own files name no BOS or stop ids, the
     * tokenizer's are used (llama2.c models keep run.c's: BOS 1, stop on 1).
     */
    public static LanguageModel load(Path path) {
        ModelLoader.Loaded l = ModelLoader.load(path);
        try {
            Tokenizer tok = Tokenizers.load(path).orElse(null);
            ModelConfig config = l.config();
            if (tok != null && !l.format().equals("llama2.c")) config = withSpecialIds(config, tok);
            return new LanguageModel(path, l.format(), new Transformer(config, l.weights(), KernelProvider.kernels()), l.resources(), tok);
        } catch (RuntimeException e) {
            try {
                l.resources().close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** BOS from the config, else the tokenizer's; stop ids from both. */
    private static ModelConfig withSpecialIds(ModelConfig c, Tokenizer tok) {
        int bos = c.bosId() >= 0 ? c.bosId() : tok.bos().orElse(-1);
        java.util.TreeSet<Integer> stops = new java.util.TreeSet<>(tok.stopIds());
        for (int s : c.stopIds()) stops.add(s);
        return new ModelConfig(c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.vocabSize(), c.seqLen(), c.normEps(),
                c.ropeTheta(), c.ropeInterleaved(), c.futureTokens(), bos, stops.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * A model over weights already in memory (tests, benchmarks). {@code resources} is closed with
     * the model (may be null).
     */
    public static LanguageModel of(ModelConfig config, ModelWeights weights, AutoCloseable resources) {
        return new LanguageModel(null, "memory", new Transformer(config, weights, KernelProvider.kernels()), resources, null);
    }

    public ModelConfig config() { return transformer.config; }

    /** The forward pass, for {@link StepTimer}. */
    Transformer transformer() { return transformer; }

    /** "llama2.c", "meta", "huggingface" or "memory". */
    public String format() { return format; }

    /** The file or folder it was loaded from, or null. */
    public Path source() { return source; }

    /** Whether text prompts and text output are available (a tokenizer was found beside the model). */
    public boolean hasTokenizer() { return tokenizer != null; }

    /** The model's tokenizer, if one was found. */
    public java.util.Optional<Tokenizer> tokenizer() { return java.util.Optional.ofNullable(tokenizer); }

    /** Generates after the prompt text, tokenized with the model's tokenizer. */
    public GenerateResult generate(String prompt, GenerateOptions options) {
        return generate(prompt, options, null);
    }

    /** As {@link #generate(String, GenerateOptions)}, streaming each token's text to {@code listener}. */
    public GenerateResult generate(String prompt, GenerateOptions options, TokenListener listener) {
        if (tokenizer == null)
            throw new IllegalArgumentException("model " + source + " has no tokenizer (tokenizer.json, tokenizer.model or"
                    + " tokenizer.bin beside it): give prompt ids instead of text");
        int[] ids;
        try {
            ids = tokenizer.encode(prompt);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the tokenizer of " + source + " cannot encode the prompt: " + e.getMessage(), e);
        }
        return generate(ids, options, listener);
    }

    /** Generates after the prompt ids (the model's BOS is put first when the options ask). */
    public GenerateResult generate(int[] promptIds, GenerateOptions options) {
        return generate(promptIds, options, null);
    }

    /** As {@link #generate(int[], GenerateOptions)}, handing each token to {@code listener} as soon as it is final. */
    public GenerateResult generate(int[] promptIds, GenerateOptions options, TokenListener listener) {
        if (closed) throw new IllegalStateException("model " + source + " is closed");
        ModelConfig c = config();
        int[] prompt = promptIds;
        if (options.addBos() && c.bosId() >= 0) {
            prompt = new int[promptIds.length + 1];
            prompt[0] = c.bosId();
            System.arraycopy(promptIds, 0, prompt, 1, promptIds.length);
        }
        for (int id : prompt)
            if (id < 0 || id >= c.vocabSize())
                throw new IllegalArgumentException("prompt id " + id + " outside the vocabulary 0.." + (c.vocabSize() - 1));

        GenerateOptions.Decoder decoder = options.decoder() != null ? options.decoder()
                : c.futureTokens() > 1 ? GenerateOptions.Decoder.MTP : GenerateOptions.Decoder.NTP;
        int extra = c.futureTokens() - 1, drafts = 0;
        if (decoder == GenerateOptions.Decoder.MTP) {
            if (extra == 0) throw new IllegalArgumentException("decoder mtp needs a model with extra heads; this one predicts 1 token (use ntp)");
            drafts = options.draftHeads() < 0 ? extra : options.draftHeads();
            if (drafts < 1 || drafts > extra)
                throw new IllegalArgumentException("draft heads must lie in 1.." + extra + " for this model, is " + drafts);
        }

        // Text: the stream decoder sees the prompt first (some tokenizers render a token differently
        // at the start of a text), then each token as it becomes final.
        StreamDecoder text = tokenizer == null ? null : tokenizer.streamDecoder();
        if (text != null) for (int id : prompt) text.next(id);
        StringBuilder generated = new StringBuilder();
        java.util.function.IntFunction<String> pieces = text == null ? null : id -> {
            String piece = text.next(id);
            generated.append(piece);
            return piece;
        };

        long t0 = System.nanoTime();
        Generator g = new Generator(transformer, options.maxTokens(), options.temperature(), options.topP(),
                options.seed(), drafts, options.stopTokens(), listener, pieces);
        g.run(prompt);
        if (text != null) {
            String rest = text.flush();
            generated.append(rest);
            if (listener != null && !rest.isEmpty()) listener.onToken(-1, rest);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        int[] ids = g.ids();
        double tps = seconds > 0 ? ids.length / seconds : 0;
        double perForward = g.forwardPasses() == 0 ? 0 : (double) ids.length / g.forwardPasses();
        double rate = g.drafted() == 0 ? 0 : (double) g.accepted() / g.drafted();
        return new GenerateResult(prompt, ids, generated.toString(), tps, g.forwardPasses(), perForward, rate, decoder.id(), drafts);
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        if (resources != null) {
            try {
                resources.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing model " + source + ": " + e.getMessage(), e);
            }
        }
    }
}
