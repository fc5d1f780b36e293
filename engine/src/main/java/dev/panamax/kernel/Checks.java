package dev.panamax.kernel;

import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;

/** Argument checks shared by every implementation, so a bad size fails before any memory is touched. */
final class Checks {
    private Checks() {}

    static void matmul(float[] x, int rows, Tensor w, float[] out) {
        if (w.rank() != 2) throw new IllegalArgumentException("weight " + w.name() + " must be 2-D, is " + w);
        if (w.dtype() != DType.F32 && w.dtype() != DType.BF16 && w.dtype() != DType.F16)
            throw new IllegalArgumentException("weight " + w.name() + ": unsupported dtype " + w.dtype());
        if (!w.data().scope().isAlive()) throw new IllegalStateException("weight " + w.name() + ": its memory was released");
        long outDim = w.dim(0), in = w.dim(1);
        if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, is " + rows);
        if ((long) rows * in > x.length)
            throw new IllegalArgumentException("x holds " + x.length + " floats, " + rows + " rows of " + w.name() + " need " + rows * in);
        if ((long) rows * outDim > out.length)
            throw new IllegalArgumentException("out holds " + out.length + " floats, " + rows + " rows of " + w.name() + " need " + rows * outDim);
    }
}
