package dev.panamax.kan;

import dev.panamax.dnnl.HeapArrays;
import dev.panamax.kernel.Gemm;
import dev.panamax.kernel.KernelProvider;
import dev.panamax.kernel.WorkerPool;
import dev.panamax.kernel.SplineKernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntConsumer;

/**
 * How one {@link KanLayer} runs in float32. The spline edges' parameters are folded into one packed
 * matrix {@code w[in][1 + nBases][out]}:
 *
 * <pre>
 *   w[i][0][j]     = mask[i][j] · scale_base[i][j]                   (multiplies base(x_i))
 *   w[i][1 + m][j] = mask[i][j] · scale_sp[i][j] · coef[i][j][m]     (multiplies B_m(x_i))
 * </pre>
 *
 * so a layer's spline part is {@code [base(X) | B(X)] · w}. Two ways to compute it:
 * <ul>
 *   <li><b>local</b>: per sample and input, find the knot span, evaluate the k + 1 non-zero bases,
 *       and add k + 2 rows of w into the outputs with one fused pass ({@link SplineKernels#accumulate});
 *       (k + 2)·in·out multiply-adds per sample. Narrow layers on uniform cubic grids do the same
 *       arithmetic with the samples in vector lanes ({@link SplineKernels#cubicUniform}). A single
 *       sample holds its outputs in registers over all the inputs ({@link SplineKernels#accumulateSample}),
 *       each thread on its own contiguous slice of the weights, {@link #ws}; a narrow layer after
 *       such a split one runs inside the same pool call, each thread on the values it has just
 *       computed ({@link #forwardWith}). All three sum a
 *       sample's inputs in {@link SplineKernels}' block order (from 16 inputs on, four chains
 *       added at the end), so a sample gets the same floats whatever batch it comes in.</li>
 *   <li><b>dense</b>: build the sparse feature matrix [base(X) | B(X)] for a tile of samples and
 *       multiply it by w in one GEMM: (G + k + 1)·in·out multiply-adds, but at GEMM efficiency.</li>
 * </ul>
 * From {@link #DENSE_TIMED_FROM} rows the calls choose between the two by their own times, per
 * power of two of the batch ({@link #timeDense}; the dense path may win at 64 rows and lose at
 * 4096, or the other way round, and a busy machine moves the line); below, and on layers too small
 * to be worth timing, the local path. Small batches run the tiled loop or each sample through
 * batch 1's path, as their calls' times say ({@link #small}). The two paths do not give the same
 * floats: the dense path sums in another order (within 2e-5 relative of each other in the tests).
 *
 * <p>Symbolic edges are added in double afterwards; a sample with a non-finite input to this layer
 * is recomputed edge by edge with pykan's exact semantics ({@link Reference}), so NaN and infinities
 * appear exactly where pykan has them.
 */
final class LayerPlan {
    private static final int TILE_FLOATS = 4096;    // local path: a tile of outputs this large stays in L1
    // Rows per tile of the dense path (measurements vary it). [64,256,256,10] at batch 4096, every layer dense, 3 rounds
    // interleaved in one JVM, load 3.8-4.1, time against 256 rows: G=5 64 rows 0.94-0.96, 128 0.89-0.97, 512 0.94-1.06;
    // G=20 64 0.94-0.99, 128 0.96-0.98, 512 0.99-1.06.
    static volatile int denseTile = 128;
    // A batch the dense path gets whole (below KanModel.PARALLEL_FROM) is shared out across the pool
    // by rows, at least DENSE_SPLIT_ROWS per thread, from denseSplitFrom multiply-adds (tests lower it).
    // [64,256,256,10], every layer dense, interleaved, load 2.2-2.7, split against one thread: G=20 at
    // 32 rows 0.55-0.64 of the time, 64 0.45-0.72, 128 0.69-0.73; G=5 at 64 and 128 about even
    // (0.8-1.2), at 32 1.2-1.37 with its 256 -> 256 layer split (18.9M multiply-adds), hence 2^25.
    private static final int DENSE_SPLIT_ROWS = 16;
    static volatile long denseSplitFrom = 1L << 25;
    static volatile boolean nativeDense = true;     // false: the dense path multiplies on the heap, as without oneDNN (measurements compare)
    static volatile long denseStallNanos = 0;       // tests: every dense call first waits this long, as on a machine where the dense path is slow
    private static final int NARROW_OUT = 8;           // up to this many outputs the local path computes bases across the batch
    private static final int LANES_TILE = 256;         // samples per tile of that path
    private static final int LANES_FROM = 4;           // below, per sample ([2,5,1], interleaved: 1.32x the time at 1 row, 1.08 at 2, 0.81 at 4)
    private static final long SPLIT_FROM = 1L << 14;   // rows·in·out from which a small batch is split by outputs
    static long sliceCopyFloats = 8L << 20;   // 32 MiB: beyond, batch 1 streams from memory and a copy buys little (tests lower it)

    final KanLayer layer;
    private final int in, out, rowsPerInput, k;
    private final float[] w;
    // The dense path's copy of w for oneDNN, which reads native memory only: 64-byte aligned, in the
    // model's arena (freed when the model closes); null where oneDNN did not load or the scalar
    // kernels run (the dense path then multiplies on the heap, Gemm's Java GEMM).
    private final MemorySegment wNative;
    private final int[] symbolicEdges;   // edges (j * in + i) whose symbolic term is non-zero for finite inputs
    private final float[] subScale, subBias, nodeScale, nodeBias;
    private final boolean plainNodes;    // no multiplication nodes and unit affines: the subnodes are the nodes
    private final SplineKernels kernels;
    // Uniform cubic grids only (else null): per input, its knots, and for SplineKernels.cubicUniform
    // the spline weights by span q (0 .. G + 2k - 1): cubicTable[i][o][j][q] = w[i][1 + q - 3 + j][o],
    // the weight of basis q - 3 + j, 0 where that basis does not exist (the spans at the ends).
    private final float[][] spanKnots;
    private final float[] cubicTable;
    private final int spans;
    // Batch 1's copy of w, cut into the slices of outputs the pool's threads take: slice q, outputs
    // sliceFrom[q] .. sliceFrom[q + 1] - 1, is its own [in][1 + nBases][width] block from sliceAt[q].
    // A thread's part of the weights is then contiguous, so what it reads stays in its own cache
    // (and the prefetcher pulls in none of the other thread's lines). One slice, or a layer whose
    // copy would pass sliceCopyFloats: ws is w, and the slices are read in place.
    private final float[] ws;
    // Where slice 0 starts in ws (0 .. 15 floats), chosen so that the slices' vectors sit whole in
    // cache lines (align): changed only under wsLock's write lock, read under its read lock.
    private int wsShift;
    private final ReentrantReadWriteLock wsLock = new ReentrantReadWriteLock();
    private int alignCheck;     // batch-1 split calls, counted loosely (a lost count only delays a check)
    static final int ALIGN_EVERY = 1024;
    static volatile boolean aligning = true;    // false: the slices stay where they are (measurements compare)
    private final int[] sliceFrom, sliceAt;
    private final boolean sharedGrid;     // uniform cubic, and every input has the same knots: batch 1 finds spans in lanes across the inputs

