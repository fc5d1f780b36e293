package dev.panamax.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.panamax.llm.GenerateOptions;
import dev.panamax.llm.GenerateResult;
import dev.panamax.llm.LanguageModel;
import dev.panamax.llm.ModelConfig;
import dev.panamax.llm.StepTimer;
import dev.panamax.tensor.DType;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code panamax bench mtp}: how much faster self-speculative MTP decoding is than next-token
 * decoding on one model, and why.
 *
 * <p>The same prompts run greedy with {@code ntp} and with {@code mtp} in one process (after a
 * warm-up over the first prompts), which gives the speedup, the tokens each forward pass yields, and a check that the ids
 * are identical. The {@code verify_cost} curve explains the speedup: a decoding step of MTP runs k
 * rows through the trunk and head 1 (k = 1 + drafts) where NTP runs one, plus the draft heads on one
 * row; on a bandwidth-bound CPU the k-row pass costs little more than the 1-row pass because each
 * weight is streamed once for all rows. The predicted speedup is then
 * {@code accepted_per_forward / (cost(k) + draft_cost)}, every cost relative to the 1-row pass.
 */
@Command(name = "mtp", mixinStandardHelpOptions = true,
        description = {"Speed of mtp against ntp greedy decoding on one model over held-out prompts, with the"
                + " verify-cost curve (time of a k-row forward / a 1-row forward, k = 1..n+1) on the model itself"
                + " and on random-weight MTP models of the given sizes, and the speedup they predict.",
                "Prompts: --prompts FILE, else the model folder's " + MtpBench.PROMPTS_FILE + " (one JSON object per line"
                        + " with \"ids\", or \"text\" for a model with a tokenizer; a bare JSON array of ids also works)."})
