package dev.panamax.kan;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The closed-form formula of a network whose contributing edges are all symbolic: each output as
 * text in the inputs x1, x2, ..., with constants to four significant digits.
 */
public final class KanFormula {
    private KanFormula() {}

    /** One formula per output; an {@link IllegalStateException} naming the first spline edge when there is one. */
    public static List<String> of(KanModel model) {
        List<String> v = new ArrayList<>();
        for (int i = 0; i < model.inputWidth(); i++) v.add("x" + (i + 1));
        List<KanLayer> layers = model.layers();
        for (int l = 0; l < layers.size(); l++) {
            KanLayer L = layers.get(l);
            for (int i = 0; i < L.in(); i++)
                for (int j = 0; j < L.out(); j++)
                    if (L.mask()[i * L.out() + j] != 0)
                        throw new IllegalStateException("edge (layer " + l + ", input " + i + ", output " + j
                                + ") is a spline, not symbolic: no closed form (fix it with pykan's auto_symbolic first)");
            List<String> sub = new ArrayList<>();
            for (int j = 0; j < L.out(); j++) {
                List<String> terms = new ArrayList<>();
                double constant = 0;
                for (int i = 0; i < L.in(); i++) {
                    if (!L.hasSymbolic()) continue;
                    int e = j * L.in() + i;
                    double m = L.symMask()[e];
                    if (m == 0) continue;
                    double[] a = L.symAffine();
                    double ca = a[4 * e], cb = a[4 * e + 1], cc = a[4 * e + 2] * m, cd = a[4 * e + 3] * m;
                    constant += cd;
                    Symbolic f = L.symFun()[e];
                    if (f == Symbolic.ZERO || cc == 0) continue;
                    String arg = affine(ca, v.get(i), cb);
                    terms.add(scaled(cc, f.format(arg)));
                }
                if (constant != 0 || terms.isEmpty()) terms.add(num(constant));
                sub.add(affineOf(L.subScale()[j], String.join(" + ", terms).replace("+ -", "- "), L.subBias()[j]));
            }
            List<String> nodes = new ArrayList<>(sub.subList(0, L.nSum()));
            int at = L.nSum();
            for (int arity : L.multArity()) {
                List<String> factors = new ArrayList<>();
                for (int q = 0; q < arity; q++) factors.add("(" + sub.get(at + q) + ")");
                nodes.add(String.join("*", factors));
                at += arity;
            }
            for (int j = 0; j < nodes.size(); j++) nodes.set(j, affineOf(L.nodeScale()[j], nodes.get(j), L.nodeBias()[j]));
            v = nodes;
        }
        return v;
    }

    static String num(double x) {
        return String.format(Locale.ROOT, "%.4g", x).replaceAll("(\\.\\d*?)0+(e|$)", "$1$2").replace(".e", "e").replaceAll("\\.$", "");
    }

    /** A compound expression in parentheses, so it can be multiplied or fed to a function. */
    private static String group(String e) {
        return e.matches("[A-Za-z0-9_.]+") || oneCall(e) ? e : "(" + e + ")";
    }

    /** Whether e is one function call, name(...), whose parenthesis closes at its end: sin(x) + 1 is not. */
    private static boolean oneCall(String e) {
        int open = e.indexOf('(');
        if (open < 1 || !e.substring(0, open).matches("[A-Za-z]+") || !e.endsWith(")")) return false;
        int depth = 0;
        for (int i = open; i < e.length(); i++) {
            if (e.charAt(i) == '(') depth++;
            else if (e.charAt(i) == ')' && --depth == 0) return i == e.length() - 1;
        }
        return false;
    }

    private static String affine(double a, String x, double b) {
        String s = a == 1 ? x : num(a) + "*" + group(x);
        if (b != 0) s += (b > 0 ? " + " : " - ") + num(Math.abs(b));
        return s;
    }

    private static String scaled(double c, String term) {
        return c == 1 ? term : c == -1 ? "-" + group(term) : num(c) + "*" + group(term);
    }

    private static String affineOf(double scale, String expr, double bias) {
        if (scale == 1 && bias == 0) return expr;
        String s = scale == 1 ? expr : num(scale) + "*" + group(expr);
        return bias == 0 ? s : s + (bias > 0 ? " + " : " - ") + num(Math.abs(bias));
    }
}