    // The dense path or the local one: 1 dense at every batch size (forced), -1 never, 0 from DENSE_TIMED_FROM
    // rows as the calls' own times say (timeDense, denseNow); below, the local path.
    volatile int denseMode = -1;
    static final int DENSE_TIMED_FROM = 64;
    // Dense or local, one choice per power of two of the batch from DENSE_TIMED_FROM (index log2 of the batch):
    // denseWhole for a batch KanModel.forward leaves whole, denseSplit for one it splits by rows; true: dense.
    private volatile TimedChoice[] denseWhole, denseSplit;
    volatile boolean splitOutputs = true;   // batches of 2 or more, below KanModel.PARALLEL_FROM, on wide layers: split outputs across the pool (measured)
    volatile int sampleSplit = 0;           // batch 1 on a wide layer: 0 split or not as the calls' times say (splitNow), 1 always, -1 never (tests pin it)
    volatile int oneByOne = 0;              // batches of 2 .. PARALLEL_FROM - 1: 0 sample by sample or not as the calls' times say (small), 1 always, -1 never (tests pin it)
    static final int SPLIT_MAX_PERIOD = 4096, MAX_PERIOD = 32768;
    // Batch 1 changes between split and unsplit only after two trials in a row say so: a stall of a
    // few milliseconds in one 16-call window (16 calls unsplit 174 us, split 4,313 us) was enough
    // to make a quiet machine run unsplit for a period or more. Changes logged in a harness that
    // runs the bench's warm-up and rounds at batch 1 ([64,256,256,10] G=5 and G=20, 3 processes a
    // side): 13 to unsplit with one trial deciding, 2 with two. A machine that stays busy still
    // goes unsplit, one period (512 calls) later.
    static final int SPLIT_CONFIRM = 2;
    private final TimedChoice split = new TimedChoice(true, SPLIT_MAX_PERIOD, MAX_PERIOD, false, SPLIT_CONFIRM);    // batch 1: true split
    // Batch 1 of this layer with the narrow one after it (forwardWith): the same choice, but its calls
    // time both layers, so they get a choice of their own and are never compared with this layer's
    // calls alone (which small batches run sample by sample still make).
    private final TimedChoice pairSplit = new TimedChoice(true, SPLIT_MAX_PERIOD, MAX_PERIOD, false, SPLIT_CONFIRM);
    // Small batches, one choice per power of two (2-3, 4-7, .., 128-255 at index 1 .. 7): true sample by sample
    private final TimedChoice[] routes = new TimedChoice[log2(KanModel.PARALLEL_FROM - 1) + 1];
    volatile boolean batchBases = false;    // local path: bases in vector lanes across the batch (narrow layers)
    volatile boolean denseLanes = false;    // dense path: spans and bases in vector lanes (uniform cubic layers)

    LayerPlan(KanLayer layer, SplineKernels kernels, Arena arena) {
        this.layer = layer;
        this.kernels = kernels;
        this.in = layer.in();
        this.out = layer.out();
        this.k = layer.k();
        int nb = layer.basisCount();
        this.rowsPerInput = 1 + nb;
        this.w = new float[in * rowsPerInput * out + 16];    // + a whole vector, so masked reads of the last row stay in bounds
        for (int i = 0; i < in; i++)
            for (int j = 0; j < out; j++) {
                int e = i * out + j;
                double m = layer.mask()[e];
                w[(i * rowsPerInput) * out + j] = (float) (m * layer.scaleBase()[e]);
                double s = m * layer.scaleSp()[e];
                for (int b = 0; b < nb; b++)
                    w[(i * rowsPerInput + 1 + b) * out + j] = (float) (s * layer.coef()[e * nb + b]);
            }
        if (Gemm.dnnlAvailable() && !(KernelProvider.kernels() instanceof dev.panamax.kernel.ScalarKernels)) {
            long floats = (long) in * rowsPerInput * out;
            wNative = arena.allocate(4 * floats, 64);
            MemorySegment.copy(w, 0, wNative, ValueLayout.JAVA_FLOAT, 0, (int) floats);
        } else {
            wNative = null;
        }
        int[] edges = new int[0];
        if (layer.hasSymbolic()) {
            edges = java.util.stream.IntStream.range(0, in * out).filter(e -> {
                // '0' contributes mask·d for finite x; any other function may contribute even with mask 0 (NaN)
                return layer.symFun()[e] != Symbolic.ZERO || layer.symMask()[e] * layer.symAffine()[e * 4 + 3] != 0;
            }).toArray();
        }
        this.symbolicEdges = edges;
        this.subScale = toFloat(layer.subScale());
        this.subBias = toFloat(layer.subBias());
        this.nodeScale = toFloat(layer.nodeScale());
        this.nodeBias = toFloat(layer.nodeBias());
        this.plainNodes = layer.multArity().length == 0 && unit(layer.subScale(), layer.subBias()) && unit(layer.nodeScale(), layer.nodeBias());
        if (uniformCubic()) {
            spans = layer.knots()[0].knotCount() - 1;
            spanKnots = new float[in][];
            for (int i = 0; i < in; i++) spanKnots[i] = layer.knots()[i].knots();
            cubicTable = new float[in * out * 4 * spans + 16];      // + one whole vector read past the last row
            for (int i = 0; i < in; i++)
                for (int o = 0; o < out; o++)
                    for (int j = 0; j < 4; j++)
                        for (int q = 0; q < spans; q++) {
                            int basis = q - 3 + j;
                            if (basis >= 0 && basis < nb)
                                cubicTable[((i * out + o) * 4 + j) * spans + q] = w[(i * rowsPerInput + 1 + basis) * out + o];
                        }
        } else {
            spans = 0;
            spanKnots = null;
            cubicTable = null;
        }
        boolean same = spanKnots != null;
        for (int i = 1; same && i < in; i++) same = Arrays.equals(spanKnots[i], spanKnots[0]);
        sharedGrid = same;
        spare = new AtomicReferenceArray<>(KernelProvider.pool().threads());
        for (int q = 0; q < spare.length(); q++) spare.set(q, new Sample(in, k));
        for (int b = 1; b < routes.length; b++) routes[b] = new TimedChoice(false, MAX_PERIOD, MAX_PERIOD);
        int slices = splittable(1) ? KernelProvider.pool().threads() : 1;     // batch 1's split, when it may split
        int width = (out / slices + 15) / 16 * 16;     // whole vectors per slice
        sliceFrom = new int[slices + 1];
        sliceAt = new int[slices];
        for (int q = 0; q < slices; q++) {
            sliceFrom[q + 1] = q == slices - 1 ? out : Math.min(out, sliceFrom[q] + width);
            if (q > 0) sliceAt[q] = sliceAt[q - 1] + in * rowsPerInput * (sliceFrom[q] - sliceFrom[q - 1]);
        }
        if (slices == 1 || w.length > sliceCopyFloats) {
            ws = w;
        } else {
            ws = new float[in * rowsPerInput * out + 16 + 16];     // + room to shift the slices by up to 15 floats
            for (int q = 0; q < slices; q++) {
                int n = sliceFrom[q + 1] - sliceFrom[q];
                for (int row = 0; row < in * rowsPerInput; row++)
                    System.arraycopy(w, row * out + sliceFrom[q], ws, sliceAt[q] + row * n, n);
            }
            align();
        }
    }

