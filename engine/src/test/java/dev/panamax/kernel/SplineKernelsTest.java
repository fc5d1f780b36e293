package dev.panamax.kernel;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The Vector API spline kernels against their scalar twin, on widths with ragged tails. */
class SplineKernelsTest {
    final SplineKernels panama = new PanamaSplineKernels(), scalar = new ScalarSplineKernels();

    @Test
    void accumulateIsBitIdenticalToTheScalarTwin() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int n : new int[] {1, 3, 7, 15, 16, 17, 31, 33, 64, 100, 257})
            for (int terms : new int[] {0, 1, 2, 3, 4, 6}) {
                float[] w = new float[(terms + 2) * (n + 1) + 5];
                for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextDouble(-2, 2);
                float[] c = new float[Math.max(terms, 1)];
                for (int j = 0; j < c.length; j++) c[j] = (float) rnd.nextDouble();
                float[] y1 = new float[n + 3], y2;
                for (int i = 0; i < y1.length; i++) y1[i] = (float) rnd.nextDouble(-1, 1);
                y2 = y1.clone();
                float base = (float) rnd.nextDouble(-1, 1);
                panama.accumulate(w, 2, base, 2 + n, n + 1, c, terms, n, y1, 3 - 1);
                scalar.accumulate(w, 2, base, 2 + n, n + 1, c, terms, n, y2, 3 - 1);
                assertArrayEquals(y2, y1, "n=" + n + " terms=" + terms);
                assertEquals(y2[0], y1[0]);   // outside the range: untouched in both
            }
    }

    @Test
    void cubicWeightsAreBitIdenticalToTheScalarTwinAndSumToOne() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int n : new int[] {1, 3, 7, 8, 9, 15, 16, 17, 33, 64, 100}) {
            float[] x = new float[n], left = new float[n];
            for (int t = 0; t < n; t++) {
                left[t] = (float) (rnd.nextInt(-5, 5) * 0.4);
                x[t] = left[t] + (float) (0.4 * rnd.nextDouble());
            }
            float[][] a = new float[4][n], b = new float[4][n];
            panama.cubicWeights(x, left, 2.5f, n, a[0], a[1], a[2], a[3]);
            scalar.cubicWeights(x, left, 2.5f, n, b[0], b[1], b[2], b[3]);
            for (int j = 0; j < 4; j++) assertArrayEquals(b[j], a[j], "n=" + n + " basis " + j);
            for (int t = 0; t < n; t++)     // cubic B-splines form a partition of unity
                assertEquals(1f, a[0][t] + a[1][t] + a[2][t] + a[3][t], 1e-5f, "n=" + n + " t=" + t);
        }
    }

    @Test
    void accumulateLanesIsBitIdenticalToTheScalarTwinAndToAccumulate() {
        SplittableRandom rnd = new SplittableRandom(13);
        int stride = 7, rows = 9;
        float[] w = new float[rows * stride];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextDouble(-2, 2);
        for (int n : new int[] {1, 3, 8, 9, 17, 64})
            for (int nOut : new int[] {1, 5, 7}) {
                int[] row = new int[n];
                float[] base = new float[n], y = new float[nOut * n];
                float[][] c = new float[4][n];
                for (int t = 0; t < n; t++) {
                    row[t] = (1 + rnd.nextInt(rows - 4)) * stride;
                    base[t] = (float) rnd.nextDouble(-1, 1);
                    for (int j = 0; j < 4; j++) c[j][t] = (float) rnd.nextDouble();
                }
                for (int i = 0; i < y.length; i++) y[i] = (float) rnd.nextDouble(-1, 1);
                float[] a = y.clone(), b = y.clone();
                panama.accumulateLanes(w, 0, stride, row, base, c[0], c[1], c[2], c[3], n, nOut, a, n);
                scalar.accumulateLanes(w, 0, stride, row, base, c[0], c[1], c[2], c[3], n, nOut, b, n);
                assertArrayEquals(b, a, "n=" + n + " nOut=" + nOut);
                for (int t = 0; t < n; t++) {          // one sample through accumulate gives the same floats
                    float[] one = new float[nOut];
                    for (int o = 0; o < nOut; o++) one[o] = y[o * n + t];
                    scalar.accumulate(w, 0, base[t], row[t], stride, new float[] {c[0][t], c[1][t], c[2][t], c[3][t]}, 4, nOut, one, 0);
                    for (int o = 0; o < nOut; o++) assertEquals(one[o], a[o * n + t], "n=" + n + " t=" + t + " o=" + o);
                }
            }
    }

    @Test
    void accumulateComputesTheFusedSum() {
        float[] w = {1, 2, 10, 20, 100, 200};   // base row, then two spline rows, n = 2
        float[] y = {0.5f, 0.25f};
        for (SplineKernels k : new SplineKernels[] {panama, scalar}) {
            float[] out = y.clone();
            k.accumulate(w, 0, 2f, 2, 2, new float[] {1f, 0.5f}, 2, 2, out, 0);
            assertArrayEquals(new float[] {0.5f + 2 + 10 + 50, 0.25f + 4 + 20 + 100}, out, k.name());
        }
    }

    @Test
    void siluAgreesWithTheScalarTwin() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int n : new int[] {1, 5, 16, 17, 40}) {
            float[] x = new float[n + 2];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble(-30, 30);
            x[1] = 0f;
            float[] a = new float[n + 2], b = new float[n + 2];
            panama.silu(x, 1, a, 1, n);
            scalar.silu(x, 1, b, 1, n);
            for (int i = 1; i <= n; i++) {
                double exact = x[i] / (1 + Math.exp(-x[i]));
                assertEquals(exact, b[i], 1e-6 * Math.abs(exact) + 1e-30, "scalar at " + x[i]);
                assertEquals(exact, a[i], 4e-7 * Math.abs(exact) + 1e-30, "panama at " + x[i]);
            }
            assertEquals(0f, a[0]);
            assertEquals(0f, a[n + 1]);
        }
    }

    @Test
    void bestIsTheVectorImplementationWhenTheModuleIsPresent() {
        assertEquals("panama", SplineKernels.best().name());
    }
}
