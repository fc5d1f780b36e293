package dev.panamax.kernel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * A persistent pool of daemon threads for data-parallel kernels, built for a low per-call cost.
 *
 * <p>A call writes its body and number of chunks into the pool's one reused call object and
 * publishes them through a volatile claim word; the workers and the calling thread claim chunks
 * from that word until none are left, and the caller waits until every chunk has finished. After a call the workers spin
 * for a short while ({@code -Dpanamax.pool.spinMicros}, default 100) before they park, so a model's
 * back-to-back matmuls find them awake: dispatch then costs a volatile write and a cache miss or two
 * instead of a thread wake-up. A parallel stream per call costs tens of microseconds; this costs
 * well under one.
 *
 * <p>The calling thread always runs chunk 0 itself, so with two threads a call of two chunks gives
 * each thread the same chunk every time (unless the worker is late): batch-1 KAN layers then find
 * each thread's slice of the weights still in that thread's core's cache.
 *
 * <p>Calls from inside a call (nested) and calls that find the pool busy with another thread's call
 * run their chunks on the calling thread, so the pool can never deadlock.
 */
public final class WorkerPool {

    private final class Worker extends Thread {
        volatile boolean parked;

        Worker(int i) {
            super("panamax-worker-" + i);
            setDaemon(true);
        }

        @Override public void run() {
            Call call = WorkerPool.this.call;
            while (true) {
                call.work();
                // Spin a little: the next kernel call usually comes within microseconds.
                long spinUntil = System.nanoTime() + spinNanos;
                while (!call.open() && System.nanoTime() < spinUntil) Thread.onSpinWait();
                if (call.open()) continue;
                parked = true;
                if (!call.open()) LockSupport.park(this); // re-checked after announcing, so no wake-up is lost
                parked = false;
            }
        }
    }

    private static final WorkerPool SHARED = new WorkerPool(configuredThreads());