    /** Whether x·scale + bias is x for every element: scales 1 and biases 0 (a -0 then stays -0, which 1·x + 0 would make +0). */
    private static boolean unit(double[] scale, double[] bias) {
        for (double v : scale) if (v != 1) return false;
        for (double v : bias) if (v != 0) return false;
        return true;
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /**
     * The layer on {@code rows} samples of x (rows × in), a batch {@link KanModel#forward} leaves
     * whole: rows × nodes. Dense or local as {@link #denseMode} says; from {@link #DENSE_TIMED_FROM}
     * rows, when timed, as this batch size's {@link TimedChoice} says, the call timed for it (per row).
     */
    float[] forward(float[] x, int rows) {
        float[] sub = new float[rows * out];
        TimedChoice choice = denseMode == 0 && rows >= DENSE_TIMED_FROM ? denseWhole[log2(rows)] : null;
        if (choice == null) {
            spline(x, rows, sub, denseMode > 0, false);
        } else {
            int phase = choice.nextPhase();
            long t0 = System.nanoTime();
            spline(x, rows, sub, choice.now(phase), choice.trial(phase));
            choice.timed(phase, (System.nanoTime() - t0) / rows);
        }
        return finish(x, rows, sub);
    }

    /**
     * A whole batch's spline part into sub: dense, or local (batch 1's path, {@link #small}'s
     * choice, or the tiled loop). A {@code trial} of the local path against the dense one takes
     * the way small's choice has chosen, without a trial of its own inside: nested, small's trial
     * of one by one (batch 1 split across the pool, on a busy machine stalled a scheduler tick per
     * sample and layer) made [64,256,256,10] G=5's trials of local at batch 64 take 5-20x a
     * round's time.
     */
    private void spline(float[] x, int rows, float[] sub, boolean dense, boolean trial) {
        if (dense) dense(x, rows, sub, false);
        else if (rows == 1 || rows >= KanModel.PARALLEL_FROM) local(x, rows, sub);
        else if (trial) { if (oneByOne(rows)) oneByOne(x, rows, sub); else local(x, rows, sub); }
        else small(x, rows, sub);
    }

    /**
     * How every thread's part of one batch that {@link KanModel#forward} splits by rows runs this
     * layer: {@code dense} or the tiled loop, and the choice to time the call for at its
     * {@code phase} (null: untimed). Taken once per model call ({@link #part}), so that both threads
     * run the layer the same way and the choice's calls come in order from one thread.
     */
    record Part(boolean dense, TimedChoice choice, int phase) {}

    private static final Part PART_LOCAL = new Part(false, null, 0), PART_DENSE = new Part(true, null, 0);

    /**
     * The way this layer runs the parts of a batch of {@code batch} rows split by {@link KanModel#forward},
     * the first part having {@code rows}: local below {@link #DENSE_TIMED_FROM} rows a part, else as
     * {@link #denseMode} or the batch size's choice says.
     */
    Part part(int batch, int rows) {
        if (denseMode != 0) return denseMode > 0 ? PART_DENSE : PART_LOCAL;
        if (rows < DENSE_TIMED_FROM) return PART_LOCAL;
        TimedChoice choice = denseSplit[log2(batch)];
        int phase = choice.nextPhase();
        return new Part(choice.now(phase), choice, phase);
    }

    /**
     * One thread's part of a batch that {@link KanModel#forward} has split by samples across the
     * pool: the dense path on this thread alone, or the tiled loop (not {@link #small}'s choice,
     * which times calls that have the pool to themselves), as {@code part} says; the time per row
     * reported to its choice when this thread is the {@code timer} (the first part's).
     */
    float[] forward(float[] x, int rows, Part part, boolean timer) {
        float[] sub = new float[rows * out];
        long t0 = System.nanoTime();
        if (part.dense()) dense(x, rows, sub, true); else local(x, rows, sub);
        if (timer && part.choice() != null) part.choice().timed(part.phase(), (System.nanoTime() - t0) / rows);
        return finish(x, rows, sub);
    }

    /**
     * Whether a batch of {@code batch} rows runs this layer dense now: a whole batch ({@code rows}
     * = batch) or one split by rows, its first part {@code rows} ({@link KanModel#paths}).
     */
    boolean denseNow(int batch, int rows, boolean split) {
        if (denseMode != 0) return denseMode > 0;
        return rows >= DENSE_TIMED_FROM && (split ? denseSplit : denseWhole)[log2(batch)].chosen();
    }

    /**
     * Lets the calls' own times choose between the dense and the local path from
     * {@link #DENSE_TIMED_FROM} rows, per power of two of the batch and whole or split, each
     * choice starting with {@code denseFirst} for a whole period of calls ({@link Crossover}).
     * The first trial of the other path may run its code cold: [64,256,256,10] G=5 at batch 64,
     * after 476 calls dense (1.3 ms each, warm), took 57-268 ms a call for the first local calls of
     * its trial, then 6-18 ms, about 0.8 s in all, once; that trial fails, and the next, a doubled
     * period later, compares compiled code. Timed by the calls, a wrong first path costs a period
     * of calls, not the model's life as a timing at load did.
     */
    void timeDense(boolean denseFirst) {
        TimedChoice[] whole = new TimedChoice[31], split = new TimedChoice[31];
        for (int b = log2(DENSE_TIMED_FROM); b < whole.length; b++) {
            whole[b] = new TimedChoice(denseFirst, MAX_PERIOD, MAX_PERIOD, true);
            split[b] = new TimedChoice(denseFirst, MAX_PERIOD, MAX_PERIOD, true);
        }
        denseWhole = whole;
        denseSplit = split;
        denseMode = 0;
    }

    /** The dense choice of a batch of this many rows ({@link #DENSE_TIMED_FROM} or more), whole or split by {@link KanModel#forward}; tests drive it. */
    TimedChoice denseChoice(int batch, boolean split) { return (split ? denseSplit : denseWhole)[log2(batch)]; }

    private static int log2(int rows) { return 31 - Integer.numberOfLeadingZeros(rows); }

    /**
     * The layer's output from its spline part sub (rows × out) on the input x: the symbolic edges
     * added, the rows with a non-finite input recomputed exactly, then the nodes.
     */
    private float[] finish(float[] x, int rows, float[] sub) {
        if (symbolicEdges.length > 0) addSymbolic(x, rows, sub);
        if (!allFinite(x, rows * in)) for (int r = 0; r < rows; r++)
            if (!finiteRow(x, r)) {
                double[] xr = new double[in];
                for (int i = 0; i < in; i++) xr[i] = x[r * in + i];
                double[] exact = Reference.subnodesBeforeAffine(layer, xr);
                for (int j = 0; j < out; j++) sub[r * out + j] = (float) exact[j];
            }
        return nodes(sub, rows);
    }

    /**
     * Whether the first n values of x are all finite, in vector lanes ({@link SplineKernels#allFinite}):
     * batch 1 of [64,256,256,10] checks 576 values a call (each layer's input), and one by one that
     * was 2-3% of its time: both ways interleaved in one JVM (300 rounds of 5 ms, 3 processes, load
     * 1.5-1.7), G=5 median 16.9-19.5 us a sample against 17.4-20.2, 0.965-0.974 of the time
     * (leaving the checks out, as a measurement only, gave 0.974-0.979: in lanes they cost next to nothing).
     */
    private boolean allFinite(float[] x, int n) { return kernels.allFinite(x, 0, n); }

    private boolean finiteRow(float[] x, int r) { return kernels.allFinite(x, r * in, in); }

    /**
     * Local path, into sub (rows × out, zero on entry). Batch 1 goes through {@link #sample}, split
     * across the pool or not as its calls' times say ({@link #splitNow}); from 2 rows the tiled loop.
     * Small batches on a wide layer split their outputs across the pool when {@link #splitOutputs}
     * (each worker streams its own slice of w); a large batch is already split by samples in
     * {@link KanModel#forward}.
     */
    void local(float[] x, int rows, float[] sub) {
        if (rows == 1) {
            int mode = splittable(1) ? sampleSplit : -1, phase = mode == 0 ? nextPhase() : 0;
            boolean split = mode == 1 || mode == 0 && splitNow(phase);
            boolean clock = mode == 0 && this.split.counts(phase);     // the clock read only for calls whose time counts (TimedChoice.counts)
            long t0 = clock ? System.nanoTime() : 0;
            sample(x, sub, split);
            if (clock) timed(phase, System.nanoTime() - t0);
            return;
        }
        WorkerPool pool = KernelProvider.pool();
        int slices = pool.threads();
        if (splitOutputs && splittable(rows)) {
            int width = (out / slices + 15) / 16 * 16;     // whole vectors per slice
            pool.parallelFor(slices, c -> {
                int o0 = Math.min(out, c * width), o1 = c == slices - 1 ? out : Math.min(out, o0 + width);
                if (o1 > o0) local(x, rows, sub, o0, o1);
            });
        } else {
            local(x, rows, sub, 0, out);
        }
    }

    /**
     * A batch of 2 .. {@link KanModel#PARALLEL_FROM} - 1 on the local path, into sub: the tiled loop
     * ({@link #local}) or each sample through batch 1's path ({@link #oneByOne}), whichever its
     * calls' times say, per layer and per power of two of the batch ({@link TimedChoice}, times per
     * sample). Neither wins everywhere: batch 1 holds a sample's outputs in registers over all the
     * inputs, each thread on its own contiguous slice of the weights, while the loop reads and
     * writes a tile's outputs once per input and gains per sample as the batch grows; one by one
     * is fast only while batch 1 splits (a busy machine makes it go unsplit, {@link #splitNow}).
     * Measured on 2 cores under load 2.4-2.9, 3 rounds interleaved in one JVM, us a sample, the
     * loop / one by one / this choice: [64,256,256,10] G=5 batch 2 42 / 19-21 / 20-30, batch 4 36 /
     * 20-21 / 20-28, batch 8 32-35 / 41-64 / 28-35, batch 32 29-31 / 34 / 26-28, batch 128 32 / 33-36
     * / 27 (the 256->10 layer one by one, the others the loop); G=20 batch 2 46-50 / 36 / 41-42,
     * batch 64 42-47 / 46-56 / 37-41. Over batches 2-128 the choice took 0.5-1.0 of the loop's
     * time in most rounds; single rounds up to 1.3-1.6 where a burst of load hit its 16-call
     * windows, and G=5 batch 64 1.06-1.21 in all three (one by one kept on layers where it had
     * become 10% slower, until the next trial). [2,5,1]'s tiny layers are not
     * timed ({@link Crossover}). A load-time timing of both was tried and dropped: at load the JIT
     * has not compiled batch 1's kernels (the loop was warm from the load-time timing of the dense path, since dropped too), and under
     * load it timed one by one 40x slower than the loop at batch 2, a choice then kept for good.
     * Both ways give the same floats (row invariance).
     */
    private void small(float[] x, int rows, float[] sub) {
        if (oneByOne != 0) {
            if (oneByOne > 0) oneByOne(x, rows, sub); else local(x, rows, sub);
            return;
        }
        TimedChoice route = route(rows);
        int phase = route.nextPhase();
        boolean each = route.now(phase);
        long t0 = System.nanoTime();
        if (each) oneByOne(x, rows, sub); else local(x, rows, sub);
        route.timed(phase, (System.nanoTime() - t0) / rows);
    }

    /**
     * Makes batch 1 of this layer and {@code next} (the layer after it) one pool call when that is
     * possible, and says whether it is: this layer splits its outputs across the pool at batch 1,
     * next does not (too narrow), and each of this layer's slices of outputs is a run of whole
     * blocks of next's inputs ({@link SplineKernels#blocks}: [64,256,256,10]'s 256 -> 256 layer on
     * two threads gives outputs 0-127 and 128-255, the 256 -> 10 layer's blocks 0-1 and 2-3). This
     * layer's outputs must be its subnodes as they come (plain nodes, no symbolic edges), so a
     * thread may go on with its own slice of them at once. See {@link #forwardWith}.
     */
    boolean fuse(LayerPlan next) {
        int slices = sliceFrom.length - 1;
        fusedBounds = null;
        if (slices < 2 || next.splittable(1) || next.in != out || !plainNodes || symbolicEdges.length > 0
                || SplineKernels.blocks(next.in) < 2) return false;
        int blocks = SplineKernels.blocks(next.in);
        int[][] bounds = new int[slices][];
        int[] first = new int[slices];
        for (int q = 0, b = 0; q < slices; q++) {
            if (SplineKernels.blockStart(next.in, b) != sliceFrom[q]) return false;
            first[q] = b;
            int from = b;
            while (b < blocks && SplineKernels.blockStart(next.in, b) < sliceFrom[q + 1]) b++;
            if (SplineKernels.blockStart(next.in, b) != sliceFrom[q + 1]) return false;
            bounds[q] = new int[b - from + 1];
            for (int e = from; e <= b; e++) bounds[q][e - from] = SplineKernels.blockStart(next.in, e) - sliceFrom[q];
        }
        fusedFirstBlock = first;
        fusedBounds = bounds;
        return true;
    }

    // fuse's plan: slice q of this layer's outputs holds next's blocks fusedFirstBlock[q] ..,
    // their bounds counted from the slice's first output (null: no fusion)
    private int[][] fusedBounds;
    private int[] fusedFirstBlock;

    /**
     * Batch 1 through this layer and the narrow layer after it, which {@link #fuse} accepted:
     * next's output. Split (as the calls' times say, {@link #pairSplit}), one pool call does both:
     * thread q computes its slice of this layer's outputs, then, from those values, next's
     * partial sums s_b of the blocks of inputs its slice holds ({@link SplineKernels#chainSums}),
     * and the caller adds them up, ((s0 + s1) + s2) + s3, as {@link SplineKernels#accumulateSample}
     * does: next's floats are those of its own batch-1 call. This spares next's call on the caller
     * alone while the worker waits (2.4 us of [64,256,256,10] G=5's 17 us a sample) and one call to
     * the pool. Unsplit, the two layers one after the other; either way the whole is timed, into a
     * choice of its own, so it compares like with like. An input that is not finite (this layer's rows are then
     * recomputed exactly) takes the layers one by one. Measured ([64,256,256,10] G=5 batch 1, 64
     * distinct inputs, alternated processes, load 2.5-2.9, those that kept the split): 15.3 us a
     * sample at best, median 15.6-15.7, against 16.0-16.2 and 16.2-16.4 before.
     *
     * <p>Tried and dropped: all of the model's split layers in one pool call, a thread preparing
     * the next layer's inputs from its own slice of outputs for both threads and waiting for the
     * other's slice between layers (no call to the pool per layer). No gain over this: best of 150
     * rounds of 20 ms interleaved in one JVM, split pinned, 15.3-15.8 us against 14.7-15.6. An
     * empty two-chunk {@code WorkerPool.parallelFor} costs 0.15-0.2 us, so a layer's time beyond
     * its weights is not the call to the pool, and the shared preparation's reads of the other
     * core's values cost what it saved.
     */
    float[] forwardWith(LayerPlan next, float[] x) {
        if (fusedBounds == null || sampleSplit < 0 || denseMode > 0 || next.denseMode > 0 || !allFinite(x, in))
            return next.forward(forward(x, 1), 1);
        int mode = sampleSplit, phase = mode == 0 ? pairSplit.nextPhase() : 0;
        boolean split = mode == 1 || mode == 0 && pairSplit.now(phase);
        float[] sub = new float[out], subNext = new float[next.out];
        boolean clock = mode == 0 && pairSplit.counts(phase);
        long t0 = clock ? System.nanoTime() : 0;
        if (split) {
            fused(x, sub, next, subNext);
        } else {
            sample(x, sub, false);
            next.sample(sub, subNext, false);
        }
        if (clock) pairSplit.timed(phase, System.nanoTime() - t0);
        return next.finish(sub, 1, subNext);     // sub is this layer's output as it is (finite inputs, plain nodes, no symbolic edges)
    }

    /** {@link #forwardWith}'s split: this layer into sub, next's spline part into subNext, in one pool call. */
    private void fused(float[] x, float[] sub, LayerPlan next, float[] subNext) {
        int n = next.out, blocks = SplineKernels.blocks(next.in);
        float[] sums = new float[blocks * n];
        acrossSlices(q -> {
            slice(q, x, sub);
            next.chainSums(sub, sliceFrom[q], sliceFrom[q + 1] - sliceFrom[q], fusedBounds[q], sums, fusedFirstBlock[q] * n, q);
        });
        for (int o = 0; o < n; o++) {       // the block order's sum, s0 first (the chain from y = +0)
            float sum = sums[o];
            for (int b = 1; b < blocks; b++) sum += sums[b * n + o];
            subNext[o] = sum;
        }
    }

    /**
     * The block chains of this layer at batch 1 over its inputs from .. from + count - 1, from x
     * (this layer's input, of which only those values are read): chain c over the inputs
     * {@code from + bounds[c] .. from + bounds[c + 1] - 1}, its sum for output o at
     * {@code sums[at + c * out + o]} ({@link SplineKernels#chainSums}). {@code slot}: the
     * Sample to prepare in ({@link #take}), the slice of the layer before that calls.
     */
    private void chainSums(float[] x, int from, int count, int[] bounds, float[] sums, int at, int slot) {
        Sample s = take(slot);
        prepare(x, from, count, s);
        kernels.chainSums(w, rowsPerInput * out, out, from * rowsPerInput * out, s.base, s.row, s.c, in, k + 1, bounds, out, sums, at);
        putBack(slot, s);
    }

    /** Whether a batch of this many rows now runs sample by sample ({@link #small}); batch 1 always does. */
    boolean oneByOne(int rows) {
        if (rows == 1) return true;
        if (rows >= KanModel.PARALLEL_FROM) return false;
        return oneByOne != 0 ? oneByOne > 0 : route(rows).chosen();
    }

    /** The choice of batches of this many rows, 2 .. PARALLEL_FROM - 1. */
    TimedChoice route(int rows) { return routes[log2(rows)]; }

    /**
     * Each of {@code rows} samples through batch 1's path ({@link #local} on one row), split
     * across the pool or not as batch 1's calls' times say; these calls count among them.
     */
    void oneByOne(float[] x, int rows, float[] sub) {
        float[] xr = new float[in], yr = new float[out];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(x, r * in, xr, 0, in);
            Arrays.fill(yr, 0f);
            local(xr, 1, yr);
            System.arraycopy(yr, 0, sub, r * out, out);
        }
    }

