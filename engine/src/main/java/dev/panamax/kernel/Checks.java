package dev.panamax.kernel;

import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;

/**
 * Argument checks shared by every implementation, so a bad size fails with a message naming the
 * argument before any memory is touched.
 */
final class Checks {
    private Checks() {}

    static void matmul(float[] x, int rows, Tensor w, float[] out) {
        notNull("x", x);
        notNull("w", w);
        notNull("out", out);
        if (w.rank() != 2) throw new IllegalArgumentException("weight " + w.name() + " must be 2-D, is " + w);
        if (w.dtype() != DType.F32 && w.dtype() != DType.BF16 && w.dtype() != DType.F16)
            throw new IllegalArgumentException("weight " + w.name() + ": unsupported dtype " + w.dtype());
        if (!w.data().scope().isAlive()) throw new IllegalStateException("weight " + w.name() + ": its memory was released");
        long outDim = w.dim(0), in = w.dim(1);
        if (outDim > Integer.MAX_VALUE || in > Integer.MAX_VALUE)
            throw new IllegalArgumentException("weight " + w.name() + " is too large: " + w);
        if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, is " + rows);
        if ((long) rows * in > x.length)
            throw new IllegalArgumentException("x holds " + x.length + " floats, " + rows + " rows of " + w.name() + " need " + rows * in);
        if ((long) rows * outDim > out.length)
            throw new IllegalArgumentException("out holds " + out.length + " floats, " + rows + " rows of " + w.name() + " need " + rows * outDim);
    }

    /** Every (xs[m], rows[m], ws[m], outs[m]) as {@link #matmul}. */
    static void matmuls(float[][] xs, int[] rows, Tensor[] ws, float[][] outs) {
        notNull("xs", xs);
        notNull("rows", rows);
        notNull("ws", ws);
        notNull("outs", outs);
        if (xs.length != ws.length) throw new IllegalArgumentException("xs holds " + xs.length + " inputs but ws " + ws.length + " weights");
        if (rows.length != ws.length) throw new IllegalArgumentException("rows holds " + rows.length + " counts but ws " + ws.length + " weights");
        if (outs.length != ws.length) throw new IllegalArgumentException("outs holds " + outs.length + " outputs but ws " + ws.length + " weights");
        for (int m = 0; m < ws.length; m++) matmul(xs[m], rows[m], ws[m], outs[m]);
    }

    /** {@code array[off, off + n)} must exist. */
    static void range(String name, float[] array, int off, int n) {
        notNull(name, array);
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, is " + n + " (for " + name + ")");
        if (off < 0 || (long) off + n > array.length)
            throw new IllegalArgumentException(name + ": range [" + off + ", " + ((long) off + n) + ") outside its length " + array.length);
    }

    static void positive(String name, int v) {
        if (v <= 0) throw new IllegalArgumentException(name + " must be > 0, is " + v);
    }

    static void notNull(String name, Object o) {
        if (o == null) throw new IllegalArgumentException(name + " must not be null");
    }

    static void rope(float[] x, int rows, int heads, int headDim, int startPos) {
        if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, is " + rows);
        positive("heads", heads);
        positive("headDim", headDim);
        if (headDim % 2 != 0) throw new IllegalArgumentException("headDim must be even, is " + headDim);
        if (startPos < 0) throw new IllegalArgumentException("startPos must be >= 0, is " + startPos);
        range("x", x, 0, Math.multiplyExact(rows, Math.multiplyExact(heads, headDim)));
    }

    static void attention(float[] q, int rows, float[] kCache, float[] vCache, int startPos,
                          int heads, int kvHeads, int headDim, float[] out) {
        if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, is " + rows);
        positive("heads", heads);
        positive("kvHeads", kvHeads);
        positive("headDim", headDim);
        if (heads % kvHeads != 0)
            throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kvHeads (" + kvHeads + ")");
        if (startPos < 0) throw new IllegalArgumentException("startPos must be >= 0, is " + startPos);
        int qDim = Math.multiplyExact(heads, headDim);
        range("q", q, 0, Math.multiplyExact(rows, qDim));
        range("out", out, 0, Math.multiplyExact(rows, qDim));
        int cached = Math.multiplyExact(startPos + rows, Math.multiplyExact(kvHeads, headDim));
        range("kCache", kCache, 0, cached);
        range("vCache", vCache, 0, cached);
    }
}
