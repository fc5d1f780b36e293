package dev.panamax.kernel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The pool keeps a call's state in one object that it reuses call after call: these tests
 * look for a chunk run twice or never, a worker running a finished call's body, a failure leaking
 * into the next call, and a wake-up lost.
 */
class WorkerPoolTest {

    /** Many short calls back to back, of varying sizes: every chunk of every call exactly once, by its own call's body. */
    @Test
    void everyChunkOfEveryCallRunsExactlyOnce() {
        for (int threads : new int[] {2, 3}) {
            WorkerPool pool = new WorkerPool(threads);
            SplittableRandom rnd = new SplittableRandom(threads);
            for (int call = 0; call < 20_000; call++) {
                int chunks = 2 + rnd.nextInt(call % 100 == 0 ? 200 : 4);
                AtomicIntegerArray hits = new AtomicIntegerArray(chunks);
                pool.parallelFor(chunks, hits::incrementAndGet);
                for (int c = 0; c < chunks; c++) assertEquals(1, hits.get(c), "call " + call + " chunk " + c + " of " + chunks);
            }
        }
    }

    /**
     * Two threads calling one pool back to back: one of them gets the workers, the other finds the
     * pool busy and runs its call alone; neither call may see a chunk of the other's.
     */
    @Test
    void twoCallerThreadsEachGetTheirOwnChunksExactlyOnce() throws Exception {
        WorkerPool pool = new WorkerPool(2);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int seed = t;
            Thread caller = new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                try {
                    for (int call = 0; call < 20_000; call++) {
                        int chunks = 2 + rnd.nextInt(5);
                        AtomicIntegerArray hits = new AtomicIntegerArray(chunks);
                        pool.parallelFor(chunks, c -> {
                            hits.incrementAndGet(c);
                            if ((c & 1) == 1) pool.parallelFor(2, d -> hits.addAndGet(c, 16)); // nested: runs where it is
                        });
                        for (int c = 0; c < chunks; c++)
                            if (hits.get(c) != ((c & 1) == 1 ? 33 : 1)) throw new AssertionError("call " + call + " chunk " + c + ": " + hits.get(c));
                    }
                } catch (Throwable e) {
                    failed.compareAndSet(null, e);
                }
            });
            callers.add(caller);
            caller.start();
        }
        for (Thread caller : callers) caller.join(60_000);
        for (Thread caller : callers) assertFalse(caller.isAlive(), "a caller is stuck");
        if (failed.get() != null) throw new AssertionError(failed.get());
    }

    /** A chunk's exception (on the caller's chunk or a worker's) is rethrown once; the next call runs every chunk. */
    @Test
    void aFailureIsRethrownAndTheNextCallIsClean() {
        WorkerPool pool = new WorkerPool(2);
        for (int round = 0; round < 200; round++) {
            int bad = round % 3;                    // 0: the caller's chunk; 1: usually the worker's; 2: no such chunk
            var e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(2, c -> {
                if (c == bad || bad == 2) throw new IllegalStateException("chunk " + c);
            }));
            assertTrue(e.getMessage().startsWith("chunk "), e.getMessage());
            AtomicIntegerArray hits = new AtomicIntegerArray(3);
            pool.parallelFor(3, hits::incrementAndGet);
            for (int c = 0; c < 3; c++) assertEquals(1, hits.get(c), "round " + round + " chunk " + c);
        }
        var error = assertThrows(AssertionError.class, () -> pool.parallelFor(2, c -> { throw new AssertionError("an Error stays one"); }));
        assertEquals("an Error stays one", error.getMessage());
    }

    /**
     * After the workers have parked (spinning 100 us after a call, then asleep), a call must wake
     * one: chunk 0, on the caller, waits until another thread has begun chunk 1, which it could not
     * if the wake-up were lost (the caller takes a late worker's chunks only after its own).
     */
    @Test
    void aCallWakesAParkedWorker() throws Exception {
        WorkerPool pool = new WorkerPool(2);
        for (int round = 0; round < 30; round++) {
            Thread.sleep(2);                        // the worker's spin (100 us) runs out and it parks
            CountDownLatch started = new CountDownLatch(1);
            Thread caller = Thread.currentThread();
            boolean[] woke = new boolean[1];
            pool.parallelFor(2, c -> {
                if (c == 1) {
                    assertNotSame(caller, Thread.currentThread());
                    started.countDown();
                } else {
                    try {
                        woke[0] = started.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            assertTrue(woke[0], "round " + round + ": no worker woke to take chunk 1");
        }
    }
}