    /**
     * Whether the batch-1 call at this phase of its period splits its outputs across the pool
     * ({@link TimedChoice}). On a quiet machine splitting nearly halves the time; on a busy one a
     * worker that loses its core in the middle of its slice holds the call up for a scheduler
     * tick, and the mean time becomes twice the unsplit one while the median still looks good
     * (measured under load 3-4: median 35 us either way, mean 65-80 split, 36 unsplit). So the
     * calls time themselves, stalls included. Untimed settling calls: counted, the first split
     * calls after an unsplit trial (the worker parked, ws to reload instead of w) made a quiet
     * machine keep [64,256,256,10]'s layer 1 unsplit (5.9 us a call against 3.4 split) and at
     * times every layer (35 us a sample against 18.5). Periods while split grow only up to
     * {@link #SPLIT_MAX_PERIOD} calls (tens of milliseconds), so stalls end the split soon; while
     * unsplit up to {@link #MAX_PERIOD}. (At 512 calls the unsplit trials cost a quiet machine 3%
     * of batch 1's time.) Both ways give the same floats.
     */
    boolean splitNow(int phase) { return split.now(phase); }

    /** The next batch-1 call's phase in its period. */
    int nextPhase() { return split.nextPhase(); }

    /** The time of the batch-1 call at this phase, for {@link #splitNow}'s comparison. */
    void timed(int phase, long nanos) { split.timed(phase, nanos); }

