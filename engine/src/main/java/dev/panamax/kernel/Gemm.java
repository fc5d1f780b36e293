package dev.panamax.kernel;

import dev.panamax.dnnl.Dnnl;
import dev.panamax.dnnl.DnnlLibrary;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * General matrix multiply for large batches, row-major like {@code cblas_sgemm(RowMajor, ...)}:
 * {@code C = alpha · op(A) · op(B) + beta · C}, op(A) is m × k, op(B) is k × n, C is m × n, each
 * with its leading dimension (the stride between rows as stored).
 *
 * <p>{@link Impl#AUTO} routes to oneDNN's {@code dnnl_sgemm} when it loaded and the product has at
 * least {@link #dnnlMinFlops()} multiply-adds, and at least 16 per element of A, B and C (which it
 * gets copies of), else to the Java tiled GEMM ({@link PanamaGemm}, or the
 * scalar loop when the scalar kernels are in use). The crossover default was measured with
 * {@code panamax bench kernels} on the 2-core Zen 4 machine this project targets (it prints both
 * sides for a ladder of sizes); {@code -Dpanamax.gemm.dnnlMinFlops} overrides it. Smaller oneDNN
 * calls run on one thread (see {@link #DNNL_PARALLEL_MIN_FLOPS}). Every size is validated before
 * oneDNN is called. oneDNN reads native memory only: heap arrays are copied to this thread's native
 * staging buffers and the result copied back (a GEMM big enough for oneDNN does k multiply-adds per
 * copied element); callers whose matrices are native already use the {@link MemorySegment} overload.
 */
public final class Gemm {
    private Gemm() {}

    public enum Impl { AUTO, DNNL, JAVA, SCALAR }

    /** m·n·k below which the Java kernel is used even when oneDNN is present (see the class comment). */
    private static final long DNNL_MIN_FLOPS = Long.getLong("panamax.gemm.dnnlMinFlops", 32L * 32 * 32);

    /**
     * m·n·k from which oneDNN runs on all the pool's threads; below it, on one. oneDNN's OpenMP threads
     * sleep between calls, and on a busy 2-core machine waking the second one cost 3-15 ms per call
     * (measured: 128³ took 7.6 ms median on two threads, 0.044 ms on one; 256³ 7.1 ms against 0.30 ms;
     * at 512³ both were about equal). {@code -Dpanamax.gemm.dnnlParallelMinFlops} overrides it.
     */
    private static final long DNNL_PARALLEL_MIN_FLOPS = Long.getLong("panamax.gemm.dnnlParallelMinFlops", 512L * 512 * 512);

    private static volatile boolean toldUnavailable;

    /**
     * Multiply-adds per element of A, B and C below which the Java kernel is used: a square GEMM of
     * side n does n/3 of them per element, so this sends products thinner than about 48 rows (or
     * columns, or depth) to Java.
     */
    private static final long DNNL_MIN_MACS_PER_COPY = 16;

    public static long dnnlMinFlops() { return DNNL_MIN_FLOPS; }

    /** Whether oneDNN loaded (see {@link DnnlLibrary#status()} for why not). */
    public static boolean dnnlAvailable() { return DnnlLibrary.available(); }

    /** {@code C = A · B} for dense row-major A (m × k), B (k × n), C (m × n). */
    public static void matmul(float[] a, float[] b, float[] c, int m, int n, int k) {
        sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
    }

    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int lda,
                             float[] b, int ldb, float beta, float[] c, int ldc) {
        sgemm(Impl.AUTO, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** The implementation {@link Impl#AUTO} picks for this size. */
    public static Impl choose(int m, int n, int k) {
        // oneDNN gets copies of heap arrays, so it must also do enough arithmetic per copied element:
        // a GEMV (m = 1) does one multiply-add per weight, and copying the weights cost more than the
        // product (an MLP at batch 1: 14,500 samples/s in place, 2,600 with copies).
        long macs = (long) m * n * k, copied = (long) m * k + (long) k * n + (long) m * n;
        boolean big = macs >= DNNL_MIN_FLOPS && macs >= DNNL_MIN_MACS_PER_COPY * copied;
        if (big && dnnlAvailable()) return Impl.DNNL;
        if (big && !toldUnavailable) {
            toldUnavailable = true;
            System.err.println("panamax: oneDNN unavailable (" + DnnlLibrary.status().reason() + "); GEMMs run on the Java kernels");
        }
        return KernelProvider.kernels() instanceof ScalarKernels ? Impl.SCALAR : Impl.JAVA;
    }

    public static void sgemm(Impl impl, boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int lda,
                             float[] b, int ldb, float beta, float[] c, int ldc) {
        check(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        if (m == 0 || n == 0) return;
        if (impl == Impl.AUTO) impl = choose(m, n, k);
        switch (impl) {
            case DNNL -> dnnl(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            case JAVA -> PanamaGemm.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, KernelProvider.pool());
            case SCALAR -> scalar(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            case AUTO -> throw new AssertionError();
        }
    }

    private static void dnnl(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int lda,
                             float[] b, int ldb, float beta, float[] c, int ldc) {
        if (!dnnlAvailable()) throw new IllegalStateException("oneDNN is unavailable: " + DnnlLibrary.status().reason());
        if (k == 0) { // oneDNN would be handed empty A and B; the result is just beta · C
            scale(c, m, n, ldc, beta);
            return;
        }
        long na = extent(transA ? k : m, transA ? m : k, lda), nb = extent(transB ? n : k, transB ? k : n, ldb), nc = extent(m, n, ldc);
        MemorySegment stage = staging(na + nb + nc);
        MemorySegment sa = stage.asSlice(0, 4 * na), sb = stage.asSlice(4 * na, 4 * nb), sc = stage.asSlice(4 * (na + nb), 4 * nc);
        MemorySegment.copy(a, 0, sa, ValueLayout.JAVA_FLOAT, 0, (int) na);
        MemorySegment.copy(b, 0, sb, ValueLayout.JAVA_FLOAT, 0, (int) nb);
        MemorySegment.copy(c, 0, sc, ValueLayout.JAVA_FLOAT, 0, (int) nc); // with beta = 0 too: the padding between rows goes back as it came
        call(false, transA, transB, m, n, k, alpha, sa, lda, sb, ldb, beta, sc, ldc);
        MemorySegment.copy(sc, ValueLayout.JAVA_FLOAT, 0, c, 0, (int) nc);
    }

    /**
     * {@code C = alpha · op(A) · op(B) + beta · C} through oneDNN on native memory, with no copies: as
     * {@link #sgemm(boolean, boolean, int, int, int, float, float[], int, float[], int, float, float[], int)}
     * with A, B and C as native segments of floats (in the platform's byte order). Every size and
     * segment is validated first.
     *
     * @throws IllegalStateException when oneDNN did not load
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
                             MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        sgemm(false, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /**
     * As the native {@link #sgemm(boolean, boolean, int, int, int, float, MemorySegment, int, MemorySegment, int, float, MemorySegment, int)},
     * on the calling thread alone whatever the size: for callers that share a large product out
     * across the pool themselves (tiles of rows, one per pool thread at a time), where oneDNN's own
     * threads would put two threads on each core.
     */
    public static void sgemmOnThisThread(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
                                         MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        sgemm(true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    private static void sgemm(boolean oneThread, boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
                              MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        sizes(m, n, k);
        fits("a", floats("a", a), transA ? k : m, transA ? m : k, lda);
        fits("b", floats("b", b), transB ? n : k, transB ? k : n, ldb);
        fits("c", floats("c", c), m, n, ldc);
        if (m == 0 || n == 0) return;
        if (!dnnlAvailable()) throw new IllegalStateException("oneDNN is unavailable: " + DnnlLibrary.status().reason());
        if (k == 0) { // oneDNN would be handed empty A and B; the result is just beta · C
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    long off = 4L * ((long) i * ldc + j);
                    c.set(ValueLayout.JAVA_FLOAT, off, beta == 0f ? 0f : beta * c.get(ValueLayout.JAVA_FLOAT, off));
                }
            return;
        }
        call(oneThread, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    private static void call(boolean oneThread, boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
                             MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        // oneDNN runs on OpenMP; the thread count is a per-calling-thread setting, so set it every call.
        Dnnl.omp_set_num_threads(!oneThread && (long) m * n * k >= DNNL_PARALLEL_MIN_FLOPS ? KernelProvider.pool().threads() : 1);
        int status = Dnnl.dnnl_sgemm((byte) (transA ? 'T' : 'N'), (byte) (transB ? 'T' : 'N'), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        if (status != Dnnl.dnnl_success()) throw new IllegalStateException("dnnl_sgemm failed with status " + status);
    }

    /** Floats a rows × cols matrix with leading dimension ld spans. */
    private static long extent(int rows, int cols, int ld) {
        return rows == 0 || cols == 0 ? 0 : (long) (rows - 1) * ld + cols;
    }

    /**
     * Per thread: native memory that heap matrices are copied through, grown on demand. It stays as
     * large as the largest product the thread handed oneDNN (A, B and C together: 48 MiB for 2048³)
     * until the thread ends; callers with matrices that large keep them native instead.
     */
    private static final ThreadLocal<MemorySegment> STAGING = new ThreadLocal<>();

    private static MemorySegment staging(long floats) {
        MemorySegment s = STAGING.get();
        if (s == null || s.byteSize() < 4 * floats) {
            s = Arena.ofAuto().allocate(4 * Math.max(floats, 1), 64); // freed by the GC once replaced
            STAGING.set(s);
        }
        return s;
    }

    /** The scalar twin: a plain triple loop with a float accumulator. */
    static void scalar(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int lda,
                       float[] b, int ldb, float beta, float[] c, int ldc) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) s += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                float old = beta == 0f ? 0f : beta * c[i * ldc + j];
                c[i * ldc + j] = alpha * s + old;
            }
    }

    /** C = beta · C; beta = 0 clears C (NaNs included), as BLAS does. */
    static void scale(float[] c, int m, int n, int ldc, float beta) {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[i * ldc + j] = beta == 0f ? 0f : beta * c[i * ldc + j];
    }

    /** Every size and array length, named, before anything touches memory (oneDNN would not check). */
    static void check(boolean transA, boolean transB, int m, int n, int k, float[] a, int lda, float[] b, int ldb, float[] c, int ldc) {
        sizes(m, n, k);
        fits("a", floats("a", a), transA ? k : m, transA ? m : k, lda);
        fits("b", floats("b", b), transB ? n : k, transB ? k : n, ldb);
        fits("c", floats("c", c), m, n, ldc);
    }

    private static void sizes(int m, int n, int k) {
        if (m < 0) throw new IllegalArgumentException("m must be >= 0, is " + m);
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, is " + n);
        if (k < 0) throw new IllegalArgumentException("k must be >= 0, is " + k);
    }

    /** The floats an array holds. */
    private static long floats(String name, float[] x) {
        if (x == null) throw new IllegalArgumentException(name + " must not be null");
        return x.length;
    }

    /** The floats a segment holds; it must be native, as oneDNN reads it in place. */
    private static long floats(String name, MemorySegment x) {
        if (x == null) throw new IllegalArgumentException(name + " must not be null");
        if (!x.isNative()) throw new IllegalArgumentException(name + " must be native memory (oneDNN cannot read the Java heap)");
        return x.byteSize() / 4;
    }

    /** A rows × cols matrix with leading dimension ld must fit in the floats its array or segment holds. */
    private static void fits(String name, long floats, int rows, int cols, int ld) {
        if (ld < Math.max(1, cols))
            throw new IllegalArgumentException("ld" + name + " must be >= " + Math.max(1, cols) + ", is " + ld);
        long need = extent(rows, cols, ld);
        if (need > floats)
            throw new IllegalArgumentException(name + " holds " + floats + " floats, a " + rows + " × " + cols
                    + " matrix with ld" + name + "=" + ld + " needs " + need);
    }
}
