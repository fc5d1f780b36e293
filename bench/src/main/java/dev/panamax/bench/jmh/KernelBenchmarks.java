package dev.panamax.bench.jmh;

import dev.panamax.kernel.Gemm;
import dev.panamax.kernel.KernelProvider;
import dev.panamax.kernel.Kernels;
import dev.panamax.kernel.WorkerPool;
import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * JMH benchmarks of every kernel, on the implementation {@code -Dpanamax.kernels} selects (run them
 * with {@code panamax bench jmh [JMH options]}, e.g. {@code panamax bench jmh Matmul -p rows=1,4}).
 * Shapes are those of a 7B-class layer where that matters (4096-wide), smaller where the kernel is
 * per-head (attention, RoPE).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBenchmarks {

    static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    /** matmul (GEMV and the k-row GEMM) on 4096 × 4096 weights. */
    @State(Scope.Benchmark)
    public static class Matmul {
        @Param({"F32", "BF16", "F16"}) public String dtype;
        @Param({"1", "4", "8"}) public int rows;
        @Param({"4096"}) public int dim;
        Arena arena;
        Tensor w;
        float[] x, out;
        final Kernels kernels = KernelProvider.kernels();

        @Setup(Level.Trial) public void setup() {
            arena = Arena.ofShared();
            w = Tensor.allocate(arena, "w", DType.valueOf(dtype), dim, dim);
            Random rnd = new Random(1);
            for (long i = 0; i < (long) dim * dim; i += 7) w.setFloat(i, (float) rnd.nextGaussian());
            x = random(rnd, rows * dim);
            out = new float[rows * dim];
        }

        @TearDown(Level.Trial) public void close() { arena.close(); }
    }

    @Benchmark public float[] matmul(Matmul s) {
        s.kernels.matmul(s.x, s.rows, s.w, s.out);
        return s.out;
    }

    /** Vectors the size of a model dimension for the element-wise kernels. */
    @State(Scope.Thread)
    public static class Vectors {
        @Param({"4096"}) public int n;
        float[] a, b, y, weight, logits;
        final Kernels kernels = KernelProvider.kernels();

        @Setup(Level.Trial) public void setup() {
            Random rnd = new Random(2);
            a = random(rnd, n);
            b = random(rnd, n);
            y = random(rnd, n);
            weight = random(rnd, n);
            logits = random(rnd, n);
        }
    }

    @Benchmark public float dot(Vectors s) { return s.kernels.dot(s.a, 0, s.b, 0, s.n); }

    @Benchmark public float[] axpy(Vectors s) {
        s.kernels.axpy(1e-3f, s.a, 0, s.y, 0, s.n);
        return s.y;
    }

    @Benchmark public float[] rmsnorm(Vectors s) {
        s.kernels.rmsnorm(s.y, 0, s.a, 0, s.weight, s.n, 1e-5f);
        return s.y;
    }

    @Benchmark public float[] softmax(Vectors s) {
        System.arraycopy(s.a, 0, s.logits, 0, s.n);
        s.kernels.softmax(s.logits, 0, s.n);
        return s.logits;
    }

    @Benchmark public float[] swiglu(Vectors s) {
        System.arraycopy(s.a, 0, s.y, 0, s.n);
        s.kernels.swiglu(s.y, s.b, s.n);
        return s.y;
    }

    /** RoPE and attention with 32 heads of 128 (8 KV heads) over a 512-position cache. */
    @State(Scope.Thread)
    public static class Heads {
        @Param({"1", "4"}) public int rows;
        @Param({"512"}) public int context;
        final int heads = 32, kvHeads = 8, headDim = 128;
        float[] q, k, v, out;
        final Kernels kernels = KernelProvider.kernels();

        @Setup(Level.Trial) public void setup() {
            Random rnd = new Random(3);
            q = random(rnd, rows * heads * headDim);
            k = random(rnd, (context + rows) * kvHeads * headDim);
            v = random(rnd, (context + rows) * kvHeads * headDim);
            out = new float[q.length];
        }
    }

    @Benchmark public float[] ropeInterleaved(Heads s) {
        s.kernels.rope(s.q, s.rows, s.heads, s.headDim, s.context, 10000f, true);
        return s.q;
    }

    @Benchmark public float[] ropeHalves(Heads s) {
        s.kernels.rope(s.q, s.rows, s.heads, s.headDim, s.context, 10000f, false);
        return s.q;
    }

    @Benchmark public float[] attention(Heads s) {
        s.kernels.attention(s.q, s.rows, s.k, s.v, s.context, s.heads, s.kvHeads, s.headDim, s.out);
        return s.out;
    }

    /** Square GEMM through the Java kernel and oneDNN, on heap arrays as users call it (oneDNN's side includes the copies to and from native memory). */
    @State(Scope.Benchmark)
    public static class Square {
        @Param({"256", "1024"}) public int size;
        @Param({"JAVA", "DNNL"}) public String impl;
        float[] a, b, c;

        @Setup(Level.Trial) public void setup() {
            Random rnd = new Random(4);
            a = random(rnd, size * size);
            b = random(rnd, size * size);
            c = new float[size * size];
        }
    }

    @Benchmark public float[] gemm(Square s) {
        Gemm.sgemm(Gemm.Impl.valueOf(s.impl), false, false, s.size, s.size, s.size, 1f, s.a, s.size, s.b, s.size, 0f, s.c, s.size);
        return s.c;
    }

    /** The cost of one worker-pool call with nothing to do: the dispatch overhead every parallel kernel pays. */
    @Benchmark @OutputTimeUnit(TimeUnit.NANOSECONDS) public void poolDispatch() {
        WorkerPool pool = KernelProvider.pool();
        pool.parallelFor(pool.threads(), c -> {});
    }
}