    boolean splitChosen() { return split.chosen(); }

    /** {@link #forwardWith}'s split choice (tests). */
    TimedChoice pairSplit() { return pairSplit; }

    int period() { return split.period(); }

    /** Cubic splines on uniform grids for every input: the layers {@link SplineKernels#cubicUniform} can run. */
    boolean uniformCubic() {
        if (k != 3) return false;
        for (Knots kn : layer.knots()) if (!kn.isUniform()) return false;
        return true;
    }

    /** Layers narrow enough that the per-sample basis work, not the update over outputs, dominates the local path. */
    boolean narrow() { return out <= NARROW_OUT && uniformCubic(); }

    boolean splittable(int rows) {
        return KernelProvider.pool().threads() > 1 && out >= 64 * KernelProvider.pool().threads()
                && (long) rows * in * out >= SPLIT_FROM && rows < KanModel.PARALLEL_FROM;
    }

    /**
     * The local path for one sample x ({@link SplineKernels#accumulateSample}): its base values,
     * spans and bases for every input first ({@link #prepare}), then the update over the outputs:
     * each pool thread its slice of {@link #ws} when {@code split}, else all of w on this thread.
     * The same floats as the tiled loop.
     */
    private void sample(float[] x, float[] sub, boolean split) {
        int slices = sliceFrom.length - 1;
        if (split && slices > 1) {
            // Each slice prepares the sample itself, in its own Sample: the worker starts at once
            // instead of waiting for the caller's preparation, and then reads its bases from its
            // own cache rather than from the caller's core (a few KB per layer).
            acrossSlices(q -> slice(q, x, sub));
            return;
        }
        Sample s = prepare(x, take(0));   // one thread: w's whole rows (4-5% faster than ws slice by slice, [64,256,256,10] interleaved)
        kernels.accumulateSample(w, rowsPerInput * out, out, 0, s.base, s.row, s.c, in, k + 1, in, out, sub, 0);
        putBack(0, s);
    }

    /** Slice q of the outputs for the sample x, into sub, prepared in slot q's Sample ({@link #take}). */
    private void slice(int q, float[] x, float[] sub) {
        Sample s = take(q);
        slice(q, prepare(x, s), sub);
        putBack(q, s);
    }

    /**
     * Slice q of the outputs for the prepared sample s, into sub, inside {@link #acrossSlices}: its
     * caller holds wsLock's read lock for the whole pool call, so wsShift stays put, and the pool's
     * publication of the call shows a worker the caller's view of it.
     */
    private void slice(int q, Sample s, float[] sub) {
        int o0 = sliceFrom[q], n = sliceFrom[q + 1] - o0;
        if (ws == w) kernels.accumulateSample(w, rowsPerInput * out, out, o0, s.base, s.row, s.c, in, k + 1, in, n, sub, o0);
        else kernels.accumulateSample(ws, rowsPerInput * n, n, wsShift + sliceAt[q], s.base, s.row, s.c, in, k + 1, in, n, sub, o0);
    }

    /**
     * Batch 1's split: job for every slice, across the pool, with ws held where it is (under
     * wsLock's read lock, so {@link #align} cannot move the slices meanwhile); first, now and
     * then, {@link #align}.
     */
    private void acrossSlices(IntConsumer job) {
        checkAlignment();
        Lock reading = wsLock.readLock();
        reading.lock();
        try {
            // job itself, not a lambda around it that passes wsShift: one object fewer made per
            // call, and one fewer the worker must fetch from the caller's core before it starts.
            // [64,256,256,10] G=5 batch 1, split pinned, against the wrapper in one JVM (a class
            // loader each, 300 alternating rounds of 5 ms, 3 processes, load 0.7-2.0): from this
            // method's entry to the caller's slice 0.78, 0.89, 0.83 of the time (141 -> 108 ns on
            // a quiet run), to the worker's slice 0.85, 0.99, 0.95 (278 -> 247 ns); the whole
            // sample 0.98-1.02 in 7 of 8 processes (one 0.62 and one 1.04: where the JVM put the
            // arrays; main against itself 1.00-1.02), no change end to end.
            KernelProvider.pool().parallelFor(sliceFrom.length - 1, job);
        } finally {
            reading.unlock();
        }
    }

    /** Every {@link #ALIGN_EVERY} batch-1 split calls, {@link #align}: the GC may have moved ws since. */
    private void checkAlignment() {
        if (ws != w && (++alignCheck & (ALIGN_EVERY - 1)) == 0 && aligning) align();
    }

