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
 * so that they can be compared as ratios on a shared machine. 4096 × 4096 weights (64 MB in f32,
 * more than the L3), read once by a bandwidth probe; GEMV f32 and bf16, the k-row GEMM for k = 1, 2, 4,
 * 8 and oneDNN's sgemm at the same shapes; GEMM 1024³ and 2048³ through oneDNN and the Java kernel,
 * plus a ladder of small GEMMs that shows where oneDNN starts to win (the crossover Gemm uses), and
 * the worker pool's dispatch cost. Each figure is the median of repeated runs after a warm-up.
 */
@Command(name = "kernels", mixinStandardHelpOptions = true,
        description = "Benchmark the kernels: read bandwidth, GEMV f32/bf16, k-row GEMM, oneDNN sgemm, large GEMM (about 1-2 minutes).")
public final class KernelsBench implements Runnable {

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Option(names = "--dim", description = "Weight matrix size (default ${DEFAULT-VALUE}).")
    int dim = 4096;

    @Option(names = "--gemm-sizes", paramLabel = "LIST", split = ",", description = "Square GEMM sizes through oneDNN and Java (default 1024,2048).")
    int[] gemmSizes = {1024, 2048};

    @Option(names = "--probe-mib", paramLabel = "MIB", description = "Read-bandwidth probe on a separate buffer of this many MiB (default: the f32 weights themselves, 64 MiB at --dim 4096).")
    int probeMib = 0;

    /** One line of the results. */
    /** One line of the results: {@code ms} is the median, {@code ms_min} the fastest run (the figure least disturbed by neighbours). */
    record Result(String kernel, String impl, String dtype, int m, int n, int k, double ms, double gbps, double gflops, double ms_min) {}

    private final List<Result> results = new ArrayList<>();

    @Override public void run() {
        if (dim < 16) throw new IllegalArgumentException("--dim must be >= 16, is " + dim);
        if (probeMib < 0) throw new IllegalArgumentException("--probe-mib must be >= 0, is " + probeMib);
        for (int size : gemmSizes)
            if (size < 1) throw new IllegalArgumentException("--gemm-sizes must be >= 1, has " + size);
        Kernels kernels = KernelProvider.kernels();
        String impl = kernels.name();
        boolean dnnl = Gemm.dnnlAvailable();
        int n = dim, k = dim;
        double readGbps, readGbpsBest;
        try (Arena arena = Arena.ofShared()) {
            Tensor w32 = Tensor.allocate(arena, "w_f32", DType.F32, n, k);
            fill(w32.data());
            // By default the probe reads the f32 weights themselves (64 MiB at 4096², beyond the L3), the
            // way the GEMV does, so that bandwidth and GEMV are measured on the same bytes.
            MemorySegment probe = w32.data();
            if (probeMib > 0) {
                probe = arena.allocate((long) probeMib << 20, 64);
                fill(probe);
            }
            MemorySegment probed = probe;
            log("read-bandwidth probe over " + (probe.byteSize() >> 20) + " MiB...");
            double[] probeMs = median(30, 2.0, () -> MemoryProbe.sumFloats(probed));
            readGbps = probe.byteSize() / probeMs[0] / 1e6;
            readGbpsBest = probe.byteSize() / probeMs[1] / 1e6;

            log("GEMV and k-row GEMM on " + n + " × " + k + " weights...");
            Tensor w16 = Tensor.allocate(arena, "w_bf16", DType.BF16, n, k);
            for (long i = 0; i < (long) n * k; i++) w16.data().setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (w32.data().getAtIndex(ValueLayout.JAVA_INT, i) >>> 16));
            for (Tensor w : List.of(w32, w16)) {
                String dt = w.dtype() == DType.F32 ? "f32" : "bf16";
                long bytes = w.data().byteSize();
                for (int rows : new int[] {1, 2, 4, 8}) {
                    float[] x = randomArray(rows * k), out = new float[rows * n];
                    double[] ms = median(30, 2.0, () -> kernels.matmul(x, rows, w, out));
                    if (rows == 1) add("gemv", impl, dt, 1, n, k, ms, bytes);
                    add("gemm_rows", impl, dt, rows, n, k, ms, bytes);
                }
            }
            if (dnnl) {
                log("oneDNN sgemm at the same shapes...");
                float[] wArr = w32.toFloatArray();
                for (int rows : new int[] {1, 2, 4, 8}) {
                    float[] x = randomArray(rows * k), out = new float[rows * n];
                    double[] ms = median(30, 2.0, () -> Gemm.sgemm(Gemm.Impl.DNNL, false, true, rows, n, k, 1f, x, k, wArr, k, 0f, out, n));
                    if (rows == 1) add("gemv", "dnnl", "f32", 1, n, k, ms, 4L * n * k);
                    add("gemm_rows", "dnnl", "f32", rows, n, k, ms, 4L * n * k);
                }
            }
        }