    /** {@code -Dpanamax.threads}, or the cores; a value that is no positive number is said once and ignored (this runs in a class initialiser, which must not fail). */
    static int configuredThreads() {
        int cores = Runtime.getRuntime().availableProcessors();
        String value = System.getProperty("panamax.threads");
        if (value == null) return cores;
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= 1) return n;
        } catch (NumberFormatException e) {
            // said below
        }
        System.err.println("panamax: -Dpanamax.threads must be a whole number >= 1, is '" + value + "'; using " + cores);
        return cores;
    }

    private final Worker[] workers;
    private final long spinNanos = Long.getLong("panamax.pool.spinMicros", 100) * 1000;
    private final ReentrantLock callLock = new ReentrantLock();

    private final Call call = new Call();

    /** A pool whose calls run on {@code threads} threads: the caller and {@code threads - 1} workers. */
    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, is " + threads);
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i);
            workers[i].start();
        }
    }

    /** The pool the kernels use, sized to the cores ({@code -Dpanamax.threads} overrides). */
    public static WorkerPool shared() { return SHARED; }

    /**
     * Whether the workers may read {@code seg}: false for a segment of a confined arena, which only
     * its owner thread may touch. Kernels then run such a call on the calling thread alone.
     */
    public boolean canShare(java.lang.foreign.MemorySegment seg) {
        return workers.length == 0 || seg.isAccessibleBy(workers[0]);
    }

    /** Threads that run a call, the caller included. */
    public int threads() { return workers.length + 1; }

    /**
     * Runs {@code body.accept(c)} for every c in [0, chunks), spread over the pool, and returns when
     * all have finished. An exception thrown by a chunk is rethrown here (the remaining chunks are
     * skipped).
     */
    public void parallelFor(int chunks, IntConsumer body) {
        if (chunks < 0) throw new IllegalArgumentException("chunks must be >= 0, is " + chunks);
        if (chunks == 0) return;
        if (chunks == 1 || workers.length == 0 || Thread.currentThread() instanceof Worker
                || callLock.isHeldByCurrentThread() || !callLock.tryLock()) {
            for (int c = 0; c < chunks; c++) body.accept(c);
            return;
        }
        try {
            call.start(body, chunks);
            for (Worker w : workers) if (w.parked) LockSupport.unpark(w);
            call.run(body, 0);
            call.work();                     // a late worker's chunks
            call.awaitAndRethrow(chunks);
        } finally {
            call.body = null;                // the pool keeps no caller's data alive
            callLock.unlock();
        }
    }

    // The call in progress, in one object that every call reuses rather than one made per call: a
    // spinning worker finds the call's claim word, body and size in the one cache line it watches,
    // where it missed on the pool's field, then the call's object, then its two counters' objects;
    // and the caller allocates nothing and fences once (the claim word) instead of twice. 64 bytes
    // of padding on both sides (superclass fields come first in an object) keep other objects'
    // fields, like callLock's state that the caller writes on every call, off that line.
    // Measured against an object per call, both in one JVM (a class loader each), 300 alternating
    // rounds of 5 ms, 3 processes, load 1.6-2.2: in [64,256,256,10] G=5 batch 1 with the split
    // pinned on, from LayerPlan.acrossSlices' entry to the worker's chunk start 261 -> 246, 286 ->
    // 231, 863 -> 745 ns (medians; per-round ratios 0.95, 0.84, 0.86, upper quartiles <= 0.97), to
    // the caller's own chunk 157 -> 146, 187 -> 128, 521 -> 437 ns; the whole sample 0.993, 0.995,
    // 1.006 of the time (inside the noise: two calls of ~13 us). Empty 2-chunk calls: the worker's
    // chunk starts at 0.58-1.06 of the time after entry, the caller's at 0.60-0.68.

    private static class Before { int b; long b0, b1, b2, b3, b4, b5, b6, b7; }   // b: fills the hole after the header

    private static class CallState extends Before {
        /**
         * The generation of the call (high half) and how many of its chunks are not yet claimed
         * (low half): the chunk claimed next is {@code chunks - remaining}. A new call starts a new
         * generation, so a worker that read the last call's word can claim nothing of the new one
         * (a claim word comes back only after 2^32 calls).
         */
        volatile long claim;
        IntConsumer body;
        int chunks;
        /** Chunks finished (run, failed or skipped); the caller waits for all. */
        volatile int done;
        /** A chunk's exception, rethrown by the caller; the chunks not yet begun are then skipped. */
        volatile Throwable failure;
    }

    private static final class Call extends CallState {
        long a0, a1, a2, a3, a4, a5, a6, a7;

        private static final VarHandle CLAIM, DONE, FAILURE;
        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                CLAIM = l.findVarHandle(CallState.class, "claim", long.class);
                DONE = l.findVarHandle(CallState.class, "done", int.class);
                FAILURE = l.findVarHandle(CallState.class, "failure", Throwable.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** Whether chunks are left to claim. */
        boolean open() { return (int) claim > 0; }

        /**
         * Publishes a call, its chunk 0 already the caller's. Every chunk of the last call has
         * finished, so no worker writes these fields now; the volatile write of claim publishes them
         * (plain writes before it: each volatile one costs a fence).
         */
        void start(IntConsumer body, int chunks) {
            this.body = body;
            this.chunks = chunks;
            DONE.set(this, 0);
            FAILURE.set(this, null);
            claim = ((claim >>> 32) + 1 << 32) | (chunks - 1);
        }

        /**
         * Claims and runs chunks until none are left unclaimed. A claim is a compare-and-set of the
         * whole word, which fails if the call changed since it was read; body and chunks, read
         * before a claim that succeeds, are that call's, since the next call writes them only after
         * every chunk of this one was claimed and finished.
         */
        void work() {
            long c;
            while ((int) (c = claim) > 0) {
                IntConsumer b = body;
                int n = chunks;
                if (CLAIM.compareAndSet(this, c, c - 1)) run(b, n - (int) c);
            }
        }

        void run(IntConsumer b, int c) {
            try {
                if (failure == null) b.accept(c);
            } catch (Throwable t) {
                failure = t;
            } finally {
                DONE.getAndAdd(this, 1);
            }
        }

        /** Waits until all chunks have finished, then rethrows a chunk's exception. */
        void awaitAndRethrow(int chunks) {
            while (done < chunks) Thread.onSpinWait();
            Throwable t = failure;
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error e) throw e;
            if (t != null) throw new RuntimeException(t);
        }
    }
}