    /**
     * Moves the slices within ws so that they start on a 64-byte line where the JVM holds ws now
     * ({@link HeapArrays#lineOffset}; nothing when that is unknown, or another thread is moving
     * them or reading them). Batch 1 reads whole 64-byte vectors; a heap array starts wherever
     * the GC put it (a multiple of 8 bytes), and vectors that straddle two lines make the slices
     * stream up to a third slower. Over one 256 -> 256 slice (G=5, 1.2 MB, from L3), the same
     * kernel: 6.6-7.0 us aligned, 7.8-8.2 at 32 bytes off, 9.6-10.0 at 8-24 or 40-56 off (3
     * processes, 8 rounds each); and [64,256,256,10] G=5 batch 1 ran 15.8-21.0 us a sample in 5
     * processes that all had their slices off. The floats do not change.
     */
    void align() {
        int offset = HeapArrays.lineOffset(ws, 0);
        if (offset < 0 || offset % 4 != 0) return;
        int want = ((64 - offset) & 63) / 4;
        if (want != wsShift && wsLock.writeLock().tryLock()) {
            try {
                moveSlices(want);
            } finally {
                wsLock.writeLock().unlock();
            }
        }
    }

    /** Puts slice 0 at {@code shift} floats into ws (the caller holds wsLock's write lock). */
    private void moveSlices(int shift) {
        System.arraycopy(ws, wsShift, ws, shift, in * rowsPerInput * out);
        wsShift = shift;
    }

    /** Moves the slices to start {@code shift} floats into ws (0 .. 15), aligned or not (tests). */
    void shiftSlices(int shift) {
        if (shift < 0 || shift > 15) throw new IllegalArgumentException("shift " + shift);
        wsLock.writeLock().lock();
        try {
            moveSlices(shift);
        } finally {
            wsLock.writeLock().unlock();
        }
    }

    /** The byte offset in its cache line of slice 0's first float now, -1 when unknown or there is no copy (tests). */
    int slicesLineOffset() {
        if (ws == w) return -1;
        wsLock.readLock().lock();
        try {
            return HeapArrays.lineOffset(ws, wsShift);
        } finally {
            wsLock.readLock().unlock();
        }
    }

    /**
     * One sample's inputs, ready for {@link SplineKernels#accumulateSample}: base values, the first
     * spline row each input touches among its 1 + nBases (-1: none, the input lies outside its grid)
     * and the k + 1 bases, basis j of input i at {@code c[j * in + i]}. Reused from call to call ({@link #spare}).
     */
    private static final class Sample {
        final float[] base, c, window, scratch, x;
        final int[] row, outliers;

        Sample(int in, int k) {
            window = new float[k + 1];
            scratch = new float[k + 1];
            base = new float[in];
            c = new float[(k + 1) * in];
            row = new int[in];
            outliers = new int[in];
            x = new float[in];
        }
    }

    // Batch 1's scratch: a Sample per slice of the outputs (slot q; a call left unsplit uses slot
    // 0), taken for the length of a call and put back (take, putBack). One slot per pool thread,
    // not per slice of this layer: a fused pair's chainSums on this layer takes the slot of the
    // layer before's slice, and that layer may split where this one does not. Not a ThreadLocal per
    // layer: a layer's ThreadLocal is new, and its first lookups in the JIT's compiled batch-1
    // code take branches of ThreadLocalMap that code had never seen (an empty or a colliding
    // slot of the thread's map); the JIT then threw the compiled prepare, sample and the pool's
    // lambdas away and ran them in its profiling tier, vector code and all, until it compiled
    // them again. A model built in a warm JVM ran batch 1 at two to five times its steady time for
    // its first 0.1-0.4 s ([64,256,256,10] G=5; -Xlog:deoptimization showed the traps in
    // ThreadLocalMap.getEntry).
    private final AtomicReferenceArray<Sample> spare;

    /**
     * The Sample of slot q ({@link #spare}), for this call alone; a new one when another thread's
     * call on this layer holds it now (concurrent callers), which then replaces it on putBack.
     */
    private Sample take(int q) {
        Sample s = spare.getAndSet(q, null);
        return s != null ? s : new Sample(in, k);
    }

    private void putBack(int q, Sample s) { spare.setRelease(q, s); }

    /**
     * Fills s for the sample x. When every input has the same uniform cubic
     * grid the spans and bases come in vector lanes across the inputs ({@link SplineKernels#cubicWindows},
     * with the SiLU in the same pass, {@link SplineKernels#siluCubicWindows});
     * the inputs it leaves, and other grids, take {@link Knots#span} and {@link Knots#weights}.
     * Either way each input gets the floats of {@code Knots.weights}.
     */
    private Sample prepare(float[] x, Sample s) { return prepare(x, 0, in, s); }

    /**
     * {@link #prepare} for the inputs from .. from + count - 1 alone, as if they were a layer's
     * inputs 0 .. count - 1 (their knots those of from ..): input from + t at t of the Sample's
     * arrays, basis j at {@code c[j * in + t]}. Each input gets the floats it gets in prepare.
     */
    private Sample prepare(float[] x, int from, int count, Sample s) {
        int nb = rowsPerInput - 1;
        Knots[] knots = layer.knots();
        if (sharedGrid) {
            Knots kn = knots[0];
            int left;
            if (layer.base() == BaseFunction.SILU) {
                // One pass over the values (SplineKernels.siluCubicWindows) instead of silu, then
                // cubicWindows on a copy: [64,256,256,10] G=5 batch 1 over the bench's 64 inputs,
                // both ways interleaved in one JVM (300 rounds of 5 ms, 3 processes, load 1.7-1.8),
                // median 14.4-14.6 us a sample against 15.0-15.2, 0.96 of the time in each process.
                left = kernels.siluCubicWindows(x, from, count, spanKnots[0], spans, kn.knot(0), kn.invStep(), nb,
                        s.base, s.row, s.c, in, s.outliers);
            } else {
                base(x, from, s.base, count);
                float[] xs = x;
                if (from > 0) System.arraycopy(x, from, xs = s.x, 0, count);
                left = kernels.cubicWindows(xs, count, spanKnots[0], spans, kn.knot(0), kn.invStep(), nb, s.row, s.c, in, s.outliers);
            }
            for (int e = 0; e < left; e++) {          // off the grid (Knots.span gives -1: no bases), on a knot, not finite
                int t = s.outliers[e];
                scalarWeights(x[from + t], from + t, t, s);
            }
        } else {
            base(x, from, s.base, count);
            for (int t = 0; t < count; t++) scalarWeights(x[from + t], from + t, t, s);
        }
        return s;
    }

    /** Input i's row and bases, at t of s's arrays, through {@link Knots#span} and {@link Knots#weights}. */
    private void scalarWeights(float v, int i, int t, Sample s) {
        Knots kn = layer.knots()[i];
        int sp = kn.span(v);
        if (sp < 0) { s.row[t] = -1; return; }
        int start = kn.weights(v, sp, s.window, s.scratch);
        for (int j = 0; j <= k; j++) s.c[j * in + t] = s.window[j];
        s.row[t] = 1 + start;
    }

