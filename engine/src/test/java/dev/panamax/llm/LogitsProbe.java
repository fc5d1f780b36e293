package dev.panamax.llm;

import java.lang.reflect.Field;

/** Test access to head 1's logits at every position of a sequence. */
final class LogitsProbe {
    private LogitsProbe() {}

    static Transformer transformer(LanguageModel m) {
        try {
            Field f = LanguageModel.class.getDeclaredField("transformer");
            f.setAccessible(true);
            return (Transformer) f.get(m);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    static float[][] logitsOneByOne(LanguageModel m, int[] seq) {
        Transformer t = transformer(m);
        int v = t.config.vocabSize();
        Session s = t.newSession(seq.length, 1, 1);
        float[][] out = new float[seq.length][];
        for (int i = 0; i < seq.length; i++) {
            t.trunk(s, seq, i, 1);
            t.head(s, 0, 1, 0, 0);
            t.unembed(s, 1);
            s.advance(1);
            out[i] = java.util.Arrays.copyOf(s.logits, v);
        }
        return out;
    }

    static float[][] logitsInOnePass(LanguageModel m, int[] seq) {
        Transformer t = transformer(m);
        int v = t.config.vocabSize();
        Session s = t.newSession(seq.length, seq.length, 1);
        t.trunk(s, seq, 0, seq.length);
        t.head(s, 0, seq.length, 0, 0);
        t.unembed(s, seq.length);
        float[][] out = new float[seq.length][];
        for (int i = 0; i < seq.length; i++) out[i] = java.util.Arrays.copyOfRange(s.logits, i * v, (i + 1) * v);
        return out;
    }
}
