package dev.panamax.kan;

import java.util.Arrays;

/**
 * One layer of a KAN as pykan's MultKAN defines it, with its parameters as loaded (in double, so
 * float64 checkpoints keep their precision for the reference path). Arrays are flat, row-major:
 *
 * <pre>
 *   mask, scaleBase, scaleSp   [in][out]            spline edges (KANLayer's (in, out) indexing)
 *   coef                       [in][out][nBases]
 *   symFun, symMask            [out][in]            symbolic edges (Symbolic_KANLayer's (out, in) indexing)
 *   symAffine                  [out][in][4]         a, b, c, d of c·f(a·x + b) + d
 *   subScale, subBias          [out]                affine on the subnodes
 *   nodeScale, nodeBias        [nodes]              affine on the nodes, after multiplication
 * </pre>
 *
 * The layer maps {@code in} values to {@code out} subnodes; the first {@code nSum} subnodes pass to
 * the nodes unchanged and each further group of {@code multArity[g]} consecutive subnodes is
 * multiplied into one node. {@code splineNanToNum} is pykan's behaviour (a non-finite input gives
 * zero spline bases); efficient-kan lets the NaN through.
 */
public record KanLayer(int in, int out, int k, Knots[] knots, BaseFunction base, boolean splineNanToNum,
                       double[] mask, double[] scaleBase, double[] scaleSp, double[] coef,
                       Symbolic[] symFun, double[] symMask, double[] symAffine,
                       double[] subScale, double[] subBias,
                       int nSum, int[] multArity,
                       double[] nodeScale, double[] nodeBias) {

    public KanLayer {
        require(in > 0 && out > 0, "layer must have positive widths, has in=" + in + ", out=" + out);
        require(knots.length == in, "knots for " + knots.length + " inputs, layer has " + in);
        int nb = knots[0].basisCount();
        for (Knots kn : knots) {
            require(kn.order() == k, "every input's knots must have order k=" + k);
            require(kn.basisCount() == nb, "every input must have the same number of knots");
        }
        require(mask.length == in * out && scaleBase.length == in * out && scaleSp.length == in * out,
                "mask/scale_base/scale_sp must have in*out = " + in * out + " values");
        require(coef.length == in * out * nb, "coef must have in*out*(G+k) = " + in * out * nb + " values, has " + coef.length);
        if (symFun != null) {
            require(symFun.length == in * out && symMask.length == in * out && symAffine.length == in * out * 4,
                    "symbolic functions, mask and affine must cover out*in = " + in * out + " edges");
        }
        require(subScale.length == out && subBias.length == out, "subnode scale/bias must have " + out + " values");
        int mult = 0;
        for (int a : multArity) { require(a >= 2, "multiplication nodes need arity >= 2, got " + a); mult += a; }
        require(nSum >= 0 && nSum + mult == out, "n_sum " + nSum + " + multiplied subnodes " + mult + " != " + out + " subnodes");
        int nodes = nSum + multArity.length;
        require(nodeScale.length == nodes && nodeBias.length == nodes, "node scale/bias must have " + nodes + " values");
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    public int basisCount() { return knots[0].basisCount(); }

    /** G, the number of grid intervals inside the grid range. */
    public int gridSize() { return basisCount() - k; }

    /** Width of the layer's output: sum nodes plus multiplication nodes. */
    public int nodes() { return nSum + multArity.length; }

    public boolean hasSymbolic() { return symFun != null; }

    /** The symbolic function on edge (input i, subnode j). */
    public Symbolic symbolic(int i, int j) { return symFun[j * in + i]; }

    /**
     * How edge (i, j) acts: "spline", "symbolic &lt;f&gt;", "spline+symbolic &lt;f&gt;" or "off" (both masks zero).
     */
    public String edgeKind(int i, int j) {
        boolean spline = mask[i * out + j] != 0;
        boolean sym = symFun != null && symMask[j * in + i] != 0;
        if (spline && sym) return "spline+symbolic " + symbolic(i, j).pykanName();
        if (sym) return "symbolic " + symbolic(i, j).pykanName();
        return spline ? "spline" : "off";
    }

    /** Whether every edge that contributes is symbolic, so the layer has a closed form. */
    public boolean fullySymbolic() {
        for (double m : mask) if (m != 0) return false;
        return true;
    }

    public long parameterCount() {
        long n = coef.length + 3L * in * out + (long) knots.length * knots[0].knotCount();
        if (symFun != null) n += symMask.length + symAffine.length;
        return n + 2L * out + 2L * nodes();
    }

    @Override public String toString() {
        return "KanLayer[" + in + " -> " + out + " subnodes -> " + nodes() + " nodes, G=" + gridSize() + ", k=" + k
                + ", base=" + base.pykanName() + (multArity.length > 0 ? ", mult=" + Arrays.toString(multArity) : "") + "]";
    }
}
