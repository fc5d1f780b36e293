package dev.panamax.kan;

/**
 * The KAN forward pass in double, edge by edge, with pykan's (or efficient-kan's) exact semantics:
 * every basis from the global Cox–de Boor recursion, masks multiplied rather than skipped, symbolic
 * functions applied to every edge. Slow and simple: the fast path's fallback for samples with
 * non-finite values, and the reference the tests hold the fast path to.
 */
public final class Reference {
    private Reference() {}

    /** One sample through the whole network. */
    public static double[] forward(KanModel model, double[] x) {
        double[] v = x;
        for (KanLayer layer : model.layers()) v = nodes(layer, subnodesBeforeAffine(layer, v));
        return v;
    }

    /** Spline part plus symbolic part, per subnode, before the subnode affine. */
    static double[] subnodesBeforeAffine(KanLayer L, double[] x) {
        int in = L.in(), out = L.out(), nb = L.basisCount();
        double[] y = new double[out];
        for (int i = 0; i < in; i++) {
            double[] basis = L.knots()[i].allBases(x[i], L.splineNanToNum());
            double b = L.base().apply(x[i]);
            for (int j = 0; j < out; j++) {
                int e = i * out + j;
                double spline = 0;
                for (int m = 0; m < nb; m++) spline += basis[m] * L.coef()[e * nb + m];
                y[j] += L.mask()[e] * (L.scaleBase()[e] * b + L.scaleSp()[e] * spline);
            }
        }
        if (L.hasSymbolic()) {
            double[] ys = new double[out];
            for (int j = 0; j < out; j++)
                for (int i = 0; i < in; i++) {
                    int e = j * in + i;
                    double[] a = L.symAffine();
                    ys[j] += L.symMask()[e] * (a[4 * e + 2] * L.symFun()[e].apply(a[4 * e] * x[i] + a[4 * e + 1]) + a[4 * e + 3]);
                }
            for (int j = 0; j < out; j++) y[j] += ys[j];
        }
        return y;
    }

    static double[] nodes(KanLayer L, double[] sub) {
        int out = L.out();
        double[] s = new double[out];
        for (int j = 0; j < out; j++) s[j] = L.subScale()[j] * sub[j] + L.subBias()[j];
        double[] y = new double[L.nodes()];
        System.arraycopy(s, 0, y, 0, L.nSum());
        int at = L.nSum();
        for (int g = 0; g < L.multArity().length; g++) {
            double p = s[at] * s[at + 1];
            for (int q = 2; q < L.multArity()[g]; q++) p *= s[at + q];
            y[L.nSum() + g] = p;
            at += L.multArity()[g];
        }
        for (int j = 0; j < y.length; j++) y[j] = L.nodeScale()[j] * y[j] + L.nodeBias()[j];
        return y;
    }
}
