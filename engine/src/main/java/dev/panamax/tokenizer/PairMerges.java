package dev.panamax.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge step shared by every tokenizer here. A table says which adjacent pairs of ids
 * merge, into which id, and with what priority (lower merges first: a Hugging Face merge rank, or
 * the rank of the merged piece's score for SentencePiece and llama2.c). {@link #apply} then merges
 * the best pair, leftmost on ties, until no pair merges; this is the order of Hugging Face's BPE,
 * SentencePiece's BPE and llama2.c's run.c alike.
 *
 * <p>The symbols live in a doubly linked list and the candidate pairs in a heap keyed by
 * (priority, position), so encoding is O(n log n), not the O(n²) rescans of run.c. A heap entry
 * may go stale when a neighbour merges; it is checked when it comes out and dropped if the pair at
 * its position is no longer the one it was made for.
 */
final class PairMerges {

    private static final long EMPTY = Long.MIN_VALUE;   // never a key: ids are non-negative

    // Open addressing: pair key (left << 32 | right) -> (priority << 32 | merged id).
    private long[] keys;
    private long[] values;
    private int size;

    PairMerges(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        Arrays.fill(keys, EMPTY);
    }

    static long pairKey(int left, int right) { return ((long) left << 32) | (right & 0xFFFFFFFFL); }

    /** Adds a merge unless the pair is already there with a better (lower) priority. */
    void put(int left, int right, int merged, int priority) {
        if (left < 0 || right < 0 || merged < 0 || priority < 0) throw new IllegalArgumentException("negative id or priority");
        long key = pairKey(left, right), value = ((long) priority << 32) | merged;
        int slot = slot(key);
        if (keys[slot] == key) {
            if ((values[slot] >>> 32) > priority) values[slot] = value;
            return;
        }
        keys[slot] = key;
        values[slot] = value;
        if (++size * 2 > keys.length) grow();
    }

    /** (priority << 32 | merged id) for the pair, or -1 when it does not merge. */
    long get(int left, int right) {
        if (left < 0 || right < 0) return -1;
        long key = pairKey(left, right);
        int slot = slot(key);
        return keys[slot] == key ? values[slot] : -1;
    }

    int size() { return size; }

    private int slot(long key) {
        int mask = keys.length - 1;
        int i = (int) (mix(key) & mask);
        while (keys[i] != EMPTY && keys[i] != key) i = (i + 1) & mask;
        return i;
    }

    private static long mix(long x) {                  // a 64-bit finaliser: spreads ids over slots
        x ^= x >>> 33; x *= 0xff51afd7ed558ccdL; x ^= x >>> 33; x *= 0xc4ceb9fe1a85ec53L; return x ^ (x >>> 33);
    }

    private void grow() {
        long[] oldKeys = keys, oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        for (int i = 0; i < oldKeys.length; i++)
            if (oldKeys[i] != EMPTY) {
                int slot = slot(oldKeys[i]);
                keys[slot] = oldKeys[i];
                values[slot] = oldValues[i];
            }
    }

    /**
     * Merges {@code ids[from..to)} and returns the result. Negative ids are symbols that never merge
     * (unknown characters, pieces that must stay whole); they pass through unchanged.
     */
    int[] apply(int[] ids, int from, int to) {
        int n = to - from;
        if (n < 2) return Arrays.copyOfRange(ids, from, to);
        int[] id = Arrays.copyOfRange(ids, from, to);
        int[] next = new int[n], prev = new int[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
        boolean[] dead = new boolean[n];
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) offer(heap, id, i, i + 1);
        int alive = n;
        while (!heap.isEmpty()) {
            long top = heap.poll();
            int pos = (int) top, priority = (int) (top >>> 32);
            int right = dead[pos] ? -1 : next[pos];
            if (right < 0) continue;
            long merge = get(id[pos], id[right]);
            if (merge < 0 || (int) (merge >>> 32) != priority) continue;   // stale entry
            id[pos] = (int) merge;
            dead[right] = true;
            alive--;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            if (prev[pos] >= 0) offer(heap, id, prev[pos], pos);
            if (next[pos] >= 0) offer(heap, id, pos, next[pos]);
        }
        int[] out = new int[alive];
        for (int i = 0, k = 0; i >= 0; i = next[i]) out[k++] = id[i];
        return out;
    }

    private void offer(LongHeap heap, int[] id, int left, int right) {
        long merge = get(id[left], id[right]);
        if (merge >= 0) heap.add((merge & 0xFFFFFFFF00000000L) | left);
    }

    /** A binary min-heap of longs, so the hot loop boxes nothing. */
    private static final class LongHeap {
        private long[] a;
        private int n;

        LongHeap(int capacity) { a = new long[Math.max(4, capacity)]; }

        boolean isEmpty() { return n == 0; }

        void add(long v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            int i = n++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (a[parent] <= v) break;
                a[i] = a[parent];
                i = parent;
            }
            a[i] = v;
        }

        long poll() {
            long top = a[0], last = a[--n];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= n) break;
                if (child + 1 < n && a[child + 1] < a[child]) child++;
                if (a[child] >= last) break;
                a[i] = a[child];
                i = child;
            }
            a[i] = last;
            return top;
        }
    }
}
