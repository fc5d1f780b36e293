package dev.panamax.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PairMergesTest {

    /** The textbook O(n²) loop run.c uses: merge the best pair, leftmost on ties, until none merges. */
    private static int[] naive(PairMerges m, int[] ids) {
        List<Integer> s = new ArrayList<>();
        for (int id : ids) s.add(id);
        while (true) {
            int best = -1;
            long bestPriority = Long.MAX_VALUE;
            for (int i = 0; i + 1 < s.size(); i++) {
                long v = m.get(s.get(i), s.get(i + 1));
                if (v >= 0 && (v >>> 32) < bestPriority) { bestPriority = v >>> 32; best = i; }
            }
            if (best < 0) break;
            s.set(best, (int) m.get(s.get(best), s.get(best + 1)));
            s.remove(best + 1);
        }
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test void agreesWithTheNaiveLoopOnRandomMergeTables() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int alphabet = 2 + rnd.nextInt(5), vocab = alphabet + 1 + rnd.nextInt(30);
            PairMerges m = new PairMerges(4);
            for (int t = alphabet; t < vocab; t++)              // few priorities: plenty of ties
                m.put(rnd.nextInt(t), rnd.nextInt(t), t, rnd.nextInt(6));
            int[] ids = new int[rnd.nextInt(60)];
            for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(10) == 0 ? -1 : rnd.nextInt(alphabet);
            assertArrayEquals(naive(m, ids), m.apply(ids, 0, ids.length), "trial " + trial);
        }
    }

    @Test void keepsTheBestPriorityForARepeatedPair() {
        PairMerges m = new PairMerges(1);
        m.put(1, 2, 10, 5);
        m.put(1, 2, 11, 3);
        m.put(1, 2, 12, 9);
        assertEquals((3L << 32) | 11, m.get(1, 2));
        for (int i = 10; i < 1010; i++) m.put(i, i + 1, i + 2, i);  // grows the table
        assertEquals(1001, m.size());
        assertEquals((500L << 32) | 502, m.get(500, 501));
        assertEquals((3L << 32) | 11, m.get(1, 2));
        assertEquals(-1, m.get(-1, 2));
    }

    @Test void longRunsMergeCompletely() {
        // 2^16 copies of symbol 0, with 0+0 -> 1, 1+1 -> 2 ... : a perfect binary tree of merges.
        PairMerges m = new PairMerges(16);
        for (int level = 0; level < 16; level++) m.put(level, level, level + 1, level);
        int[] ids = new int[1 << 16];
        assertArrayEquals(new int[] {16}, m.apply(ids, 0, ids.length));
    }
}
