package dev.panamax.kernel;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Cosines and sines of RoPE angles per position, computed once with {@link StrictMath} (so they are
 * the same bits on every JVM and tier) and shared by every call with the same theta and head size.
 * The table grows by doubling when a longer position is asked for.
 */
final class RopeTable {
    private static final ConcurrentHashMap<Long, RopeTable> TABLES = new ConcurrentHashMap<>();

    private final float[][] cos, sin;

    private RopeTable(float theta, int headDim, int positions) {
        int half = headDim / 2;
        cos = new float[positions][half];
        sin = new float[positions][half];
        for (int i = 0; i < half; i++) {
            double freq = 1.0 / StrictMath.pow(theta, (2.0 * i) / headDim);
            for (int p = 0; p < positions; p++) {
                double angle = p * freq;
                cos[p][i] = (float) StrictMath.cos(angle);
                sin[p][i] = (float) StrictMath.sin(angle);
            }
        }
    }

    /** A table for theta and headDim holding at least {@code positions} positions. */
    static RopeTable get(float theta, int headDim, int positions) {
        long key = ((long) Float.floatToIntBits(theta) << 32) | headDim;
        RopeTable t = TABLES.get(key);
        if (t != null && t.cos.length >= positions) return t;
        return TABLES.compute(key, (k, old) -> old != null && old.cos.length >= positions ? old
                : new RopeTable(theta, headDim, Math.max(positions, old == null ? 64 : old.cos.length * 2)));
    }

    float[] cos(int pos) { return cos[pos]; }

    float[] sin(int pos) { return sin[pos]; }
}