public final class MtpBench implements Callable<Integer> {
    /** The held-out prompts file the models' export writes beside the weights (models/train.py). */
    static final String PROMPTS_FILE = "heldout-prompts.jsonl";

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "an MTP model: Meta folder or file")
    Path modelPath;

    @Option(names = "--prompts", paramLabel = "FILE", description = "prompts file (default: the model folder's " + PROMPTS_FILE + ")")
    Path promptsFile;

    @Option(names = "--limit", paramLabel = "N", description = "use the first N prompts only (default: all)")
    Integer limit;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "64", description = "tokens per prompt at most (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--verify-sizes", paramLabel = "LIST", defaultValue = "15M,110M,350M",
            description = "random-weight MTP models for the verify-cost curve, from tiny, 15M, 110M, 350M;"
                    + " 'none' for the model's own curve only (default ${DEFAULT-VALUE})")
    String verifySizes;

    @Option(names = "--verify-dtype", paramLabel = "LIST", defaultValue = "BF16,F32",
            description = "weights of the random verify-cost models, F32 and/or BF16, one curve per size and dtype (default ${DEFAULT-VALUE}:"
                    + " BF16 as the bundled models; F32 streams twice the bytes per multiply-add, so its k-row passes stay bound by memory"
                    + " where BF16's become bound by arithmetic on few cores)")
    String verifyDtype;

    @Option(names = "--verify-reps", paramLabel = "N", defaultValue = "9", description = "timed rounds per curve; the fastest of each counts (default ${DEFAULT-VALUE})")
    int verifyReps;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "seed of the random weights (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--draft-heads", paramLabel = "K", defaultValue = "-1",
            description = "extra heads mtp drafts with, 1..n-1 (default: all); the predicted speedups use K + 1 rows and K draft heads")
    int draftHeads;

    @Option(names = "--json", description = "print one JSON object instead of a summary")
    boolean json;

    /** Positions cached before each timed verify pass: a short context, as early in a generation. */
    private static final int PREFIX = 32;

    /** A prompt: ids, or text for a model with a tokenizer. */
    record Prompt(int[] ids, String text) {
        /** The model's completion of this prompt: from the ids when there are some, else from the text. */
        GenerateResult generate(LanguageModel model, GenerateOptions o) {
            return ids != null ? model.generate(ids, o) : model.generate(text, o);
        }
    }

    @Override public Integer call() throws Exception {
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be >= 1, is " + maxTokens);
        if (verifyReps < 1) throw new IllegalArgumentException("--verify-reps must be >= 1, is " + verifyReps);
        if (limit != null && limit < 1) throw new IllegalArgumentException("--limit must be >= 1, is " + limit); // not 'all'
        if (draftHeads == 0 || draftHeads < -1) throw new IllegalArgumentException("--draft-heads must be >= 1, is " + draftHeads);
        List<DType> dtypes = new ArrayList<>();
        for (String d : verifyDtype.split(",")) {
            DType dtype = switch (d.strip().toUpperCase(Locale.ROOT)) {
                case "F32" -> DType.F32;
                case "BF16" -> DType.BF16;
                default -> throw new IllegalArgumentException("--verify-dtype must list F32 and/or BF16, is " + verifyDtype);
            };
            if (!dtypes.contains(dtype)) dtypes.add(dtype);
        }
        List<RandomModelWriter.Shape> shapes = verifySizes.equalsIgnoreCase("none") ? List.of() : RandomModelWriter.shapes(verifySizes);
        Path file = promptsFile != null ? promptsFile : defaultPrompts(modelPath);
        List<Prompt> prompts = readPrompts(file);
        if (limit != null && prompts.size() > limit) prompts = prompts.subList(0, limit);
        Map<String, Object> report = run(prompts, file, shapes, dtypes);
        print(report, System.out);
        return 0;
    }

    static Path defaultPrompts(Path model) {
        if (!Files.exists(model)) throw new IllegalArgumentException(model + ": no such file or folder");
        Path folder = Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
        Path f = folder.resolve(PROMPTS_FILE);
        if (!Files.isRegularFile(f))
            throw new IllegalArgumentException("no prompts: " + f + " does not exist; pass --prompts FILE");
        return f;
    }

    /** One prompt per non-blank line: {"ids": [...]} or {"text": "..."} (ids win when both are there), or [ids]. */
    static List<Prompt> readPrompts(Path file) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such prompts file");
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("reading prompts " + file, e);
        }
        List<Prompt> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            JsonNode n;
            try {
                n = BenchSupport.JSON.readTree(line);
            } catch (IOException e) { // the original message: the full one adds a line on where Jackson was reading
                String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": not JSON: " + why);
            }
            JsonNode ids = n.isArray() ? n : n.path("ids");
            if (ids.isArray() && !ids.isEmpty()) {
                int[] a = new int[ids.size()];
                for (int j = 0; j < a.length; j++) {
                    if (!ids.get(j).canConvertToInt()) throw new IllegalArgumentException(file + " line " + (i + 1) + ": id " + ids.get(j) + " is not an integer");
                    a[j] = ids.get(j).asInt();
                }
                out.add(new Prompt(a, n.path("text").asText(null)));
            } else if (n.path("text").isTextual()) {
                out.add(new Prompt(null, n.get("text").asText()));
            } else {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected {\"ids\": [...]}, {\"text\": \"...\"} or [ids]");
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException(file + ": no prompts");
        return out;
    }

    /**
     * The model, once the checks that need it have passed: before the progress bar starts, so that a
     * fault is said on a line of its own. It is closed when one fails.
     */
    private LanguageModel checked(LanguageModel model, List<Prompt> prompts, Path file) {
        try {
            ModelConfig c = model.config();
            if (c.futureTokens() < 2)
                throw new IllegalArgumentException(modelPath + " predicts 1 token (n_future_tokens = 1): mtp needs extra heads");
            for (Prompt p : prompts)
                if (p.ids == null && !model.hasTokenizer())
                    throw new IllegalArgumentException(file + ": a prompt has text but no ids, and " + modelPath + " has no tokenizer");
            if (draftHeads > c.futureTokens() - 1)
                throw new IllegalArgumentException("--draft-heads " + draftHeads + " outside 1.." + (c.futureTokens() - 1) + " (the model's extra heads)");
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    Map<String, Object> run(List<Prompt> prompts, Path file, List<RandomModelWriter.Shape> shapes, List<DType> dtypes) {
        Map<String, Object> report = new LinkedHashMap<>();
        try (LanguageModel model = checked(LanguageModel.load(modelPath), prompts, file);
             ProgressBar bar = BenchSupport.progress("bench mtp", 2L * prompts.size() + 1 + 2L * shapes.size() * dtypes.size())) {
            ModelConfig c = model.config();
            GenerateOptions ntp = GenerateOptions.greedy().maxTokens(maxTokens).decoder(GenerateOptions.Decoder.NTP);
            GenerateOptions mtp = ntp.decoder(GenerateOptions.Decoder.MTP).draftHeads(draftHeads);
            bar.setExtraMessage("warm-up");
            warmUp(model, prompts, ntp, mtp);

            long ntpNanos = 0, mtpNanos = 0, ntpTokens = 0, mtpTokens = 0, passes = 0;
            double rateWeighted = 0, rateWeights = 0;
            boolean identical = true;
            int drafts = 0;
            for (int i = 0; i < prompts.size(); i++) {
                bar.setExtraMessage("prompt " + (i + 1) + " ntp");
                long t0 = System.nanoTime();
                GenerateResult a = prompts.get(i).generate(model, ntp);
                ntpNanos += System.nanoTime() - t0;
                bar.step();
                bar.setExtraMessage("prompt " + (i + 1) + " mtp");
                t0 = System.nanoTime();
                GenerateResult b = prompts.get(i).generate(model, mtp);
                mtpNanos += System.nanoTime() - t0;
                bar.step();
                ntpTokens += a.ids().length;
                mtpTokens += b.ids().length;
                passes += b.forwardPasses();
                drafts = b.draftHeads();
                // Weighted by verify passes (the prompt's pass drafts nothing to verify).
                rateWeighted += b.acceptanceRate() * Math.max(0, b.forwardPasses() - 1);
                rateWeights += Math.max(0, b.forwardPasses() - 1);
                identical &= Arrays.equals(a.ids(), b.ids());
            }
            double ntpTps = ntpTokens / (ntpNanos / 1e9), mtpTps = mtpTokens / (mtpNanos / 1e9);
            double perForward = passes == 0 ? 0 : (double) mtpTokens / passes;

            report.put("bench", "mtp");
            report.put("model", modelPath.toString());
            report.put("machine", BenchSupport.machine());
            report.put("n_future_tokens", c.futureTokens());
            report.put("draft_heads", drafts);
            report.put("prompts_file", file.toString());
            report.put("max_tokens", maxTokens);
            report.put("prompts", prompts.size());
            report.put("ntp_tokens", ntpTokens);
            report.put("mtp_tokens", mtpTokens);
            report.put("ntp_tokens_per_second", BenchSupport.round(ntpTps, 4));
            report.put("mtp_tokens_per_second", BenchSupport.round(mtpTps, 4));
            report.put("speedup", BenchSupport.round(mtpTps / ntpTps, 3));
            report.put("accepted_per_forward", BenchSupport.round(perForward, 4));
            report.put("acceptance_rate", BenchSupport.round(rateWeights == 0 ? 0 : rateWeighted / rateWeights, 4));
            report.put("identical", identical);

            // The verify-cost curve: on the model itself, then on random-weight models of the given sizes.
            int n = c.futureTokens(), used = drafts + 1;
            List<Map<String, Object>> curves = new ArrayList<>();
            bar.setExtraMessage("verify cost: model");
            curves.add(curve("model", params(c), null, model, n, used, perForward));
            bar.step();
            Path folder = BenchSupport.tempFolder();
            try {
                for (RandomModelWriter.Shape s0 : shapes)
                    for (DType dtype : dtypes) {
                        RandomModelWriter.Shape s = s0.withFutureTokens(n);
                        String label = s.name() + " " + dtype.name();
                        bar.setExtraMessage("writing " + label + " (" + n + " heads)");
                        Path dir = folder.resolve(s.name() + "-" + dtype.name().toLowerCase(Locale.ROOT));
                        RandomModelWriter.writeMeta(dir, s, dtype, seed);
                        bar.step();
                        bar.setExtraMessage("verify cost: " + label);
                        try (LanguageModel m = LanguageModel.load(dir)) {
                            curves.add(curve(s.name(), s.params(), dtype, m, n, used, perForward));
                        }
                        BenchSupport.deleteTree(dir); // a 350M F32 model is 1.5 GB: one at a time
                        bar.step();
                    }
            } finally {
                BenchSupport.deleteTree(folder);
            }
            List<Integer> ks = new ArrayList<>();
            for (int k = 1; k <= n + 1; k++) ks.add(k);
            Map<String, Object> verify = new LinkedHashMap<>();
            verify.put("k", ks);
            verify.put("rows_per_mtp_step", n);
            verify.put("prefix", PREFIX);
            verify.put("reps", verifyReps);
            verify.put("models", curves);
            report.put("verify_cost", verify);
        }
        return report;
    }

    /** Prompts each decoder runs before the timed ones; see {@link #warmUp}. */
    static final int WARMUP_PROMPTS = 8;

    /**
     * Runs the first {@link #WARMUP_PROMPTS} prompts (all, when fewer) with each decoder, untimed.
     * One prompt is not enough: until the JIT has compiled the kernels for every row count the
     * decoders use (mtp's k-row tiles come later than ntp's 1-row ones) a token costs up to ten
     * times its steady cost, and the first timed prompts then decide the speedup. On code-mtp4 the
     * first 16 prompts ran at 4.6 ms per ntp token, the same prompts again at 0.4 ms.
     */
    static void warmUp(LanguageModel model, List<Prompt> prompts, GenerateOptions ntp, GenerateOptions mtp) {
        for (Prompt p : prompts.subList(0, Math.min(WARMUP_PROMPTS, prompts.size()))) {
            p.generate(model, ntp);
            p.generate(model, mtp);
        }
    }

    /**
     * Fastest time of a k-row verify pass for k = 1..n+1, and of the drafting pass, each divided by the
     * 1-row pass. The fastest, not the median: on a shared machine other processes only ever add time,
     * and the rounds interleave the k so that drift hits all alike.
     */
    private Map<String, Object> curve(String name, long params, DType dtype, LanguageModel m, int n, int used, double perForward) {
        StepTimer timer = new StepTimer(m, PREFIX, n + 1);
        int rounds = verifyReps + 2; // two warm-up rounds
        long[][] ns = new long[n + 2][verifyReps];
        StepTimer.StepProfile ntpParts = null, mtpParts = null; // each part's fastest over the rounds
        for (int r = 0; r < rounds; r++) {
            for (int k = 1; k <= n + 1; k++) {
                long t = timer.verifyNanos(k);
                long d = k == used ? timer.draftNanos(used - 1) : 0;
                if (r < 2) continue;
                ns[k][r - 2] = t;
                if (k == used) ns[0][r - 2] = d;
            }
            StepTimer.StepProfile a = timer.profile(1, 0), b = timer.profile(used, used - 1);
            if (r < 2) continue;
            ntpParts = fastest(ntpParts, a);
            mtpParts = fastest(mtpParts, b);
        }
        double one = fastest(ns[1]);
        List<Double> cost = new ArrayList<>();
        for (int k = 1; k <= n + 1; k++) cost.add(BenchSupport.round(fastest(ns[k]) / one, 4));
        double draft = fastest(ns[0]) / one;
        double step = fastest(ns[used]) / one + draft;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("size", name);
        out.put("params", params);
        out.put("dtype", dtype == null ? null : dtype.name());
        out.put("one_row_ms", BenchSupport.round(one / 1e6, 4));
        out.put("cost", cost);
        out.put("draft_cost", BenchSupport.round(draft, 4));
        out.put("mtp_step_cost", BenchSupport.round(step, 4));
        out.put("predicted_speedup", BenchSupport.round(perForward / step, 3));
        out.put("ntp_step_profile", parts(ntpParts, one));
        out.put("mtp_step_profile", parts(mtpParts, one));
        return out;
    }

    /** Each part of a step over the 1-row pass. */
    private static Map<String, Object> parts(StepTimer.StepProfile p, double one) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("trunk", BenchSupport.round(p.trunk() / one, 4));
        m.put("head_1", BenchSupport.round(p.head() / one, 4));
        m.put("unembedding", BenchSupport.round(p.unembedding() / one, 4));
        m.put("argmax", BenchSupport.round(p.argmax() / one, 4));
        m.put("draft_heads", BenchSupport.round(p.draftHeads() / one, 4));
        m.put("draft_unembedding", BenchSupport.round(p.draftUnembedding() / one, 4));
        m.put("draft_argmax", BenchSupport.round(p.draftArgmax() / one, 4));
        m.put("total", BenchSupport.round(p.total() / one, 4));
        return m;
    }

    /** Part by part the smaller of two profiles (null: none yet). */
    private static StepTimer.StepProfile fastest(StepTimer.StepProfile a, StepTimer.StepProfile b) {
        if (a == null) return b;
        return new StepTimer.StepProfile(Math.min(a.trunk(), b.trunk()), Math.min(a.head(), b.head()),
                Math.min(a.unembedding(), b.unembedding()), Math.min(a.argmax(), b.argmax()), Math.min(a.draftHeads(), b.draftHeads()),
                Math.min(a.draftUnembedding(), b.draftUnembedding()), Math.min(a.draftArgmax(), b.draftArgmax()));
    }

    private static double fastest(long[] v) {
        return Arrays.stream(v).min().orElseThrow();
    }

    /** Parameters a model computes with: embedding, every block, final norm and classifier. */
    static long params(ModelConfig c) {
        long d = c.dim(), block = 2 * d * d + 2 * d * c.kvDim() + 3 * d * c.hiddenDim() + 2 * d;
        return 2L * c.vocabSize() * d + c.layers() * block + d;
    }

    private void print(Map<String, Object> r, PrintStream out) throws Exception {
        if (json) {
            out.println(BenchSupport.JSON.writeValueAsString(r));
            return;
        }
        out.printf(Locale.ROOT, "%s: %d prompts, up to %d tokens, %d heads (%d drafting)%n", r.get("model"), (int) r.get("prompts"),
                maxTokens, (int) r.get("n_future_tokens"), (int) r.get("draft_heads"));
        out.printf(Locale.ROOT, "ntp %.1f tok/s, mtp %.1f tok/s: speedup %.2fx; %.2f tokens per forward, %.0f%% of drafts accepted; ids identical: %s%n",
                (double) r.get("ntp_tokens_per_second"), (double) r.get("mtp_tokens_per_second"), (double) r.get("speedup"),
                (double) r.get("accepted_per_forward"), 100 * (double) r.get("acceptance_rate"), r.get("identical"));
        @SuppressWarnings("unchecked") Map<String, Object> v = (Map<String, Object>) r.get("verify_cost");
        out.println("verify cost (time of a k-row pass / 1-row pass, k = " + v.get("k") + "), draft heads' pass, predicted speedup:");
        @SuppressWarnings("unchecked") List<Map<String, Object>> curves = (List<Map<String, Object>>) v.get("models");
        for (Map<String, Object> c : curves) {
            out.printf(Locale.ROOT, "  %-6s %6.0fM %-5s 1 row %8.3f ms  cost %s  draft %.3f  predicted %.2fx%n", c.get("size"),
                    ((long) c.get("params")) / 1e6, c.get("dtype") == null ? "" : c.get("dtype"), (double) c.get("one_row_ms"),
                    c.get("cost"), (double) c.get("draft_cost"), (double) c.get("predicted_speedup"));
            @SuppressWarnings("unchecked") Map<String, Object> p = (Map<String, Object>) c.get("mtp_step_profile");
            StringBuilder line = new StringBuilder("         one mtp step in 1-row passes:");
            p.forEach((part, x) -> line.append(part.equals("total") ? " = " : " " + part.replace('_', ' ') + " ").append(x));
            out.println(line);
        }
    }
}
