package dev.panamax.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java tiled GEMM behind {@link Gemm}: row-major {@code C = alpha·op(A)·op(B) + beta·C} in the
 * classic blocked shape. For each panel of B (KC rows × NC columns) packed into strips of
 * {@code NB = NR} vectors, every block of MC rows of A is packed into strips of MR rows (alpha folded
 * in) and a 6 × 2-vector register tile ({@link #micro}) walks the strips: a B strip stays in L1, the A
 * block in L2. Packing pads edges with zeros and reads through the transposes, so {@code op()}
 * costs nothing in the inner loop. Blocks of rows (and groups of B strips when there are few rows) run
 * in parallel on the worker pool.
 */
final class PanamaGemm {
    private PanamaGemm() {}

    private static final VectorSpecies<Float> F = PanamaKernels.F;
    private static final int L = F.length();
    private static final int MR = 6, NR = 2, NB = NR * L;
    private static final int KC = 256, MC = 12 * MR, NC = 32 * NB;

    /**
     * C[r] += alpha · Σ_p A[r][p] · B[p] for m ≤ 2 rows: B streamed once, row by row, as axpys over
     * column ranges that the threads share out.
     */
    private static void rowsByAxpy(boolean transA, int m, int n, int k, float alpha, float[] a, int lda,
                                   float[] b, int ldb, float[] c, int ldc, WorkerPool pool) {
        Kernels kernels = KernelProvider.kernels();
        int chunks = (long) n * k * m < (1 << 16) ? 1 : Math.max(1, Math.min(pool.threads() * 2, n / 256));
        pool.parallelFor(chunks, chunk -> {
            int j0 = chunk * n / chunks, j1 = (chunk + 1) * n / chunks;
            for (int r = 0; r < m; r++)
                for (int p = 0; p < k; p++) {
                    float s = alpha * (transA ? a[p * lda + r] : a[r * lda + p]);
                    kernels.axpy(s, b, p * ldb + j0, c, r * ldc + j0, j1 - j0); // no skipping zeros: 0 · NaN is NaN, as in the scalar twin
                }
        });
    }

    private static final ThreadLocal<float[]> A_PACK = ThreadLocal.withInitial(() -> new float[MC * KC]);
    private static final ThreadLocal<float[]> EDGE = ThreadLocal.withInitial(() -> new float[MR * NB]);

    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int lda,
                      float[] b, int ldb, float beta, float[] c, int ldc, WorkerPool pool) {
        Gemm.scale(c, m, n, ldc, beta);
        if (k == 0 || alpha == 0f) return;
        if (m <= 2 && !transB) { // a GEMV or two: packing would cost more than it saves
            rowsByAxpy(transA, m, n, k, alpha, a, lda, b, ldb, c, ldc, pool);
            return;
        }
        float[] bp = new float[KC * ((Math.min(n, NC) + NB - 1) / NB) * NB];
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            int strips = (nc + NB - 1) / NB;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                int jcB = jc, pcB = pc, kcB = kc;
                int packChunks = Math.min(strips, pool.threads() * 2);
                pool.parallelFor(packChunks, chunk -> packB(b, ldb, transB, pcB, kcB, jcB, nc,
                        chunk * strips / packChunks, (chunk + 1) * strips / packChunks, bp));
                int mBlocks = (m + MC - 1) / MC;
                // With few row blocks, also split the B strips so that every thread has work.
                int groups = Math.max(1, Math.min(strips, (pool.threads() * 4 + mBlocks - 1) / mBlocks));
                int perGroup = (strips + groups - 1) / groups;
                int jc0 = jc, pc0 = pc;
                pool.parallelFor(mBlocks * groups, task -> {
                    int ic = (task / groups) * MC, mc = Math.min(MC, m - ic);
                    int s0 = (task % groups) * perGroup, s1 = Math.min(strips, s0 + perGroup);
                    float[] ap = A_PACK.get();
                    packA(a, lda, transA, alpha, ic, mc, pc0, kc, ap);
                    block(ap, bp, kc, mc, nc, s0, s1, c, ic * ldc + jc0, ldc);
                });
            }
        }
    }

    /** C block (mc × columns of strips [s0, s1)) += packed A · packed B. */
    private static void block(float[] ap, float[] bp, int kc, int mc, int nc, int s0, int s1, float[] c, int cOff, int ldc) {
        for (int s = s0; s < s1; s++) {
            int cols = Math.min(NB, nc - s * NB);
            for (int t = 0; t * MR < mc; t++) {
                int rows = Math.min(MR, mc - t * MR);
                int at = cOff + t * MR * ldc + s * NB;
                if (rows == MR && cols == NB) {
                    micro(kc, ap, t * MR * kc, bp, s * NB * kc, c, at, ldc);
                } else { // edge tile: compute into a scratch tile, add the valid part
                    float[] edge = EDGE.get();
                    java.util.Arrays.fill(edge, 0f);
                    micro(kc, ap, t * MR * kc, bp, s * NB * kc, edge, 0, NB);
                    for (int r = 0; r < rows; r++)
                        for (int j = 0; j < cols; j++) c[at + r * ldc + j] += edge[r * NB + j];
                }
            }
        }
    }

    /** Strips [s0, s1) of bp[s][p][j] = op(B)[pc + p][jc + s·NB + j], zero past the edge. */
    private static void packB(float[] b, int ldb, boolean transB, int pc, int kc, int jc, int nc, int s0, int s1, float[] bp) {
        for (int s = s0; s < s1; s++) {
            int base = s * NB * kc, j0 = jc + s * NB, cols = Math.min(NB, nc - s * NB);
            for (int p = 0; p < kc; p++) {
                int dst = base + p * NB;
                if (!transB) {
                    System.arraycopy(b, (pc + p) * ldb + j0, bp, dst, cols);
                } else {
                    for (int j = 0; j < cols; j++) bp[dst + j] = b[(j0 + j) * ldb + pc + p];
                }
                for (int j = cols; j < NB; j++) bp[dst + j] = 0f;
            }
        }
    }

    /** ap[t][p][r] = alpha · op(A)[ic + t·MR + r][pc + p], zero past the edge. */
    private static void packA(float[] a, int lda, boolean transA, float alpha, int ic, int mc, int pc, int kc, float[] ap) {
        for (int t = 0; t * MR < mc; t++) {
            int base = t * MR * kc, rows = Math.min(MR, mc - t * MR);
            for (int r = 0; r < MR; r++) {
                int i = ic + t * MR + r;
                if (r >= rows) {
                    for (int p = 0; p < kc; p++) ap[base + p * MR + r] = 0f;
                } else if (!transA) {
                    int row = i * lda + pc;
                    for (int p = 0; p < kc; p++) ap[base + p * MR + r] = alpha * a[row + p];
                } else {
                    for (int p = 0; p < kc; p++) ap[base + p * MR + r] = alpha * a[(pc + p) * lda + i];
                }
            }
        }
    }

    /**
     * C[6 rows × 2 vectors] += Ap-strip · Bp-strip over kc: 12 accumulators, each step one broadcast of an
     * A value per row and 2 vector loads of B. Writes into c at cOff with row stride ldc.
     */
    private static void micro(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++) {
            int b = bOff + p * NB, a = aOff + p * MR;
            FloatVector b0 = FloatVector.fromArray(F, bp, b + 0 * L);
            FloatVector b1 = FloatVector.fromArray(F, bp, b + 1 * L);
            FloatVector a0 = FloatVector.broadcast(F, ap[a + 0]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, ap[a + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, ap[a + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, ap[a + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(F, ap[a + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(F, ap[a + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
        }
        FloatVector.fromArray(F, c, cOff + 0 * ldc + 0 * L).add(c00).intoArray(c, cOff + 0 * ldc + 0 * L);
        FloatVector.fromArray(F, c, cOff + 0 * ldc + 1 * L).add(c01).intoArray(c, cOff + 0 * ldc + 1 * L);
        FloatVector.fromArray(F, c, cOff + 1 * ldc + 0 * L).add(c10).intoArray(c, cOff + 1 * ldc + 0 * L);
        FloatVector.fromArray(F, c, cOff + 1 * ldc + 1 * L).add(c11).intoArray(c, cOff + 1 * ldc + 1 * L);
        FloatVector.fromArray(F, c, cOff + 2 * ldc + 0 * L).add(c20).intoArray(c, cOff + 2 * ldc + 0 * L);
        FloatVector.fromArray(F, c, cOff + 2 * ldc + 1 * L).add(c21).intoArray(c, cOff + 2 * ldc + 1 * L);
        FloatVector.fromArray(F, c, cOff + 3 * ldc + 0 * L).add(c30).intoArray(c, cOff + 3 * ldc + 0 * L);
        FloatVector.fromArray(F, c, cOff + 3 * ldc + 1 * L).add(c31).intoArray(c, cOff + 3 * ldc + 1 * L);
        FloatVector.fromArray(F, c, cOff + 4 * ldc + 0 * L).add(c40).intoArray(c, cOff + 4 * ldc + 0 * L);
        FloatVector.fromArray(F, c, cOff + 4 * ldc + 1 * L).add(c41).intoArray(c, cOff + 4 * ldc + 1 * L);
        FloatVector.fromArray(F, c, cOff + 5 * ldc + 0 * L).add(c50).intoArray(c, cOff + 5 * ldc + 0 * L);
        FloatVector.fromArray(F, c, cOff + 5 * ldc + 1 * L).add(c51).intoArray(c, cOff + 5 * ldc + 1 * L);
    }
}
