package dev.panamax.bench;

import dev.panamax.dnnl.DnnlLibrary;
import dev.panamax.kan.Csv;
import dev.panamax.kan.KanModel;
import dev.panamax.kernel.KernelProvider;
import dev.panamax.kernel.SplineKernels;
import dev.panamax.llm.GenerateOptions;
import dev.panamax.llm.GenerateResult;
import dev.panamax.llm.LanguageModel;
import dev.panamax.llm.ModelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code panamax demo}: what Panamax does, in a few seconds, on the models it ships with.
 *
 * <ol>
 *   <li>the machine: CPU, the kernels in use and their vector width, oneDNN's status;</li>
 *   <li>the bundled MTP code model completes a few held-out prompts twice, greedy: with {@code ntp}
 *       (one token per forward pass) and with {@code mtp} (the extra heads draft, head 1 verifies them
 *       in one k-row pass); the text must be the same, only faster;</li>
 *   <li>the bundled KAN predicts its sample inputs, and its speed in samples/s.</li>
 * </ol>
 *
 * Every figure comes from the engine's public API ({@link LanguageModel}, {@link KanModel}); the
 * thorough measurements are {@code panamax bench mtp} and {@code panamax bench kan}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Show Panamax on the bundled models: ntp and mtp greedy generation side by side on held-out"
                + " prompts (same text, tokens/s, speedup, acceptance), a KAN on sample inputs (outputs, samples/s),"
                + " and the kernels and oneDNN status in use. About 5–20 s once built."})
public final class DemoCommand implements Callable<Integer> {
    /** The bundled models, relative to the Panamax folder. */
    static final String DEFAULT_MODEL = "models/code-mtp4", DEFAULT_KAN = "models/kan-expsin";

    @Option(names = "--model", paramLabel = "PATH",
            description = "MTP model folder with " + MtpBench.PROMPTS_FILE + " beside it (default " + DEFAULT_MODEL + ")")
    Path model;

