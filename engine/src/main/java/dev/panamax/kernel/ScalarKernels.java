package dev.panamax.kernel;

import dev.panamax.tensor.Tensor;

/** The plain-Java twin of every kernel: the reference the SIMD kernels are tested against. */
public final class ScalarKernels implements Kernels {

    @Override public String name() { return "scalar"; }

    @Override
    public void matmul(float[] x, int rows, Tensor w, float[] out) {
        Checks.matmul(x, rows, w, out);
        int outDim = (int) w.dim(0), in = (int) w.dim(1);
        for (int o = 0; o < outDim; o++) {
            long base = (long) o * in;
            for (int r = 0; r < rows; r++) {
                float s = 0f;
                int xo = r * in;
                for (int i = 0; i < in; i++) s += x[xo + i] * w.getFloat(base + i);
                out[r * outDim + o] = s;
            }
        }
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        Checks.range("a", a, aOff, n);
        Checks.range("b", b, bOff, n);
        float s = 0f;
        for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        Checks.range("x", x, xOff, n);
        Checks.range("y", y, yOff, n);
        for (int i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    @Override
    public void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int n, float eps) {
        Checks.range("out", out, outOff, n);
        Checks.range("x", x, xOff, n);
        Checks.range("weight", weight, 0, n);
        if (n == 0) return;
        float ss = 0f;
        for (int i = 0; i < n; i++) ss += x[xOff + i] * x[xOff + i];
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) out[outOff + i] = weight[i] * (inv * x[xOff + i]);
    }

    @Override
    public int argmax(float[] x, int off, int n) {
        Checks.range("x", x, off, n);
        Checks.positive("n", n);
        int best = 0;
        float max = x[off];
        for (int i = 1; i < n; i++)
            if (x[off + i] > max) { max = x[off + i]; best = i; }
        return best;
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        Checks.range("x", x, off, n);
        if (n == 0) return;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            x[off + i] = (float) Math.exp(x[off + i] - max);
            sum += x[off + i];
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    @Override
    public void swiglu(float[] gate, float[] up, int n) {
        Checks.range("gate", gate, 0, n);
        Checks.range("up", up, 0, n);
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    @Override
    public void rope(float[] x, int rows, int heads, int headDim, int startPos, float theta, boolean interleaved) {
        Checks.rope(x, rows, heads, headDim, startPos);
        int half = headDim / 2;
        for (int r = 0; r < rows; r++) {
            int pos = startPos + r;
            for (int h = 0; h < heads; h++) {
                int base = (r * heads + h) * headDim;
                for (int i = 0; i < half; i++) {
                    double freq = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
                    double angle = pos * freq;
                    float c = (float) Math.cos(angle), s = (float) Math.sin(angle);
                    int a = interleaved ? base + 2 * i : base + i;
                    int b = interleaved ? a + 1 : base + i + half;
                    float x0 = x[a], x1 = x[b];
                    x[a] = x0 * c - x1 * s;
                    x[b] = x0 * s + x1 * c;
                }
            }
        }
    }

    @Override
    public void attention(float[] q, int rows, float[] kCache, float[] vCache, int startPos,
                          int heads, int kvHeads, int headDim, float[] out) {
        Checks.attention(q, rows, kCache, vCache, startPos, heads, kvHeads, headDim, out);
        int kvDim = kvHeads * headDim, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] scores = new float[startPos + rows];
        for (int r = 0; r < rows; r++) {
            int len = startPos + r + 1;
            for (int h = 0; h < heads; h++) {
                int qo = (r * heads + h) * headDim, kvo = (h / group) * headDim;
                for (int t = 0; t < len; t++) scores[t] = dot(q, qo, kCache, t * kvDim + kvo, headDim) * scale;
                softmax(scores, 0, len);
                java.util.Arrays.fill(out, qo, qo + headDim, 0f);
                for (int t = 0; t < len; t++) axpy(scores[t], vCache, t * kvDim + kvo, out, qo, headDim);
            }
        }
    }
}
