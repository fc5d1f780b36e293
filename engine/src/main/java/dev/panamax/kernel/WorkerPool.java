package dev.panamax.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * A persistent pool of daemon threads for data-parallel kernels, built for a low per-call cost.
 *
 * <p>A call publishes one {@link Job} (a body and a number of chunks) through a volatile field; the
 * workers and the calling thread claim chunks from the job's counter until none are left, and the
 * caller waits until every chunk has finished. After a job the workers spin for a short while
 * ({@code -Dpanamax.pool.spinMicros}, default 100) before they park, so a model's back-to-back
 * matmuls find them awake: dispatch then costs a volatile write and a few cache misses instead of
 * a thread wake-up. A parallel stream per call costs tens of microseconds; this costs about one.
 *
 * <p>The calling thread always runs chunk 0 itself, so with two threads a call of two chunks gives
 * each thread the same chunk every time (unless the worker is late): batch-1 KAN layers then find
 * each thread's slice of the weights still in that thread's core's cache.
 *
 * <p>Calls from inside a job (nested) and calls that find the pool busy with another thread's job
 * run their chunks on the calling thread, so the pool can never deadlock.
 */
public final class WorkerPool {

    /** One parallel call: every chunk index in [0, chunks) is run exactly once. */
    private static final class Job {
        final IntConsumer body;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(IntConsumer body, int chunks) { this.body = body; this.chunks = chunks; }

        /** Claims and runs chunks until none are left. */
        void work() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) run(c);
        }

        void run(int c) {
            try {
                if (failure == null) body.accept(c);
            } catch (Throwable t) {
                failure = t;
            } finally {
                done.incrementAndGet();
            }
        }
    }

    private final class Worker extends Thread {
        volatile boolean parked;

        Worker(int i) {
            super("panamax-worker-" + i);
            setDaemon(true);
        }

        @Override public void run() {
            Job seen = null;
            while (true) {
                Job job = current;
                if (job != null && job != seen) {
                    seen = job;
                    job.work();
                    continue;
                }
                // Spin a little: the next kernel call usually comes within microseconds.
                long spinUntil = System.nanoTime() + spinNanos;
                while (current == seen && System.nanoTime() < spinUntil) Thread.onSpinWait();
                if (current != seen) continue;
                parked = true;
                if (current == seen) LockSupport.park(this); // re-checked after announcing, so no wake-up is lost
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
    private volatile Job current;

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
            Job job = new Job(body, chunks);
            job.next.set(1);        // chunk 0 is the caller's, claimed before the workers see the job
            current = job;
            for (Worker w : workers) if (w.parked) LockSupport.unpark(w);
            job.run(0);
            job.work();
            while (job.done.get() < chunks) Thread.onSpinWait();
            Throwable t = job.failure;
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error e) throw e;
            if (t != null) throw new RuntimeException(t);
        } finally {
            callLock.unlock();
        }
    }
}
