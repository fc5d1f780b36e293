package dev.panamax.dnnl;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * oneDNN through FFM: every bound symbol resolves, dnnl_sgemm and the matmul primitive agree with
 * a plain triple loop (tolerance 1e-5 of sum |a·b| + 1e-6 per element). The bytedeco jars are
 * test dependencies, so oneDNN must load here; the test fails (not skips) when it does not.
 */
class DnnlTest {

    @BeforeAll static void loaded() {
        assertTrue(DnnlLibrary.available(), "oneDNN did not load: " + DnnlLibrary.status().reason());
    }

    @Test
    void everyBoundSymbolResolves() throws Exception {
        int n = 0;
        for (Method m : Dnnl.class.getMethods())
            if (m.getName().endsWith("$address")) {
                MemorySegment addr = (MemorySegment) m.invoke(null);
                assertNotEquals(0L, addr.address(), m.getName());
                n++;
            }
        assertTrue(n >= 19, "only " + n + " functions bound");
        assertTrue(DnnlLibrary.status().version().startsWith("3."), DnnlLibrary.status().version());
        MemorySegment v = Dnnl.dnnl_version().reinterpret(dnnl_version_t.layout().byteSize());
        assertEquals(3, dnnl_version_t.major(v));
        assertEquals(Dnnl.DNNL_RUNTIME_OMP(), dnnl_version_t.cpu_runtime(v));
        Dnnl.omp_set_num_threads(2);
        assertEquals(2, Dnnl.omp_get_max_threads());
        Dnnl.omp_set_num_threads(Runtime.getRuntime().availableProcessors());
    }

    /** Row-major C = alpha·op(A)·op(B) + beta·C, the reference for dnnl_sgemm. */
    private static float[] reference(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int lda,
                                     float[] b, int ldb, float beta, float[] c, int ldc) {
        float[] out = c.clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                out[i * ldc + j] = (float) (alpha * s + beta * c[i * ldc + j]);
            }
        return out;
    }

    @Test
    void sgemmMatchesTheReferenceWithTransposesAndLeadingDimensions() {
        Random rnd = new Random(11);
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 31, 100}, {1, 257, 129}};
        try (Arena arena = Arena.ofConfined()) {
            for (int[] s : shapes)
                for (boolean ta : new boolean[] {false, true})
                    for (boolean tb : new boolean[] {false, true}) {
                        int m = s[0], n = s[1], k = s[2];
                        int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
                        float[] a = random(rnd, (ta ? k : m) * lda), b = random(rnd, (tb ? n : k) * ldb), c = random(rnd, m * ldc);
                        float[] want = reference(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 0.25f, c, ldc);
                        MemorySegment sa = copy(arena, a), sb = copy(arena, b), sc = copy(arena, c);
                        int status = Dnnl.dnnl_sgemm((byte) (ta ? 'T' : 'N'), (byte) (tb ? 'T' : 'N'), m, n, k, 0.5f, sa, lda, sb, ldb,
                                0.25f, sc, ldc);
                        assertEquals(Dnnl.dnnl_success(), status);
                        float[] got = sc.toArray(ValueLayout.JAVA_FLOAT);
                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < n; j++)
                                assertEquals(want[i * ldc + j], got[i * ldc + j], 1e-5 * k * 4 + 1e-5,
                                        "sgemm " + (ta ? "T" : "N") + (tb ? "T" : "N") + " m=" + m + " n=" + n + " k=" + k + " at " + i + "," + j);
                    }
        }
    }

    @Test
    void matmulPrimitiveMatchesTheReferenceForF32AndBf16Weights() {
        Random rnd = new Random(12);
        try (Arena arena = Arena.ofConfined()) {
            for (int[] s : new int[][] {{1, 64, 10}, {5, 33, 17}, {16, 100, 64}}) {
                int m = s[0], k = s[1], n = s[2];
                float[] x = random(rnd, m * k), w = random(rnd, n * k);
                for (int type : new int[] {Dnnl.dnnl_f32(), Dnnl.dnnl_bf16()}) {
                    MemorySegment ws;
                    float[] wUsed = w.clone();
                    if (type == Dnnl.dnnl_f32()) ws = copy(arena, w);
                    else {
                        ws = arena.allocate(2L * n * k);
                        for (int i = 0; i < n * k; i++) {
                            short bits = (short) (Float.floatToRawIntBits(w[i]) >>> 16); // truncation is exact in bf16
                            ws.setAtIndex(ValueLayout.JAVA_SHORT, i, bits);
                            wUsed[i] = Float.intBitsToFloat((bits & 0xFFFF) << 16);
                        }
                    }
                    MemorySegment dst = arena.allocate(4L * m * n);
                    try (DnnlMatmul mm = new DnnlMatmul(m, k, n, type)) {
                        mm.execute(copy(arena, x), ws, dst);
                    }
                    float[] want = reference(false, true, m, n, k, 1f, x, k, wUsed, k, 0f, new float[m * n], n);
                    float[] got = dst.toArray(ValueLayout.JAVA_FLOAT);
                    for (int i = 0; i < m * n; i++)
                        assertEquals(want[i], got[i], 1e-4 * k, "matmul type " + type + " " + m + "x" + k + "x" + n + " at " + i);
                }
            }
        }
    }

    @Test
    void sizesAreCheckedBeforeTheNativeCall() {
        try (Arena arena = Arena.ofConfined(); DnnlMatmul mm = new DnnlMatmul(2, 8, 4, Dnnl.dnnl_f32())) {
            MemorySegment ok = arena.allocate(4 * 64);
            var e = assertThrows(IllegalArgumentException.class, () -> mm.execute(arena.allocate(4 * 15), ok, ok));
            assertTrue(e.getMessage().startsWith("src"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> mm.execute(ok, MemorySegment.ofArray(new float[32]), ok));
            assertTrue(e.getMessage().startsWith("weights"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> mm.execute(ok, ok, arena.allocate(4)));
            assertTrue(e.getMessage().startsWith("dst"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new DnnlMatmul(0, 8, 4, Dnnl.dnnl_f32()));
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    private static MemorySegment copy(Arena arena, float[] a) {
        MemorySegment s = arena.allocate(4L * Math.max(1, a.length), 64);
        MemorySegment.copy(a, 0, s, ValueLayout.JAVA_FLOAT, 0, a.length);
        return s;
    }
}
