package dev.panamax.kernel;

import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The Vector API kernels. Only {@link KernelProvider} creates this class, after checking that the
 * incubator module is present and the JIT can compile it well.
 *
 * <p><b>Determinism.</b> Every output element is computed by one fixed sequence of operations,
 * whatever the number of rows, the tile it falls in or the thread that runs it: a single vector
 * accumulator walked over the input in order (for bf16 weights in pair order, see {@link #pairOrder}),
 * its lanes summed by one fixed tree of lane-wise adds
 * ({@link #finishRows}), then the scalar tail with {@code Math.fma}. Lane-wise vector operations and {@code Math.fma} are exact IEEE operations,
 * so the interpreter, C1 and C2 agree bit for bit. {@code reduceLanes} and the vector {@code EXP}
 * are avoided on purpose: their order and accuracy differ between the JIT intrinsic and the Java
 * fallback. The exponential is our own polynomial ({@link #exp(FloatVector)}, {@link #exp(float)}).
 */
final class PanamaKernels implements Kernels {

    static final VectorSpecies<Float> F = chooseSpecies();
    static final int L = F.length();
    /** Shorts with as many lanes as F: bf16 and f16 weights are loaded at half the width, then widened. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    /** Output rows per register tile of the matmul. */
    private static final int TILE = 4;
    /**
     * Multiply-adds (rows × out × in) below which a matmul runs on the calling thread: dispatch would
     * cost more than it saves. It counts the rows too: a k-row pass over a small model's matrices
     * (an MTP verify) has k times a 1-row pass's arithmetic and is worth both cores where the 1-row
     * pass is not. The split never changes a result's bits (each output element is one dot product
     * computed the same way in any chunk, see {@link #matmulAll}). {@code -Dpanamax.parallel.minWeights}
     * overrides it.
     */
    static final long PARALLEL_MIN_WEIGHTS = Long.getLong("panamax.parallel.minWeights", 1L << 18);

    private final WorkerPool pool;

    PanamaKernels(WorkerPool pool) { this.pool = pool; }

    /** {@code -Dpanamax.vector.bits} (128, 256 or 512, at most what the CPU offers); the CPU's preferred width by default. */
    private static VectorSpecies<Float> chooseSpecies() {
        int max = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        return VectorSpecies.of(float.class, VectorShape.forBitSize(requestedBits(System.getProperty("panamax.vector.bits"), max)));
    }

    /** The width {@code value} of -Dpanamax.vector.bits asks for (none: max), or why it cannot be had; text that is no number is refused too, not ignored. */
    static int requestedBits(String value, int max) {
        if (value == null) return max;
        int bits;
        try {
            bits = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            bits = -1;
        }
        if (bits != 128 && bits != 256 && bits != 512)
            throw new IllegalArgumentException("-Dpanamax.vector.bits must be 128, 256 or 512, is '" + value + "'");
        if (bits > max)
            throw new IllegalArgumentException("-Dpanamax.vector.bits=" + bits + " exceeds this CPU's " + max + "-bit vectors");
        return bits;
    }

    static int vectorBits() { return F.vectorBitSize(); }

    int poolThreads() { return pool.threads(); }

    @Override public String name() { return "panama"; }

    // ---------------------------------------------------------------- matmul

    @Override
    public void matmul(float[] x, int rows, Tensor w, float[] out) {
        Checks.matmul(x, rows, w, out);
        int outDim = (int) w.dim(0), in = (int) w.dim(1);
        if (in > 0 && rows > 0 && ((long) rows * outDim * in < PARALLEL_MIN_WEIGHTS || !pool.canShare(w.data()))) {
            // no arrays, lambda or pool: small matrices are called many times per token
            matmulRange(inOrder(x, rows, w, 0), rows, w, outDim, in, out, 0, outDim);
            return;
        }
        matmulAll(new float[][] {x}, new int[] {rows}, new Tensor[] {w}, new float[][] {out});
    }

    @Override
    public void matmul(float[][] xs, int[] rows, Tensor[] ws, float[][] outs) {
        Checks.matmuls(xs, rows, ws, outs);
        matmulAll(xs, rows, ws, outs);
    }

    /**
     * Bytes of weights below which a chunk of a parallel matmul is not split further: claiming a
     * chunk costs an atomic increment and a new start for the prefetchers.
     */
    private static final long MIN_CHUNK_BYTES = 64 << 10;
    /**
     * Bytes of weights above which a chunk is split: a thread the system preempts keeps its chunk
     * until it runs again, and the other threads wait for it at the end of the call. A megabyte is
     * about 0.1 ms of one core's streaming.
     */
    private static final long MAX_CHUNK_BYTES = 1 << 20;
    /** Output rows per unit of work the threads share out: one tile of the GEMV ({@link #f32Tile8x1}). */
    private static final int UNIT = 8;

    /**
     * The matmuls of every (xs[m], rows[m], ws[m], outs[m]) in one parallel call. The output rows of all the matrices
     * are laid end to end in units of {@link #UNIT} rows and cut into chunks the threads claim in turn,
     * large first and ever smaller ({@link #chunkBounds}), so that the threads finish together: the
     * last chunks are small, and no thread waits long for the other's. No chunk exceeds a megabyte,
     * so a thread preempted on a shared machine strands little work. Threads split the output
     * rows only: each output element is still one dot product, computed the same way on any thread
     * and in any chunk.
     */
    private void matmulAll(float[][] xs, int[] rows, Tensor[] ws, float[][] outs) {
        int n = ws.length;
        long work = 0, bytes = 0;
        int units = 0;
        boolean shared = true;
        for (int m = 0; m < n; m++) {
            int outDim = (int) ws[m].dim(0), in = (int) ws[m].dim(1);
            if (rows[m] > 0 && in == 0) Arrays.fill(outs[m], 0, rows[m] * outDim, 0f);
            if (empty(rows[m], ws[m])) continue;
            units += units(rows[m], ws[m]);
            work += (long) rows[m] * outDim * in;
            bytes += ws[m].data().byteSize();
            shared &= pool.canShare(ws[m].data());
        }
        if (units == 0) return;
        // The arithmetic decides whether to use the threads (see PARALLEL_MIN_WEIGHTS); either way
        // every output element gets the same bits. On the calling thread nothing is allocated: a
        // small model's one-row pass makes several such calls per block.
        if (work < PARALLEL_MIN_WEIGHTS || !shared) {
            for (int m = 0; m < n; m++)
                if (!empty(rows[m], ws[m]))
                    matmulRange(inOrder(xs[m], rows[m], ws[m], 0), rows[m], ws[m], (int) ws[m].dim(0), (int) ws[m].dim(1), outs[m], 0, (int) ws[m].dim(0));
            return;
        }
        float[][] ordered = new float[n][]; // each input as its weights' tiles read it, each in a slot of its own
        for (int m = 0; m < n; m++)
            ordered[m] = m > 0 && xs[m] == xs[m - 1] && rows[m] == rows[m - 1] && ws[m].dtype() == ws[m - 1].dtype()
                    && ws[m].dim(1) == ws[m - 1].dim(1) ? ordered[m - 1] : inOrder(xs[m], rows[m], ws[m], m);
        int[] first = new int[n + 1]; // matrix m's units are [first[m], first[m + 1]) of the whole (none for an empty one)
        for (int m = 0; m < n; m++)
            first[m + 1] = first[m] + units(rows[m], ws[m]);
        int minUnits = (int) Math.max(1, MIN_CHUNK_BYTES * units / bytes);
        int maxUnits = (int) Math.max(minUnits, MAX_CHUNK_BYTES * units / bytes);
        int[] bounds = chunkBounds(units, pool.threads(), minUnits, maxUnits);
        pool.parallelFor(bounds.length - 1, c -> {
            int t = bounds[c], end = bounds[c + 1];
            int m = 0;
            while (first[m + 1] <= t) m++;
            for (; t < end; m++) { // the chunk's part of each matrix it overlaps (none of an empty one)
                int upTo = Math.min(end, first[m + 1]), outDim = (int) ws[m].dim(0);
                if (upTo > t)
                    matmulRange(ordered[m], rows[m], ws[m], outDim, (int) ws[m].dim(1), outs[m], (t - first[m]) * UNIT, Math.min(outDim, (upTo - first[m]) * UNIT));
                t = Math.max(t, upTo);
            }
        });
    }

    /** A matmul with no work: no activation rows, or no inputs (its outputs are zeros). */
    private static boolean empty(int rows, Tensor w) { return rows == 0 || w.dim(1) == 0; }

    /** The units of work ({@link #UNIT} output rows) a matmul brings to {@link #matmulAll}: none when it is empty. */
    private static int units(int rows, Tensor w) { return empty(rows, w) ? 0 : (int) ((w.dim(0) + UNIT - 1) / UNIT); }

    /** Per thread: the inputs of its calls with bf16 weights, in pair order, one slot per matrix of a call. */
    private static final ThreadLocal<float[][]> PAIRED = ThreadLocal.withInitial(() -> new float[4][]);

    /**
     * x as the tiles of w read it: itself, or for bf16 weights a copy in pair order ({@link #pairOrder})
     * in this thread's slot (which stays valid until the thread's next call).
     */
    private static float[] inOrder(float[] x, int rows, Tensor w, int slot) {
        if (w.dtype() != DType.BF16) return x;
        int in = (int) w.dim(1), n = rows * in;
        float[][] slots = PAIRED.get();
        if (slot >= slots.length) PAIRED.set(slots = Arrays.copyOf(slots, Math.max(slot + 1, 2 * slots.length)));
        if (slots[slot] == null || slots[slot].length < n) slots[slot] = new float[Math.max(n, 1024)];
        pairOrder(x, rows, in, slots[slot]);
        return slots[slot];
    }

    /**
     * Chunk boundaries over {@code units} units of work for {@code threads} threads, guided: each chunk
     * takes a {@code 2 · threads}-th of what is left, within [minUnits, maxUnits], so the first chunks are
     * large (few claims) and the last ones small (a thread slowed by a neighbour on a shared machine
     * holds the others back by a small chunk at most).
     */
    static int[] chunkBounds(int units, int threads, int minUnits, int maxUnits) {
        int[] bounds = new int[16];
        int chunks = 0;
        for (int t = 0; t < units; ) {
            int size = Math.min(maxUnits, Math.max(minUnits, (units - t + 2 * threads - 1) / (2 * threads)));
            t = Math.min(units, t + size);
            if (chunks + 2 > bounds.length) bounds = Arrays.copyOf(bounds, 2 * bounds.length);
            bounds[++chunks] = t;
        }
        return Arrays.copyOf(bounds, chunks + 1);
    }

    /**
     * Output rows [o0, o1) for every activation row. Each tile of 4 weight rows is read from memory
     * once and then, from cache, for every block of activation rows: the weights stream once for
     * all rows, which is what makes a k-row call cost little more than a 1-row call. One or two f32
     * or bf16 rows take tiles of 8 weight rows instead (they streamed faster, see each tile); which
     * tile computes an output element never changes its bits.
     */
    private static void matmulRange(float[] x, int rows, Tensor weight, int outDim, int in, float[] out, int o0, int o1) {
        MemorySegment seg = weight.data();
        DType dtype = weight.dtype();
        // f16 is always widened to f32 first; bf16 when there are more than 8 rows, so that the
        // conversion is paid once per weight and not once per block of 4 rows. Up to 8 rows (two
        // conversions) converting in the tiles is faster than widening into scratch: a 5-row pass of
        // code-mtp4 took 0.63-0.68 ms so against 1.13-1.21 ms widened. Widening is exact, so either
        // path gives the same bits.
        float[] acc = ACC.get(); // a tile's accumulators, parked for the reduction
        boolean widen = dtype == DType.F16 || (dtype == DType.BF16 && rows > 8);
        MemorySegment widened = widen ? scratch(4L * TILE * in) : null;
        boolean bf16 = dtype == DType.BF16 && !widen;
        long rowBytes = (long) in * dtype.bytes();
        int o = o0;
        if ((rows == 1 || rows == 2) && (dtype == DType.F32 || bf16)) {
            // The GEMV, and two rows (a 1-head MTP verify, the draft heads' keys): eight weight rows at a
            // time (see f32Tile8x1, f32Tile8x2), taken as eight long streams. Tile t reads rows
            // o + t + j·s (j = 0..7, s = an eighth of the range), so each of its rows follows in memory
            // the row the tile before read at the same place: the prefetchers see eight sequential
            // streams the length of the range, not eight short ones restarted every tile (with
            // 768-float rows the consecutive-row tiles streamed bf16 at half the f32 rate).
            // The tiles of a batch only accumulate; their sums are finished after the batch (see GEMV_BATCH).
            int s = (o1 - o) / 8, parked = 8 * rows * L, batch = GEMV_BATCH / rows; // a 2-row tile parks twice as much
            long stride = s * rowBytes;
            for (int t0 = 0; t0 < s; t0 += batch) {
                int t1 = Math.min(s, t0 + batch);
                for (int t = t0; t < t1; t++) {
                    long b = (o + t) * rowBytes;
                    int a = parked * (t - t0);
                    if (rows == 1) {
                        if (bf16) bf16Tile8x1(seg, b, stride, x, in, acc, a);
                        else f32Tile8x1(seg, b, stride, x, in, acc, a);
                    } else {
                        if (bf16) bf16Tile8x2(seg, b, stride, x, in, acc, a);
                        else f32Tile8x2(seg, b, stride, x, in, acc, a);
                    }
                }
                for (int t = t0; t < t1; t++)
                    finishTile8(acc, parked * (t - t0), rows, seg, (o + t) * rowBytes, stride, bf16, x, in, out, outDim, o + t, s);
            }
            o += 8 * s;
        }
        // The remaining output rows in tiles of four, taken as four long streams as the GEMV's are:
        // tile t reads rows o + t + j·s (j = 0..3), then a last short tile repeats its last row (the
        // duplicate results land on the same element).
        int s4 = (o1 - o) / TILE;
        for (int t = 0; t < s4; t++) {
            int a = o + t;
            tile4(x, rows, seg, widened, bf16, dtype, rowBytes, in, out, outDim, acc, a, a + s4, a + 2 * s4, a + 3 * s4);
        }
        o += TILE * s4;
        if (o < o1) {
            int last = o1 - 1;
            tile4(x, rows, seg, widened, bf16, dtype, rowBytes, in, out, outDim, acc, o, Math.min(o + 1, last), Math.min(o + 2, last), last);
        }
    }

    /** Output rows r0..r3 (weight rows at the same indices) for every activation row, through the 4-row tiles. */
    private static void tile4(float[] x, int rows, MemorySegment seg, MemorySegment widened, boolean bf16, DType dtype,
                              long rowBytes, int in, float[] out, int outDim, float[] acc, int r0, int r1, int r2, int r3) {
        MemorySegment w = seg;
        long b0 = r0 * rowBytes, b1 = r1 * rowBytes, b2 = r2 * rowBytes, b3 = r3 * rowBytes;
        if (widened != null) { // widen the 4 rows once (exactly), then run the f32 tiles on them
            widen(dtype, seg, b0, widened, 0, in);
            widen(dtype, seg, b1, widened, 4L * in, in);
            widen(dtype, seg, b2, widened, 8L * in, in);
            widen(dtype, seg, b3, widened, 12L * in, in);
            w = widened;
            b0 = 0;
            b1 = 4L * in;
            b2 = 8L * in;
            b3 = 12L * in;
        }
        int r = 0;
        // the vector loops stop where the bf16 tiles' do for widened bf16 rows, so the tail adds the same elements
        int upper = dtype == DType.BF16 ? pairBound(in) : F.loopBound(in);
        if (bf16) {
            for (; r + 4 <= rows; r += 4) bf16Tile4x4(w, b0, b1, b2, b3, r0, r1, r2, r3, x, r, in, out, outDim, acc);
            if (r + 3 == rows) { bf16Tile4x3(w, b0, b1, b2, b3, r0, r1, r2, r3, x, r, in, out, outDim, acc); r += 3; } // one pass over the weights, not two
            for (; r + 2 <= rows; r += 2) bf16Tile4x2(w, b0, b1, b2, b3, r0, r1, r2, r3, x, r, in, out, outDim, acc);
            for (; r < rows; r++) bf16Tile4x1(w, b0, b1, b2, b3, r0, r1, r2, r3, x, r, in, out, outDim, acc);
        } else {
            for (; r + 4 <= rows; r += 4) f32Tile4x4(w, b0, b1, b2, b3, r0, r1, r2, r3, x, r, in, upper, out, outDim, acc);
            if (r + 3 == rows) { f32Tile4x3(w, b0, b1, b2, b3, r0, r1, r2, r3, x, r, in, upper, out, outDim, acc); r += 3; } // one pass over the weights, not two
            for (; r + 2 <= rows; r += 2) f32Tile4x2(w, b0, b1, b2, b3, r0, r1, r2, r3, x, r, in, upper, out, outDim, acc);
            for (; r < rows; r++) f32Tile4x1(w, b0, b1, b2, b3, r0, r1, r2, r3, x, r, in, upper, out, outDim, acc);
        }
    }

    /**
     * GEMV tiles whose accumulators are parked before any of them is finished. Finishing a tile (the
     * lane sums of {@link #finishRows}, a chain of shuffles that waits for the tile's last loads)
     * right after its loop stalled the stream at every tile: with 768-wide rows the GEMV read 0.78-0.82
     * of the read probe at 47-49 GB/s where the same tiles finished in batches of 64 read 0.92, and
     * 0.90-0.93 against 0.95-1.01 at 32 GB/s (interleaved scratch runs, 128 MiB of f32). On 4096-wide
     * rows it made no difference. The bits are the same: each sum goes through the same tree.
     */
    static final int GEMV_BATCH = 32;

    /**
     * Per thread: the accumulators of one tile (4 activation rows × 4 weight rows), or of a batch of
     * GEMV tiles (8 weight rows each), reused by every call.
     */
    private static final ThreadLocal<float[]> ACC = ThreadLocal.withInitial(() -> new float[Math.max(4 * TILE, 8 * GEMV_BATCH) * L]);

    /**
     * Row of n f16 or bf16 weights at byteOff, widened exactly into f32 at dstOff (bytes) of dst; bf16
     * rows in pair order, so that the f32 tiles, walking them with activations in pair order, add
     * the products in the order the bf16 tiles do.
     */
    private static void widen(DType dtype, MemorySegment seg, long byteOff, MemorySegment dst, long dstOff, int n) {
        boolean f16 = dtype == DType.F16;
        int i = 0;
        if (!f16) {
            IntVector high = high();
            for (int pairs = pairBound(n); i < pairs; i += 2 * L) {
                IntVector q = bf16Pairs(seg, byteOff + 2L * i);
                even(q).intoMemorySegment(dst, dstOff + 4L * i, LE);
                odd(q, high).intoMemorySegment(dst, dstOff + 4L * (i + L), LE);
            }
        }
        for (int upper = F.loopBound(n); i < upper; i += L)
            (f16 ? f16(seg, byteOff + 2L * i) : bf16(seg, byteOff + 2L * i)).intoMemorySegment(dst, dstOff + 4L * i, LE);
        for (; i < n; i++) {
            short h = seg.get(I16_LE, byteOff + 2L * i);
            dst.set(F32_LE, dstOff + 4L * i, f16 ? Float.float16ToFloat(h) : DType.bf16ToFloat(h));
        }
    }

    /** Off-heap scratch for widened weight rows, one per thread, grown on demand (heap segments load slower). */
    private static final ThreadLocal<MemorySegment> SCRATCH = new ThreadLocal<>();

    private static MemorySegment scratch(long bytes) {
        MemorySegment s = SCRATCH.get();
        if (s == null || s.byteSize() < bytes) {
            s = Arena.ofAuto().allocate(bytes, 64);
            SCRATCH.set(s);
        }
        return s;
    }

    /** 16-bit brain floats are the top halves of floats: widen to int, shift left by 16, reinterpret. */
    private static FloatVector bf16(MemorySegment w, long byteOff) {
        return ((IntVector) ShortVector.fromMemorySegment(S, w, byteOff, LE).convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    // ---------------------------------------------------------------- bf16 in pair order
    //
    // Widening bf16 lane by lane (bf16 above) costs a shuffle per L weights: on rows in the L2 the
    // 8-row GEMV tile converted 16 bf16 a nanosecond that way, and 40 with the pairs below (scratch
    // harness, one thread), which leaves the cores free to keep more reads in flight. So bf16 rows
    // are read 2L weights at a time as L ints: each int holds a pair, the even weight in its low
    // half and the odd one in its high half, and a shift or a mask turns the int vector into the
    // even or the odd weights as floats, in place. The
    // activations are put in the same order once per call (pairOrder): within each block of 2L, the
    // even elements, then the odd ones. A dot product then adds, lane by lane, its even product and
    // its odd product block by block, and the rest of the row (under 2L) goes to the scalar tail.
    // Every bf16 path (the tiles here, and the rows widened for many activation rows, whose f32
    // tiles stop where these do) uses this one order, so a row's bits still do not depend on the path.

    /** The part of a row of n that is read in pairs of L-blocks. */
    static int pairBound(int n) { return n - n % (2 * L); }

    /** 2L bf16 weights from byteOff, as L ints each holding an (even, odd) pair. */
    private static IntVector bf16Pairs(MemorySegment w, long byteOff) { return IntVector.fromMemorySegment(I, w, byteOff, LE); }

    /** The even weights of the pairs, as floats (the low halves moved up). */
    private static FloatVector even(IntVector pairs) { return pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(); }

    /** The odd weights of the pairs, as floats: the high halves, the low ones cleared by {@code high} ({@link #high()}). */
    private static FloatVector odd(IntVector pairs, IntVector high) { return pairs.and(high).reinterpretAsFloats(); }

    /** The mask of the odd weights' halves; the tiles take it into a local before their loops. */
    private static IntVector high() { return IntVector.broadcast(I, 0xFFFF0000); }

    /**
     * Rows of n activations (rows × n from x[0]) in pair order into dst: in each block of 2L, its
     * even elements, then its odd ones; the elements after the last whole block stay in place.
     */
    static void pairOrder(float[] x, int rows, int n, float[] dst) {
        int pairs = pairBound(n);
        for (int r = 0; r < rows; r++) {
            int base = r * n;
            for (int b = base; b < base + pairs; b += 2 * L) {
                FloatVector lo = FloatVector.fromArray(F, x, b), hi = FloatVector.fromArray(F, x, b + L);
                lo.rearrange(EVENS, hi).intoArray(dst, b);
                lo.rearrange(ODDS, hi).intoArray(dst, b + L);
            }
            System.arraycopy(x, base + pairs, dst, base + pairs, n - pairs);
        }
    }

    /**
     * Lane j takes element 2j (EVENS) or 2j + 1 (ODDS) of two vectors end to end: indexes past the
     * first vector are exceptional, which {@code rearrange(shuffle, second)} takes from the second.
     */
    private static final VectorShuffle<Float> EVENS = VectorShuffle.fromOp(F, j -> 2 * j), ODDS = VectorShuffle.fromOp(F, j -> 2 * j + 1);

    /**
     * IEEE half floats widened exactly: exponent and mantissa moved to a float's place and scaled by
     * 2^112 (which rebiases normals and normalises subnormals), infinities and NaNs given the full
     * exponent, then the sign put back. Equal to {@link Float#float16ToFloat} for every input but NaN payloads.
     */
    static FloatVector f16(MemorySegment w, long byteOff) {
        IntVector h = ((IntVector) ShortVector.fromMemorySegment(S, w, byteOff, LE).convertShape(VectorOperators.S2I, I, 0)).and(0xFFFF);
        IntVector em = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        IntVector bits = em.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                .blend(em.or(0x7F800000), h.and(0x7C00).compare(VectorOperators.EQ, 0x7C00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /**
     * Lane partners for the reduction tree: {@code SWAP[j]} exchanges lane i with lane i ^ 2^j, and
     * {@code ODD[j]} marks the lanes with bit j set.
     */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] SWAP = new VectorShuffle[Integer.numberOfTrailingZeros(L)];
    @SuppressWarnings("unchecked")
    private static final VectorMask<Float>[] ODD = new VectorMask[2];
    static {
        for (int j = 0; j < SWAP.length; j++) {
            int bit = 1 << j;
            SWAP[j] = VectorShuffle.fromOp(F, i -> i ^ bit);
            if (j < ODD.length) {
                boolean[] odd = new boolean[L];
                for (int i = 0; i < L; i++) odd[i] = (i & bit) != 0;
                ODD[j] = VectorMask.fromArray(F, odd, 0);
            }
        }
    }

    /**
     * Finishes the dot products of a tile: for each of its {@code n} activation rows, the four
     * accumulators of weight rows at byte offsets b0..b3 (parked in {@code acc}, row t's at
     * acc[4t·L ..]) are summed, then each gets its tail [from, in) in order, and lands at
     * out[(xr + t) · outDim + o0..o3].
     *
     * <p>The four are summed at once by transposing while adding: adjacent lanes, then pairs of
     * pairs, then the halves. Every accumulator goes through the same tree whatever its place among
     * the four, and the tree is made of exact lane-wise adds, so its sum does not depend on its
     * neighbours, on the tile or on the JIT. The accumulators come through memory rather than as
     * arguments: a vector passed to a method the JIT does not inline is boxed, which costs far more.
     */
    private static void finishRows(float[] acc, int n, MemorySegment w, long b0, long b1, long b2, long b3, boolean bf16,
                                   float[] x, int xr, int in, int from, float[] out, int outDim, int o0, int o1, int o2, int o3) {
        finishRowsAt(acc, 0, n, w, b0, b1, b2, b3, bf16, x, xr, in, from, out, outDim, o0, o1, o2, o3);
    }

    /** {@link #finishRows} with the accumulators from acc[accBase] on. */
    private static void finishRowsAt(float[] acc, int accBase, int n, MemorySegment w, long b0, long b1, long b2, long b3, boolean bf16,
                                     float[] x, int xr, int in, int from, float[] out, int outDim, int o0, int o1, int o2, int o3) {
        for (int t = 0; t < n; t++) {
            int base = accBase + 4 * t * L;
            FloatVector a = FloatVector.fromArray(F, acc, base), b = FloatVector.fromArray(F, acc, base + L);
            FloatVector c = FloatVector.fromArray(F, acc, base + 2 * L), d = FloatVector.fromArray(F, acc, base + 3 * L);
            // [a0+a1, b0+b1, a2+a3, b2+b3, ...] and the same for c, d
            FloatVector ab = a.blend(b, ODD[0]).add(b.blend(a, ODD[0]).rearrange(SWAP[0]));
            FloatVector cd = c.blend(d, ODD[0]).add(d.blend(c, ODD[0]).rearrange(SWAP[0]));
            // lane 4g + 0..3: the sums of lanes 4g..4g+3 of a, b, c, d; then fold the groups of 4
            FloatVector r = ab.blend(cd, ODD[1]).add(cd.blend(ab, ODD[1]).rearrange(SWAP[1]));
            for (int j = 2; j < SWAP.length; j++) r = r.add(r.rearrange(SWAP[j]));
            r.intoArray(acc, base);
            int xo = (xr + t) * in, row = (xr + t) * outDim;
            float sa = acc[base], sb = acc[base + 1], sc = acc[base + 2], sd = acc[base + 3];
            if (from < in) {
                sa = tail(sa, w, b0, bf16, x, xo, from, in);
                sb = tail(sb, w, b1, bf16, x, xo, from, in);
                sc = tail(sc, w, b2, bf16, x, xo, from, in);
                sd = tail(sd, w, b3, bf16, x, xo, from, in);
            }
            out[row + o0] = sa;
            out[row + o1] = sb;
            out[row + o2] = sc;
            out[row + o3] = sd;
        }
    }

    private static float tail(float s, MemorySegment w, long wb, boolean bf16, float[] x, int xo, int from, int in) {
        if (bf16) for (int i = from; i < in; i++) s = Math.fma(DType.bf16ToFloat(w.get(I16_LE, wb + 2L * i)), x[xo + i], s);
        else for (int i = from; i < in; i++) s = Math.fma(w.get(F32_LE, wb + 4L * i), x[xo + i], s);
        return s;
    }

    /** The lanes of v summed by the same tree as {@link #finishRows}. */
    private static float sumLanes(FloatVector v) {
        for (int j = 0; j < SWAP.length; j++) v = v.add(v.rearrange(SWAP[j]));
        return v.lane(0);
    }

    private static float maxLanes(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float m = Float.NEGATIVE_INFINITY;
        for (int l = 0; l < L; l++) m = Math.max(m, lanes[l]);
        return m;
    }

    /**
     * Sums a segment of floats: the read-bandwidth probe. It reads the way the GEMV does: in chunks of
     * at most 1 MiB (the GEMV's largest, {@link #MAX_CHUNK_BYTES}) that the threads claim in turn,
     * each chunk read as eight streams side by side (its eighths), one accumulator each, so that the
     * two compare like with like. (Read as blocks of eight 16 KiB rows, it was slower than the GEMV's
     * long streams, and the GEMV "beat" the bandwidth.)
     */
    float sumFloats(MemorySegment seg) {
        long floats = seg.byteSize() / 4, unit = 8L * L, units = floats / unit; // a unit: one vector of each stream
        long perChunk = Math.max(1, MAX_CHUNK_BYTES / 4 / unit);
        int chunks = !pool.canShare(seg) ? 1 : (int) Math.max(1, (units + perChunk - 1) / perChunk);
        float[] partial = new float[chunks];
        pool.parallelFor(chunks, c -> {
            long u0 = c * units / chunks, u1 = (c + 1) * units / chunks;
            partial[c] = u1 > u0 ? sumBlock(seg, 4 * u0 * unit, Math.toIntExact((u1 - u0) * L)) : 0f;
        });
        float s = 0f;
        for (float v : partial) s += v;
        for (long i = units * unit; i < floats; i++) s += seg.get(F32_LE, 4 * i);
        return s;
    }

    /**
     * Eight rows of rowFloats (a multiple of L) side by side, the way {@link #f32Tile8x1} reads them:
     * two vectors of every row loaded before they are added, which read faster on Zen 4 than a load
     * folded into each add under a busy machine. The probe must be the fastest read we know, or a
     * kernel could beat its "ceiling".
     */
    private static float sumBlock(MemorySegment seg, long base, int rowFloats) {
        long r = 4L * rowFloats;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int i = 0;
        for (; i + 2 * L <= rowFloats; i += 2 * L) {
            long p = base + 4L * i, q = p + 4L * L;
            FloatVector w0 = FloatVector.fromMemorySegment(F, seg, p, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, seg, p + r, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(F, seg, p + 2 * r, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(F, seg, p + 3 * r, LE);
            FloatVector w4 = FloatVector.fromMemorySegment(F, seg, p + 4 * r, LE);
            FloatVector w5 = FloatVector.fromMemorySegment(F, seg, p + 5 * r, LE);
            FloatVector w6 = FloatVector.fromMemorySegment(F, seg, p + 6 * r, LE);
            FloatVector w7 = FloatVector.fromMemorySegment(F, seg, p + 7 * r, LE);
            FloatVector u0 = FloatVector.fromMemorySegment(F, seg, q, LE);
            FloatVector u1 = FloatVector.fromMemorySegment(F, seg, q + r, LE);
            FloatVector u2 = FloatVector.fromMemorySegment(F, seg, q + 2 * r, LE);
            FloatVector u3 = FloatVector.fromMemorySegment(F, seg, q + 3 * r, LE);
            FloatVector u4 = FloatVector.fromMemorySegment(F, seg, q + 4 * r, LE);
            FloatVector u5 = FloatVector.fromMemorySegment(F, seg, q + 5 * r, LE);
            FloatVector u6 = FloatVector.fromMemorySegment(F, seg, q + 6 * r, LE);
            FloatVector u7 = FloatVector.fromMemorySegment(F, seg, q + 7 * r, LE);
            a0 = a0.add(w0); a1 = a1.add(w1); a2 = a2.add(w2); a3 = a3.add(w3);
            a4 = a4.add(w4); a5 = a5.add(w5); a6 = a6.add(w6); a7 = a7.add(w7);
            a0 = a0.add(u0); a1 = a1.add(u1); a2 = a2.add(u2); a3 = a3.add(u3);
            a4 = a4.add(u4); a5 = a5.add(u5); a6 = a6.add(u6); a7 = a7.add(u7);
        }
        for (; i < rowFloats; i += L) {
            long off = base + 4L * i;
            a0 = a0.add(FloatVector.fromMemorySegment(F, seg, off, LE));
            a1 = a1.add(FloatVector.fromMemorySegment(F, seg, off + r, LE));
            a2 = a2.add(FloatVector.fromMemorySegment(F, seg, off + 2 * r, LE));
            a3 = a3.add(FloatVector.fromMemorySegment(F, seg, off + 3 * r, LE));
            a4 = a4.add(FloatVector.fromMemorySegment(F, seg, off + 4 * r, LE));
            a5 = a5.add(FloatVector.fromMemorySegment(F, seg, off + 5 * r, LE));
            a6 = a6.add(FloatVector.fromMemorySegment(F, seg, off + 6 * r, LE));
            a7 = a7.add(FloatVector.fromMemorySegment(F, seg, off + 7 * r, LE));
        }
        return sumLanes(a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7))));
    }

    // ---------------------------------------------------------------- vector helpers

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        Checks.range("a", a, aOff, n);
        Checks.range("b", b, bOff, n);
        return dotUnchecked(a, aOff, b, bOff, n);
    }

    /** Four independent accumulators hide the FMA latency; they are combined in a fixed order. */
    private static float dotUnchecked(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        int i = 0;
        for (int upper4 = n - 4 * L + 1; i < upper4; i += 4 * L) {
            s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
            s1 = FloatVector.fromArray(F, a, aOff + i + L).fma(FloatVector.fromArray(F, b, bOff + i + L), s1);
            s2 = FloatVector.fromArray(F, a, aOff + i + 2 * L).fma(FloatVector.fromArray(F, b, bOff + i + 2 * L), s2);
            s3 = FloatVector.fromArray(F, a, aOff + i + 3 * L).fma(FloatVector.fromArray(F, b, bOff + i + 3 * L), s3);
        }
        for (int upper = F.loopBound(n); i < upper; i += L)
            s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
        float s = sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) s = Math.fma(a[aOff + i], b[bOff + i], s);
        return s;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        Checks.range("x", x, xOff, n);
        Checks.range("y", y, yOff, n);
        axpyUnchecked(alpha, x, xOff, y, yOff, n);
    }

    private static void axpyUnchecked(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += L)
            FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        for (; i < n; i++) y[yOff + i] = Math.fma(x[xOff + i], alpha, y[yOff + i]);
    }

    @Override
    public void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int n, float eps) {
        Checks.range("out", out, outOff, n);
        Checks.range("x", x, xOff, n);
        Checks.range("weight", weight, 0, n);
        if (n == 0) return;
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int upper = F.loopBound(n);
        for (; i < upper; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            acc = v.fma(v, acc);
        }
        float ss = sumLanes(acc);
        for (; i < n; i++) ss = Math.fma(x[xOff + i], x[xOff + i], ss);
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        FloatVector vi = FloatVector.broadcast(F, inv);
        for (i = 0; i < upper; i += L)
            FloatVector.fromArray(F, weight, i).mul(vi.mul(FloatVector.fromArray(F, x, xOff + i))).intoArray(out, outOff + i);
        for (; i < n; i++) out[outOff + i] = weight[i] * (inv * x[xOff + i]);
    }

    /**
     * Two passes, both in vector lanes: the largest value, then the first index holding it. A NaN
     * makes the lane-wise max NaN; then (and for a NaN first) the scalar loop answers, so NaNs get
     * exactly its treatment. -0 and +0 compare equal in the second pass, so the first of them wins, as in the loop.
     */
    @Override
    public int argmax(float[] x, int off, int n) {
        Checks.range("x", x, off, n);
        Checks.positive("n", n);
        int upper = F.loopBound(n), i = 0;
        // Four running maxima, so that each max waits on its own chain (the lane-wise max is exact and
        // order-free: the same value whatever the grouping, -0 against +0 included).
        FloatVector m0 = FloatVector.broadcast(F, x[off]), m1 = m0, m2 = m0, m3 = m0;
        for (int upper4 = n - 4 * L + 1; i < upper4; i += 4 * L) {
            m0 = m0.max(FloatVector.fromArray(F, x, off + i));
            m1 = m1.max(FloatVector.fromArray(F, x, off + i + L));
            m2 = m2.max(FloatVector.fromArray(F, x, off + i + 2 * L));
            m3 = m3.max(FloatVector.fromArray(F, x, off + i + 3 * L));
        }
        for (; i < upper; i += L) m0 = m0.max(FloatVector.fromArray(F, x, off + i));
        float max = maxLanes(m0.max(m1).max(m2.max(m3)), new float[L]);
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        if (Float.isNaN(max)) return argmaxLoop(x, off, n);
        for (i = 0; i < upper; i += L) {
            VectorMask<Float> hit = FloatVector.fromArray(F, x, off + i).compare(VectorOperators.EQ, max);
            if (hit.anyTrue()) return i + hit.firstTrue();
        }
        for (; i < n; i++) if (x[off + i] == max) return i;
        throw new AssertionError("argmax: no element equals the largest, " + max);
    }

    private static int argmaxLoop(float[] x, int off, int n) {
        int best = 0;
        float max = x[off];
        for (int i = 1; i < n; i++)
            if (x[off + i] > max) { max = x[off + i]; best = i; }
        return best;
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        Checks.range("x", x, off, n);
        softmaxUnchecked(x, off, n);
    }

    private static void softmaxUnchecked(float[] x, int off, int n) {
        if (n == 0) return;
        float[] lanes = new float[L];
        int upper = F.loopBound(n);
        FloatVector vmax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < upper; i += L) vmax = vmax.max(FloatVector.fromArray(F, x, off + i));
        float max = maxLanes(vmax, lanes);
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        FloatVector vm = FloatVector.broadcast(F, max), acc = FloatVector.zero(F);
        for (i = 0; i < upper; i += L) {
            FloatVector e = exp(FloatVector.fromArray(F, x, off + i).sub(vm));
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) {
            x[off + i] = exp(x[off + i] - max);
            sum += x[off + i];
        }
        float inv = 1f / sum;
        FloatVector vi = FloatVector.broadcast(F, inv);
        for (i = 0; i < upper; i += L) FloatVector.fromArray(F, x, off + i).mul(vi).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= inv;
    }

    @Override
    public void swiglu(float[] gate, float[] up, int n) {
        Checks.range("gate", gate, 0, n);
        Checks.range("up", up, 0, n);
        FloatVector one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += L) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            g.div(one.add(exp(g.neg()))).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + exp(-g)) * up[i];
        }
    }

    // ---------------------------------------------------------------- exp

    private static final float EXP_HI = 88.3762626647949f;   // above: +inf (2^127 is the largest scale we build)
    private static final float EXP_LO = -87.33654475f;       // below: 0 (the result would be subnormal)
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;         // ln 2 split in two so that n * LN2_HI is exact
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;             // 1.5 * 2^23: adding it rounds to an integer
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    /** Taylor coefficients 1/7! .. 1/0!: on |r| <= ln(2)/2 the truncation error is below 1e-8. */
    private static final float[] EXP_POLY = {1f / 5040, 1f / 720, 1f / 120, 1f / 24, 1f / 6, 0.5f, 1f, 1f};

    /**
     * e^x as 2^n * e^r with n = round(x / ln 2) and |r| <= ln(2)/2; within 2 ulp of Math.exp on the
     * range that matters. Built only from lane-wise operations, so it gives the same bits in the
     * interpreter and in compiled code, and the same as {@link #exp(float)} lane by lane.
     */
    static FloatVector exp(FloatVector x) {
        // Clamped by compares and blends, the floats of max(EXP_LO).min(EXP_HI) (a NaN goes through
        // as it is either way): Java's float max and min keep NaN and order -0 below +0, which costs
        // C2 several instructions each. KAN batch 1 ([64,256,256,10] G=5, its SiLUs): 0.995-0.997
        // of the time, interleaved in one JVM (600 rounds of 5 ms, 3 processes, load 1.8-1.9).
        VectorMask<Float> low = x.compare(VectorOperators.LT, EXP_LO), high = x.compare(VectorOperators.GT, EXP_HI);
        FloatVector xc = x.blend(EXP_LO, low).blend(EXP_HI, high);
        FloatVector big = xc.mul(LOG2E).add(ROUND);
        FloatVector n = big.sub(ROUND);
        IntVector ni = big.reinterpretAsInts().sub(ROUND_BITS);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(F, EXP_POLY[0]);
        for (int k = 1; k < EXP_POLY.length; k++) p = p.fma(r, FloatVector.broadcast(F, EXP_POLY[k]));
        FloatVector scale = ni.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector y = p.mul(scale);
        return y.blend(0f, low).blend(Float.POSITIVE_INFINITY, high);
    }

    /** The scalar twin of {@link #exp(FloatVector)}: the same operations in the same order. */
    static float exp(float x) {
        float xc = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float big = xc * LOG2E + ROUND;
        float n = big - ROUND;
        int ni = Float.floatToRawIntBits(big) - ROUND_BITS;
        float r = Math.fma(n, -LN2_HI, xc);
        r = Math.fma(n, -LN2_LO, r);
        float p = EXP_POLY[0];
        for (int k = 1; k < EXP_POLY.length; k++) p = Math.fma(p, r, EXP_POLY[k]);
        float y = p * Float.intBitsToFloat((ni + 127) << 23);
        if (x < EXP_LO) y = 0f;
        if (x > EXP_HI) y = Float.POSITIVE_INFINITY;
        return y;
    }

    // ---------------------------------------------------------------- rope

    @Override
    public void rope(float[] x, int rows, int heads, int headDim, int startPos, float theta, boolean interleaved) {
        Checks.rope(x, rows, heads, headDim, startPos);
        if (rows == 0) return;
        int half = headDim / 2;
        RopeTable table = RopeTable.get(theta, headDim, startPos + rows);
        for (int r = 0; r < rows; r++) {
            float[] cos = table.cos(startPos + r), sin = table.sin(startPos + r);
            for (int h = 0; h < heads; h++) {
                int base = (r * heads + h) * headDim;
                if (interleaved) {
                    for (int i = 0; i < half; i++) {
                        int a = base + 2 * i;
                        float x0 = x[a], x1 = x[a + 1], c = cos[i], s = sin[i];
                        x[a] = x0 * c - x1 * s;
                        x[a + 1] = x0 * s + x1 * c;
                    }
                } else {
                    int i = 0;
                    for (int upper = F.loopBound(half); i < upper; i += L) {
                        FloatVector x0 = FloatVector.fromArray(F, x, base + i), x1 = FloatVector.fromArray(F, x, base + half + i);
                        FloatVector c = FloatVector.fromArray(F, cos, i), s = FloatVector.fromArray(F, sin, i);
                        x0.mul(c).sub(x1.mul(s)).intoArray(x, base + i);
                        x0.mul(s).add(x1.mul(c)).intoArray(x, base + half + i);
                    }
                    for (; i < half; i++) {
                        float x0 = x[base + i], x1 = x[base + half + i], c = cos[i], s = sin[i];
                        x[base + i] = x0 * c - x1 * s;
                        x[base + half + i] = x0 * s + x1 * c;
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- attention

    /**
     * Multiply-adds of a call (every query row over all heads) below which attention runs on the
     * calling thread. The rows count, as for the matmul: an MTP verify's 4 rows of a small model are
     * worth both cores where its 1-row pass is not. A (row, head) task computes the same bits on any
     * thread, so the choice never changes a result.
     */
    private static final long ATTENTION_MIN_WORK = 1L << 16;

    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[256]);

    @Override
    public void attention(float[] q, int rows, float[] kCache, float[] vCache, int startPos,
                          int heads, int kvHeads, int headDim, float[] out) {
        Checks.attention(q, rows, kCache, vCache, startPos, heads, kvHeads, headDim, out);
        if (rows == 0) return;
        int tasks = rows * heads;
        // Scores and weighted sums of all rows (row r attends to startPos + r + 1 positions).
        long work = (long) rows * heads * (startPos + (rows + 1) / 2) * headDim * 2;
        if (work < ATTENTION_MIN_WORK) {
            float[] scores = scores(startPos + rows); // one thread-local look-up per call, not per head
            for (int t = 0; t < tasks; t++) attendOne(q, t / heads, t % heads, kCache, vCache, startPos, heads, kvHeads, headDim, out, scores);
        } else {
            pool.parallelFor(tasks, t -> attendOne(q, t / heads, t % heads, kCache, vCache, startPos, heads, kvHeads, headDim, out,
                    scores(startPos + rows)));
        }
    }

    /** This thread's score buffer, at least {@code len} long. */
    private static float[] scores(int len) {
        float[] scores = SCORES.get();
        if (scores.length < len) {
            scores = new float[Math.max(len, scores.length * 2)];
            SCORES.set(scores);
        }
        return scores;
    }

    /**
     * Query row r, head h: scores against positions 0 .. startPos + r, softmax, weighted sum of values.
     *
     * <p>Each score is exactly {@link #dotUnchecked}'s, four positions at a time so that their lane
     * sums share one transposing tree ({@link #scores4}); the weighted sum keeps up to four vectors of
     * the output in registers over all positions instead of adding into memory position by position.
     * Both give the same bits as one dot product and one axpy per position: the same operations on
     * every element, in the same order.
     */
    private static void attendOne(float[] q, int r, int h, float[] kCache, float[] vCache, int startPos,
                                  int heads, int kvHeads, int headDim, float[] out, float[] scores) {
        int len = startPos + r + 1;
        int kvDim = kvHeads * headDim, kvo = (h / (heads / kvHeads)) * headDim;
        int qo = (r * heads + h) * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        int t = 0;
        for (; t + 4 <= len; t += 4) scores4(q, qo, kCache, t * kvDim + kvo, kvDim, headDim, scale, scores, t);
        for (; t < len; t++) scores[t] = dotUnchecked(q, qo, kCache, t * kvDim + kvo, headDim) * scale;
        softmaxUnchecked(scores, 0, len);
        weightedSum(scores, len, vCache, kvDim, kvo, headDim, out, qo);
    }

    /**
     * scores[t0 .. t0+3] = scale · (q · k_t) for the four keys at kOff, kOff + stride, ...: each dot
     * product accumulated exactly as in {@link #dotUnchecked}, and the four lane sums taken together
     * by the tree of {@link #finishRows}, which adds lanes in the same pairs as {@link #sumLanes}.
     */
    private static void scores4(float[] q, int qo, float[] k, int kOff, int stride, int n, float scale, float[] scores, int t0) {
        FloatVector a = partialDot(q, qo, k, kOff, n), b = partialDot(q, qo, k, kOff + stride, n);
        FloatVector c = partialDot(q, qo, k, kOff + 2 * stride, n), d = partialDot(q, qo, k, kOff + 3 * stride, n);
        FloatVector ab = a.blend(b, ODD[0]).add(b.blend(a, ODD[0]).rearrange(SWAP[0]));
        FloatVector cd = c.blend(d, ODD[0]).add(d.blend(c, ODD[0]).rearrange(SWAP[0]));
        FloatVector sum = ab.blend(cd, ODD[1]).add(cd.blend(ab, ODD[1]).rearrange(SWAP[1]));
        for (int j = 2; j < SWAP.length; j++) sum = sum.add(sum.rearrange(SWAP[j]));
        int from = F.loopBound(n);
        for (int i = 0; i < 4; i++) {
            float s = sum.lane(i);
            int ko = kOff + i * stride;
            for (int e = from; e < n; e++) s = Math.fma(q[qo + e], k[ko + e], s);
            scores[t0 + i] = s * scale;
        }
    }

    /** The vector part of {@link #dotUnchecked} before its lane sum: the same accumulators, combined the same way. */
    private static FloatVector partialDot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        int i = 0;
        for (int upper4 = n - 4 * L + 1; i < upper4; i += 4 * L) {
            s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
            s1 = FloatVector.fromArray(F, a, aOff + i + L).fma(FloatVector.fromArray(F, b, bOff + i + L), s1);
            s2 = FloatVector.fromArray(F, a, aOff + i + 2 * L).fma(FloatVector.fromArray(F, b, bOff + i + 2 * L), s2);
            s3 = FloatVector.fromArray(F, a, aOff + i + 3 * L).fma(FloatVector.fromArray(F, b, bOff + i + 3 * L), s3);
        }
        for (int upper = F.loopBound(n); i < upper; i += L)
            s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
        return s0.add(s1).add(s2.add(s3));
    }

    /**
     * out[o .. o+n) = sum over positions t < len of w[t] · v_t, v_t at vOff + t · stride: per element
     * the fused multiply-adds of an axpy per position from zero, in position order, but up to four
     * vectors of the output stay in registers across the positions.
     */
    private static void weightedSum(float[] w, int len, float[] v, int stride, int vOff, int n, float[] out, int o) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; ) {
            int vecs = Math.min(4, (upper - i) / L);
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int p = vOff + i;
            switch (vecs) {
                case 4 -> {
                    for (int t = 0; t < len; t++, p += stride) {
                        FloatVector wt = FloatVector.broadcast(F, w[t]);
                        a0 = FloatVector.fromArray(F, v, p).fma(wt, a0);
                        a1 = FloatVector.fromArray(F, v, p + L).fma(wt, a1);
                        a2 = FloatVector.fromArray(F, v, p + 2 * L).fma(wt, a2);
                        a3 = FloatVector.fromArray(F, v, p + 3 * L).fma(wt, a3);
                    }
                    a3.intoArray(out, o + i + 3 * L);
                    a2.intoArray(out, o + i + 2 * L);
                    a1.intoArray(out, o + i + L);
                }
                case 3 -> {
                    for (int t = 0; t < len; t++, p += stride) {
                        FloatVector wt = FloatVector.broadcast(F, w[t]);
                        a0 = FloatVector.fromArray(F, v, p).fma(wt, a0);
                        a1 = FloatVector.fromArray(F, v, p + L).fma(wt, a1);
                        a2 = FloatVector.fromArray(F, v, p + 2 * L).fma(wt, a2);
                    }
                    a2.intoArray(out, o + i + 2 * L);
                    a1.intoArray(out, o + i + L);
                }
                case 2 -> {
                    for (int t = 0; t < len; t++, p += stride) {
                        FloatVector wt = FloatVector.broadcast(F, w[t]);
                        a0 = FloatVector.fromArray(F, v, p).fma(wt, a0);
                        a1 = FloatVector.fromArray(F, v, p + L).fma(wt, a1);
                    }
                    a1.intoArray(out, o + i + L);
                }
                default -> {
                    for (int t = 0; t < len; t++, p += stride)
                        a0 = FloatVector.fromArray(F, v, p).fma(FloatVector.broadcast(F, w[t]), a0);
                }
            }
            a0.intoArray(out, o + i);
            i += vecs * L;
        }
        for (; i < n; i++) {
            float s = 0f;
            for (int t = 0, p = vOff + i; t < len; t++, p += stride) s = Math.fma(v[p], w[t], s);
            out[o + i] = s;
        }
    }

    // ---------------------------------------------------------------- register tiles of the matmul

    /**
     * Eight f32 weight rows (from byte offset b0, stride bytes apart) times the one activation row: the
     * GEMV. The eight accumulators are parked at acc[accBase ..] and summed later by
     * {@link #finishTile8}. Each weight vector is used once, and where the JIT folds such a load into
     * its FMA (as it does in {@link #f32Tile4x1}) the weights streamed at about half the read probe's
     * rate on Zen 4. Here each step loads two vectors of all eight rows first, then does the sixteen
     * FMAs: the loads stay separate instructions and the stream keeps up with the probe (which reads eight
     * rows side by side too). Every output element is still one accumulator walked over the input in
     * order, finished by the tree of {@link #finishRows}: the same bits as the 4-row tiles give it.
     */
    private static void f32Tile8x1(MemorySegment w, long b0, long stride, float[] x, int in, float[] acc, int accBase) {
        long r = stride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int upper = F.loopBound(in), i = 0;
        for (int upper2 = upper - L; i < upper2; i += 2 * L) {
            long p = b0 + 4L * i, q = p + 4L * L;
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, p, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, p + r, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, p + 2 * r, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, p + 3 * r, LE);
            FloatVector w4 = FloatVector.fromMemorySegment(F, w, p + 4 * r, LE);
            FloatVector w5 = FloatVector.fromMemorySegment(F, w, p + 5 * r, LE);
            FloatVector w6 = FloatVector.fromMemorySegment(F, w, p + 6 * r, LE);
            FloatVector w7 = FloatVector.fromMemorySegment(F, w, p + 7 * r, LE);
            FloatVector u0 = FloatVector.fromMemorySegment(F, w, q, LE);
            FloatVector u1 = FloatVector.fromMemorySegment(F, w, q + r, LE);
            FloatVector u2 = FloatVector.fromMemorySegment(F, w, q + 2 * r, LE);
            FloatVector u3 = FloatVector.fromMemorySegment(F, w, q + 3 * r, LE);
            FloatVector u4 = FloatVector.fromMemorySegment(F, w, q + 4 * r, LE);
            FloatVector u5 = FloatVector.fromMemorySegment(F, w, q + 5 * r, LE);
            FloatVector u6 = FloatVector.fromMemorySegment(F, w, q + 6 * r, LE);
            FloatVector u7 = FloatVector.fromMemorySegment(F, w, q + 7 * r, LE);
            FloatVector v = FloatVector.fromArray(F, x, i), v1 = FloatVector.fromArray(F, x, i + L);
            a0 = w0.fma(v, a0); a1 = w1.fma(v, a1); a2 = w2.fma(v, a2); a3 = w3.fma(v, a3);
            a4 = w4.fma(v, a4); a5 = w5.fma(v, a5); a6 = w6.fma(v, a6); a7 = w7.fma(v, a7);
            a0 = u0.fma(v1, a0); a1 = u1.fma(v1, a1); a2 = u2.fma(v1, a2); a3 = u3.fma(v1, a3);
            a4 = u4.fma(v1, a4); a5 = u5.fma(v1, a5); a6 = u6.fma(v1, a6); a7 = u7.fma(v1, a7);
        }
        if (i < upper) { // an odd number of whole vectors: the last one
            long p = b0 + 4L * i;
            FloatVector v = FloatVector.fromArray(F, x, i);
            a0 = FloatVector.fromMemorySegment(F, w, p, LE).fma(v, a0);
            a1 = FloatVector.fromMemorySegment(F, w, p + r, LE).fma(v, a1);
            a2 = FloatVector.fromMemorySegment(F, w, p + 2 * r, LE).fma(v, a2);
            a3 = FloatVector.fromMemorySegment(F, w, p + 3 * r, LE).fma(v, a3);
            a4 = FloatVector.fromMemorySegment(F, w, p + 4 * r, LE).fma(v, a4);
            a5 = FloatVector.fromMemorySegment(F, w, p + 5 * r, LE).fma(v, a5);
            a6 = FloatVector.fromMemorySegment(F, w, p + 6 * r, LE).fma(v, a6);
            a7 = FloatVector.fromMemorySegment(F, w, p + 7 * r, LE).fma(v, a7);
        }
        // parked for finishTile8; stored here, not passed on: a vector argument of a call the JIT does not inline is boxed
        a0.intoArray(acc, accBase); a1.intoArray(acc, accBase + L); a2.intoArray(acc, accBase + 2 * L); a3.intoArray(acc, accBase + 3 * L);
        a4.intoArray(acc, accBase + 4 * L); a5.intoArray(acc, accBase + 5 * L); a6.intoArray(acc, accBase + 6 * L); a7.intoArray(acc, accBase + 7 * L);
    }

    /**
     * Eight bf16 weight rows times activation rows 0 and 1, parked like {@link #f32Tile8x2}'s; each weight vector
     * widened once for both rows. Two rows through the 4×2 tile took longer than four rows through
     * the 4×4 one (bench kernels: 1.83 ms against 1.62 ms on 4096², bf16).
     */
    private static void bf16Tile8x2(MemorySegment w, long b0, long stride, float[] x, int in, float[] acc, int accBase) {
        long r = stride;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a04 = a00, a05 = a00, a06 = a00, a07 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00, a14 = a00, a15 = a00, a16 = a00, a17 = a00;
        int pairs = pairBound(in);
        // even(), odd() and bf16Pairs() are spelled out (see bf16Tile8x1), and the rows go four at a time:
        // the pairs, weights and activations of all eight beside the 16 accumulators spilled registers
        IntVector high = high();
        for (int i = 0; i < pairs; i += 2 * L) {
            long p = b0 + 2L * i;
            FloatVector v0 = FloatVector.fromArray(F, x, i), v1 = FloatVector.fromArray(F, x, in + i);
            FloatVector u0 = FloatVector.fromArray(F, x, i + L), u1 = FloatVector.fromArray(F, x, in + i + L);
            IntVector q0 = IntVector.fromMemorySegment(I, w, p, LE);
            IntVector q1 = IntVector.fromMemorySegment(I, w, p + r, LE);
            IntVector q2 = IntVector.fromMemorySegment(I, w, p + 2 * r, LE);
            IntVector q3 = IntVector.fromMemorySegment(I, w, p + 3 * r, LE);
            FloatVector w0 = q0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = q1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w2 = q2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w3 = q3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a00 = w0.fma(v0, a00); a01 = w1.fma(v0, a01); a02 = w2.fma(v0, a02); a03 = w3.fma(v0, a03);
            a10 = w0.fma(v1, a10); a11 = w1.fma(v1, a11); a12 = w2.fma(v1, a12); a13 = w3.fma(v1, a13);
            w0 = q0.and(high).reinterpretAsFloats();
            w1 = q1.and(high).reinterpretAsFloats();
            w2 = q2.and(high).reinterpretAsFloats();
            w3 = q3.and(high).reinterpretAsFloats();
            a00 = w0.fma(u0, a00); a01 = w1.fma(u0, a01); a02 = w2.fma(u0, a02); a03 = w3.fma(u0, a03);
            a10 = w0.fma(u1, a10); a11 = w1.fma(u1, a11); a12 = w2.fma(u1, a12); a13 = w3.fma(u1, a13);
            IntVector q4 = IntVector.fromMemorySegment(I, w, p + 4 * r, LE);
            IntVector q5 = IntVector.fromMemorySegment(I, w, p + 5 * r, LE);
            IntVector q6 = IntVector.fromMemorySegment(I, w, p + 6 * r, LE);
            IntVector q7 = IntVector.fromMemorySegment(I, w, p + 7 * r, LE);
            FloatVector w4 = q4.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w5 = q5.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w6 = q6.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w7 = q7.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a04 = w4.fma(v0, a04); a05 = w5.fma(v0, a05); a06 = w6.fma(v0, a06); a07 = w7.fma(v0, a07);
            a14 = w4.fma(v1, a14); a15 = w5.fma(v1, a15); a16 = w6.fma(v1, a16); a17 = w7.fma(v1, a17);
            w4 = q4.and(high).reinterpretAsFloats();
            w5 = q5.and(high).reinterpretAsFloats();
            w6 = q6.and(high).reinterpretAsFloats();
            w7 = q7.and(high).reinterpretAsFloats();
            a04 = w4.fma(u0, a04); a05 = w5.fma(u0, a05); a06 = w6.fma(u0, a06); a07 = w7.fma(u0, a07);
            a14 = w4.fma(u1, a14); a15 = w5.fma(u1, a15); a16 = w6.fma(u1, a16); a17 = w7.fma(u1, a17);
        }
        // parked for finishTile8 in the order finishRows reads them: weight rows 0..3 for activation
        // rows 0 and 1, then weight rows 4..7
        a00.intoArray(acc, accBase); a01.intoArray(acc, accBase + L); a02.intoArray(acc, accBase + 2 * L); a03.intoArray(acc, accBase + 3 * L);
        a10.intoArray(acc, accBase + 4 * L); a11.intoArray(acc, accBase + 5 * L); a12.intoArray(acc, accBase + 6 * L); a13.intoArray(acc, accBase + 7 * L);
        a04.intoArray(acc, accBase + 8 * L); a05.intoArray(acc, accBase + 9 * L); a06.intoArray(acc, accBase + 10 * L); a07.intoArray(acc, accBase + 11 * L);
        a14.intoArray(acc, accBase + 12 * L); a15.intoArray(acc, accBase + 13 * L); a16.intoArray(acc, accBase + 14 * L); a17.intoArray(acc, accBase + 15 * L);
    }

    /**
     * Eight bf16 weight rows (from byte offset b0, stride bytes apart) times the one activation row: the
     * bf16 GEMV, parked like {@link #f32Tile8x1}'s. Eight rows side by side stream faster than four
     * here too (f32 8-row GEMV time over this one: 1.96-2.21 in interleaved scratch runs, against
     * 1.33-1.55 for the 4-row tile). Same bits per output element as the 4-row tiles: the same pair order.
     */
    private static void bf16Tile8x1(MemorySegment w, long b0, long stride, float[] x, int in, float[] acc, int accBase) {
        long r = stride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int pairs = pairBound(in);
        // The helpers even(), odd() and bf16Pairs() are spelled out in the tiles: with a call more
        // per row this tile grew past what the JIT inlines into one method (NodeCountInliningCutoff),
        // its last rows' vectors were boxed, and it ran eight times slower.
        IntVector high = high();
        for (int i = 0; i < pairs; i += 2 * L) {
            long p = b0 + 2L * i;
            FloatVector ve = FloatVector.fromArray(F, x, i), vo = FloatVector.fromArray(F, x, i + L); // the even and the odd activations
            IntVector q = IntVector.fromMemorySegment(I, w, p, LE);
            a0 = q.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(ve, a0);
            a0 = q.and(high).reinterpretAsFloats().fma(vo, a0);
            q = IntVector.fromMemorySegment(I, w, p + r, LE);
            a1 = q.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(ve, a1);
            a1 = q.and(high).reinterpretAsFloats().fma(vo, a1);
            q = IntVector.fromMemorySegment(I, w, p + 2 * r, LE);
            a2 = q.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(ve, a2);
            a2 = q.and(high).reinterpretAsFloats().fma(vo, a2);
            q = IntVector.fromMemorySegment(I, w, p + 3 * r, LE);
            a3 = q.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(ve, a3);
            a3 = q.and(high).reinterpretAsFloats().fma(vo, a3);
            q = IntVector.fromMemorySegment(I, w, p + 4 * r, LE);
            a4 = q.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(ve, a4);
            a4 = q.and(high).reinterpretAsFloats().fma(vo, a4);
            q = IntVector.fromMemorySegment(I, w, p + 5 * r, LE);
            a5 = q.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(ve, a5);
            a5 = q.and(high).reinterpretAsFloats().fma(vo, a5);
            q = IntVector.fromMemorySegment(I, w, p + 6 * r, LE);
            a6 = q.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(ve, a6);
            a6 = q.and(high).reinterpretAsFloats().fma(vo, a6);
            q = IntVector.fromMemorySegment(I, w, p + 7 * r, LE);
            a7 = q.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(ve, a7);
            a7 = q.and(high).reinterpretAsFloats().fma(vo, a7);
        }
        // parked for finishTile8; stored here, not passed on: a vector argument of a call the JIT does not inline is boxed
        a0.intoArray(acc, accBase); a1.intoArray(acc, accBase + L); a2.intoArray(acc, accBase + 2 * L); a3.intoArray(acc, accBase + 3 * L);
        a4.intoArray(acc, accBase + 4 * L); a5.intoArray(acc, accBase + 5 * L); a6.intoArray(acc, accBase + 6 * L); a7.intoArray(acc, accBase + 7 * L);
    }

    /**
     * Finishes an 8-row tile of {@code n} activation rows (1 or 2) parked at acc[accBase ..] by
     * {@link #f32Tile8x1}, {@link #bf16Tile8x1}, {@link #f32Tile8x2} or {@link #bf16Tile8x2}: its eight
     * weight rows from byte offset b0, stride bytes apart, land at out[row · outDim + o + j·os], j = 0..7.
     */
    private static void finishTile8(float[] acc, int accBase, int n, MemorySegment w, long b0, long stride, boolean bf16,
                                    float[] x, int in, float[] out, int outDim, int o, int os) {
        long r = stride;
        int upper = bf16 ? pairBound(in) : F.loopBound(in); // where the tile's vector loop stopped
        finishRowsAt(acc, accBase, n, w, b0, b0 + r, b0 + 2 * r, b0 + 3 * r, bf16, x, 0, in, upper, out, outDim, o, o + os, o + 2 * os, o + 3 * os);
        finishRowsAt(acc, accBase + 4 * n * L, n, w, b0 + 4 * r, b0 + 5 * r, b0 + 6 * r, b0 + 7 * r, bf16, x, 0, in, upper, out, outDim,
                o + 4 * os, o + 5 * os, o + 6 * os, o + 7 * os);
    }

    /**
     * Eight f32 weight rows (from byte offset b0, stride bytes apart) times activation rows 0 and 1:
     * 16 accumulators, parked for {@link #finishTile8}. Two rows through 4×2 tiles took 1.2-1.9× the
     * time of one row through {@link #f32Tile8x1}, through this tile 0.84-0.99× (interleaved scratch
     * runs on a busy machine, load 10-12). Same bits per output element as the 4-row tiles.
     */
    private static void f32Tile8x2(MemorySegment w, long b0, long stride, float[] x, int in, float[] acc, int accBase) {
        long r = stride;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a04 = a00, a05 = a00, a06 = a00, a07 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00, a14 = a00, a15 = a00, a16 = a00, a17 = a00;
        int upper = F.loopBound(in);
        for (int i = 0; i < upper; i += L) {
            long p = b0 + 4L * i;
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, p, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, p + r, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, p + 2 * r, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, p + 3 * r, LE);
            FloatVector w4 = FloatVector.fromMemorySegment(F, w, p + 4 * r, LE);
            FloatVector w5 = FloatVector.fromMemorySegment(F, w, p + 5 * r, LE);
            FloatVector w6 = FloatVector.fromMemorySegment(F, w, p + 6 * r, LE);
            FloatVector w7 = FloatVector.fromMemorySegment(F, w, p + 7 * r, LE);
            FloatVector v0 = FloatVector.fromArray(F, x, i);
            a00 = w0.fma(v0, a00); a01 = w1.fma(v0, a01); a02 = w2.fma(v0, a02); a03 = w3.fma(v0, a03);
            a04 = w4.fma(v0, a04); a05 = w5.fma(v0, a05); a06 = w6.fma(v0, a06); a07 = w7.fma(v0, a07);
            FloatVector v1 = FloatVector.fromArray(F, x, in + i);
            a10 = w0.fma(v1, a10); a11 = w1.fma(v1, a11); a12 = w2.fma(v1, a12); a13 = w3.fma(v1, a13);
            a14 = w4.fma(v1, a14); a15 = w5.fma(v1, a15); a16 = w6.fma(v1, a16); a17 = w7.fma(v1, a17);
        }
        // finishRows takes two rows of four accumulators each: weight rows 0-3 first, then 4-7.
        // parked for finishTile8 in the order finishRows reads them: weight rows 0..3 for activation
        // rows 0 and 1, then weight rows 4..7
        a00.intoArray(acc, accBase); a01.intoArray(acc, accBase + L); a02.intoArray(acc, accBase + 2 * L); a03.intoArray(acc, accBase + 3 * L);
        a10.intoArray(acc, accBase + 4 * L); a11.intoArray(acc, accBase + 5 * L); a12.intoArray(acc, accBase + 6 * L); a13.intoArray(acc, accBase + 7 * L);
        a04.intoArray(acc, accBase + 8 * L); a05.intoArray(acc, accBase + 9 * L); a06.intoArray(acc, accBase + 10 * L); a07.intoArray(acc, accBase + 11 * L);
        a14.intoArray(acc, accBase + 12 * L); a15.intoArray(acc, accBase + 13 * L); a16.intoArray(acc, accBase + 14 * L); a17.intoArray(acc, accBase + 15 * L);
    }

    /** Weight rows at byte offsets b0..b3 times activation rows xr..xr+3: 16 accumulators. */
    private static void f32Tile4x4(MemorySegment w, long b0, long b1, long b2, long b3, int o0, int o1, int o2, int o3,
                                  float[] x, int xr, int in, int upper, float[] out, int outDim, float[] acc) {
        int x0 = (xr + 0) * in;
        int x1 = (xr + 1) * in;
        int x2 = (xr + 2) * in;
        int x3 = (xr + 3) * in;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F), a33 = FloatVector.zero(F);
        for (int i = 0; i < upper; i += L) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, b0 + 4L * i, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, b1 + 4L * i, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, b2 + 4L * i, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, b3 + 4L * i, LE);
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + i);
            a00 = w0.fma(v0, a00); a01 = w1.fma(v0, a01); a02 = w2.fma(v0, a02); a03 = w3.fma(v0, a03);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + i);
            a10 = w0.fma(v1, a10); a11 = w1.fma(v1, a11); a12 = w2.fma(v1, a12); a13 = w3.fma(v1, a13);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + i);
            a20 = w0.fma(v2, a20); a21 = w1.fma(v2, a21); a22 = w2.fma(v2, a22); a23 = w3.fma(v2, a23);
            FloatVector v3 = FloatVector.fromArray(F, x, x3 + i);
            a30 = w0.fma(v3, a30); a31 = w1.fma(v3, a31); a32 = w2.fma(v3, a32); a33 = w3.fma(v3, a33);
        }
        a00.intoArray(acc, 0 * L); a01.intoArray(acc, 1 * L); a02.intoArray(acc, 2 * L); a03.intoArray(acc, 3 * L);
        a10.intoArray(acc, 4 * L); a11.intoArray(acc, 5 * L); a12.intoArray(acc, 6 * L); a13.intoArray(acc, 7 * L);
        a20.intoArray(acc, 8 * L); a21.intoArray(acc, 9 * L); a22.intoArray(acc, 10 * L); a23.intoArray(acc, 11 * L);
        a30.intoArray(acc, 12 * L); a31.intoArray(acc, 13 * L); a32.intoArray(acc, 14 * L); a33.intoArray(acc, 15 * L);
        finishRows(acc, 4, w, b0, b1, b2, b3, false, x, xr, in, upper, out, outDim, o0, o1, o2, o3);
    }

    /** Weight rows at byte offsets b0..b3 times activation rows xr..xr+1: 8 accumulators. */
    private static void f32Tile4x2(MemorySegment w, long b0, long b1, long b2, long b3, int o0, int o1, int o2, int o3,
                                  float[] x, int xr, int in, int upper, float[] out, int outDim, float[] acc) {
        int x0 = (xr + 0) * in;
        int x1 = (xr + 1) * in;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        for (int i = 0; i < upper; i += L) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, b0 + 4L * i, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, b1 + 4L * i, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, b2 + 4L * i, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, b3 + 4L * i, LE);
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + i);
            a00 = w0.fma(v0, a00); a01 = w1.fma(v0, a01); a02 = w2.fma(v0, a02); a03 = w3.fma(v0, a03);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + i);
            a10 = w0.fma(v1, a10); a11 = w1.fma(v1, a11); a12 = w2.fma(v1, a12); a13 = w3.fma(v1, a13);
        }
        a00.intoArray(acc, 0 * L); a01.intoArray(acc, 1 * L); a02.intoArray(acc, 2 * L); a03.intoArray(acc, 3 * L);
        a10.intoArray(acc, 4 * L); a11.intoArray(acc, 5 * L); a12.intoArray(acc, 6 * L); a13.intoArray(acc, 7 * L);
        finishRows(acc, 2, w, b0, b1, b2, b3, false, x, xr, in, upper, out, outDim, o0, o1, o2, o3);
    }

    /** Weight rows at byte offsets b0..b3 times activation rows xr..xr+2: 12 accumulators. */
    private static void f32Tile4x3(MemorySegment w, long b0, long b1, long b2, long b3, int o0, int o1, int o2, int o3,
                                  float[] x, int xr, int in, int upper, float[] out, int outDim, float[] acc) {
        int x0 = (xr + 0) * in;
        int x1 = (xr + 1) * in;
        int x2 = (xr + 2) * in;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        for (int i = 0; i < upper; i += L) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, b0 + 4L * i, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, b1 + 4L * i, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, b2 + 4L * i, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, b3 + 4L * i, LE);
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + i);
            a00 = w0.fma(v0, a00); a01 = w1.fma(v0, a01); a02 = w2.fma(v0, a02); a03 = w3.fma(v0, a03);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + i);
            a10 = w0.fma(v1, a10); a11 = w1.fma(v1, a11); a12 = w2.fma(v1, a12); a13 = w3.fma(v1, a13);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + i);
            a20 = w0.fma(v2, a20); a21 = w1.fma(v2, a21); a22 = w2.fma(v2, a22); a23 = w3.fma(v2, a23);
        }
        a00.intoArray(acc, 0 * L); a01.intoArray(acc, 1 * L); a02.intoArray(acc, 2 * L); a03.intoArray(acc, 3 * L);
        a10.intoArray(acc, 4 * L); a11.intoArray(acc, 5 * L); a12.intoArray(acc, 6 * L); a13.intoArray(acc, 7 * L);
        a20.intoArray(acc, 8 * L); a21.intoArray(acc, 9 * L); a22.intoArray(acc, 10 * L); a23.intoArray(acc, 11 * L);
        finishRows(acc, 3, w, b0, b1, b2, b3, false, x, xr, in, upper, out, outDim, o0, o1, o2, o3);
    }

    /** Weight rows at byte offsets b0..b3 times activation rows xr..xr+0: 4 accumulators. */
    private static void f32Tile4x1(MemorySegment w, long b0, long b1, long b2, long b3, int o0, int o1, int o2, int o3,
                                  float[] x, int xr, int in, int upper, float[] out, int outDim, float[] acc) {
        int x0 = (xr + 0) * in;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        for (int i = 0; i < upper; i += L) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, b0 + 4L * i, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, b1 + 4L * i, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, b2 + 4L * i, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, b3 + 4L * i, LE);
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + i);
            a00 = w0.fma(v0, a00); a01 = w1.fma(v0, a01); a02 = w2.fma(v0, a02); a03 = w3.fma(v0, a03);
        }
        a00.intoArray(acc, 0 * L); a01.intoArray(acc, 1 * L); a02.intoArray(acc, 2 * L); a03.intoArray(acc, 3 * L);
        finishRows(acc, 1, w, b0, b1, b2, b3, false, x, xr, in, upper, out, outDim, o0, o1, o2, o3);
    }

    /** Weight rows at byte offsets b0..b3 times activation rows xr..xr+3 (in pair order): 16 accumulators. */
    private static void bf16Tile4x4(MemorySegment w, long b0, long b1, long b2, long b3, int o0, int o1, int o2, int o3,
                                  float[] x, int xr, int in, float[] out, int outDim, float[] acc) {
        int x0 = (xr + 0) * in;
        int x1 = (xr + 1) * in;
        int x2 = (xr + 2) * in;
        int x3 = (xr + 3) * in;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = FloatVector.zero(F), a11 = a10, a12 = a10, a13 = a10;
        FloatVector a20 = FloatVector.zero(F), a21 = a20, a22 = a20, a23 = a20;
        FloatVector a30 = FloatVector.zero(F), a31 = a30, a32 = a30, a33 = a30;
        int pairs = pairBound(in);
        IntVector high = high(); // even(), odd() and bf16Pairs() are spelled out: see bf16Tile8x1
        for (int i = 0; i < pairs; i += 2 * L) {
            IntVector q0 = IntVector.fromMemorySegment(I, w, b0 + 2L * i, LE);
            IntVector q1 = IntVector.fromMemorySegment(I, w, b1 + 2L * i, LE);
            IntVector q2 = IntVector.fromMemorySegment(I, w, b2 + 2L * i, LE);
            IntVector q3 = IntVector.fromMemorySegment(I, w, b3 + 2L * i, LE);
            FloatVector w0 = q0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = q1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w2 = q2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w3 = q3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + i);
            a00 = w0.fma(v0, a00); a01 = w1.fma(v0, a01); a02 = w2.fma(v0, a02); a03 = w3.fma(v0, a03);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + i);
            a10 = w0.fma(v1, a10); a11 = w1.fma(v1, a11); a12 = w2.fma(v1, a12); a13 = w3.fma(v1, a13);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + i);
            a20 = w0.fma(v2, a20); a21 = w1.fma(v2, a21); a22 = w2.fma(v2, a22); a23 = w3.fma(v2, a23);
            FloatVector v3 = FloatVector.fromArray(F, x, x3 + i);
            a30 = w0.fma(v3, a30); a31 = w1.fma(v3, a31); a32 = w2.fma(v3, a32); a33 = w3.fma(v3, a33);
            w0 = q0.and(high).reinterpretAsFloats();
            w1 = q1.and(high).reinterpretAsFloats();
            w2 = q2.and(high).reinterpretAsFloats();
            w3 = q3.and(high).reinterpretAsFloats();
            v0 = FloatVector.fromArray(F, x, x0 + i + L);
            a00 = w0.fma(v0, a00); a01 = w1.fma(v0, a01); a02 = w2.fma(v0, a02); a03 = w3.fma(v0, a03);
            v1 = FloatVector.fromArray(F, x, x1 + i + L);
            a10 = w0.fma(v1, a10); a11 = w1.fma(v1, a11); a12 = w2.fma(v1, a12); a13 = w3.fma(v1, a13);
            v2 = FloatVector.fromArray(F, x, x2 + i + L);
            a20 = w0.fma(v2, a20); a21 = w1.fma(v2, a21); a22 = w2.fma(v2, a22); a23 = w3.fma(v2, a23);
            v3 = FloatVector.fromArray(F, x, x3 + i + L);
            a30 = w0.fma(v3, a30); a31 = w1.fma(v3, a31); a32 = w2.fma(v3, a32); a33 = w3.fma(v3, a33);
        }
        a00.intoArray(acc, 0 * L); a01.intoArray(acc, 1 * L); a02.intoArray(acc, 2 * L); a03.intoArray(acc, 3 * L);
        a10.intoArray(acc, 4 * L); a11.intoArray(acc, 5 * L); a12.intoArray(acc, 6 * L); a13.intoArray(acc, 7 * L);
        a20.intoArray(acc, 8 * L); a21.intoArray(acc, 9 * L); a22.intoArray(acc, 10 * L); a23.intoArray(acc, 11 * L);
        a30.intoArray(acc, 12 * L); a31.intoArray(acc, 13 * L); a32.intoArray(acc, 14 * L); a33.intoArray(acc, 15 * L);
        finishRows(acc, 4, w, b0, b1, b2, b3, true, x, xr, in, pairs, out, outDim, o0, o1, o2, o3);
    }

    /** Weight rows at byte offsets b0..b3 times activation rows xr..xr+1 (in pair order): 8 accumulators. */
    private static void bf16Tile4x2(MemorySegment w, long b0, long b1, long b2, long b3, int o0, int o1, int o2, int o3,
                                  float[] x, int xr, int in, float[] out, int outDim, float[] acc) {
        int x0 = (xr + 0) * in;
        int x1 = (xr + 1) * in;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = FloatVector.zero(F), a11 = a10, a12 = a10, a13 = a10;
        int pairs = pairBound(in);
        IntVector high = high(); // even(), odd() and bf16Pairs() are spelled out: see bf16Tile8x1
        for (int i = 0; i < pairs; i += 2 * L) {
            IntVector q0 = IntVector.fromMemorySegment(I, w, b0 + 2L * i, LE);
            IntVector q1 = IntVector.fromMemorySegment(I, w, b1 + 2L * i, LE);
            IntVector q2 = IntVector.fromMemorySegment(I, w, b2 + 2L * i, LE);
            IntVector q3 = IntVector.fromMemorySegment(I, w, b3 + 2L * i, LE);
            FloatVector w0 = q0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = q1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w2 = q2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w3 = q3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + i);
            a00 = w0.fma(v0, a00); a01 = w1.fma(v0, a01); a02 = w2.fma(v0, a02); a03 = w3.fma(v0, a03);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + i);
            a10 = w0.fma(v1, a10); a11 = w1.fma(v1, a11); a12 = w2.fma(v1, a12); a13 = w3.fma(v1, a13);
            w0 = q0.and(high).reinterpretAsFloats();
            w1 = q1.and(high).reinterpretAsFloats();
            w2 = q2.and(high).reinterpretAsFloats();
            w3 = q3.and(high).reinterpretAsFloats();
            v0 = FloatVector.fromArray(F, x, x0 + i + L);
            a00 = w0.fma(v0, a00); a01 = w1.fma(v0, a01); a02 = w2.fma(v0, a02); a03 = w3.fma(v0, a03);
            v1 = FloatVector.fromArray(F, x, x1 + i + L);
            a10 = w0.fma(v1, a10); a11 = w1.fma(v1, a11); a12 = w2.fma(v1, a12); a13 = w3.fma(v1, a13);
        }
        a00.intoArray(acc, 0 * L); a01.intoArray(acc, 1 * L); a02.intoArray(acc, 2 * L); a03.intoArray(acc, 3 * L);
        a10.intoArray(acc, 4 * L); a11.intoArray(acc, 5 * L); a12.intoArray(acc, 6 * L); a13.intoArray(acc, 7 * L);
        finishRows(acc, 2, w, b0, b1, b2, b3, true, x, xr, in, pairs, out, outDim, o0, o1, o2, o3);
    }

    /** Weight rows at byte offsets b0..b3 times activation rows xr..xr+2 (in pair order): 12 accumulators. */
    private static void bf16Tile4x3(MemorySegment w, long b0, long b1, long b2, long b3, int o0, int o1, int o2, int o3,
                                  float[] x, int xr, int in, float[] out, int outDim, float[] acc) {
        int x0 = (xr + 0) * in;
        int x1 = (xr + 1) * in;
        int x2 = (xr + 2) * in;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = FloatVector.zero(F), a11 = a10, a12 = a10, a13 = a10;
        FloatVector a20 = FloatVector.zero(F), a21 = a20, a22 = a20, a23 = a20;
        int pairs = pairBound(in);
        IntVector high = high(); // even(), odd() and bf16Pairs() are spelled out: see bf16Tile8x1
        for (int i = 0; i < pairs; i += 2 * L) {
            IntVector q0 = IntVector.fromMemorySegment(I, w, b0 + 2L * i, LE);
            IntVector q1 = IntVector.fromMemorySegment(I, w, b1 + 2L * i, LE);
            IntVector q2 = IntVector.fromMemorySegment(I, w, b2 + 2L * i, LE);
            IntVector q3 = IntVector.fromMemorySegment(I, w, b3 + 2L * i, LE);
            FloatVector w0 = q0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = q1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w2 = q2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w3 = q3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + i);
            a00 = w0.fma(v0, a00); a01 = w1.fma(v0, a01); a02 = w2.fma(v0, a02); a03 = w3.fma(v0, a03);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + i);
            a10 = w0.fma(v1, a10); a11 = w1.fma(v1, a11); a12 = w2.fma(v1, a12); a13 = w3.fma(v1, a13);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + i);
            a20 = w0.fma(v2, a20); a21 = w1.fma(v2, a21); a22 = w2.fma(v2, a22); a23 = w3.fma(v2, a23);
            w0 = q0.and(high).reinterpretAsFloats();
            w1 = q1.and(high).reinterpretAsFloats();
            w2 = q2.and(high).reinterpretAsFloats();
            w3 = q3.and(high).reinterpretAsFloats();
            v0 = FloatVector.fromArray(F, x, x0 + i + L);
            a00 = w0.fma(v0, a00); a01 = w1.fma(v0, a01); a02 = w2.fma(v0, a02); a03 = w3.fma(v0, a03);
            v1 = FloatVector.fromArray(F, x, x1 + i + L);
            a10 = w0.fma(v1, a10); a11 = w1.fma(v1, a11); a12 = w2.fma(v1, a12); a13 = w3.fma(v1, a13);
            v2 = FloatVector.fromArray(F, x, x2 + i + L);
            a20 = w0.fma(v2, a20); a21 = w1.fma(v2, a21); a22 = w2.fma(v2, a22); a23 = w3.fma(v2, a23);
        }
        a00.intoArray(acc, 0 * L); a01.intoArray(acc, 1 * L); a02.intoArray(acc, 2 * L); a03.intoArray(acc, 3 * L);
        a10.intoArray(acc, 4 * L); a11.intoArray(acc, 5 * L); a12.intoArray(acc, 6 * L); a13.intoArray(acc, 7 * L);
        a20.intoArray(acc, 8 * L); a21.intoArray(acc, 9 * L); a22.intoArray(acc, 10 * L); a23.intoArray(acc, 11 * L);
        finishRows(acc, 3, w, b0, b1, b2, b3, true, x, xr, in, pairs, out, outDim, o0, o1, o2, o3);
    }

    /** Weight rows at byte offsets b0..b3 times activation rows xr..xr+0 (in pair order): 4 accumulators. */
    private static void bf16Tile4x1(MemorySegment w, long b0, long b1, long b2, long b3, int o0, int o1, int o2, int o3,
                                  float[] x, int xr, int in, float[] out, int outDim, float[] acc) {
        int x0 = (xr + 0) * in;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        int pairs = pairBound(in);
        IntVector high = high(); // even(), odd() and bf16Pairs() are spelled out: see bf16Tile8x1
        for (int i = 0; i < pairs; i += 2 * L) {
            IntVector q0 = IntVector.fromMemorySegment(I, w, b0 + 2L * i, LE);
            IntVector q1 = IntVector.fromMemorySegment(I, w, b1 + 2L * i, LE);
            IntVector q2 = IntVector.fromMemorySegment(I, w, b2 + 2L * i, LE);
            IntVector q3 = IntVector.fromMemorySegment(I, w, b3 + 2L * i, LE);
            FloatVector w0 = q0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = q1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w2 = q2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w3 = q3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + i);
            a00 = w0.fma(v0, a00); a01 = w1.fma(v0, a01); a02 = w2.fma(v0, a02); a03 = w3.fma(v0, a03);
            w0 = q0.and(high).reinterpretAsFloats();
            w1 = q1.and(high).reinterpretAsFloats();
            w2 = q2.and(high).reinterpretAsFloats();
            w3 = q3.and(high).reinterpretAsFloats();
            v0 = FloatVector.fromArray(F, x, x0 + i + L);
            a00 = w0.fma(v0, a00); a01 = w1.fma(v0, a01); a02 = w2.fma(v0, a02); a03 = w3.fma(v0, a03);
        }
        a00.intoArray(acc, 0 * L); a01.intoArray(acc, 1 * L); a02.intoArray(acc, 2 * L); a03.intoArray(acc, 3 * L);
        finishRows(acc, 1, w, b0, b1, b2, b3, true, x, xr, in, pairs, out, outDim, o0, o1, o2, o3);
    }

}