        log("GEMM " + Arrays.toString(gemmSizes) + " cubed...");
        for (int size : gemmSizes) gemm(size, dnnl, size <= 1024 ? 7 : 3);
        log("small GEMMs (crossover ladder)...");
        for (int size : new int[] {8, 16, 32, 64, 128, 256}) gemm(size, dnnl, 50);
        double dispatchUs = dispatchMicros(KernelProvider.pool());

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("read_gbps", round(readGbps));
        report.put("read_gbps_best", round(readGbpsBest));
        report.put("kernels", impl);
        report.put("vector_bits", KernelProvider.vectorBits());
        report.put("threads", KernelProvider.pool().threads());
        report.put("dispatch_us", round(dispatchUs));
        report.put("dnnl", dnnl);
        report.put("results", results);
        report.put("ratios", ratios(readGbps, readGbpsBest));
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

    private void gemm(int size, boolean dnnl, int reps) {
        float[] a = randomArray(size * size), b = randomArray(size * size), c = new float[size * size];
        List<Gemm.Impl> impls = new ArrayList<>(List.of(Gemm.Impl.JAVA));
        if (dnnl) impls.add(Gemm.Impl.DNNL);
        for (Gemm.Impl impl : impls) {
            double[] t = median(reps, 3.0, () -> Gemm.sgemm(impl, false, false, size, size, size, 1f, a, size, b, size, 0f, c, size));
            String name = impl == Gemm.Impl.DNNL ? "dnnl" : KernelProvider.kernels().name();
            double ms = t[0];
            results.add(new Result("gemm", name, "f32", size, size, size, round(ms),
                    round(3.0 * 4 * size * size / ms / 1e6), round(2.0 * size * size * size / ms / 1e6), round(t[1])));
        }
    }

    private void add(String kernel, String impl, String dtype, int m, int n, int k, double[] t, long weightBytes) {
        double ms = t[0];
        results.add(new Result(kernel, impl, dtype, m, n, k, round(ms), round(weightBytes / ms / 1e6), round(2.0 * m * n * k / ms / 1e6), round(t[1])));
    }

    /**
     * The targets as ratios measured in this run: {@code value} from the medians (what the
     * targets are stated on), {@code value_best} from the fastest runs (less disturbed on a shared machine).
     */
    private Map<String, Object> ratios(double readGbps, double readGbpsBest) {
        Map<String, Object> r = new LinkedHashMap<>();
        String impl = KernelProvider.kernels().name();
        double[] read = {readGbps, readGbpsBest};
        double weightMb = 4.0 * dim * dim / 1e6;
        ratio(r, "gemv_f32_gbps_over_read_gbps", ">=", 0.9, b -> weightMb / ms("gemv", impl, "f32", 1, b) / read[b ? 1 : 0]);
        ratio(r, "gemv_f32_speed_over_dnnl_m1", ">=", 1.0, b -> ms("gemv", "dnnl", "f32", 1, b) / ms("gemv", impl, "f32", 1, b));
        ratio(r, "gemv_bf16_speedup_over_f32", ">=", 1.7, b -> ms("gemv", impl, "f32", 1, b) / ms("gemv", impl, "bf16", 1, b));
        ratio(r, "rows_k4_time_over_k1", "<=", 1.2, b -> ms("gemm_rows", impl, "f32", 4, b) / ms("gemm_rows", impl, "f32", 1, b));
        ratio(r, "rows_k8_time_over_k1", "<=", 1.5, b -> ms("gemm_rows", impl, "f32", 8, b) / ms("gemm_rows", impl, "f32", 1, b));
        ratio(r, "dnnl_rows_k4_time_over_k1", null, 0, b -> ms("gemm_rows", "dnnl", "f32", 4, b) / ms("gemm_rows", "dnnl", "f32", 1, b));
        ratio(r, "dnnl_gemm_2048_gflops", ">=", 170, b -> gflops("dnnl", 2048, b));
        ratio(r, "java_gemm_1024_over_dnnl", ">=", 0.4, b -> gflops(impl, 1024, b) / gflops("dnnl", 1024, b));
        // The smallest size from which oneDNN wins at every larger size measured (null: it never does).
        Integer crossover = null;
        for (int size : new int[] {2048, 1024, 256, 128, 64, 32, 16, 8}) {
            double j = gflops(impl, size, false), d = gflops("dnnl", size, false);
            if (Double.isNaN(j) || Double.isNaN(d) || d <= j) break;
            crossover = size;
        }
        r.put("gemm_dnnl_faster_from_size", crossover);
        return r;
    }

