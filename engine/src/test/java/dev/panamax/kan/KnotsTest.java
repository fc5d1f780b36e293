package dev.panamax.kan;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The local span-and-triangle evaluation against pykan's global recursion, for every order. */
class KnotsTest {

    static float[] uniform(int g, int k, float lo, float hi) {
        float[] t = new float[g + 2 * k + 1];
        float h = (hi - lo) / g;
        for (int i = 0; i < t.length; i++) t[i] = lo + (i - k) * h;
        return t;
    }

    static float[] nonUniform(int g, int k, SplittableRandom rnd) {
        float[] t = new float[g + 2 * k + 1];
        t[0] = -1.3f;
        for (int i = 1; i < t.length; i++) t[i] = t[i - 1] + (float) rnd.nextDouble(0.05, 0.6);
        return t;
    }

    /** All bases at x from the local path: zero except the window. */
    static double[] local(Knots kn, float x) {
        double[] all = new double[kn.basisCount()];
        int s = kn.span(x);
        if (s < 0) return all;
        float[] c = new float[kn.order() + 1];
        int start = kn.weights(x, s, c, new float[kn.order() + 1]);
        for (int j = 0; j <= kn.order(); j++) all[start + j] = c[j];
        return all;
    }

    @Test
    void localBasesEqualTheGlobalRecursionForEveryOrder() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int k = 0; k <= 5; k++)
            for (int g : new int[] {1, 2, 5, 9})
                for (boolean uni : new boolean[] {true, false}) {
                    float[] t = uni ? uniform(g, k, -1, 1) : nonUniform(g, k, rnd);
                    Knots kn = new Knots(t, k);
                    if (t.length > 2) assertEquals(uni, kn.isUniform());   // two knots are always uniform
                    float lo = t[0], hi = t[t.length - 1];
                    for (int n = 0; n < 400; n++) {
                        float x = (float) (lo - 0.3 + (hi - lo + 0.6) * rnd.nextDouble());
                        check(kn, x, "k=" + k + " G=" + g + (uni ? " uniform" : " non-uniform"));
                    }
                    for (float x : t) {          // exactly on every knot, and just below
                        check(kn, x, "knot k=" + k);
                        check(kn, Math.nextDown(x), "below knot k=" + k);
                    }
                }
    }

    private static void check(Knots kn, float x, String what) {
        double[] expected = kn.allBases(x, true), actual = local(kn, x);
        for (int m = 0; m < expected.length; m++)
            assertEquals(expected[m], actual[m], 2e-6, what + " x=" + x + " basis " + m);
    }

    @Test
    void spanIsHalfOpenAndOutsideIsEmpty() {
        Knots kn = new Knots(uniform(4, 0, 0, 1), 0);     // knots 0, .25, .5, .75, 1
        assertEquals(0, kn.span(0f));
        assertEquals(1, kn.span(0.25f));
        assertEquals(3, kn.span(Math.nextDown(1f)));
        assertEquals(-1, kn.span(1f), "x at the last knot gives no basis");
        assertEquals(-1, kn.span(-0.1f));
        assertEquals(-1, kn.span(Float.NaN));
        assertEquals(-1, kn.span(Float.POSITIVE_INFINITY));
    }

    @Test
    void basesOfTheExtendedGridSumToOneInsideTheRange() {
        Knots kn = new Knots(uniform(5, 3, -1, 1), 3);
        for (float x = -1; x < 1; x += 0.01f) {
            double sum = 0;
            for (double b : local(kn, x)) sum += b;
            assertEquals(1.0, sum, 1e-6, "partition of unity at " + x);
        }
    }

    @Test
    void nonFiniteInputsGiveZeroBasesInPykanAndNaNInEfficientKan() {
        Knots kn = new Knots(uniform(5, 3, -1, 1), 3);
        for (double x : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            for (double b : kn.allBases(x, true)) assertEquals(0.0, b);
            for (double b : kn.allBases(x, false)) assertTrue(Double.isNaN(b), "efficient-kan basis at " + x);
        }
    }

    @Test
    void badKnotsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Knots(new float[] {0, 1, 0.5f, 2, 3}, 1));
        assertThrows(IllegalArgumentException.class, () -> new Knots(new float[] {0, Float.NaN, 2, 3, 4}, 1));
        assertThrows(IllegalArgumentException.class, () -> new Knots(new float[] {0, 1}, 3));
    }
}
