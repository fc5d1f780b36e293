package dev.panamax.kan;

import dev.panamax.io.FormatException;
import dev.panamax.io.TensorFile;
import dev.panamax.tensor.Tensor;

import java.nio.file.Path;
import java.util.Arrays;

/** Helpers the checkpoint readers share: tensors checked against the shape they must have, copied to double. */
final class Checkpoints {
    private Checkpoints() {}

    /** The tensor's values in double; a {@link FormatException} naming it when its shape is not {@code shape}. */
    static double[] values(TensorFile file, String name, long... shape) {
        Tensor t = file.tensor(name);
        if (!t.dtype().isFloat())
            throw new FormatException(file.path(), name, "expected a floating-point tensor, found " + t.dtype());
        if (!Arrays.equals(t.shape(), shape))
            throw new FormatException(file.path(), name, "expected shape " + Arrays.toString(shape) + ", found " + Arrays.toString(t.shape()));
        double[] v = new double[Math.toIntExact(t.size())];
        for (int i = 0; i < v.length; i++) v[i] = t.getDouble(i);
        return v;
    }

    static long[] shape(TensorFile file, String name, int rank) {
        long[] s = file.tensor(name).shape();
        if (s.length != rank)
            throw new FormatException(file.path(), name, "expected a " + rank + "-D tensor, found shape " + Arrays.toString(s));
        return s;
    }

    /**
     * The spline order the config gives must fit the state, whose grid holds G+2k+1 knots an input and
     * coef G+k coefficients an edge; else an error naming the config's field (not a shape error
     * naming the state, which is not the file at fault) and the order the state has.
     */
    static void requireOrder(Path configFile, String field, int k, TensorFile state, String grid, String coef, long knots) {
        if (k < 0) throw new FormatException(configFile, field, "must be >= 0, is " + k);
        long[] cs = state.tensor(coef).shape();
        if (cs.length == 3 && cs[2] != knots - k - 1) {
            long fits = knots - cs[2] - 1;
            throw new FormatException(configFile, field, field + "=" + k + " does not fit the state: " + grid + " has " + knots
                    + " knots an input and " + coef + " " + cs[2] + " coefficients an edge" + (fits >= 0 ? ", which fit " + field + "=" + fits : ""));
        }
    }

    /** Per-input knot vectors from a (in, nKnots) grid tensor; bad knots are a format error naming the tensor. */
    static Knots[] knots(Path file, String name, double[] grid, int in, int nKnots, int k) {
        Knots[] out = new Knots[in];
        for (int i = 0; i < in; i++) {
            float[] t = new float[nKnots];
            for (int m = 0; m < nKnots; m++) t[m] = (float) grid[i * nKnots + m];
            try {
                out[i] = new Knots(t, k);
            } catch (IllegalArgumentException e) {
                throw new FormatException(file, name, "input " + i + ": " + e.getMessage());
            }
        }
        return out;
    }

    static double[] filled(int n, double v) {
        double[] a = new double[n];
        Arrays.fill(a, v);
        return a;
    }

    static void requireFinite(Path file, String name, double[] v) {
        for (int i = 0; i < v.length; i++)
            if (!Double.isFinite(v[i])) throw new FormatException(file, name, "non-finite value " + v[i] + " at index " + i);
    }
}