    /** Puts {"value", "value_best", "target", "met"} under name, unless a figure is missing (NaN). */
    private static void ratio(Map<String, Object> r, String name, String op, double target,
                              java.util.function.Function<Boolean, Double> f) {
        double value = f.apply(false), best = f.apply(true);
        if (Double.isNaN(value)) return;
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("value", round(value));
        e.put("value_best", round(best));
        if (op != null) {
            e.put("target", op + " " + target);
            e.put("met", op.equals(">=") ? value >= target : value <= target);
        }
        r.put(name, e);
    }

    /** Median (or fastest, when best) time of a result; NaN when it was not measured. */
    private double ms(String kernel, String impl, String dtype, int m, boolean best) {
        return results.stream().filter(x -> x.kernel.equals(kernel) && x.impl.equals(impl) && x.dtype.equals(dtype) && x.m == m)
                .mapToDouble(x -> best ? x.ms_min : x.ms).findFirst().orElse(Double.NaN);
    }

    private double gflops(String impl, int size, boolean best) {
        return 2.0 * size * size * size / ms("gemm", impl, "f32", size, best) / 1e6;
    }

    private static void printTable(Map<String, Object> report) {
        System.out.printf("read bandwidth %.1f GB/s   kernels %s (%s-bit)   threads %s   pool dispatch %.2f µs%n",
                report.get("read_gbps"), report.get("kernels"), report.get("vector_bits"), report.get("threads"), report.get("dispatch_us"));
        System.out.printf("%-10s %-7s %-5s %6s %6s %6s %10s %9s %9s%n", "kernel", "impl", "dtype", "m", "n", "k", "ms", "GB/s", "GFLOP/s");
        @SuppressWarnings("unchecked") List<Result> rs = (List<Result>) report.get("results");
        for (Result r : rs)
            System.out.printf("%-10s %-7s %-5s %6d %6d %6d %10.3f %9.1f %9.1f%n", r.kernel, r.impl, r.dtype, r.m, r.n, r.k, r.ms, r.gbps, r.gflops);
        System.out.println("ratios measured in this run, from medians (and from the fastest runs):");
        @SuppressWarnings("unchecked") Map<String, Object> ratios = (Map<String, Object>) report.get("ratios");
        ratios.forEach((key, v) -> {
            if (v instanceof Map<?, ?> e && e.get("target") != null)
                System.out.printf("  %-34s %8s (best runs %8s)   target %-8s %s%n", key, e.get("value"), e.get("value_best"), e.get("target"),
                        (Boolean) e.get("met") ? "met" : "MISSED");
            else if (v instanceof Map<?, ?> e)
                System.out.printf("  %-34s %8s (best runs %8s)%n", key, e.get("value"), e.get("value_best"));
            else System.out.printf("  %-34s %8s%n", key, v);
        });
    }

    /** {median, min} wall time in ms of {@code reps} runs (fewer when they exceed {@code budgetSeconds}), after a warm-up. */
    static double[] median(int reps, double budgetSeconds, Runnable body) {
        long warmEnd = System.nanoTime() + 300_000_000L;
        for (int i = 0; i < 3 || (i < 20 && System.nanoTime() < warmEnd); i++) body.run();
        double[] t = new double[reps];
        long end = System.nanoTime() + (long) (budgetSeconds * 1e9);
        int done = 0;
        while (done < reps && (done < 3 || System.nanoTime() < end)) {
            long t0 = System.nanoTime();
            body.run();
            t[done++] = (System.nanoTime() - t0) / 1e6;
        }
        double[] d = Arrays.copyOf(t, done);
        Arrays.sort(d);
        return new double[] {d.length % 2 == 1 ? d[d.length / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2, d[0]};
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

    private static void fill(MemorySegment seg) {
        float[] chunk = randomArray(1 << 16);
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
