package dev.panamax.llm;

import dev.panamax.kernel.Kernels;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks tokens from logits: greedy (temperature 0) or seeded sampling from the softmax at a
 * temperature, cut to the top-p nucleus. The sampling distribution is exposed on its own because
 * speculative sampling compares the distributions of two heads.
 *
 * <p>Owns its buffers and random generator: one per generation, never shared between threads.
 */
final class Sampler {
    private final Kernels kernels;
    private final int vocab;
    private final float temperature, topP;
    private final SplittableRandom random;
    private final long[] order; // (probability bits << 32 | id), sorted for the nucleus

    Sampler(Kernels kernels, int vocab, float temperature, float topP, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature))
            throw new IllegalArgumentException("temperature must be a finite number >= 0, is " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must lie in (0, 1], is " + topP);
        this.kernels = kernels;
        this.vocab = vocab;
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
        this.order = topP < 1 ? new long[vocab] : null;
    }

    boolean greedy() { return temperature == 0f; }

    /** The first index of the largest logit. */
    int argmax(float[] logits, int off) {
        return kernels.argmax(logits, off, vocab);
    }

    /** Picks the next token from one row of logits. */
    int next(float[] logits, int off, float[] scratch) {
        if (greedy()) return argmax(logits, off);
        distribution(logits, off, scratch, 0);
        return sample(scratch, 0);
    }

    /**
     * The distribution sampling draws from: softmax(logits / temperature), restricted to the smallest
     * set of most likely tokens whose mass reaches top-p, renormalised. Written to dist[distOff ..].
     */
    void distribution(float[] logits, int off, float[] dist, int distOff) {
        if (greedy()) throw new IllegalStateException("greedy decoding has no sampling distribution");
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            float p = (float) Math.exp((logits[off + i] - max) / temperature);
            dist[distOff + i] = p;
            sum += p;
        }
        float inv = (float) (1 / sum);
        for (int i = 0; i < vocab; i++) dist[distOff + i] *= inv;
        if (order == null) return;

        // Nucleus: sort by probability (positive float bits order like the floats), keep the top mass.
        for (int i = 0; i < vocab; i++) order[i] = ((long) Float.floatToRawIntBits(dist[distOff + i]) << 32) | i;
        Arrays.sort(order);
        double kept = 0;
        int cut = 0; // order[cut ..] is kept
        for (int j = vocab - 1; j >= 0; j--) {
            kept += Float.intBitsToFloat((int) (order[j] >>> 32));
            if (kept >= topP) { cut = j; break; }
        }
        for (int j = 0; j < cut; j++) dist[distOff + (int) order[j]] = 0f;
        float invKept = (float) (1 / kept);
        for (int j = cut; j < vocab; j++) dist[distOff + (int) order[j]] *= invKept;
    }

    /** Draws an index from a distribution summing to about 1. */
    int sample(float[] dist, int off) {
        double u = random.nextDouble(), acc = 0;
        int last = 0;
        for (int i = 0; i < vocab; i++) {
            float p = dist[off + i];
            if (p <= 0) continue;
            acc += p;
            last = i;
            if (u < acc) return i;
        }
        return last; // rounding left u just above the total
    }

    /** Uniform in [0, 1), from the same seeded stream. */
    double uniform() { return random.nextDouble(); }
}
