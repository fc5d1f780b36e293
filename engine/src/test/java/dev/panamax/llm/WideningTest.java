package dev.panamax.llm;

import dev.panamax.kernel.KernelProvider;
import dev.panamax.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** A small model's 16-bit matrices widened to f32 at load give the very bits of the 16-bit kernels. */
class WideningTest {

    @Test
    void widenedModelGivesBitIdenticalLogitsForOneAndManyRows() {
        ModelConfig c = RandomModels.config(48, 96, 5, 4, 2, 64, 64, 4);
        for (DType dtype : new DType[] {DType.BF16, DType.F16})
            try (Arena arena = Arena.ofShared()) {
                ModelWeights w = WeightMapper.meta(RandomModels.tensors(c, 3, dtype, arena), null, c);
                Transformer narrow = new Transformer(c, w, KernelProvider.kernels(), 0);
                Transformer wide = new Transformer(c, w, KernelProvider.kernels(), Long.MAX_VALUE);
                assertEquals(dtype, narrow.weights.output().dtype());
                assertEquals(DType.F32, wide.weights.output().dtype());
                assertEquals(DType.F32, wide.weights.heads().get(1).w2().dtype());
                int[] tokens = {5, 17, 3, 60, 41, 9};
                for (int rows : new int[] {1, 2, 3, 4, 5, 6})
                    for (int h = 0; h < c.futureTokens(); h++)
                        assertArrayEquals(logits(narrow, tokens, rows, h), logits(wide, tokens, rows, h),
                                dtype + ": head " + (h + 1) + ", " + rows + " rows");
            }
    }

    /** Logits of head h over the first {@code rows} tokens, as raw bits. */
    private static int[] logits(Transformer t, int[] tokens, int rows, int h) {
        Session s = t.newSession(16, 8, t.config.futureTokens());
        t.trunk(s, tokens, 0, rows);
        t.head(s, h, rows, 0, 0);
        t.unembed(s, rows);
        float[] l = Arrays.copyOf(s.logits, rows * t.config.vocabSize());
        int[] bits = new int[l.length];
        for (int i = 0; i < l.length; i++) bits[i] = Float.floatToRawIntBits(l[i]);
        return bits;
    }
}
