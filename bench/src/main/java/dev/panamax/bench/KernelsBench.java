package dev.panamax.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamax.kernel.Gemm;
import dev.panamax.kernel.KernelProvider;
import dev.panamax.kernel.Kernels;
import dev.panamax.kernel.MemoryProbe;
import dev.panamax.kernel.WorkerPool;
import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code panamax bench kernels [--json]}: the kernel figures of issue 2, all measured in one process
 * so that they can be compared as ratios on a shared machine.
 *
 * <p><b>Method.</b> On a machine shared with other tenants the absolute speed swings 2-4× from one
 * minute to the next, so figures timed one after the other (all of A, then all of B) compare a quiet
 * minute with a busy one. Here every compared figure is timed <i>interleaved</i>: a round runs each
 * item once (the read probe, the GEMV and k-row GEMM for f32 and bf16, oneDNN's sgemm at the same
 * shapes), in a fresh random order each round, and a ratio is the median over the rounds of the
 * ratio within each round, so a noisy moment hits both sides of it. Each timed item starts after a
 * short pause, so that threads the item before left spinning (oneDNN's OpenMP workers spin for
 * milliseconds after a call) do not compete with it, and after one untimed call that wakes its own
 * threads. Each item runs over
 * {@code --weights-mib} of distinct {@code --dim}² weight matrices (256 MiB by default: four 4096²
 * f32 matrices, eight times the L3), one call per matrix like the layers of a model, so no call finds
 * its weights in cache; the read probe sums those same f32 matrices, one call each. A result's
 * {@code ms} is the median time of one call, {@code ms_min} the fastest; a ratio's {@code value} is
 * the median of the per-round ratios, {@code value_best} the ratio of the fastest rounds, and
 * {@code spread} the quartiles of the per-round ratios. The large GEMMs (oneDNN against Java) and the
 * ladder of small GEMMs that shows where oneDNN starts to win (the crossover {@link Gemm} uses) are
 * interleaved the same way, size by size. Last, the worker pool's dispatch cost on an empty job.
 */
@Command(name = "kernels", mixinStandardHelpOptions = true,
        description = {"Benchmark the kernels: read bandwidth, GEMV f32/bf16, k-row GEMM, oneDNN sgemm, large GEMM, pool dispatch (about 1 minute).",
                "Compared figures are timed interleaved, round by round, over --weights-mib of distinct weight matrices (beyond the"
                        + " L3); each ratio is the median of the per-round ratios, so a noisy minute on a shared machine hits both sides."})
public final class KernelsBench implements Runnable {

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Option(names = "--dim", description = "Weight matrix size, out = in (default ${DEFAULT-VALUE}).")
    int dim = 4096;

    @Option(names = "--gemm-sizes", paramLabel = "LIST", split = ",", description = "Square GEMM sizes through oneDNN and Java (default 1024,2048).")
    int[] gemmSizes = {1024, 2048};

    @Option(names = "--weights-mib", paramLabel = "MIB", description = "f32 weights cycled through, as distinct --dim² matrices, so that no call"
            + " finds its weights in cache; the read probe reads these same bytes (default ${DEFAULT-VALUE}; at least one matrix).")
    int weightsMib = 256;

    @Option(names = "--rounds", paramLabel = "N", description = "Measured rounds of the interleaved streaming kernels (default ${DEFAULT-VALUE}).")
    int rounds = 60;

    /** The pause before each timed body (see {@link #rounds}). */
    static final int GAP_MILLIS = 10;

    static final String METHOD = "interleaved rounds: each round times every streaming item once, in a fresh random order, over the same"
            + " distinct weight matrices (one call per matrix, beyond the L3), each after a " + GAP_MILLIS + " ms pause (threads left spinning"
            + " by the item before go idle) and one untimed call on the last matrix (wakes its own threads); ms = median per call, ms_min = fastest;"
            + " ratio value = median of per-round ratios, value_best = ratio of fastest rounds, spread = quartiles of per-round ratios";

    /** One line of the results: {@code ms} is the median, {@code ms_min} the fastest run (the figure least disturbed by neighbours). */
    record Result(String kernel, String impl, String dtype, int m, int n, int k, double ms, double gbps, double gflops, double ms_min) {}

    /**
     * One timed item: {@code pass} runs it once over every weight matrix ({@code calls} calls of
     * {@code bytes} weight bytes each). Its per-round times, per call, land in {@code ms}.
     */
    private record Item(String kernel, String impl, String dtype, int m, long bytes, int calls, Runnable pass, Runnable wake) {}

