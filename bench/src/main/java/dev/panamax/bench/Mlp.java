package dev.panamax.bench;

import dev.panamax.kernel.Gemm;
import dev.panamax.kernel.KernelProvider;
import dev.panamax.kernel.Kernels;
import dev.panamax.kernel.SplineKernels;
import dev.panamax.kernel.WorkerPool;
import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The baseline of {@code bench kan}: an MLP [in, H, ..., H, out] with SiLU between layers, H the
 * largest width that keeps it within the KAN's parameter count. A baseline slowed by how it is run
 * would flatter the KAN, so it runs as Panamax runs its LLMs: weights are native F32 tensors shaped
 * (out, in), with a native (in, out) copy for oneDNN, and each batch size takes the fastest of
 * four paths, timed against each other when the bench warms up ({@link #choose}):
 * <ul>
 *   <li>{@link Path#KERNELS}: {@link Kernels#matmul}, the GEMV and k-row matmul the LLM decodes
 *       with (each weight streamed once for all rows, output rows split across the pool);</li>
 *   <li>{@link Path#ONEDNN_ROWS}: tiles of {@link #TILE} rows shared out across the pool, each
 *       taken through every layer by oneDNN's sgemm on native memory on its own thread (a batch of
 *       one tile runs on the calling thread alone);</li>
 *   <li>{@link Path#ONEDNN_OUTPUTS}: all rows together, each large layer's outputs split across the
 *       pool, every thread's share through oneDNN's sgemm;</li>
 *   <li>{@link Path#GEMM}: {@link Gemm#matmul} on heap arrays (in, out), the baseline as it was at
 *       first: the Java GEMM for small products, oneDNN (given copies) for large ones. It stays a
 *       candidate so that no batch size runs slower than it did: the tiny [2,37,1] at batch 1 ran
 *       it at 2.3 million samples/s, the others at 1.0-2.1.</li>
 * </ul>
 * The oneDNN paths are candidates only where oneDNN loaded.
 * Before its batch size was chosen, a forward pass takes {@link Path#KERNELS}.
 */
final class Mlp {

    enum Path {
        KERNELS, ONEDNN_ROWS, ONEDNN_OUTPUTS, GEMM;

        String label() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'); }
    }

    /** Rows per tile of {@link Path#ONEDNN_ROWS} at most: a tile's activations (128 × 1,416 floats at most here) stay in L2. */
    static final int TILE = 128;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private final int[] widths;
    private final Tensor[] weights;       // layer l: (widths[l + 1], widths[l]), F32
    // The same weights (in, out), for oneDNN: its sgemm ran a transposed B far slower (64 rows of
    // 1416 x 1416: 5.7-6.6 ms against 3.3-3.6 ms; 881 wide: 1.4-4.1 against 1.3-2.1 ms).
    private final MemorySegment[] inOut;
    private final float[][] heapInOut;    // and on the heap, for Path.GEMM
    private final float[][] biases;
    private final Map<Integer, Path> chosen = new ConcurrentHashMap<>();

    private Mlp(int[] widths, Tensor[] weights, float[][] biases) {
        this.widths = widths;
        this.weights = weights;
        this.biases = biases;
        inOut = new MemorySegment[weights.length];
        heapInOut = new float[weights.length][];
        for (int l = 0; l < weights.length; l++) {
            int in = widths[l], out = widths[l + 1];
            heapInOut[l] = new float[in * out];
            for (int o = 0; o < out; o++)
                for (int i = 0; i < in; i++) heapInOut[l][i * out + o] = weights[l].getFloat((long) o * in + i);
            inOut[l] = Arena.ofAuto().allocate(4L * in * out, 64);
            MemorySegment.copy(heapInOut[l], 0, inOut[l], ValueLayout.JAVA_FLOAT, 0, in * out);
        }
    }

    /** The MLP for a KAN of {@code kanWidths} with {@code parameters} parameters: its hidden layers as wide as that count allows. */
    static Mlp withParameters(int[] kanWidths, long parameters, long seed) {
        int[] w = widths(kanWidths, parameters);
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor[] ws = new Tensor[w.length - 1];
        float[][] bs = new float[w.length - 1][];
        for (int l = 0; l + 1 < w.length; l++) {
            // An automatic arena: the pool's threads may read it, and the GC frees it with the model.
            float[] values = new float[w[l + 1] * w[l]];
            for (int i = 0; i < values.length; i++) values[i] = (float) (rnd.nextGaussian() / Math.sqrt(w[l]));
            ws[l] = Tensor.allocate(Arena.ofAuto(), "mlp." + l + ".weight", DType.F32, w[l + 1], w[l]);
            MemorySegment.copy(values, 0, ws[l].data(), F32, 0, values.length);
            bs[l] = new float[w[l + 1]];
            for (int j = 0; j < bs[l].length; j++) bs[l][j] = (float) (rnd.nextGaussian() * 0.1);
        }
        return new Mlp(w, ws, bs);
    }

    /** [in, H, ..., H, out] for a KAN of {@code kanWidths}: H the largest width with at most {@code parameters} parameters. */
    static int[] widths(int[] kanWidths, long parameters) {
        int h = 1;
        while (params(kanWidths, h + 1) <= parameters) h++;
        int[] w = kanWidths.clone();
        for (int l = 1; l + 1 < w.length; l++) w[l] = h;
        return w;
    }

    /** Weights and biases of [w[0], h, ..., h, w[last]]. */
    static long params(int[] w, int h) {
        long n = 0;
        for (int l = 0; l + 1 < w.length; l++) {
            long a = l == 0 ? w[0] : h, b = l + 2 == w.length ? w[w.length - 1] : h;
            n += a * b + b;
        }
        return n;
    }

    int[] widths() { return widths.clone(); }

    long parameterCount() { return parameterCount(widths); }

    /** Weights and biases of an MLP of these widths (its hidden layers all as wide). */
    static long parameterCount(int[] widths) { return params(widths, widths.length > 2 ? widths[1] : 0); }

    Tensor weight(int layer) { return weights[layer]; }

    float[] bias(int layer) { return biases[layer].clone(); }

    /** The paths that can run here: those through oneDNN need it. */
    static List<Path> candidates() {
        return Gemm.dnnlAvailable() ? List.of(Path.values()) : List.of(Path.KERNELS, Path.GEMM);
    }

    /** The path chosen for this batch size ({@link Path#KERNELS} until {@link #choose} ran for it). */
    Path path(int batch) { return chosen.getOrDefault(batch, Path.KERNELS); }

    /**
     * Times every candidate path at this batch size, in turns ({@code rounds} rounds of
     * {@code nanosPerTurn} each, after one untimed turn each), on the inputs in turn, and keeps the
     * one with the smaller median time per call. Returns it.
     */
    Path choose(int batch, float[][] inputs, int rounds, long nanosPerTurn) {
        List<Path> paths = candidates();
        if (paths.size() == 1) {
            chosen.put(batch, paths.getFirst());
            return paths.getFirst();
        }
        int[] next = {0};
        double[][] perCall = new double[paths.size()][rounds];
        for (Path p : paths) turn(p, batch, inputs, next, nanosPerTurn);
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < paths.size(); i++) {
                int q = r % 2 == 0 ? i : paths.size() - 1 - i;       // which goes first alternates
                perCall[q][r] = turn(paths.get(q), batch, inputs, next, nanosPerTurn);
            }
        int best = 0;
        for (int i = 1; i < paths.size(); i++) if (KernelsBench.median(perCall[i]) < KernelsBench.median(perCall[best])) best = i;
        chosen.put(batch, paths.get(best));
        return paths.get(best);
    }

    private double turn(Path p, int batch, float[][] inputs, int[] next, long nanos) {
        long start = System.nanoTime(), calls = 0, elapsed;
        do {
            forward(inputs[next[0]], batch, p);
            next[0] = (next[0] + 1) % inputs.length;
            calls++;
        } while ((elapsed = System.nanoTime() - start) < nanos);
        return elapsed / (double) calls;
    }

    /** {@code batch} samples (row-major in x) through the network by the path chosen for this batch size. */
    float[] forward(float[] x, int batch) { return forward(x, batch, path(batch)); }

    float[] forward(float[] x, int batch, Path path) {
        if ((long) batch * widths[0] > x.length)
            throw new IllegalArgumentException("x holds " + x.length + " floats, " + batch + " rows of " + widths[0] + " need " + (long) batch * widths[0]);
        return switch (path) {
            case KERNELS -> kernels(x, batch);
            case GEMM -> gemm(x, batch);
            case ONEDNN_ROWS -> onednnRows(x, batch);
            case ONEDNN_OUTPUTS -> onednnOutputs(x, batch);
        };
    }

    private float[] kernels(float[] x, int batch) {
        Kernels k = KernelProvider.kernels();
        float[] v = x;
        for (int l = 0; l < weights.length; l++) {
            int out = widths[l + 1];
            float[] y = new float[batch * out];
            k.matmul(v, batch, weights[l], y);
            biasAndActivation(l, y, batch);
            v = y;
        }
        return v;
    }

    private float[] gemm(float[] x, int batch) {
        float[] v = x;
        for (int l = 0; l < weights.length; l++) {
            float[] y = new float[batch * widths[l + 1]];
            Gemm.matmul(v, heapInOut[l], y, batch, widths[l + 1], widths[l]);
            biasAndActivation(l, y, batch);
            v = y;
        }
        return v;
    }

    /** Adds layer l's bias to each of {@code rows} rows of y, then SiLU unless l is the last layer. */
    private void biasAndActivation(int l, float[] y, int rows) {
        Kernels k = KernelProvider.kernels();
        int out = widths[l + 1];
        for (int r = 0; r < rows; r++) k.axpy(1f, biases[l], 0, y, r * out, out);
        if (l + 1 < weights.length) SplineKernels.best().silu(y, 0, y, 0, rows * out);
    }

    private float[] onednnRows(float[] x, int batch) {
        float[] y = new float[batch * widths[widths.length - 1]];
        // Up to TILE rows on the calling thread alone: the path for a busy machine, where a second
        // thread may wait for a core (at a load of 3-7 on 2 cores, [64,1416,1416,10] at batch 64 in
        // two tiles of 32 rows ran 0.4-0.7x as fast as in one oneDNN call). ONEDNN_OUTPUTS shares
        // small batches out.
        int tiles = (batch + TILE - 1) / TILE;
        if (tiles == 1) tile(x, 0, batch, y);
        else KernelProvider.pool().parallelFor(tiles, t -> tile(x, t * TILE, Math.min(TILE, batch - t * TILE), y));
        return y;
    }

    /**
     * Multiply-adds of a layer (rows × out × in) from which {@link Path#ONEDNN_OUTPUTS} splits its
     * outputs across the pool: below, a hand-off costs more than it saves (the bound Kernels.matmul uses).
     */
    static final long SPLIT_FROM = 1 << 18;

    private float[] onednnOutputs(float[] x, int batch) {
        WorkerPool pool = KernelProvider.pool();
        Scratch s = scratch(batch);      // the caller's: the threads write their columns of s.out()
        MemorySegment a = s.in(), c = s.out();
        MemorySegment.copy(x, 0, a, ValueLayout.JAVA_FLOAT, 0, batch * widths[0]);
        float[] y = new float[batch * widths[widths.length - 1]];
        for (int l = 0; l < weights.length; l++) {
            int in = widths[l], out = widths[l + 1];
            MemorySegment w = inOut[l];
            int parts = (long) batch * out * in >= SPLIT_FROM ? Math.min(pool.threads(), out) : 1;
            if (parts == 1) Gemm.sgemmOnThisThread(false, false, batch, out, in, 1f, a, in, w, out, 0f, c, out);
            else pool.parallelFor(parts, q -> {   // columns o0 .. o1 of w and of c
                int o0 = (int) ((long) q * out / parts), o1 = (int) ((long) (q + 1) * out / parts);
                Gemm.sgemmOnThisThread(false, false, batch, o1 - o0, in, 1f, a, in, w.asSlice(4L * o0), out, 0f, c.asSlice(4L * o0), out);
            });
            biasAndActivation(l, c, batch, l + 1 == weights.length ? y : s.heap(), 0, a);
        }
        return y;
    }

    /**
     * Layer l's outputs for {@code rows} rows from native c into v (from row {@code at}), its bias
     * added, and unless l is the last layer SiLU applied and the result copied into native {@code next}.
     */
    private void biasAndActivation(int l, MemorySegment c, int rows, float[] v, int at, MemorySegment next) {
        int out = widths[l + 1];
        MemorySegment.copy(c, ValueLayout.JAVA_FLOAT, 0, v, at * out, rows * out);
        Kernels k = KernelProvider.kernels();
        for (int r = 0; r < rows; r++) k.axpy(1f, biases[l], 0, v, (at + r) * out, out);
        if (l + 1 == weights.length) return;
        SplineKernels.best().silu(v, at * out, v, at * out, rows * out);
        MemorySegment.copy(v, at * out, next, ValueLayout.JAVA_FLOAT, 0, rows * out);
    }

    /** Per thread: native activations in and out of a layer, and a heap copy for the bias and SiLU. */
    private record Scratch(MemorySegment in, MemorySegment out, float[] heap) {}

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

    private Scratch scratch(int rows) {
        int widest = Arrays.stream(widths).max().orElseThrow();
        long floats = (long) rows * widest;
        Scratch s = SCRATCH.get();
        if (s == null || s.heap().length < floats) {
            Arena arena = Arena.ofAuto();
            s = new Scratch(arena.allocate(4 * floats, 64), arena.allocate(4 * floats, 64), new float[(int) floats]);
            SCRATCH.set(s);
        }
        return s;
    }

    /** Rows [r0, r0 + rows) of x through every layer on this thread; their outputs into y. */
    private void tile(float[] x, int r0, int rows, float[] y) {
        Scratch s = scratch(rows);
        int in0 = widths[0];
        MemorySegment.copy(x, r0 * in0, s.in(), ValueLayout.JAVA_FLOAT, 0, rows * in0);
        for (int l = 0; l < weights.length; l++) {
            int in = widths[l], out = widths[l + 1];
            Gemm.sgemmOnThisThread(false, false, rows, out, in, 1f, s.in(), in, inOut[l], out, 0f, s.out(), out);
            boolean last = l + 1 == weights.length;
            biasAndActivation(l, s.out(), rows, last ? y : s.heap(), last ? r0 : 0, s.in());
        }
    }
}
