package dev.panamax.kan;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Hand-built KAN layers with random parameters, for tests and benchmarks. */
public final class TestKans {
    private TestKans() {}

    /** A layer with uniform knots on [-1, 1], G intervals, random coefficients, all masks 1. */
    public static KanLayer layer(int in, int out, int g, int k, BaseFunction base, long seed) {
        return layer(in, out, g, k, base, seed, false);
    }

    public static KanLayer layer(int in, int out, int g, int k, BaseFunction base, long seed, boolean nonUniform) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Knots[] knots = new Knots[in];
        for (int i = 0; i < in; i++) {
            float[] t = new float[g + 2 * k + 1];
            float h = 2f / g;
            for (int m = 0; m < t.length; m++) t[m] = -1 + (m - k) * h;
            if (nonUniform)
                for (int m = 1; m < t.length; m++) t[m] = t[m - 1] + (float) rnd.nextDouble(0.3, 1.7) * h;
            knots[i] = new Knots(t, k);
        }
        int nb = g + k;
        double[] coef = new double[in * out * nb], sb = new double[in * out], sp = new double[in * out];
        for (int i = 0; i < coef.length; i++) coef[i] = rnd.nextDouble(-1, 1);
        for (int i = 0; i < sb.length; i++) { sb[i] = rnd.nextDouble(-1, 1); sp[i] = rnd.nextDouble(0.5, 1.5); }
        return new KanLayer(in, out, k, knots, base, true, ones(in * out), sb, sp, coef, null, null, null,
                ones(out), new double[out], out, new int[0], ones(out), new double[out]);
    }

    public static double[] ones(int n) {
        double[] a = new double[n];
        Arrays.fill(a, 1);
        return a;
    }

    /** A network of {@link #layer}s with the given widths. */
    public static KanModel model(int g, int k, int... widths) {
        var layers = new java.util.ArrayList<KanLayer>();
        for (int l = 0; l + 1 < widths.length; l++) layers.add(layer(widths[l], widths[l + 1], g, k, BaseFunction.SILU, 100 + l));
        return new KanModel(layers, "test", null);
    }
}