    /**
     * Outputs [o0, o1) of the local path: per input i, a tile of samples each adds its k + 2 rows of
     * w[i]. The inputs go in {@link SplineKernels}' block order: block 0 straight into sub, each
     * other block into a zeroed buffer that is then added into sub, so every sample gets the floats
     * of {@link SplineKernels#accumulateSample}.
     */
    private void local(float[] x, int rows, float[] sub, int o0, int o1) {
        if (batchBases && cubicTable != null && rows >= LANES_FROM) { lanes(x, rows, sub, o0, o1); return; }
        int n = o1 - o0, blocks = SplineKernels.blocks(in);
        int tile = Math.clamp(TILE_FLOATS / n, 1, 64);
        float[] xi = new float[tile], bi = new float[tile], c = new float[k + 1], scratch = new float[k + 1];
        float[] part = blocks > 1 ? new float[tile * n] : null;      // a block's partial sums, sample by sample; zero between blocks
        Knots[] knots = layer.knots();
        for (int r0 = 0; r0 < rows; r0 += tile) {
            int tb = Math.min(tile, rows - r0);
            for (int b = 0; b < blocks; b++) {
                for (int i = SplineKernels.blockStart(in, b); i < SplineKernels.blockStart(in, b + 1); i++) {
                    for (int t = 0; t < tb; t++) xi[t] = x[(r0 + t) * in + i];
                    base(xi, bi, tb);
                    Knots kn = knots[i];
                    int wi = i * rowsPerInput * out + o0;
                    for (int t = 0; t < tb; t++) {
                        float v = xi[t];
                        int s = kn.span(v);
                        float[] y = b == 0 ? sub : part;
                        int yOff = b == 0 ? (r0 + t) * out + o0 : t * n;
                        if (s < 0) {
                            kernels.accumulate(w, wi, bi[t], wi, out, c, 0, n, y, yOff);
                        } else {
                            int start = kn.weights(v, s, c, scratch);
                            kernels.accumulate(w, wi, bi[t], wi + (1 + start) * out, out, c, k + 1, n, y, yOff);
                        }
                    }
                }
                if (b > 0)      // added in, and zeroed for the next block in the same pass
                    for (int t = 0; t < tb; t++)
                        for (int o = 0, at = (r0 + t) * out + o0; o < n; o++) { sub[at + o] += part[t * n + o]; part[t * n + o] = 0f; }
            }
        }
    }

    /**
     * The local path with the samples in vector lanes (uniform cubic grids; narrow layers, where a
     * pass over a handful of outputs is too short to vectorise): the outputs of a tile of samples
     * are held transposed (output by sample) while every input adds its part through
     * {@link SplineKernels#cubicUniform}; the few samples it leaves (outside the grid's interior)
     * take the per-sample arithmetic. The inputs go in the block order, as in {@link #local}'s
     * per-sample loop, so each sample gets the same floats as there.
     */
    private void lanes(float[] x, int rows, float[] sub, int o0, int o1) {
        int n = o1 - o0, blocks = SplineKernels.blocks(in);
        int tile = Math.min(Math.clamp(TILE_FLOATS / n, 16, LANES_TILE), (rows + 15) / 16 * 16);   // small batches: small buffers
        float[] xi = new float[tile], bi = new float[tile], yT = new float[n * tile], c = new float[4], scratch = new float[4];
        float[] partT = blocks > 1 ? new float[n * tile] : null;     // a block's partial sums (SplineKernels' block order), transposed too; zero between blocks
        int[] slow = new int[tile];
        Knots[] knots = layer.knots();
        for (int r0 = 0; r0 < rows; r0 += tile) {
            int tb = Math.min(tile, rows - r0);
            Arrays.fill(yT, 0f);
            for (int b = 0; b < blocks; b++) {
                float[] y = b == 0 ? yT : partT;
                for (int i = SplineKernels.blockStart(in, b); i < SplineKernels.blockStart(in, b + 1); i++) {
                    for (int t = 0; t < tb; t++) xi[t] = x[(r0 + t) * in + i];
                    base(xi, bi, tb);
                    Knots kn = knots[i];
                    int wi = i * rowsPerInput * out + o0;
                    int left = kernels.cubicUniform(xi, bi, tb, spanKnots[i], spans, kn.knot(0), kn.invStep(), 0,
                            w, wi, cubicTable, (i * out + o0) * 4 * spans, n, y, tile, slow);
                    for (int e = 0; e < left; e++) {
                        int t = slow[e];
                        float v = xi[t];
                        int s = kn.span(v), terms = 0, row = wi;
                        if (s >= 0) { row = wi + (1 + kn.weights(v, s, c, scratch)) * out; terms = 4; }
                        for (int o = 0; o < n; o++) {     // accumulate's chain, down a column
                            float acc = Math.fma(bi[t], w[wi + o], y[o * tile + t]);
                            for (int j = 0; j < terms; j++) acc = Math.fma(c[j], w[row + j * out + o], acc);
                            y[o * tile + t] = acc;
                        }
                    }
                }
                if (b > 0) for (int e = 0; e < n * tile; e++) { yT[e] += partT[e]; partT[e] = 0f; }   // added in, and zeroed for the next block
            }
            for (int t = 0; t < tb; t++)
                for (int o = 0; o < n; o++) sub[(r0 + t) * out + o0 + o] = yT[o * tile + t];
        }
    }

    /** The layer's base function of the first n values of x, into b. */
    private void base(float[] x, float[] b, int n) { base(x, 0, b, n); }

    /** The layer's base function of the n values of x from {@code from}, into b from 0. */
    private void base(float[] x, int from, float[] b, int n) {
        switch (layer.base()) {
            case SILU -> kernels.silu(x, from, b, 0, n);
            case IDENTITY -> System.arraycopy(x, from, b, 0, n);
            case ZERO -> Arrays.fill(b, 0, n, 0f);      // non-finite inputs are redone exactly
        }
    }

    /**
     * Dense path: [base(X) | B(X)] for a tile of samples, times w, as one GEMM. With oneDNN the tile
     * is copied once into this thread's native scratch and multiplied by {@link #wNative} in place,
     * no copy of the weights; on this thread alone when {@code part} (the batch is already split
     * across the pool by {@link KanModel#forward}, and oneDNN's own threads would put two threads on
     * each core). A batch forward leaves whole is shared out by rows here when large enough
     * ({@link #denseSplitFrom}). Without oneDNN, and for tiles too small for it, {@link Gemm#matmul}
     * on the heap arrays.
     */
    void dense(float[] x, int rows, float[] sub, boolean part) {
        if (denseStallNanos > 0) java.util.concurrent.locks.LockSupport.parkNanos(denseStallNanos);
        WorkerPool pool = KernelProvider.pool();
        int threads = pool.threads();
        if (!part && threads > 1 && denseInPlace() && rows >= 2 * DENSE_SPLIT_ROWS && (long) rows * out * in * rowsPerInput >= denseSplitFrom) {
            // A batch KanModel.forward leaves whole (below PARALLEL_FROM): its rows shared out, each
            // thread building its own features and multiplying them on its own
            int parts = Math.min(threads, rows / DENSE_SPLIT_ROWS);
            pool.parallelFor(parts, q -> {
                int from = (int) ((long) q * rows / parts), to = (int) ((long) (q + 1) * rows / parts);
                dense(x, from, to, sub, true);
            });
            return;
        }
        dense(x, 0, rows, sub, part);
    }

    /** Rows from .. to - 1 of x on the dense path, into the same rows of sub. */
    private void dense(float[] x, int from, int to, float[] sub, boolean part) {
        int rows = to - from;
        int width = in * rowsPerInput;
        int tile = Math.min(denseTile, rows);
        boolean inPlace = denseInPlace() && (long) tile * out * width >= Gemm.dnnlMinFlops();
        boolean rowWise = sharedGrid && denseLanes;
        DenseBuffers b = DenseBuffers.of(tile * width, rowWise ? tile * in : 0, inPlace ? (long) tile * (width + out) : 0);
        float[] features = b.features, y = inPlace ? null : new float[tile * out];
        MemorySegment a = inPlace ? b.a(tile * width) : null, c = inPlace ? b.c(tile * width, tile * out) : null;
        for (int r0 = from; r0 < to; r0 += tile) {
            int tb = Math.min(tile, to - r0);
            Arrays.fill(features, 0, tb * width, 0f);
            if (rowWise) sharedGridFeatures(x, r0, tb, features, b);
            else features(x, r0, tb, features);
            if (inPlace) {
                MemorySegment.copy(features, 0, a, ValueLayout.JAVA_FLOAT, 0, tb * width);
                if (part) Gemm.sgemmOnThisThread(false, false, tb, out, width, 1f, a, width, wNative, out, 0f, c, out);
                else Gemm.sgemm(false, false, tb, out, width, 1f, a, width, wNative, out, 0f, c, out);
                MemorySegment.copy(c, ValueLayout.JAVA_FLOAT, 0, sub, r0 * out, tb * out);
            } else {
                Gemm.matmul(features, w, y, tb, out, width);
                System.arraycopy(y, 0, sub, r0 * out, tb * out);
            }
        }
    }

