package dev.panamax.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.panamax.kernel.KernelProvider;
import dev.panamax.kernel.MemoryProbe;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** What the end-to-end benches share: JSON output, the machine's description, progress, temp folders. */
final class BenchSupport {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchSupport() {}

    /** The machine the figures belong to: CPU, cores, JDK, kernels and their vector width. */
    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("jdk", System.getProperty("java.vm.name") + " " + Runtime.version());
        m.put("kernels", KernelProvider.kernels().name());
        m.put("vector_bits", KernelProvider.vectorBits());
        m.put("threads", KernelProvider.pool().threads());
        return m;
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse(System.getProperty("os.arch"));
        } catch (IOException | UncheckedIOException e) {
            return System.getProperty("os.arch");
        }
    }

    /**
     * The read-bandwidth ceiling in GB/s: the kernels' own streaming read ({@link MemoryProbe}) over a
     * buffer of {@code mib} MiB of ones, median of 7 passes after a warm-up one.
     */
    static double readGbps(long mib) {
        try (ReadProbe probe = new ReadProbe(mib, mib)) {
            return probe.gbps(7);
        }
    }

    /**
     * The read-bandwidth probe over one buffer of ones, filled once and then read as often as a bench
     * likes: {@code bench generate} probes between its timed runs, so that each run is compared with
     * the bandwidth of the same moment.
     */
    static final class ReadProbe implements AutoCloseable {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment buf;
        private final long slice;
        private long next;

        /** A buffer of {@code mib} MiB, read {@code sliceMib} at a time by {@link #readSlice} (at most the buffer). */
        ReadProbe(long mib, long sliceMib) {
            if (mib < 1) throw new IllegalArgumentException("probe buffer must be >= 1 MiB, is " + mib);
            if (sliceMib < 1) throw new IllegalArgumentException("probe slice must be >= 1 MiB, is " + sliceMib);
            buf = arena.allocate(mib << 20, 64);
            slice = Math.min(sliceMib, mib) << 20;
            float[] ones = new float[1 << 18];
            Arrays.fill(ones, 1f);
            for (long off = 0; off < buf.byteSize(); off += 4L * ones.length)
                MemorySegment.copy(ones, 0, buf, ValueLayout.JAVA_FLOAT_UNALIGNED, off, (int) Math.min(ones.length, (buf.byteSize() - off) / 4));
            for (int i = 0; i < 3; i++) check(MemoryProbe.sumFloats(buf)); // warm-up: the pages come in, the JIT compiles the probe
        }

        /** GB/s: the median of {@code passes} reads of the whole buffer. */
        double gbps(int passes) {
            double[] gbps = new double[passes];
            for (int i = 0; i < passes; i++) {
                long t0 = System.nanoTime();
                float sum = MemoryProbe.sumFloats(buf);
                gbps[i] = buf.byteSize() / (double) (System.nanoTime() - t0);
                check(sum);
            }
            Arrays.sort(gbps);
            return gbps[passes / 2];
        }

        /** Bytes {@link #readSlice} reads. */
        long sliceBytes() { return slice; }

        /**
         * Reads the buffer's next slice, going round it slice after slice so that a slice is long out
         * of the caches when its turn comes again; returns the nanoseconds the read took.
         */
        long readSlice() {
            if (next + slice > buf.byteSize()) next = 0;
            MemorySegment part = buf.asSlice(next, slice);
            next += slice;
            long t0 = System.nanoTime();
            float sum = MemoryProbe.sumFloats(part);
            long t = System.nanoTime() - t0;
            check(sum);
            return t;
        }

        private static void check(float sum) {
            if (!(sum > 0)) throw new IllegalStateException("read-bandwidth probe summed " + sum + " over a buffer of ones");
        }

        @Override public void close() { arena.close(); }
    }

    /** The median of {@code v} (the mean of the middle two for an even count); NaN when empty. */
    static double median(List<Double> v) {
        if (v.isEmpty()) return Double.NaN;
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = a.length;
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }

    /** A progress bar on stderr, so that stdout keeps only the result; {@code steps} -1 for one that only ticks. */
    static ProgressBar progress(String task, long steps) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(steps).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).continuousUpdate().build();
    }

    static Path tempFolder() {
        try {
            return Files.createTempDirectory("panamax-bench-");
        } catch (IOException e) {
            throw new UncheckedIOException("creating a temporary folder", e);
        }
    }

    /** Deletes a folder and everything under it; best effort, so a failure never hides the bench's own error. */
    static void deleteTree(Path folder) {
        if (folder == null || !Files.exists(folder)) return;
        try (Stream<Path> all = Files.walk(folder)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    System.err.println("panamax bench: could not delete " + p + ": " + e.getMessage());
                }
            });
        } catch (IOException e) {
            System.err.println("panamax bench: could not delete " + folder + ": " + e.getMessage());
        }
    }

    /** Rounds for display and JSON: figures carry noise far above 4 significant digits. */
    static double round(double v, int digits) {
        if (!Double.isFinite(v) || v == 0) return v;
        return new java.math.BigDecimal(v).round(new java.math.MathContext(digits)).doubleValue();
    }
}
