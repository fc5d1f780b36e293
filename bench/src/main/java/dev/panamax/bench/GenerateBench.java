package dev.panamax.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.panamax.llm.GenerateOptions;
import dev.panamax.llm.GenerateResult;
import dev.panamax.llm.LanguageModel;
import dev.panamax.tensor.DType;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code panamax bench generate}: next-token decoding speed on random-weight models against the
 * machine's read bandwidth, and against PyTorch eager on the same files.
 *
 * <p>Decoding one token streams every weight once, so a decoder's ceiling is the memory's read
 * bandwidth: {@code bandwidth_efficiency} = weight bytes per token × tokens/s ÷ {@code read_gbps},
 * the bandwidth the kernels' streaming read probe ({@code MemoryProbe}) reaches in the same run.
 *
 * <p>On a shared machine both sides swing several-fold from one second to the next, so they are
 * measured in alternation, token by token: after every generated token the probe reads the next
 * slice of its buffer, and the clock of the next decoding step starts when that read ends. Each
 * step is compared with the probe's reads just before and after it; a run's efficiency is the
 * median of its steps', and a model's the median of its runs': a busy moment slows the probe and
 * the decoding alike instead of skewing one side.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Greedy next-token decoding speed on random-weight models written to a temporary folder"
                + " (llama2.c stories shapes; llama2.c .bin F32 and Meta params.json + model.safetensors F32 and BF16),"
                + " against the read bandwidth measured in the same run and against PyTorch eager on the same files.",
                "Bandwidth efficiency = weight bytes per token × tokens/s ÷ read GB/s, token by token: after every token the read probe"
                + " reads the next slice of its buffer, outside the decoding's clock, and each decoding step is compared with the probe's reads"
                + " just before and after it. A run's figure is the median over its steps, a model's the median over its runs.",
                "Progress goes to stderr; the folder is deleted at the end."})
public final class GenerateBench implements Callable<Integer> {

    /** The files a model is benchmarked in. */
    enum Variant {
        LLAMA2C("llama2.c", DType.F32), META_F32("meta", DType.F32), META_BF16("meta", DType.BF16);

        final String format;
        final DType dtype;

        Variant(String format, DType dtype) { this.format = format; this.dtype = dtype; }

        String id() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

        static Variant parse(String s) {
            for (Variant v : values()) if (v.id().equalsIgnoreCase(s.trim())) return v;
            throw new IllegalArgumentException("unknown variant '" + s + "' (use llama2c, meta-f32, meta-bf16)");
        }
    }

    @Option(names = "--sizes", paramLabel = "LIST", defaultValue = "15M,110M",
            description = "model shapes, from tiny, 15M, 110M, 350M (default ${DEFAULT-VALUE})")
    String sizes;

    @Option(names = "--variants", paramLabel = "LIST", defaultValue = "llama2c,meta-f32,meta-bf16",
            description = "files to write per shape: llama2c (F32), meta-f32, meta-bf16 (default ${DEFAULT-VALUE})")
    String variants;

    @Option(names = "--tokens", paramLabel = "N", defaultValue = "64", description = "tokens generated per run (default ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--prompt-tokens", paramLabel = "N", defaultValue = "8", description = "prompt length in ids (default ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "5",
            description = "timed runs per model; medians over them count (default ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--torch", paramLabel = "auto|off", defaultValue = "auto",
            description = "compare with PyTorch eager when the Python has torch (default ${DEFAULT-VALUE})")
    String torch;

    @Option(names = "--python", paramLabel = "PATH", defaultValue = "/usr/bin/python3", description = "Python for the torch comparison (default ${DEFAULT-VALUE})")
    Path python;

    @Option(names = "--torch-tokens", paramLabel = "N", defaultValue = "16",
            description = "tokens per PyTorch run, one timed run after a warm-up, once with OMP_WAIT_POLICY=ACTIVE and once PASSIVE, the faster counting:"
                    + " eager decoding is slow, so this keeps the bench short (default ${DEFAULT-VALUE})")
    int torchTokens;

    @Option(names = "--torch-threads", paramLabel = "N", defaultValue = "2", description = "PyTorch threads (default ${DEFAULT-VALUE})")
    int torchThreads;

