package dev.panamax.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamax.llm.GenerateOptions;
import dev.panamax.llm.GenerateResult;
import dev.panamax.llm.LanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code panamax generate}: run a language model on a prompt. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generate tokens from a model: a llama2.c .bin, a Meta folder (params.json + consolidated.pth or"
                + " .safetensors, MTP heads included) or a Hugging Face Llama folder (config.json + safetensors).",
                "Text streams as it is produced (token ids when the model has no tokenizer), then the speed.",
                "llama2.c models get BOS (1) before the prompt and stop when they produce 1, as run.c does."})
public final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "model file or folder (format detected)")
    Path model;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "prompt text (needs the model's tokenizer)")
    String prompt;

    @Option(names = "--prompt-ids", paramLabel = "IDS", split = ",", description = "prompt as token ids, e.g. 5,50,100")
    int[] promptIds;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "256", description = "tokens to generate at most (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0", description = "0 = greedy (default); > 0 samples")
    float temperature;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1", description = "nucleus sampling mass in (0, 1] when sampling (default ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "sampling seed, when sampling (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--decoder", paramLabel = "ntp|mtp", description = "ntp: head 1 only; mtp: self-speculative with the extra heads"
            + " (default: mtp when the model has extra heads, else ntp)")
    String decoder;

    @Option(names = "--draft-heads", paramLabel = "K", defaultValue = "-1", description = "extra heads mtp drafts with (default: all; only with mtp)")
    int draftHeads;

    @Option(names = "--json", description = "print one JSON object instead of streaming")
    boolean json;

    @Override public Integer call() throws Exception {
        if (prompt != null && promptIds != null) throw new ParameterException(spec.commandLine(), "give --prompt or --prompt-ids, not both");
        GenerateOptions.Decoder dec = null;
        if (decoder != null) {
            switch (decoder.toLowerCase(Locale.ROOT)) {
                case "ntp" -> dec = GenerateOptions.Decoder.NTP;
                case "mtp" -> dec = GenerateOptions.Decoder.MTP;
                default -> throw new ParameterException(spec.commandLine(), "--decoder must be ntp or mtp, is " + decoder);
            }
        }
        // an option that would change nothing is a mistake worth saying, not ignoring
        if (dec == GenerateOptions.Decoder.NTP && draftHeads != -1)
            throw new ParameterException(spec.commandLine(), "--draft-heads is for --decoder mtp (ntp drafts nothing)");
        GenerateOptions options;
        try {
            options = new GenerateOptions(maxTokens, temperature, topP, seed, dec, draftHeads, true, true);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }

        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (LanguageModel m = LanguageModel.load(model)) {
            boolean hasTokenizer = m.hasTokenizer();
            GenerateResult r;
            if (json) {
                r = prompt != null ? m.generate(prompt, options) : m.generate(ids(), options);
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("prompt_ids", r.promptIds());
                o.put("ids", r.ids());
                o.put("text", r.text());
                o.put("tokens_per_second", r.tokensPerSecond());
                o.put("forward_passes", r.forwardPasses());
                o.put("decoder", r.decoder());
                o.put("accepted_per_forward", r.acceptedPerForward());
                o.put("acceptance_rate", r.acceptanceRate());
                o.put("draft_heads", r.draftHeads());
                out.println(new ObjectMapper().writeValueAsString(o));
            } else {
                boolean[] first = {true};
                dev.panamax.llm.TokenListener stream = (id, text) -> {
                    if (hasTokenizer) out.print(text);
                    else out.print((first[0] ? "" : " ") + id);
                    first[0] = false;
                    out.flush();
                };
                r = prompt != null ? m.generate(prompt, options, stream) : m.generate(ids(), options, stream);
                out.println();
                out.printf(Locale.ROOT, "%d tokens, %.1f tokens/s, decoder %s", r.ids().length, r.tokensPerSecond(), r.decoder());
                if (r.draftHeads() > 0)
                    out.printf(Locale.ROOT, " (%d draft heads, %.2f tokens/forward, %.0f%% of drafts accepted)",
                            r.draftHeads(), r.acceptedPerForward(), 100 * r.acceptanceRate());
                out.println();
            }
        }
        return 0;
    }

    private int[] ids() { return promptIds == null ? new int[0] : Arrays.copyOf(promptIds, promptIds.length); }
}
