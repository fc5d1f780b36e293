package dev.panamax.tokenizer;

import java.util.Arrays;

/** Turns piece scores into merge priorities. */
final class ScoreRanks {
    private ScoreRanks() {}

    /** rank[i] = how many distinct scores are higher than scores[i]: 0 for the best, ties equal. */
    static int[] denseDescending(float[] scores) {
        float[] distinct = scores.clone();
        Arrays.sort(distinct);
        int unique = 0;
        for (int i = 0; i < distinct.length; i++)
            if (i == 0 || Float.compare(distinct[i], distinct[unique - 1]) != 0) distinct[unique++] = distinct[i];
        int[] rank = new int[scores.length];
        for (int i = 0; i < scores.length; i++)
            rank[i] = unique - 1 - Arrays.binarySearch(distinct, 0, unique, scores[i]);
        return rank;
    }
}