    @Option(names = "--bandwidth-mib", paramLabel = "MIB", defaultValue = "256",
            description = "buffer of the read-bandwidth probe; keep it far above the L3 (default ${DEFAULT-VALUE})")
    long bandwidthMib;

    @Option(names = "--probe-slice-mib", paramLabel = "MIB", defaultValue = "64",
            description = "MiB the read probe reads after each generated token, slice after slice through its buffer (default ${DEFAULT-VALUE})")
    long probeSliceMib;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "seed of the random weights (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Override public Integer call() throws Exception {
        if (tokens < 2) throw new IllegalArgumentException("--tokens must be >= 2, is " + tokens);
        if (torchTokens < 2) throw new IllegalArgumentException("--torch-tokens must be >= 2, is " + torchTokens);
        if (torchThreads < 1) throw new IllegalArgumentException("--torch-threads must be >= 1, is " + torchThreads);
        if (promptTokens < 1) throw new IllegalArgumentException("--prompt-tokens must be >= 1, is " + promptTokens);
        if (repeats < 1) throw new IllegalArgumentException("--repeats must be >= 1, is " + repeats);
        if (probeSliceMib < 1) throw new IllegalArgumentException("--probe-slice-mib must be >= 1, is " + probeSliceMib);
        if (bandwidthMib < 1) throw new IllegalArgumentException("--bandwidth-mib must be >= 1, is " + bandwidthMib);
        if (!torch.equals("auto") && !torch.equals("off")) throw new IllegalArgumentException("--torch must be auto or off, is " + torch);
        List<RandomModelWriter.Shape> shapes = RandomModelWriter.shapes(sizes);
        List<Variant> vs = new ArrayList<>();
        for (String v : variants.split(",")) if (!v.isBlank()) vs.add(Variant.parse(v));
        Map<String, Object> report = run(shapes, vs);
        print(report, System.out);
        return 0;
    }

    Map<String, Object> run(List<RandomModelWriter.Shape> shapes, List<Variant> vs) {
        Path folder = BenchSupport.tempFolder();
        try (ProgressBar bar = BenchSupport.progress("bench generate", 1 + (long) shapes.size() * vs.size() * 3);
             BenchSupport.ReadProbe probe = new BenchSupport.ReadProbe(bandwidthMib, probeSliceMib)) {
            bar.step();
            TorchRunner t = torch.equals("off") ? null : TorchRunner.find(python, folder);

            List<Map<String, Object>> rows = new ArrayList<>();
            List<Double> probes = new ArrayList<>();
            for (RandomModelWriter.Shape shape : shapes)
                for (Variant v : vs) {
                    rows.add(benchOne(folder, shape, v, t, probe, probes, bar));
                }

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("bench", "generate");
            report.put("machine", BenchSupport.machine());
            report.put("read_gbps", BenchSupport.round(BenchSupport.median(probes), 4));
            report.put("read_gbps_probes", probes.stream().map(g -> BenchSupport.round(g, 4)).toList());
            report.put("bandwidth_efficiency_method", "per decoding step: weight_bytes_per_token / the step's time / the mean GB/s of the read"
                    + " probe just before and after it (after every token the probe reads the next " + (probe.sliceBytes() >> 20) + " MiB of a "
                    + bandwidthMib + " MiB buffer, outside the decoding's clock); per run (efficiency_runs): the median over its steps;"
                    + " per model: the median over its " + repeats + " runs. read_gbps: the median of the runs' probe GB/s (read_gbps_probes)");
            report.put("prompt_tokens", promptTokens);
            report.put("tokens", tokens);
            report.put("repeats", repeats);
            Map<String, Object> torchInfo = new LinkedHashMap<>();
            torchInfo.put("available", t != null && t.available());
            torchInfo.put("version", t == null ? null : t.version);
            torchInfo.put("threads", torchThreads);
            torchInfo.put("skipped_because", t == null ? "--torch off" : t.unavailable);
            report.put("torch", torchInfo);
            report.put("models", rows);
            return report;
        } finally {
            BenchSupport.deleteTree(folder);
        }
    }

    private Map<String, Object> benchOne(Path folder, RandomModelWriter.Shape shape, Variant v, TorchRunner t,
                                         BenchSupport.ReadProbe probe, List<Double> allProbes, ProgressBar bar) {
        String label = shape.name() + " " + v.id();
        bar.setExtraMessage("writing " + label);
        Path path;
        if (v == Variant.LLAMA2C) {
            path = folder.resolve(shape.name() + ".bin");
            RandomModelWriter.writeLlama2c(path, shape, seed);
        } else {
            path = folder.resolve(shape.name() + "-" + v.dtype.name().toLowerCase(Locale.ROOT));
            RandomModelWriter.writeMeta(path, shape, v.dtype, seed);
        }
        bar.step();

        bar.setExtraMessage("panamax " + label);
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < prompt.length; i++) prompt[i] = 2 + (i * 37 + 11) % (shape.vocab() - 2); // never BOS/stop 1
        long bytes = shape.bytesPerToken(v.dtype);
        List<Double> tps = new ArrayList<>(), efficiency = new ArrayList<>(), probes = new ArrayList<>();
        Decode last = null;
        try (LanguageModel model = LanguageModel.load(path)) {
            GenerateOptions options = GenerateOptions.greedy().maxTokens(tokens).decoder(GenerateOptions.Decoder.NTP);
            decode(model, prompt, options, probe); // warm-up: the JIT compiles kernels and probe, the weights' pages come in
            for (int r = 0; r < repeats; r++) {
                last = decode(model, prompt, options, probe);
                tps.add(last.tokensPerSecond());
                probes.add(last.readGbps(probe.sliceBytes()));
                efficiency.add(last.efficiency(bytes, probe.sliceBytes()));
            }
        }
        allProbes.addAll(probes);
        int[] modelPrompt = last.result.promptIds();
        double medianTps = BenchSupport.median(tps);
        bar.step();

        Map<String, Object> row = new LinkedHashMap<>();
        row.put("size", shape.name());
        row.put("params", shape.params());
        row.put("format", v.format);
        row.put("dtype", v.dtype.name());
        row.put("weight_bytes_per_token", bytes);
        row.put("generated", last.result.ids().length);
        row.put("tokens_per_second", BenchSupport.round(medianTps, 4));
        row.put("achieved_gbps", BenchSupport.round(bytes * medianTps / 1e9, 4));
        row.put("read_gbps", BenchSupport.round(BenchSupport.median(probes), 4));
        row.put("bandwidth_efficiency", BenchSupport.round(BenchSupport.median(efficiency), 3));
        row.put("efficiency_runs", efficiency.stream().map(e -> BenchSupport.round(e, 3)).toList());
        row.put("tokens_per_second_runs", tps.stream().map(e -> BenchSupport.round(e, 4)).toList());

        bar.setExtraMessage("torch " + label);
        if (t != null && t.available()) {
            JsonNode out = t.generate(path, modelPrompt, Math.min(tokens, torchTokens), torchThreads, 1);
            double torchTps = out.path("tokens_per_second").asDouble();
            int[] ids = new int[out.path("ids").size()];
            for (int i = 0; i < ids.length; i++) ids[i] = out.path("ids").get(i).asInt();
            row.put("torch_tokens_per_second", BenchSupport.round(torchTps, 4));
            row.put("torch_omp_wait_policy", out.path("omp_wait_policy").asText()); // the faster of ACTIVE and PASSIVE
            row.put("torch_ratio", torchTps > 0 ? BenchSupport.round(medianTps / torchTps, 3) : null);
            // The first ids of both: float rounding may part them on near ties (BF16 matmuls in torch round activations too).
            row.put("torch_same_ids", Arrays.equals(ids, Arrays.copyOf(last.result.ids(), ids.length)));
        } else {
            row.put("torch_tokens_per_second", null);
            row.put("torch_omp_wait_policy", null);
            row.put("torch_ratio", null);
            row.put("torch_same_ids", null);
        }
        bar.step();
        BenchSupport.deleteTree(path); // a 110M model is 440 MB: keep the folder small
        return row;
    }

    /**
     * A timed run: step i (1 ≤ i < n, token i after token i-1) took {@code steps[i]} ns; after token
     * j the probe read one slice in {@code probes[j]} ns. Step i lies between probes i-1 and i.
     */
    private record Decode(GenerateResult result, int n, long[] steps, long[] probes) {

        /** Tokens/s over the steps after the first token, so the prompt's pass is not counted. */
        double tokensPerSecond() {
            long t = 0;
            for (int i = 1; i < n; i++) t += steps[i];
            return n >= 2 ? (n - 1) / (t / 1e9) : result.tokensPerSecond();
        }

        /** The probe's GB/s over the run. */
        double readGbps(long sliceBytes) {
            long t = 0;
            for (int j = 0; j < n; j++) t += probes[j];
            return n * (double) sliceBytes / t;
        }

        /** The median over the steps of the step's GB/s over the mean GB/s of the probes around it. */
        double efficiency(long bytesPerToken, long sliceBytes) {
            if (n < 2) return bytesPerToken * tokensPerSecond() / 1e9 / readGbps(sliceBytes);
            List<Double> ratios = new ArrayList<>();
            for (int i = 1; i < n; i++) {
                double probe = (sliceBytes / (double) probes[i - 1] + sliceBytes / (double) probes[i]) / 2;
                ratios.add(bytesPerToken / (double) steps[i] / probe);
            }
            return BenchSupport.median(ratios);
        }
    }

    /**
     * Greedy decoding. With a probe, it reads the probe's next slice after every token, and each
     * step's clock starts when that read ends.
     */
    private static Decode decode(LanguageModel model, int[] prompt, GenerateOptions options, BenchSupport.ReadProbe probe) {
        long[] steps = new long[options.maxTokens()], probes = new long[options.maxTokens()];
        long[] start = {0};
        int[] n = {0};
        GenerateResult r = model.generate(prompt, options, (id, text) -> {
            long now = System.nanoTime();
            int i = n[0]++;
            if (i > 0) steps[i] = now - start[0];
            if (probe != null) probes[i] = probe.readSlice();
            start[0] = System.nanoTime();
        });
        return new Decode(r, n[0], steps, probes);
    }

    private void print(Map<String, Object> report, PrintStream out) throws Exception {
        if (json) {
            out.println(BenchSupport.JSON.writeValueAsString(report));
            return;
        }
        out.printf(Locale.ROOT, "read bandwidth: %.1f GB/s, median over the runs (MemoryProbe streaming read of %d MiB after each token, through %d MiB)%n",
                (double) report.get("read_gbps"), Math.min(probeSliceMib, bandwidthMib), bandwidthMib);
        out.printf(Locale.ROOT, "%-6s %-9s %-5s %10s %9s %8s %7s %10s %7s%n",
                "size", "format", "dtype", "MB/token", "tok/s", "GB/s", "eff.", "torch t/s", "ratio");
        @SuppressWarnings("unchecked") List<Map<String, Object>> rows = (List<Map<String, Object>>) report.get("models");
        for (Map<String, Object> r : rows)
            out.printf(Locale.ROOT, "%-6s %-9s %-5s %10.1f %9.1f %8.2f %7s %10s %7s%n", r.get("size"), r.get("format"), r.get("dtype"),
                    ((long) r.get("weight_bytes_per_token")) / 1e6, (double) r.get("tokens_per_second"), (double) r.get("achieved_gbps"),
                    r.get("bandwidth_efficiency"), r.get("torch_tokens_per_second") == null ? "-" : r.get("torch_tokens_per_second"),
                    r.get("torch_ratio") == null ? "-" : r.get("torch_ratio"));
        @SuppressWarnings("unchecked") Map<String, Object> torchInfo = (Map<String, Object>) report.get("torch");
        if (!(boolean) torchInfo.get("available")) out.println("torch comparison skipped: " + torchInfo.get("skipped_because"));
        else out.println("torch " + torchInfo.get("version") + ", " + torchThreads + " threads, eager; ratio = Panamax tok/s / torch tok/s");
        out.println("tok/s: median of " + repeats + " runs; eff.: median over the runs of the median over their steps of the step's GB/s"
                + " / the read probe's GB/s just before and after it");
    }
}
