package dev.panamax.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.panamax.kan.BaseFunction;
import dev.panamax.kan.KanLayer;
import dev.panamax.kan.KanModel;
import dev.panamax.kan.Knots;
import dev.panamax.kernel.Gemm;
import dev.panamax.kernel.KernelProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code panamax bench kan}: samples per second of KANs [2,5,1] G=5 and [64,256,256,10] G=5 and
 * G=20 (k = 3) at batch 1, 64 and 4096, against an MLP with as many parameters in Panamax (run as
 * the LLMs run: weights (out, in), each batch size on the fastest of the engine's matmul paths, see
 * {@link Mlp}) and the same KANs in PyTorch (bench/kan_torch.py, efficient-kan's formulation, 2
 * threads) when torch can be imported by /usr/bin/python3. Without Python the PyTorch rows are
 * absent and the ratios to PyTorch say "not measured". Every implementation takes the next of the
 * same distinct input batches on each call ({@link #inputs}, {@link #cycling}), as a service gets
 * new samples. The KAN and the MLP are timed in interleaved rounds ({@link #measurePair}); PyTorch
 * runs after, in its own process, warmed up by the same rule as {@link #untilSteady} and timed over
 * {@code --seconds} (warmed by one call only, its batch-1 speed swung 4x from run to run), under
 * both of libgomp's wait policies, each row's faster figure counting.
 */
@Command(name = "kan", mixinStandardHelpOptions = true,
        description = "KAN inference speed: Panamax vs an equal-parameter MLP (Panamax) vs PyTorch (efficient-kan's formulation, 2 threads).")
public final class KanBench implements Callable<Integer> {

    @Option(names = "--json", description = "print the results as JSON") boolean json;
    @Option(names = "--seconds", defaultValue = "0.5", description = "time per measurement (default: ${DEFAULT-VALUE})") double seconds;
    @Option(names = "--no-torch", description = "skip the PyTorch comparison") boolean noTorch;
    @Option(names = "--batches", split = ",", paramLabel = "B", defaultValue = "1,64,4096",
            description = "batch sizes to measure, e.g. 1 for a quick look at batch 1 (default: ${DEFAULT-VALUE}; the ratios need 1 and 4096)")
    int[] batches;

    record Spec(String name, int g, int k, int[] widths) {}

    /**
     * One measured figure; {@code path}: the way the MLP ran at this batch size ({@link Mlp.Path}),
     * else null. {@code slowest} and {@code fastest}: the samples per second of the slowest and the
     * fastest of the measurement's rounds, NaN when it gave none. This machine's load changes from
     * second to second, and the spread shows how much a figure moved within its own measurement.
     */
    record Row(String model, int batch, String impl, double samplesPerSecond, String path, double slowest, double fastest) {
        Row(String model, int batch, String impl, double samplesPerSecond) { this(model, batch, impl, samplesPerSecond, null, Double.NaN, Double.NaN); }
    }

    static final List<Spec> SPECS = List.of(
            new Spec("[2,5,1] G=5", 5, 3, new int[] {2, 5, 1}),
            new Spec("[64,256,256,10] G=5", 5, 3, new int[] {64, 256, 256, 10}),
            new Spec("[64,256,256,10] G=20", 20, 3, new int[] {64, 256, 256, 10}));

    @Override public Integer call() throws Exception {
        if (!(seconds > 0 && seconds <= 3600)) throw new IllegalArgumentException("--seconds must lie in (0, 3600], is " + seconds);
        for (int b : batches) if (b < 1 || b > 65536) throw new IllegalArgumentException("--batches must lie in [1, 65536], has " + b);
        List<Row> rows = new ArrayList<>();
        Map<String, Pair> pairs = new HashMap<>();
        Map<Spec, Mlp> mlps = new LinkedHashMap<>();
        for (Spec spec : SPECS) mlps.put(spec, Mlp.withParameters(spec.widths(), kanParameters(spec), 2));
        warmUp(mlps);
        for (Spec spec : SPECS) {
            try (KanModel kan = kan(spec, 1)) {
                Mlp mlp = mlps.get(spec);
                for (int batch : batches) {
                    float[][] xs = inputs(batch, spec.widths()[0]);
                    Pair p = measurePair(cycling(xs, x -> kan.forward(x, batch)), cycling(xs, x -> mlp.forward(x, batch)), batch);
                    rows.add(new Row(spec.name(), batch, "panamax", p.kan(), null, p.kanSlowest(), p.kanFastest()));
                    rows.add(new Row(spec.name(), batch, "panamax-mlp", p.mlp(), mlp.path(batch).label(), p.mlpSlowest(), p.mlpFastest()));
                    if (batch == 4096) pairs.put(spec.name(), p);
                    if (!json) System.err.printf(Locale.ROOT, "  measured %s batch %d (KAN paths %s, MLP path %s)%n", spec.name(), batch,
                            kan.paths(batch), mlp.path(batch).label());
                }
            }
        }
        String torchNote = noTorch ? "skipped (--no-torch)" : torch(rows);
        report(rows, pairs, torchNote);
        return 0;
    }

    /**
     * Runs every model at every batch size first, so the JIT has compiled the kernels before any
     * timing: each until its time per call has stopped improving (at least 150 ms, at most 5 s). A
     * fixed time was not enough on a busy machine, where the compiler threads wait for a core and
     * the Vector API code runs interpreted, a hundred times slower, for seconds. The MLP runs every
     * one of its paths here, then keeps the faster at each batch size ({@link Mlp#choose}).
     */
    void warmUp(Map<Spec, Mlp> mlps) {
        for (Spec spec : SPECS)
            try (KanModel kan = kan(spec, 1)) {
                Mlp mlp = mlps.get(spec);
                for (int batch : batches) {
                    float[][] xs = inputs(batch, spec.widths()[0]);
                    Runnable kanCall = cycling(xs, x -> kan.forward(x, batch));
                    Runnable mlpCalls = cycling(xs, x -> { for (Mlp.Path p : Mlp.candidates()) mlp.forward(x, batch, p); });
                    untilSteady(() -> { kanCall.run(); mlpCalls.run(); });
                    mlp.choose(batch, xs, CHOICE_ROUNDS, (long) (seconds * 1e9 / ROUNDS));
                }
            }
    }

    /** Rounds in which the MLP's paths are timed against each other, per batch size. */
    static final int CHOICE_ROUNDS = 5;

    /**
     * Calls {@code call} in 50 ms chunks until three chunks in a row are neither 5% faster per call
     * than the best before nor spent with the JIT compiling (150 ms to 5 s). Without the second
     * condition a kernel first run here (the narrow batch-1 kernel of [64,256,256,10]) could be
     * steadily slow in C1's code while C2, queued behind other compilations on a busy machine,
     * had not got to it: the timing that followed ran 1,000-10,000 samples/s instead of 30,000.
     */
    static void untilSteady(Runnable call) {
        var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        double best = Double.MAX_VALUE;
        int stale = 0;
        while (stale < 3 && System.nanoTime() - start < 5_000_000_000L) {
            long compiled = timed ? jit.getTotalCompilationTime() : 0;
            long t0 = System.nanoTime(), runs = 0, elapsed;
            do { call.run(); runs++; } while ((elapsed = System.nanoTime() - t0) < 50_000_000L);
            double perCall = elapsed / (double) runs;
            boolean compiling = timed && jit.getTotalCompilationTime() != compiled;
            if (perCall < 0.95 * best || compiling) stale = 0; else stale++;
            best = Math.min(best, perCall);
        }
    }

    /** Parameters as efficient-kan counts them: base weight, G + k spline weights and a scaler per edge. */
    static long kanParameters(Spec s) {
        long n = 0;
        for (int l = 0; l + 1 < s.widths().length; l++) n += (long) s.widths()[l] * s.widths()[l + 1] * (s.g() + s.k() + 2);
        return n;
    }

    /** A KAN with uniform grids on [-1, 1] and random parameters of the scale training gives. */
    static KanModel kan(Spec s, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<KanLayer> layers = new ArrayList<>();
        for (int l = 0; l + 1 < s.widths().length; l++) {
            int in = s.widths()[l], out = s.widths()[l + 1], g = s.g(), k = s.k(), nb = g + k;
            Knots[] knots = new Knots[in];
            float[] t = new float[g + 2 * k + 1];
            for (int m = 0; m < t.length; m++) t[m] = -1f + (m - k) * (2f / g);
            Arrays.fill(knots, new Knots(t, k));
            double[] coef = new double[in * out * nb], sb = new double[in * out], ones = new double[in * out];
            for (int i = 0; i < coef.length; i++) coef[i] = rnd.nextGaussian() * 0.1;
            for (int i = 0; i < sb.length; i++) sb[i] = rnd.nextGaussian() / Math.sqrt(in);
            Arrays.fill(ones, 1);
            double[] o1 = new double[out];
            Arrays.fill(o1, 1);
            layers.add(new KanLayer(in, out, k, knots, BaseFunction.SILU, false, ones, sb, ones.clone(), coef,
                    null, null, null, o1, new double[out], out, new int[0], o1.clone(), new double[out]));
        }
        return new KanModel(layers, "bench", null);
    }

    /**
     * How many distinct batches each implementation cycles through at this batch size: 64, fewer
     * when they would exceed 65,536 samples (16 at batch 4096). A service sees new samples on every
     * call; one input called again and again would stay in the caches (and in a branch predictor's
     * memory) as no real input does. kan_torch.py's input_sets is the same rule.
     */
    static int inputSets(int batch) { return Math.max(1, Math.min(64, 65_536 / batch)); }

    /**
     * {@link #inputSets} distinct batches of {@code batch} samples of {@code width} inputs each, float
     * i of them all (set by set, row-major) being {@link #input}(i): kan_torch.py makes the same floats.
     */
    static float[][] inputs(int batch, int width) {
        float[][] sets = new float[inputSets(batch)][batch * width];
        long i = 0;
        for (float[] x : sets)
            for (int j = 0; j < x.length; j++) x[j] = input(i++);
        return sets;
    }

    static final long INPUT_SEED = 42;

    /**
     * Float i of the bench's inputs, in [-1, 1): a 32-bit integer hash of i and {@link #INPUT_SEED},
     * its top 24 bits scaled. Every step is exact in integers below 2^63 and in float32, so
     * kan_torch.py's inputs() gives the same floats with torch's int64 tensors.
     */
    static float input(long i) {
        long h = (i + INPUT_SEED * 0x9E3779B9L) & 0xFFFFFFFFL;
        h = (((h >>> 16) ^ h) * 0x45D9F3BL) & 0xFFFFFFFFL;
        h = (((h >>> 16) ^ h) * 0x45D9F3BL) & 0xFFFFFFFFL;
        h = (h >>> 16) ^ h;
        return (h >>> 8) * 0x1p-23f - 1f;
    }

    /** Calls {@code forward} on the next of {@code inputs} each time it runs, from the first again after the last. */
    static Runnable cycling(float[][] inputs, Consumer<float[]> forward) {
        int[] next = {0};
        return () -> {
            forward.accept(inputs[next[0]]);
            next[0] = next[0] + 1 == inputs.length ? 0 : next[0] + 1;
        };
    }

    static final int ROUNDS = 10;

    /**
     * The KAN's and the MLP's samples per second and their time ratio, KAN / MLP. On a shared machine
     * the load changes from second to second, so the two are measured in turns: after a warm-up,
     * {@link #ROUNDS} rounds each time both for {@code seconds / ROUNDS} (which goes first
     * alternates), each round gives one time ratio, and the ratio reported is their median (min and
     * max beside it). Samples per second are over all rounds, with the slowest and the fastest
     * round's beside them.
     *
     * <p>The warm-up runs the pair until its time per call has stopped improving ({@link #untilSteady},
     * the rule PyTorch's side warms its model by), not for a fixed 0.4 · seconds: the KAN timed here
     * is a fresh instance called through new lambda classes, and the JIT threw away and recompiled
     * code on its path in the first rounds ([64,256,256,10] G=5 batch 1 after the fixed 0.2 s:
     * 25-323 us a sample in the first 3-6 rounds of 50 ms, then 14; -Xlog:deoptimization showed
     * KanBench.cycling's call and siluCubicWindows deoptimized there).
     */
    record Pair(double kan, double mlp, double ratio, double ratioMin, double ratioMax,
                double kanSlowest, double kanFastest, double mlpSlowest, double mlpFastest) {}

    Pair measurePair(Runnable kan, Runnable mlp, int batch) {
        untilSteady(() -> { kan.run(); mlp.run(); });
        long slice = (long) (seconds * 1e9 / ROUNDS);
        double[] ratios = new double[ROUNDS], kanCalls = new double[ROUNDS], mlpCalls = new double[ROUNDS];
        long[] kanTotal = new long[2], mlpTotal = new long[2];     // {nanoseconds, calls}
        for (int r = 0; r < ROUNDS; r++) {
            if (r % 2 == 0) { kanCalls[r] = slice(kan, slice, kanTotal); mlpCalls[r] = slice(mlp, slice, mlpTotal); }
            else { mlpCalls[r] = slice(mlp, slice, mlpTotal); kanCalls[r] = slice(kan, slice, kanTotal); }
            ratios[r] = kanCalls[r] / mlpCalls[r];
        }
        Arrays.sort(ratios);
        Arrays.sort(kanCalls);
        Arrays.sort(mlpCalls);
        double median = (ratios[(ROUNDS - 1) / 2] + ratios[ROUNDS / 2]) / 2, perSecond = batch * 1e9;   // a round's rate: perSecond / ns a call
        return new Pair(kanTotal[1] * (double) batch / (kanTotal[0] / 1e9), mlpTotal[1] * (double) batch / (mlpTotal[0] / 1e9),
                median, ratios[0], ratios[ROUNDS - 1],
                perSecond / kanCalls[ROUNDS - 1], perSecond / kanCalls[0], perSecond / mlpCalls[ROUNDS - 1], perSecond / mlpCalls[0]);
    }

    /** Calls {@code call} for about {@code nanos} (at least once); adds to total; returns nanoseconds per call. */
    private static double slice(Runnable call, long nanos, long[] total) {
        long start = System.nanoTime(), runs = 0, elapsed;
        do {
            call.run();
            runs++;
            elapsed = System.nanoTime() - start;
        } while (elapsed < nanos);
        total[0] += elapsed;
        total[1] += runs;
        return elapsed / (double) runs;
    }

    /** Runs bench/kan_torch.py when torch imports; adds its rows and returns a note on what happened. */
    String torch(List<Row> rows) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Path script = Path.of(System.getProperty("panamax.home", ".")).resolve("bench/kan_torch.py");
        if (!Files.isExecutable(python)) return "skipped: /usr/bin/python3 not found";
        if (!Files.isRegularFile(script)) return "skipped: " + script + " not found";
        Process probe = new ProcessBuilder(python.toString(), "-c", "import torch").redirectErrorStream(true).start();
        probe.getInputStream().readAllBytes();
        if (!probe.waitFor(60, TimeUnit.SECONDS) || probe.exitValue() != 0) return "skipped: torch is not importable by /usr/bin/python3";
        List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString(), String.valueOf(seconds)));
        String batchList = String.join(",", Arrays.stream(batches).mapToObj(String::valueOf).toList());
        for (int s = 0; s < SPECS.size(); s++) {
            Spec spec = SPECS.get(s);
            cmd.add(s + ":" + spec.g() + ":" + spec.k() + ":" + String.join(",", Arrays.stream(spec.widths()).mapToObj(String::valueOf).toList()) + ":" + batchList);
        }
        // Under both of libgomp's wait policies, the faster figure of each row counting: with its
        // default, 2-thread batch 1 of [64,256,256,10] G=5 ran 360-590 samples/s in five processes of
        // six and 1,770 in one; ACTIVE gave 1,660-1,740 every time, PASSIVE 1,370-1,390 (one thread's
        // speed). TorchRunner explains why neither policy is best everywhere.
        Map<String, Row> best = new LinkedHashMap<>();
        for (String policy : TorchRunner.WAIT_POLICIES) {
            if (!json) System.err.println("  running PyTorch (" + script.getFileName() + ", 2 threads, OMP_WAIT_POLICY=" + policy + ")...");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().put("OMP_WAIT_POLICY", policy);
            Process p = pb.start();
            ObjectMapper m = new ObjectMapper();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.isBlank()) continue;
                    try {
                        var node = m.readTree(line);
                        Row row = new Row(SPECS.get(Integer.parseInt(node.get("model").asText())).name(), node.get("batch").asInt(), "torch",
                                node.get("samples_per_second").asDouble(), null,
                                node.get("rounds").get(0).asDouble(), node.get("rounds").get(1).asDouble());
                        best.merge(row.model() + "@" + row.batch(), row, (a, b) -> a.samplesPerSecond() >= b.samplesPerSecond() ? a : b);
                    } catch (RuntimeException | java.io.IOException e) {
                        return "failed: " + script.getFileName() + " printed an unexpected line: " + line;
                    }
                }
            } finally {
                if (p.isAlive() && !p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
            }
            if (p.waitFor() != 0) return "failed with exit code " + p.exitValue() + " (OMP_WAIT_POLICY=" + policy + ")";
        }
        rows.addAll(best.values());
        return "ran (torch.set_num_threads(2); each row the faster of OMP_WAIT_POLICY=ACTIVE and PASSIVE)";
    }

    private static double find(List<Row> rows, String model, int batch, String impl) {
        return rows.stream().filter(r -> r.model().equals(model) && r.batch() == batch && r.impl().equals(impl))
                .mapToDouble(Row::samplesPerSecond).findFirst().orElse(Double.NaN);
    }

    void report(List<Row> rows, Map<String, Pair> pairs, String torchNote) throws Exception {
        String machine = Runtime.getRuntime().availableProcessors() + " cores, kernels " + KernelProvider.kernels().name()
                + ", oneDNN " + (Gemm.dnnlAvailable() ? "yes" : "no");
        ObjectNode root = summary(rows, pairs, torchNote, machine);
        System.out.print(json ? new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n" : text(root));
    }

    /**
     * The run as JSON: machine, torch (what happened to the PyTorch comparison), rows, and per model
     * its ratios. A ratio is present only when both of its figures were measured: without PyTorch
     * (--no-torch, or torch not importable) there is no {@code vs_torch_batch_*}, without batch 4096
     * no {@code kan_time_over_mlp_time_4096}; never a NaN.
     */
    static ObjectNode summary(List<Row> rows, Map<String, Pair> pairs, String torchNote, String machine) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("machine", machine);
        root.put("torch", torchNote);
        ArrayNode arr = root.putArray("rows");
        for (Row r : rows) {
            ObjectNode row = arr.addObject().put("model", r.model()).put("batch", r.batch()).put("impl", r.impl()).put("samples_per_second", r.samplesPerSecond());
            if (r.path() != null) row.put("path", r.path());
            if (!Double.isNaN(r.slowest())) row.putArray("rounds_slowest_fastest").add(r.slowest()).add(r.fastest());
        }
        ArrayNode ratios = root.putArray("ratios");
        for (Spec s : SPECS) {
            ObjectNode o = ratios.addObject().put("model", s.name());
            o.put("mlp_parameters", Mlp.parameterCount(Mlp.widths(s.widths(), kanParameters(s))));
            o.put("kan_parameters", kanParameters(s));
            for (int b : new int[] {1, 4096}) {
                double vsTorch = find(rows, s.name(), b, "panamax") / find(rows, s.name(), b, "torch");
                if (Double.isFinite(vsTorch)) o.put("vs_torch_batch_" + b, vsTorch);   // NaN when either side is missing
            }
            Pair p = pairs.get(s.name());
            if (p == null) continue;                                // batch 4096 not measured (--batches)
            o.put("kan_time_over_mlp_time_4096", p.ratio());      // the median over interleaved rounds
            o.putArray("kan_time_over_mlp_time_4096_range").add(p.ratioMin()).add(p.ratioMax());
            o.put("kan_time_over_mlp_time_rounds", ROUNDS);
        }
        return root;
    }

    /** The same as {@link #summary}'s JSON, as a table and one line of ratios per model; what was not measured says so. */
    static String text(ObjectNode root) {
        StringBuilder sb = new StringBuilder();
        sb.append("machine: ").append(root.get("machine").asText()).append("; torch: ").append(root.get("torch").asText()).append('\n');
        sb.append(String.format(Locale.ROOT, "%-22s %6s  %-12s %16s  %s%n", "model", "batch", "impl", "samples/s", "rounds: slowest-fastest"));
        for (var r : root.get("rows")) {
            var spread = r.get("rounds_slowest_fastest");
            sb.append(String.format(Locale.ROOT, "%-22s %6d  %-12s %16.0f  %-25s%s", r.get("model").asText(), r.get("batch").asInt(),
                    r.get("impl").asText(), r.get("samples_per_second").asDouble(),
                    spread == null ? "" : String.format(Locale.ROOT, "%.0f-%.0f", spread.get(0).asDouble(), spread.get(1).asDouble()),
                    r.has("path") ? "(" + r.get("path").asText() + ")" : "").stripTrailing()).append('\n');
        }
        sb.append('\n');
        sb.append("targets: >= 50x torch at batch 1, >= 10x at batch 4096, KAN time <= 1.5x MLP time at 4096\n");
        sb.append("(KAN/MLP: median of " + ROUNDS + " interleaved rounds, min-max in brackets)\n");
        for (var o : root.get("ratios"))
            sb.append(String.format(Locale.ROOT, "%-22s vs torch b1 %s   b4096 %s   KAN/MLP time at 4096 %s  (MLP %d params, KAN %d)%n",
                    o.get("model").asText(),
                    o.has("vs_torch_batch_1") ? String.format(Locale.ROOT, "%7.1fx", o.get("vs_torch_batch_1").asDouble()) : "not measured",
                    o.has("vs_torch_batch_4096") ? String.format(Locale.ROOT, "%6.1fx", o.get("vs_torch_batch_4096").asDouble()) : "not measured",
                    o.has("kan_time_over_mlp_time_4096") ? String.format(Locale.ROOT, "%.2f (%.2f-%.2f)", o.get("kan_time_over_mlp_time_4096").asDouble(),
                            o.get("kan_time_over_mlp_time_4096_range").get(0).asDouble(), o.get("kan_time_over_mlp_time_4096_range").get(1).asDouble())
                            : "not measured",
                    o.get("mlp_parameters").asLong(), o.get("kan_parameters").asLong()));
        return sb.toString();
    }
}