    @Option(names = "--prompts", paramLabel = "N", defaultValue = "3", description = "held-out prompts to complete (default ${DEFAULT-VALUE})")
    int prompts;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "96", description = "tokens per completion at most (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "3",
            description = "runs of each decoder per prompt, alternating; the fastest counts (default ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--kan", paramLabel = "PATH", description = "KAN checkpoint (default " + DEFAULT_KAN + ")")
    Path kan;

    @Option(names = "--kan-input", paramLabel = "CSV", description = "KAN inputs, one sample a row (default: samples.csv beside the KAN)")
    Path kanInput;

    private PrintStream out;
    private long start;

    @Override public Integer call() throws Exception {
        if (prompts < 1) throw new IllegalArgumentException("--prompts must be >= 1, is " + prompts);
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be >= 1, is " + maxTokens);
        if (repeats < 1) throw new IllegalArgumentException("--repeats must be >= 1, is " + repeats);
        out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        start = System.nanoTime();
        Path modelPath = model != null ? model : bundled(DEFAULT_MODEL);
        Path kanPath = kan != null ? kan : bundled(DEFAULT_KAN);
        // Named paths are checked before the minute of generation, not after it.
        for (Path p : new Path[] {model, kan, kanInput})
            if (p != null && !Files.exists(p) && !Files.exists(Path.of(p + "_config.yml")))
                throw new IllegalArgumentException(p + ": no such file or folder");
        Path input = kanInput != null ? kanInput : (Files.isDirectory(kanPath) ? kanPath : kanPath.toAbsolutePath().getParent()).resolve("samples.csv");
        try (KanModel k = KanModel.load(kanPath)) {
            float[][] samples = Csv.readSamples(input, k.inputWidth()); // read (and any fault in them said) before the generation too

            out.println("Panamax demo: multi-token-prediction decoding and a Kolmogorov-Arnold network on this CPU");
            step(1, "machine");
            machine();
            step(2, "language model " + modelPath);
            generation(modelPath);
            step(3, "KAN " + kanPath);
            kan(k, input, samples);
        }
        out.printf(Locale.ROOT, "%ndone in %.1f s. Measure more with 'panamax bench mtp|kan|all' (see README.md).%n", seconds());
        return 0;
    }

    /** A bundled file: under the Panamax folder the launcher names ({@code panamax.home}), else under the working folder. */
    static Path bundled(String relative) {
        String home = System.getProperty("panamax.home");
        Path p = home != null ? Path.of(home).resolve(relative) : Path.of(relative);
        if (!Files.exists(p))
            throw new IllegalArgumentException("the bundled model " + p + " is missing (a partial clone?); pass its path with --model/--kan");
        // Shown in reports and output: relative to where the user stands when the project is there,
        // so that a report does not carry one machine's folder names.
        Path here = Path.of("").toAbsolutePath();
        Path abs = p.toAbsolutePath().normalize();
        return abs.startsWith(here) ? here.relativize(abs) : p;
    }

    private void step(int n, String what) {
        out.printf(Locale.ROOT, "%n[%d/3 %5.1f s] %s%n", n, seconds(), what);
    }

    private double seconds() { return (System.nanoTime() - start) / 1e9; }

    private void machine() {
        var m = BenchSupport.machine();
        out.printf(Locale.ROOT, "  CPU       %s, %d cores; %s%n", m.get("cpu"), (int) m.get("cores"), m.get("jdk"));
        String reason = KernelProvider.scalarReason();
        out.printf(Locale.ROOT, "  kernels   %s, %d-bit vectors, %d worker threads%s%n", KernelProvider.kernels().name(),
                KernelProvider.vectorBits(), KernelProvider.pool().threads(), reason == null ? "" : " (" + reason + ")");
        out.printf(Locale.ROOT, "  splines   %s%n", SplineKernels.best().getClass().getSimpleName());
        DnnlLibrary.Status s = DnnlLibrary.status();
        out.printf(Locale.ROOT, "  oneDNN    %s%n", s.available() ? "version " + s.version() + " from " + s.library()
                : "not in use: " + s.reason() + " (the Java kernels do all the work)");
    }

    private void generation(Path modelPath) {
        List<MtpBench.Prompt> all = MtpBench.readPrompts(MtpBench.defaultPrompts(modelPath));
        List<MtpBench.Prompt> chosen = all.subList(0, Math.min(prompts, all.size()));
        try (LanguageModel lm = LanguageModel.load(modelPath)) {
            ModelConfig c = lm.config();
            if (c.futureTokens() < 2)
                throw new IllegalArgumentException(modelPath + " predicts 1 token (n_future_tokens = 1): the demo needs an MTP model");
            out.printf(Locale.ROOT, "  %s layout, %.1fM parameters, %d layers, dim %d, vocabulary %d, %d heads (head 1 + %d drafting)%s%n",
                    lm.format(), MtpBench.params(c) / 1e6, c.layers(), c.dim(), c.vocabSize(), c.futureTokens(), c.futureTokens() - 1,
                    lm.hasTokenizer() ? ", with its tokenizer" : ", no tokenizer (ids only)");
            GenerateOptions ntp = GenerateOptions.greedy().maxTokens(maxTokens).decoder(GenerateOptions.Decoder.NTP);
            GenerateOptions mtp = ntp.decoder(GenerateOptions.Decoder.MTP);
            out.printf(Locale.ROOT, "  warming up (the JIT compiles the kernels)...%n");
            chosen.getFirst().generate(lm, ntp);
            chosen.getFirst().generate(lm, mtp);

            double ntpSeconds = 0, mtpSeconds = 0;
            long ntpTokens = 0, mtpTokens = 0, passes = 0, drafted = 0, accepted = 0;
            boolean allSame = true;
            for (int i = 0; i < chosen.size(); i++) {
                MtpBench.Prompt p = chosen.get(i);
                out.printf(Locale.ROOT, "%n  prompt %d/%d (held out from training), greedy, up to %d tokens, fastest of %d runs each:%n",
                        i + 1, chosen.size(), maxTokens, repeats);
                out.println(indent(promptText(lm, p), "    > "));
                // Alternate the decoders and keep each one's fastest run: on a shared machine a busy
                // neighbour then slows both alike instead of deciding the comparison.
                GenerateResult a = null, b = null;
                boolean same = true;
                for (int r = 0; r < repeats; r++) {
                    GenerateResult x = p.generate(lm, ntp), y = p.generate(lm, mtp);
                    same &= Arrays.equals(x.ids(), y.ids()) && (a == null || Arrays.equals(a.ids(), x.ids()));
                    if (a == null || x.tokensPerSecond() > a.tokensPerSecond()) a = x;
                    if (b == null || y.tokensPerSecond() > b.tokensPerSecond()) b = y;
                }
                allSame &= same;
                out.println(indent(completion(lm, a), "    ntp | "));
                if (!same) out.println(indent(completion(lm, b), "    mtp | "));
                out.printf(Locale.ROOT, "    ntp  %3d tokens %8.1f tokens/s  %3d forward passes%n", a.ids().length, a.tokensPerSecond(), a.forwardPasses());
                out.printf(Locale.ROOT, "    mtp  %3d tokens %8.1f tokens/s  %3d forward passes, %.2f tokens each, %.0f%% of drafts accepted%n",
                        b.ids().length, b.tokensPerSecond(), b.forwardPasses(), b.acceptedPerForward(), 100 * b.acceptanceRate());
                out.printf(Locale.ROOT, "    mtp text identical to ntp: %s   speedup %.2fx%n", same ? "yes" : "NO", b.tokensPerSecond() / a.tokensPerSecond());
                ntpSeconds += a.ids().length / a.tokensPerSecond();
                mtpSeconds += b.ids().length / b.tokensPerSecond();
                ntpTokens += a.ids().length;
                mtpTokens += b.ids().length;
                passes += b.forwardPasses();
                int verifies = Math.max(0, b.forwardPasses() - 1); // the prompt's pass verifies nothing
                drafted += (long) verifies * b.draftHeads();
                accepted += Math.round(b.acceptanceRate() * verifies * b.draftHeads());
            }
            double ntpTps = ntpTokens / ntpSeconds, mtpTps = mtpTokens / mtpSeconds;
            out.printf(Locale.ROOT, "%n  all %d prompts: ntp %.1f tokens/s, mtp %.1f tokens/s, speedup %.2fx; %.2f tokens per forward pass,"
                            + " %.0f%% of drafts accepted; identical text: %s%n", chosen.size(), ntpTps, mtpTps, mtpTps / ntpTps,
                    (double) mtpTokens / passes, drafted == 0 ? 0.0 : 100.0 * accepted / drafted, allSame ? "yes" : "NO");
        }
    }

    private static String promptText(LanguageModel lm, MtpBench.Prompt p) {
        if (p.text() != null) return p.text();
        return lm.tokenizer().map(t -> t.decode(p.ids())).orElse("ids " + Arrays.toString(p.ids()));
    }

    private static String completion(LanguageModel lm, GenerateResult r) {
        if (lm.hasTokenizer()) return r.text();
        return "ids " + Arrays.toString(r.ids());
    }

    /** Every line of {@code s} behind {@code prefix}; whitespace-only text shown as such. */
    private static String indent(String s, String prefix) {
        if (s.isBlank()) return prefix + "(" + s.length() + " whitespace characters)";
        StringBuilder b = new StringBuilder();
        for (String line : s.stripTrailing().split("\n", -1)) b.append(b.isEmpty() ? "" : "\n").append(prefix).append(line);
        return b.toString();
    }

    private void kan(KanModel k, Path input, float[][] x) {
        out.printf(Locale.ROOT, "  %s checkpoint, widths %s, %d parameters%n", k.format(), widths(k), k.parameterCount());
        float[][] y = k.predict(x);
        double[] truth = truth(input, x.length);
        int shown = Math.min(8, x.length);
        out.printf(Locale.ROOT, "  inputs from %s (%d samples, first %d shown)%s:%n", input, x.length, shown,
                truth == null ? "" : ", with the formula the KAN learned");
        for (int r = 0; r < shown; r++)
            out.printf(Locale.ROOT, "    %-28s -> %s%s%n", format(x[r]), format(y[r]),
                    truth == null ? "" : String.format(Locale.ROOT, "   (formula %9.5f)", truth[r]));
        for (int batch : new int[] {1, 4096})
            out.printf(Locale.ROOT, "  batch %4d: %,12.0f samples/s (path per layer: %s)%n", batch, samplesPerSecond(k, x, batch), k.paths(batch));
    }

    /**
     * The "formula" column of {@code samples-expected.csv} beside the inputs (models/train_kan.py writes
     * it), or null when there is none or it does not fit.
     */
    private static double[] truth(Path input, int rows) {
        Path f = input.resolveSibling("samples-expected.csv");
        try {
            if (!Files.isRegularFile(f)) return null;
            List<String> lines = Files.readAllLines(f);
            int col = Arrays.asList(lines.getFirst().split(",")).indexOf("formula");
            if (col < 0 || lines.size() - 1 != rows) return null;
            double[] v = new double[rows];
            for (int r = 0; r < rows; r++) v[r] = Double.parseDouble(lines.get(r + 1).split(",")[col].strip());
            return v;
        } catch (java.io.IOException | RuntimeException e) {
            return null; // an extra, never a reason to fail the demo
        }
    }

    private static String widths(KanModel k) {
        StringBuilder b = new StringBuilder("[").append(k.inputWidth());
        for (var l : k.layers()) b.append(", ").append(l.nodes());
        return b.append(']').toString();
    }

    private static String format(float[] v) {
        StringBuilder b = new StringBuilder();
        for (float f : v) b.append(b.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%9.5f", f));
        return b.toString();
    }

    /** Samples/s of batches of {@code batch} rows (the samples repeated), best of a few timed passes of ~0.2 s. */
    private static double samplesPerSecond(KanModel k, float[][] samples, int batch) {
        int in = k.inputWidth();
        float[] flat = new float[batch * in];
        for (int r = 0; r < batch; r++) System.arraycopy(samples[r % samples.length], 0, flat, r * in, in);
        // Warm-up by time, not by calls: a few calls of a large batch end before the JIT has compiled the kernels.
        for (long w0 = System.nanoTime(); System.nanoTime() - w0 < 300_000_000L; ) k.forward(flat, batch);
        double best = 0;
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime(), n = 0;
            do {
                k.forward(flat, batch);
                n += batch;
            } while (System.nanoTime() - t0 < 200_000_000L);
            best = Math.max(best, n / ((System.nanoTime() - t0) / 1e9));
        }
        return best;
    }
}