    private final List<Result> results = new ArrayList<>();
    /** Per-round times per call (ms) of each timed item, by key (see {@link #key}). */
    private final Map<String, double[]> perRound = new LinkedHashMap<>();

    @Override public void run() {
        if (dim < 16) throw new IllegalArgumentException("--dim must be >= 16, is " + dim);
        if (weightsMib < 1) throw new IllegalArgumentException("--weights-mib must be >= 1, is " + weightsMib);
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be >= 1, is " + rounds);
        for (int size : gemmSizes)
            if (size < 1) throw new IllegalArgumentException("--gemm-sizes must be >= 1, has " + size);
        Kernels kernels = KernelProvider.kernels();
        String impl = kernels.name();
        boolean dnnl = Gemm.dnnlAvailable();
        int n = dim, k = dim;
        long matrixBytes = 4L * n * k;
        int matrices = (int) Math.max(1, Math.min(1 << 16, ((long) weightsMib << 20) / matrixBytes));
        try (Arena arena = Arena.ofShared()) {
            log("filling " + matrices + " f32 and bf16 " + n + " × " + k + " weight matrices (" + (matrices * matrixBytes >> 20) + " MiB of f32)...");
            Tensor[] w32 = new Tensor[matrices], w16 = new Tensor[matrices];
            for (int i = 0; i < matrices; i++) {
                w32[i] = Tensor.allocate(arena, "w_f32_" + i, DType.F32, n, k);
                fill(w32[i].data(), i);
                w16[i] = Tensor.allocate(arena, "w_bf16_" + i, DType.BF16, n, k);
                for (long j = 0; j < (long) n * k; j++)
                    w16[i].data().setAtIndex(ValueLayout.JAVA_SHORT, j, (short) (w32[i].data().getAtIndex(ValueLayout.JAVA_INT, j) >>> 16));
            }
            List<Item> items = new ArrayList<>();
            Tensor last32 = w32[matrices - 1], last16 = w16[matrices - 1];
            items.add(new Item("probe", impl, "f32", 0, matrixBytes, matrices, () -> {
                for (Tensor w : w32) MemoryProbe.sumFloats(w.data());
            }, () -> MemoryProbe.sumFloats(last32.data())));
            for (Tensor[] ws : List.of(w32, w16)) {
                String dt = ws[0].dtype() == DType.F32 ? "f32" : "bf16";
                for (int rows : new int[] {1, 2, 4, 8}) {
                    float[] x = randomArray(rows * k), out = new float[rows * n];
                    Tensor last = ws == w32 ? last32 : last16;
                    items.add(new Item("gemm_rows", impl, dt, rows, ws[0].data().byteSize(), matrices, () -> {
                        for (Tensor w : ws) kernels.matmul(x, rows, w, out);
                    }, () -> kernels.matmul(x, rows, last, out)));
                }
            }
            if (dnnl) // oneDNN reads the same native weights as the Java kernels, in place
                for (int rows : new int[] {1, 2, 4, 8}) {
                    MemorySegment x = arena.allocateFrom(ValueLayout.JAVA_FLOAT, randomArray(rows * k));
                    MemorySegment out = arena.allocate(4L * rows * n, 64);
                    items.add(new Item("gemm_rows", "dnnl", "f32", rows, matrixBytes, matrices, () -> {
                        for (Tensor w : w32) Gemm.sgemm(false, true, rows, n, k, 1f, x, k, w.data(), k, 0f, out, n);
                    }, () -> Gemm.sgemm(false, true, rows, n, k, 1f, x, k, last32.data(), k, 0f, out, n)));
                }
            log(items.size() + " streaming items, " + rounds + " interleaved rounds...");
            double[][] t = rounds(items.stream().map(Item::pass).toList(), items.stream().map(Item::wake).toList(), rounds, 120);
            for (int i = 0; i < items.size(); i++) {
                Item it = items.get(i);
                double[] perCall = Arrays.stream(t[i]).map(ms -> ms / it.calls).toArray();
                perRound.put(key(it.kernel, it.impl, it.dtype, it.m), perCall);
                if (it.kernel.equals("probe")) continue;
                if (it.m == 1) add("gemv", it.impl, it.dtype, 1, n, k, perCall, it.bytes);
                add("gemm_rows", it.impl, it.dtype, it.m, n, k, perCall, it.bytes);
            }
        }
        double[] probe = perRound.get(key("probe", impl, "f32", 0));
        double readGbps = matrixBytes / median(probe) / 1e6, readGbpsBest = matrixBytes / min(probe) / 1e6;

        log("GEMM " + Arrays.toString(gemmSizes) + " cubed...");
        for (int size : gemmSizes) gemm(size, dnnl, size <= 1024 ? 9 : 5);
        log("small GEMMs (crossover ladder)...");
        for (int size : new int[] {8, 16, 32, 64, 128, 256}) gemm(size, dnnl, 41);
        double dispatchUs = dispatchMicros(KernelProvider.pool());

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("read_gbps", round(readGbps));
        report.put("read_gbps_best", round(readGbpsBest));
        report.put("kernels", impl);
        report.put("vector_bits", KernelProvider.vectorBits());
        report.put("threads", KernelProvider.pool().threads());
        report.put("dispatch_us", round(dispatchUs));
        report.put("dnnl", dnnl);
        report.put("method", METHOD);
        report.put("weights_mib", round(matrices * matrixBytes / (double) (1 << 20)));
        report.put("matrices", matrices);
        report.put("rounds", probe.length);
        report.put("results", results);
        report.put("ratios", ratios(matrixBytes));
        if (json) {
            try {
                System.out.println(new ObjectMapper().writeValueAsString(report));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        } else {
            printTable(report);
        }
    }

    private static String key(String kernel, String impl, String dtype, int m) { return kernel + "/" + impl + "/" + dtype + "/" + m; }

    /** Square GEMM of this size through the Java kernel and oneDNN, interleaved round by round. */
    private void gemm(int size, boolean dnnl, int reps) {
        float[] a = randomArray(size * size), b = randomArray(size * size), c = new float[size * size];
        List<Gemm.Impl> impls = new ArrayList<>(List.of(Gemm.Impl.JAVA));
        if (dnnl) impls.add(Gemm.Impl.DNNL);
        // oneDNN on native copies of the same matrices (it reads native memory only; heap arrays would add a copy per call)
        Arena arena = Arena.ofAuto();
        MemorySegment na = arena.allocateFrom(ValueLayout.JAVA_FLOAT, a), nb = arena.allocateFrom(ValueLayout.JAVA_FLOAT, b);
        MemorySegment nc = arena.allocate(4L * size * size, 64);
        List<Runnable> bodies = impls.stream().<Runnable>map(impl -> impl == Gemm.Impl.DNNL
                ? () -> Gemm.sgemm(false, false, size, size, size, 1f, na, size, nb, size, 0f, nc, size)
                : () -> Gemm.sgemm(impl, false, false, size, size, size, 1f, a, size, b, size, 0f, c, size)).toList();
        double[][] t = rounds(bodies, null, reps, 30);
        for (int i = 0; i < impls.size(); i++) {
            String name = impls.get(i) == Gemm.Impl.DNNL ? "dnnl" : KernelProvider.kernels().name();
            perRound.put(key("gemm", name, "f32", size), t[i]);
            double ms = median(t[i]);
            results.add(new Result("gemm", name, "f32", size, size, size, round(ms),
                    round(3.0 * 4 * size * size / ms / 1e6), round(2.0 * size * size * size / ms / 1e6), round(min(t[i]))));
        }
    }

    private void add(String kernel, String impl, String dtype, int m, int n, int k, double[] perCall, long weightBytes) {
        double ms = median(perCall);
        results.add(new Result(kernel, impl, dtype, m, n, k, round(ms), round(weightBytes / ms / 1e6), round(2.0 * m * n * k / ms / 1e6), round(min(perCall))));
    }

    /**
     * The targets as ratios measured in this run, each from the per-round times of its two
     * sides (see the class comment): {@code value} the median of the per-round ratios (what the targets
     * are judged on), {@code value_best} the ratio of the fastest rounds, {@code spread} the quartiles.
     */
    private Map<String, Object> ratios(long matrixBytes) {
        Map<String, Object> r = new LinkedHashMap<>();
        String impl = KernelProvider.kernels().name();
        double[] probe = rows("probe", impl, "f32", 0);
        double[] f32 = rows("gemm_rows", impl, "f32", 1), bf16 = rows("gemm_rows", impl, "bf16", 1), dnnl1 = rows("gemm_rows", "dnnl", "f32", 1);
        // Both read the same f32 matrices, one call each: GEMV GB/s over probe GB/s is probe time over GEMV time.
        ratio(r, "gemv_f32_gbps_over_read_gbps", ">=", 0.9, probe, f32);
        ratio(r, "gemv_f32_speed_over_dnnl_m1", ">=", 1.0, dnnl1, f32);
        ratio(r, "gemv_bf16_speedup_over_f32", ">=", 1.7, f32, bf16);
        ratio(r, "rows_k4_time_over_k1", "<=", 1.2, rows("gemm_rows", impl, "f32", 4), f32);
        ratio(r, "rows_k8_time_over_k1", "<=", 1.5, rows("gemm_rows", impl, "f32", 8), f32);
        ratio(r, "dnnl_rows_k4_time_over_k1", null, 0, rows("gemm_rows", "dnnl", "f32", 4), dnnl1);
        ratio(r, "bf16_rows_k4_time_over_k1", null, 0, rows("gemm_rows", impl, "bf16", 4), bf16);
        ratio(r, "bf16_rows_k8_time_over_k1", null, 0, rows("gemm_rows", impl, "bf16", 8), bf16);
        double[] d2048 = rows("gemm", "dnnl", "f32", 2048);
        if (d2048 != null) { // a rate, not a ratio: the per-round GFLOP/s' median
            double flop = 2.0 * 2048 * 2048 * 2048;
            ratio(r, "dnnl_gemm_2048_gflops", ">=", 170, Arrays.stream(d2048).map(ms -> flop / 1e6).toArray(), d2048);
        }
        ratio(r, "java_gemm_1024_over_dnnl", ">=", 0.4, rows("gemm", "dnnl", "f32", 1024), rows("gemm", impl, "f32", 1024));
        // The smallest size from which oneDNN wins at every larger size measured (null: it never does).
        Integer crossover = null;
        for (int size : new int[] {2048, 1024, 256, 128, 64, 32, 16, 8}) {
            double[] j = rows("gemm", impl, "f32", size), d = rows("gemm", "dnnl", "f32", size);
            if (j == null || d == null || median(ratios(j, d)) <= 1) break;
            crossover = size;
        }
        r.put("gemm_dnnl_faster_from_size", crossover);
        return r;
    }

    private double[] rows(String kernel, String impl, String dtype, int m) { return perRound.get(key(kernel, impl, dtype, m)); }

    /** a[i] / b[i] for each round i. */
    private static double[] ratios(double[] a, double[] b) {
        double[] q = new double[Math.min(a.length, b.length)];
        for (int i = 0; i < q.length; i++) q[i] = a[i] / b[i];
        return q;
    }

    /**
     * Puts {"value", "value_best", "spread", "target", "met"} under name for the ratio num / den
     * measured round by round, unless a side was not measured (no oneDNN, a GEMM size left out).
     */
    private static void ratio(Map<String, Object> r, String name, String op, double target, double[] num, double[] den) {
        if (num == null || den == null) return;
        double[] q = ratios(num, den);
        double value = median(q);
        // The fastest rounds: for a time ratio the smallest numerator over the smallest denominator,
        // for a rate (numerator a constant) the same thing.
        double best = min(num) / min(den);
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("value", round(value));
        e.put("value_best", round(best));
        e.put("spread", List.of(round(quantile(q, 0.25)), round(quantile(q, 0.75))));
        if (op != null) {
            e.put("target", op + " " + target);
            e.put("met", op.equals(">=") ? value >= target : value <= target);
        }
        r.put(name, e);
    }

    private static void printTable(Map<String, Object> report) {
        System.out.printf("read bandwidth %.1f GB/s (fastest round %.1f)   kernels %s (%s-bit)   threads %s   pool dispatch %.2f µs%n",
                report.get("read_gbps"), report.get("read_gbps_best"), report.get("kernels"), report.get("vector_bits"), report.get("threads"),
                report.get("dispatch_us"));
        System.out.printf("%s rounds over %s matrices, %s MiB of f32 weights; %s%n", report.get("rounds"), report.get("matrices"),
                report.get("weights_mib"), report.get("method"));
        System.out.printf("%-10s %-7s %-5s %6s %6s %6s %10s %10s %9s %9s%n", "kernel", "impl", "dtype", "m", "n", "k", "ms", "ms_min", "GB/s", "GFLOP/s");
        @SuppressWarnings("unchecked") List<Result> rs = (List<Result>) report.get("results");
        for (Result r : rs)
            System.out.printf("%-10s %-7s %-5s %6d %6d %6d %10.3f %10.3f %9.1f %9.1f%n", r.kernel, r.impl, r.dtype, r.m, r.n, r.k, r.ms, r.ms_min, r.gbps, r.gflops);
        System.out.println("ratios, median of the per-round ratios [quartiles] (and from the fastest rounds):");
        @SuppressWarnings("unchecked") Map<String, Object> ratios = (Map<String, Object>) report.get("ratios");
        ratios.forEach((key, v) -> {
            if (v instanceof Map<?, ?> e) {
                String line = String.format("  %-34s %8s %-18s (best %8s)", key, e.get("value"), e.get("spread"), e.get("value_best"));
                if (e.get("target") != null) line += String.format("   target %-8s %s", e.get("target"), (Boolean) e.get("met") ? "met" : "MISSED");
                System.out.println(line);
            } else {
                System.out.printf("  %-34s %8s%n", key, v);
            }
        });
    }

    /**
     * Times the bodies interleaved. After warm-up rounds (at least two, up to a second), each round
     * runs every body once, in a fresh random order, so that no body always follows the same
     * neighbour. Before each timed body: a pause of {@link #GAP_MILLIS} ms, in which threads that
     * the previous body left spinning (oneDNN's OpenMP workers spin for milliseconds after a call,
     * the worker pool for 100 µs) go idle instead of competing with it, then its {@code wake} (when
     * given: an untimed call that wakes its own threads, as a model's back-to-back calls find
     * them). Stops after {@code reps} rounds, or earlier (but after at least three) once
     * {@code budgetSeconds} have passed. Returns each body's wall time in ms per round.
     */
    static double[][] rounds(List<Runnable> bodies, List<Runnable> wakes, int reps, double budgetSeconds) {
        int count = bodies.size();
        long warmEnd = System.nanoTime() + 1_000_000_000L;
        for (int w = 0; w < 2 || (w < 10 && System.nanoTime() < warmEnd); w++)
            for (Runnable b : bodies) b.run();
        double[][] t = new double[count][reps];
        long end = System.nanoTime() + (long) (budgetSeconds * 1e9);
        java.util.Random order = new java.util.Random(42);
        List<Integer> perm = new ArrayList<>();
        for (int i = 0; i < count; i++) perm.add(i);
        int done = 0;
        while (done < reps && (done < 3 || System.nanoTime() < end)) {
            java.util.Collections.shuffle(perm, order);
            for (int i : perm) {
                pause();
                if (wakes != null) wakes.get(i).run();
                long t0 = System.nanoTime();
                bodies.get(i).run();
                t[i][done] = (System.nanoTime() - t0) / 1e6;
            }
            done++;
        }
        for (int i = 0; i < count; i++) t[i] = Arrays.copyOf(t[i], done);
        return t;
    }

    private static void pause() {
        try {
            Thread.sleep(GAP_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static double median(double[] v) { return quantile(v, 0.5); }

    static double min(double[] v) { return Arrays.stream(v).min().orElse(Double.NaN); }

    /** The q-quantile with linear interpolation between the sorted values. */
    static double quantile(double[] v, double q) {
        double[] d = v.clone();
        Arrays.sort(d);
        double pos = q * (d.length - 1);
        int lo = (int) Math.floor(pos), hi = Math.min(d.length - 1, lo + 1);
        return d[lo] + (pos - lo) * (d[hi] - d[lo]);
    }

    /** Median cost of one parallelFor over as many no-op chunks as threads, in microseconds. */
    static double dispatchMicros(WorkerPool pool) {
        int chunks = pool.threads();
        for (int i = 0; i < 20_000; i++) pool.parallelFor(chunks, c -> {});
        double[] per = new double[21];
        for (int r = 0; r < per.length; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 2000; i++) pool.parallelFor(chunks, c -> {});
            per[r] = (System.nanoTime() - t0) / 1e3 / 2000;
        }
        Arrays.sort(per);
        return per[per.length / 2];
    }

    private static void fill(MemorySegment seg, int seed) {
        float[] chunk = randomArray((1 << 16) + seed);
        long floats = seg.byteSize() / 4;
        for (long i = 0; i < floats; i += chunk.length)
            MemorySegment.copy(chunk, 0, seg, ValueLayout.JAVA_FLOAT, 4 * i, (int) Math.min(chunk.length, floats - i));
    }

    private static float[] randomArray(int n) {
        float[] a = new float[n];
        long s = 0x9E3779B97F4A7C15L ^ n;
        for (int i = 0; i < n; i++) {
            s = s * 6364136223846793005L + 1442695040888963407L;
            a[i] = ((s >>> 40) / (float) (1 << 24)) - 0.5f;
        }
        return a;
    }

    private static double round(double v) { return Math.round(v * 1000) / 1000.0; }

    private void log(String s) { if (!json) System.err.println(s); }
}
