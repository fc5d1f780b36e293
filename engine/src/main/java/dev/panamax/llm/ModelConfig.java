package dev.panamax.llm;

import java.util.Arrays;

/**
 * The shape of a Llama-style multi-token-prediction model.
 *
 * <p>{@code layers} counts every transformer block, heads included, as Meta's {@code n_layers}
 * does: the trunk holds {@code layers - futureTokens} blocks and each of the {@code futureTokens}
 * heads one block. A model with {@code futureTokens = 1} is a plain Llama model whose last layer
 * plays head 1.
 *
 * @param ropeInterleaved true for Meta and llama2.c (rotate pairs x[2i], x[2i+1]); false for
 *                        Hugging Face (rotate halves)
 * @param bosId           the id put before every prompt, or -1 for none
 * @param stopIds         ids that end a generation when produced (not included in the output)
 */
public record ModelConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                          int seqLen, float normEps, float ropeTheta, boolean ropeInterleaved,
                          int futureTokens, int bosId, int[] stopIds) {

    public ModelConfig {
        require(dim > 0 && hiddenDim > 0 && vocabSize > 0 && seqLen > 0, "dimensions must be positive");
        require(heads > 0 && kvHeads > 0 && heads % kvHeads == 0, "heads " + heads + " must be a multiple of kv heads " + kvHeads);
        require(dim % heads == 0 && (dim / heads) % 2 == 0, "dim " + dim + " must split into " + heads + " heads of even size");
        require(futureTokens >= 1 && layers >= futureTokens, "layers " + layers + " must be >= future tokens " + futureTokens);
        stopIds = stopIds.clone();
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("model config: " + message);
    }

    public int headSize() { return dim / heads; }

    public int kvDim() { return kvHeads * headSize(); }

    /** Blocks before the heads. */
    public int trunkLayers() { return layers - futureTokens; }

    @Override public int[] stopIds() { return stopIds.clone(); }

    public boolean isStop(int id) {
        for (int s : stopIds) if (s == id) return true;
        return false;
    }

    @Override public boolean equals(Object o) {
        return o instanceof ModelConfig c && toString().equals(c.toString());
    }

    @Override public int hashCode() { return toString().hashCode(); }

    @Override public String toString() {
        return "ModelConfig[dim=" + dim + ", hiddenDim=" + hiddenDim + ", layers=" + layers + ", heads=" + heads
                + ", kvHeads=" + kvHeads + ", vocabSize=" + vocabSize + ", seqLen=" + seqLen + ", normEps=" + normEps
                + ", ropeTheta=" + ropeTheta + ", ropeInterleaved=" + ropeInterleaved + ", futureTokens=" + futureTokens
                + ", bosId=" + bosId + ", stopIds=" + Arrays.toString(stopIds) + "]";
    }
}
