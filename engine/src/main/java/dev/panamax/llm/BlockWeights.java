package dev.panamax.llm;

import dev.panamax.tensor.Tensor;

/**
 * One transformer block: attention and a SwiGLU feed-forward, each behind an RMSNorm. Matrices are
 * (out, in) tensors mapped from the checkpoint; the two norm vectors are small heap copies because
 * the kernels take them as arrays.
 */
public record BlockWeights(float[] attentionNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                           float[] ffnNorm, Tensor w1, Tensor w2, Tensor w3) {}