    /**
     * The feature rows [base(x_i) | B(x_i)] of samples r0 .. r0 + tb - 1 into features (zero on
     * entry), input by input: each input's spans and bases in vector lanes across the samples
     * ({@link SplineKernels#cubicBases}) on uniform cubic grids when {@link #denseLanes}, else
     * through {@link Knots#span} and {@link Knots#weights}.
     */
    private void features(float[] x, int r0, int tb, float[] features) {
        int width = in * rowsPerInput, nBases = rowsPerInput - 1;
        float[] xi = new float[tb], bi = new float[tb], cb = new float[k + 1], scratch = new float[k + 1];
        boolean lanes = denseLanes && cubicTable != null;
        int[] span = lanes ? new int[tb] : null, slow = lanes ? new int[tb] : null;
        float[] cs = lanes ? new float[4 * tb] : null;
        Knots[] knots = layer.knots();
        for (int i = 0; i < in; i++) {
            for (int t = 0; t < tb; t++) xi[t] = x[(r0 + t) * in + i];
            base(xi, bi, tb);
            Knots kn = knots[i];
            if (lanes) {       // spans and bases in vector lanes; the samples outside the interior below
                int left = kernels.cubicBases(xi, tb, spanKnots[i], spans, kn.knot(0), kn.invStep(), 0, span, cs, tb, slow);
                for (int e = 0; e < left; e++) span[slow[e]] = -1;
            }
            for (int t = 0; t < tb; t++) {
                int f = t * width + i * rowsPerInput;
                features[f] = bi[t];
                if (lanes && span[t] >= 0) {        // bases span - 3 .. span, those that exist
                    int first = span[t] - 3;
                    for (int j = Math.max(0, -first); j < 4 && first + j < nBases; j++) features[f + 1 + first + j] = cs[j * tb + t];
                    continue;
                }
                int s = kn.span(xi[t]);
                if (s >= 0) {
                    int start = kn.weights(xi[t], s, cb, scratch);
                    for (int j = 0; j <= k; j++) features[f + 1 + start + j] = cb[j];
                }
            }
        }
    }

    /**
     * {@link #features} when every input shares one uniform cubic grid ({@link #sharedGrid}): the
     * tile's tb · in values, row-major as they come, are one run of vector lanes for the base
     * function and for {@link SplineKernels#cubicWindows}, and value e = t · in + i owns features
     * e · (1 + nBases) .. e · (1 + nBases) + nBases, so the tile is written front to back (input by
     * input, each write went to another sample's row). The values it leaves (off the grid, on a knot,
     * not finite) take {@link Knots#span} and {@link Knots#weights}. The same floats either way.
     */
    private void sharedGridFeatures(float[] x, int r0, int tb, float[] features, DenseBuffers b) {
        int n = tb * in;
        float[] xt = b.x, bt = b.base, cw = b.c;
        int[] first = b.first, outliers = b.outliers;
        System.arraycopy(x, r0 * in, xt, 0, n);
        base(xt, bt, n);
        Knots kn = layer.knots()[0];
        int left = kernels.cubicWindows(xt, n, spanKnots[0], spans, kn.knot(0), kn.invStep(), rowsPerInput - 1, first, cw, n, outliers);
        for (int e = 0; e < left; e++) first[outliers[e]] = -1;      // below
        for (int e = 0, f = 0; e < n; e++, f += rowsPerInput) {
            features[f] = bt[e];
            int row = first[e];
            if (row < 0) continue;
            features[f + row] = cw[e];
            features[f + row + 1] = cw[n + e];
            features[f + row + 2] = cw[2 * n + e];
            features[f + row + 3] = cw[3 * n + e];
        }
        float[] cb = new float[4], scratch = new float[4];
        for (int q = 0; q < left; q++) {
            int e = outliers[q], s = kn.span(xt[e]);
            if (s < 0) continue;
            int start = kn.weights(xt[e], s, cb, scratch);
            for (int j = 0; j < 4; j++) features[e * rowsPerInput + 1 + start + j] = cb[j];
        }
    }

    /**
     * Per thread: the dense path's buffers, grown on demand and kept between calls (a tile of
     * [64,256,256,10]'s features is 2.4 MB): the heap feature tile, the values and windows of
     * {@link #sharedGridFeatures}, and the native memory oneDNN reads the tile from and writes its
     * product to (freed by the GC once replaced).
     */
    private static final class DenseBuffers {
        private static final ThreadLocal<DenseBuffers> MINE = ThreadLocal.withInitial(DenseBuffers::new);
        float[] features = new float[0], x = new float[0], base = new float[0], c = new float[0];
        int[] first = new int[0], outliers = new int[0];
        MemorySegment scratch = MemorySegment.NULL;

        static DenseBuffers of(int features, int values, long nativeFloats) {
            DenseBuffers b = MINE.get();
            if (b.features.length < features) b.features = new float[features];
            if (b.x.length < values) {
                b.x = new float[values];
                b.base = new float[values];
                b.c = new float[4 * values];
                b.first = new int[values];
                b.outliers = new int[values];
            }
            if (b.scratch.byteSize() < 4 * nativeFloats) b.scratch = Arena.ofAuto().allocate(4 * nativeFloats, 64);
            return b;
        }

        MemorySegment a(long floats) { return scratch.asSlice(0, 4 * floats); }

        MemorySegment c(long from, long floats) { return scratch.asSlice(4 * from, 4 * floats); }
    }

    /** Adds c·f(a·x + b) + d, summed over inputs in double, for the symbolic edges that can be non-zero. */
    private void addSymbolic(float[] x, int rows, float[] sub) {
        double[] acc = new double[out];
        double[] affine = layer.symAffine(), mask = layer.symMask();
        Symbolic[] funs = layer.symFun();
        for (int r = 0; r < rows; r++) {
            Arrays.fill(acc, 0);
            for (int e : symbolicEdges) {
                int j = e / in, i = e % in;
                double a = affine[4 * e], b = affine[4 * e + 1], c = affine[4 * e + 2], d = affine[4 * e + 3];
                acc[j] += mask[e] * (c * funs[e].apply(a * x[r * in + i] + b) + d);
            }
            for (int j = 0; j < out; j++) sub[r * out + j] = (float) (sub[r * out + j] + acc[j]);
        }
    }

    /** Subnode affine, multiplication nodes, node affine: rows × out subnodes to rows × nodes. */
    private float[] nodes(float[] sub, int rows) {
        if (plainNodes) return sub;
        int nodes = layer.nodes(), nSum = layer.nSum();
        int[] arity = layer.multArity();
        float[] y = new float[rows * nodes];
        for (int r = 0; r < rows; r++) {
            int so = r * out, yo = r * nodes;
            for (int j = 0; j < out; j++) sub[so + j] = subScale[j] * sub[so + j] + subBias[j];
            for (int j = 0; j < nSum; j++) y[yo + j] = sub[so + j];
            int at = nSum;
            for (int g = 0; g < arity.length; g++) {
                float p = sub[so + at] * sub[so + at + 1];
                for (int q = 2; q < arity[g]; q++) p *= sub[so + at + q];
                y[yo + nSum + g] = p;
                at += arity[g];
            }
            for (int j = 0; j < nodes; j++) y[yo + j] = nodeScale[j] * y[yo + j] + nodeBias[j];
        }
        return y;
    }

    /** Whether the dense path multiplies through oneDNN in place (on tiles large enough for it). */
    boolean denseInPlace() { return nativeDense && wNative != null; }

    /** The dense path's native weights ({@link #wNative}), null where it multiplies on the heap. */
    MemorySegment denseWeights() { return wNative; }

    /** Multiply-adds per sample of each path, for reports. */
    long localMacs() { return (long) (k + 2) * in * out; }

    long denseMacs() { return (long) rowsPerInput * in * out; }
}
