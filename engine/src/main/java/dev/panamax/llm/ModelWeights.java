package dev.panamax.llm;

import dev.panamax.tensor.Tensor;

import java.util.List;

/**
 * Every weight of a model. {@code heads.get(0)} is head 1 (next token: the last block of Meta's
 * {@code layers}); {@code heads.get(j)} for j &ge; 1 is head j+1 ({@code extra_heads.{j-1}}). All heads
 * read the trunk's output and share the final norm and the unembedding ({@code output}).
 */
public record ModelWeights(Tensor tokenEmbedding, List<BlockWeights> trunk, List<BlockWeights> heads,
                           float[] norm, Tensor output) {
    public ModelWeights {
        trunk = List.copyOf(trunk);
        heads = List.copyOf(heads);
    }
}
