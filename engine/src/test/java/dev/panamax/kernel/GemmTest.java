package dev.panamax.kernel;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Java tiled GEMM and oneDNN's sgemm against the scalar twin on ragged shapes, both transposes,
 * padded leading dimensions, alpha and beta. Tolerance per element: 1e-5 · sum |a·b| + 1e-5.
 */
class GemmTest {

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    @Test
    void javaAndDnnlMatchTheScalarTwin() {
        assertTrue(Gemm.dnnlAvailable(), "oneDNN should load from the bytedeco jars in tests");
        Random rnd = new Random(21);
        int[][] shapes = {{1, 1, 1}, {7, 5, 3}, {6, 32, 256}, {13, 47, 300}, {100, 70, 9}, {1, 200, 64}, {150, 600, 260}};
        for (int[] s : shapes)
            for (boolean ta : new boolean[] {false, true})
                for (boolean tb : new boolean[] {false, true}) {
                    int m = s[0], n = s[1], k = s[2];
                    int lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 3, ldc = n + 1;
                    float[] a = random(rnd, (ta ? k : m) * lda), b = random(rnd, (tb ? n : k) * ldb), c0 = random(rnd, m * ldc);
                    float[] want = c0.clone();
                    Gemm.sgemm(Gemm.Impl.SCALAR, ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 0.25f, want, ldc);
                    for (Gemm.Impl impl : new Gemm.Impl[] {Gemm.Impl.JAVA, Gemm.Impl.DNNL, Gemm.Impl.AUTO}) {
                        float[] got = c0.clone();
                        Gemm.sgemm(impl, ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 0.25f, got, ldc);
                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < ldc; j++) {
                                String where = impl + " " + (ta ? "T" : "N") + (tb ? "T" : "N") + " " + m + "x" + n + "x" + k + " at " + i + "," + j;
                                if (j >= n) { // padding between rows is never written
                                    assertEquals(c0[i * ldc + j], got[i * ldc + j], 0f, where + " (padding)");
                                    continue;
                                }
                                double mag = 0;
                                for (int p = 0; p < k; p++)
                                    mag += Math.abs((ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]));
                                assertEquals(want[i * ldc + j], got[i * ldc + j], 1e-5 * mag + 1e-5, where);
                            }
                    }
                }
    }

    @Test
    void nativeSegmentsGoToDnnlInPlaceAndMatchTheScalarTwin() {
        Random rnd = new Random(22);
        try (Arena arena = Arena.ofConfined()) {
            for (int[] s : new int[][] {{1, 1, 1}, {13, 47, 300}, {150, 600, 260}})
                for (boolean ta : new boolean[] {false, true})
                    for (boolean tb : new boolean[] {false, true})
                        for (float beta : new float[] {0f, 0.25f}) {
                            int m = s[0], n = s[1], k = s[2];
                            int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3;
                            float[] a = random(rnd, (ta ? k : m) * lda), b = random(rnd, (tb ? n : k) * ldb), c0 = random(rnd, m * ldc);
                            float[] want = c0.clone();
                            Gemm.sgemm(Gemm.Impl.SCALAR, ta, tb, m, n, k, 0.5f, a, lda, b, ldb, beta, want, ldc);
                            MemorySegment c = arena.allocateFrom(ValueLayout.JAVA_FLOAT, c0);
                            Gemm.sgemm(ta, tb, m, n, k, 0.5f, arena.allocateFrom(ValueLayout.JAVA_FLOAT, a), lda,
                                    arena.allocateFrom(ValueLayout.JAVA_FLOAT, b), ldb, beta, c, ldc);
                            float[] got = c.toArray(ValueLayout.JAVA_FLOAT);
                            for (int i = 0; i < m; i++)
                                for (int j = 0; j < ldc; j++) {
                                    String where = "segments " + (ta ? "T" : "N") + (tb ? "T" : "N") + " " + m + "x" + n + "x" + k + " beta " + beta + " at " + i + "," + j;
                                    float tolerance = j >= n ? 0f : (float) (1e-5 * k * 10 + 1e-5);
                                    assertEquals(want[i * ldc + j], got[i * ldc + j], tolerance, where);
                                }
                        }
        }
    }

    @Test
    void onThisThreadGivesTheProductAtEverySize() {
        // 520³ multiply-adds is above the size from which plain sgemm hands oneDNN the pool's threads.
        Random rnd = new Random(23);
        try (Arena arena = Arena.ofConfined()) {
            for (int[] s : new int[][] {{1, 882, 64}, {32, 200, 300}, {520, 520, 520}}) {
                int m = s[0], n = s[1], k = s[2];
                float[] a = random(rnd, m * k), b = random(rnd, n * k), want = new float[m * n];
                Gemm.sgemm(Gemm.Impl.SCALAR, false, true, m, n, k, 1f, a, k, b, k, 0f, want, n);
                MemorySegment c = arena.allocate(4L * m * n);
                Gemm.sgemmOnThisThread(false, true, m, n, k, 1f, arena.allocateFrom(ValueLayout.JAVA_FLOAT, a), k,
                        arena.allocateFrom(ValueLayout.JAVA_FLOAT, b), k, 0f, c, n);
                float[] got = c.toArray(ValueLayout.JAVA_FLOAT);
                for (int i = 0; i < want.length; i++)
                    assertEquals(want[i], got[i], 1e-5f * k + 1e-5f, m + "x" + n + "x" + k + " at " + i);
            }
            assertMessage("c ", () -> Gemm.sgemmOnThisThread(false, false, 2, 2, 3, 1f, arena.allocate(4 * 6), 3, arena.allocate(4 * 6), 2, 0f,
                    arena.allocate(4 * 3), 2));
        }
    }

    @Test
    void heapArraysThroughDnnlKeepThePaddingWithBetaZero() {
        float[] c = {Float.NaN, 7f, 2f, 7f}; // 2 × 1 with ldc 2: the 7s are padding
        Gemm.sgemm(Gemm.Impl.DNNL, false, false, 2, 1, 1, 1f, new float[] {1, 2}, 1, new float[] {3}, 1, 0f, c, 2);
        assertArrayEquals(new float[] {3, 7, 6, 7}, c, 0f);
    }

    @Test
    void segmentsMustBeNativeAndLargeEnough() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(4 * 6), b = arena.allocate(4 * 6), c = arena.allocate(4 * 4);
            assertMessage("a must be native", () -> Gemm.sgemm(false, false, 2, 2, 3, 1f, MemorySegment.ofArray(new float[6]), 3, b, 2, 0f, c, 2));
            assertMessage("a ", () -> Gemm.sgemm(false, false, 3, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
            assertMessage("b ", () -> Gemm.sgemm(false, true, 2, 3, 3, 1f, a, 3, b, 3, 0f, arena.allocate(4 * 6), 3));
            assertMessage("ldc ", () -> Gemm.sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 1));
            assertMessage("c ", () -> Gemm.sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, arena.allocate(4 * 3), 2));
            assertMessage("k ", () -> Gemm.sgemm(false, false, 2, 2, -3, 1f, a, 3, b, 2, 0f, c, 2));
        }
    }

    @Test
    void autoLeavesThinProductsToJavaSinceOneDnnGetsCopies() {
        assertTrue(Gemm.dnnlAvailable());
        assertEquals(Gemm.Impl.JAVA, Gemm.choose(8, 8, 8), "too small");
        assertEquals(Gemm.Impl.JAVA, Gemm.choose(1, 600, 600), "a GEMV: one multiply-add per copied weight");
        assertEquals(Gemm.Impl.JAVA, Gemm.choose(4096, 10, 256), "10 outputs: under 16 multiply-adds per copied element");
        assertEquals(Gemm.Impl.DNNL, Gemm.choose(256, 256, 256));
        assertEquals(Gemm.Impl.DNNL, Gemm.choose(256, 256, 2304), "a KAN dense tile");
    }

    @Test
    void betaZeroClearsAndKZeroScales() {
        for (Gemm.Impl impl : Gemm.Impl.values()) {
            float[] c = {Float.NaN, 2f, 3f, 4f};
            Gemm.sgemm(impl, false, false, 2, 2, 1, 1f, new float[] {1, 1}, 1, new float[] {1, 1}, 2, 0f, c, 2);
            assertArrayEquals(new float[] {1, 1, 1, 1}, c, 0f, impl + " beta=0");
            float[] d = {1f, 2f};
            Gemm.sgemm(impl, false, false, 1, 2, 0, 1f, new float[0], 1, new float[0], 2, 2f, d, 2);
            assertArrayEquals(new float[] {2, 4}, d, 0f, impl + " k=0");
        }
    }

    @Test
    void badSizesNameTheArgumentBeforeAnyNativeCall() {
        float[] a = new float[6], b = new float[6], c = new float[4];
        for (Gemm.Impl impl : Gemm.Impl.values()) {
            assertMessage("a ", () -> Gemm.sgemm(impl, false, false, 3, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
            assertMessage("b ", () -> Gemm.sgemm(impl, false, true, 2, 3, 3, 1f, a, 3, b, 3, 0f, new float[6], 3));
            assertMessage("ldc ", () -> Gemm.sgemm(impl, false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 1));
            assertMessage("lda ", () -> Gemm.sgemm(impl, true, false, 2, 2, 3, 1f, a, 1, b, 2, 0f, c, 2));
            assertMessage("m ", () -> Gemm.sgemm(impl, false, false, -1, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
            assertMessage("c ", () -> Gemm.sgemm(impl, false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, new float[3], 2));
        }
    }

    private static void assertMessage(String prefix, org.junit.jupiter.api.function.Executable call) {
        var e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(prefix), "expected a message about " + prefix.trim() + ": " + e.getMessage());
    }
}
