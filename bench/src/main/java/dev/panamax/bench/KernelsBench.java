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
    record Result(String kernel, String impl, String dtype, int m, int n, int k, double ms, double gbps, double gflops) {}

    private final List<Result> results = new ArrayList<>();

    @Override public void run() {
        Kernels kernels = KernelProvider.kernels();
        String impl = kernels.name();
        boolean dnnl = Gemm.dnnlAvailable();
        int n = dim, k = dim;
        double readGbps;
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
            double probeMs = median(30, 2.0, () -> MemoryProbe.sumFloats(probed));
            readGbps = probe.byteSize() / probeMs / 1e6;

            log("GEMV and k-row GEMM on " + n + " × " + k + " weights...");
            Tensor w16 = Tensor.allocate(arena, "w_bf16", DType.BF16, n, k);
            for (long i = 0; i < (long) n * k; i++) w16.data().setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (w32.data().getAtIndex(ValueLayout.JAVA_INT, i) >>> 16));
            for (Tensor w : List.of(w32, w16)) {
                String dt = w.dtype() == DType.F32 ? "f32" : "bf16";
                long bytes = w.data().byteSize();
                for (int rows : new int[] {1, 2, 4, 8}) {
                    float[] x = randomArray(rows * k), out = new float[rows * n];
                    double ms = median(30, 2.0, () -> kernels.matmul(x, rows, w, out));
                    if (rows == 1) add("gemv", impl, dt, 1, n, k, ms, bytes);
                    add("gemm_rows", impl, dt, rows, n, k, ms, bytes);
                }
            }
            if (dnnl) {
                log("oneDNN sgemm at the same shapes...");
                float[] wArr = w32.toFloatArray();
                for (int rows : new int[] {1, 2, 4, 8}) {
                    float[] x = randomArray(rows * k), out = new float[rows * n];
                    double ms = median(30, 2.0, () -> Gemm.sgemm(Gemm.Impl.DNNL, false, true, rows, n, k, 1f, x, k, wArr, k, 0f, out, n));
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
        report.put("kernels", impl);
        report.put("vector_bits", KernelProvider.vectorBits());
        report.put("threads", KernelProvider.pool().threads());
        report.put("dispatch_us", round(dispatchUs));
        report.put("dnnl", dnnl);
        report.put("results", results);
        report.put("ratios", ratios(readGbps));
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
            double ms = median(reps, 3.0, () -> Gemm.sgemm(impl, false, false, size, size, size, 1f, a, size, b, size, 0f, c, size));
            String name = impl == Gemm.Impl.DNNL ? "dnnl" : KernelProvider.kernels().name();
            results.add(new Result("gemm", name, "f32", size, size, size, round(ms),
                    round(3.0 * 4 * size * size / ms / 1e6), round(2.0 * size * size * size / ms / 1e6)));
        }
    }

    private void add(String kernel, String impl, String dtype, int m, int n, int k, double ms, long weightBytes) {
        results.add(new Result(kernel, impl, dtype, m, n, k, round(ms), round(weightBytes / ms / 1e6), round(2.0 * m * n * k / ms / 1e6)));
    }

    /** The targets as ratios measured in this run (null where a figure is missing). */
    private Map<String, Object> ratios(double readGbps) {
        Map<String, Object> r = new LinkedHashMap<>();
        String impl = KernelProvider.kernels().name();
        Double gemvF32 = ms("gemv", impl, "f32", 1), gemvBf16 = ms("gemv", impl, "bf16", 1), gemvDnnl = ms("gemv", "dnnl", "f32", 1);
        Double k1 = ms("gemm_rows", impl, "f32", 1), k4 = ms("gemm_rows", impl, "f32", 4), k8 = ms("gemm_rows", impl, "f32", 8);
        Double d1 = ms("gemm_rows", "dnnl", "f32", 1), d4 = ms("gemm_rows", "dnnl", "f32", 4);
        if (gemvF32 != null) check(r, "gemv_f32_gbps_over_read_gbps", round(4.0 * dim * dim / gemvF32 / 1e6 / readGbps), ">=", 0.9);
        if (gemvF32 != null && gemvDnnl != null) check(r, "gemv_f32_speed_over_dnnl_m1", round(gemvDnnl / gemvF32), ">=", 1.0);
        if (gemvF32 != null && gemvBf16 != null) check(r, "gemv_bf16_speedup_over_f32", round(gemvF32 / gemvBf16), ">=", 1.7);
        if (k1 != null && k4 != null) check(r, "rows_k4_time_over_k1", round(k4 / k1), "<=", 1.2);
        if (k1 != null && k8 != null) check(r, "rows_k8_time_over_k1", round(k8 / k1), "<=", 1.5);
        if (d1 != null && d4 != null) r.put("dnnl_rows_k4_time_over_k1", round(d4 / d1));
        Double g2048 = gflops("dnnl", 2048), j1024 = gflops(impl, 1024), d1024 = gflops("dnnl", 1024);
        if (g2048 != null) check(r, "dnnl_gemm_2048_gflops", g2048, ">=", 170);
        if (j1024 != null && d1024 != null) check(r, "java_gemm_1024_over_dnnl", round(j1024 / d1024), ">=", 0.4);
        // The smallest size from which oneDNN wins at every larger size measured (null: it never does).
        Integer crossover = null;
        int[] ladder = {2048, 1024, 256, 128, 64, 32, 16, 8};
        for (int size : ladder) {
            Double j = gflops(impl, size), d = gflops("dnnl", size);
            if (j == null || d == null || d <= j) break;
            crossover = size;
        }
        r.put("gemm_dnnl_faster_from_size", crossover);
        return r;
    }

    /** A ratio with its target: {"value": v, "target": "op t", "met": bool}. */
    private static void check(Map<String, Object> r, String name, double value, String op, double target) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("value", round(value));
        e.put("target", op + " " + target);
        e.put("met", op.equals(">=") ? value >= target : value <= target);
        r.put(name, e);
    }

    private Double ms(String kernel, String impl, String dtype, int m) {
        return results.stream().filter(x -> x.kernel.equals(kernel) && x.impl.equals(impl) && x.dtype.equals(dtype) && x.m == m)
                .map(Result::ms).findFirst().orElse(null);
    }

    private Double gflops(String impl, int size) {
        return results.stream().filter(x -> x.kernel.equals("gemm") && x.impl.equals(impl) && x.m == size)
                .map(Result::gflops).findFirst().orElse(null);
    }

    private static void printTable(Map<String, Object> report) {
        System.out.printf("read bandwidth %.1f GB/s   kernels %s (%s-bit)   threads %s   pool dispatch %.2f µs%n",
                report.get("read_gbps"), report.get("kernels"), report.get("vector_bits"), report.get("threads"), report.get("dispatch_us"));
        System.out.printf("%-10s %-7s %-5s %6s %6s %6s %10s %9s %9s%n", "kernel", "impl", "dtype", "m", "n", "k", "ms", "GB/s", "GFLOP/s");
        @SuppressWarnings("unchecked") List<Result> rs = (List<Result>) report.get("results");
        for (Result r : rs)
            System.out.printf("%-10s %-7s %-5s %6d %6d %6d %10.3f %9.1f %9.1f%n", r.kernel, r.impl, r.dtype, r.m, r.n, r.k, r.ms, r.gbps, r.gflops);
        System.out.println("ratios measured in this run:");
        @SuppressWarnings("unchecked") Map<String, Object> ratios = (Map<String, Object>) report.get("ratios");
        ratios.forEach((key, v) -> {
            if (v instanceof Map<?, ?> e)
                System.out.printf("  %-34s %8s   target %-7s %s%n", key, e.get("value"), e.get("target"), (Boolean) e.get("met") ? "met" : "MISSED");
            else System.out.printf("  %-34s %8s%n", key, v);
        });
    }

    /** Median wall time in ms of {@code reps} runs (fewer when they exceed {@code budgetSeconds}), after a warm-up. */
    static double median(int reps, double budgetSeconds, Runnable body) {
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
        return d.length % 2 == 1 ? d[d.length / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
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
