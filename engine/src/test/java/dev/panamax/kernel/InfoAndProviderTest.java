package dev.panamax.kernel;

import dev.panamax.cli.InfoCommand;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class InfoAndProviderTest {

    @Test
    void threadsPropertyFallsBackToTheCoresWhenItIsNoPositiveNumber() {
        int cores = Runtime.getRuntime().availableProcessors();
        String old = System.getProperty("panamax.threads");
        try {
            for (String bad : new String[] {"0", "-2", "abc", ""}) {
                System.setProperty("panamax.threads", bad);
                assertEquals(cores, WorkerPool.configuredThreads(), "'" + bad + "'");
            }
            System.setProperty("panamax.threads", "3");
            assertEquals(3, WorkerPool.configuredThreads());
        } finally {
            if (old == null) System.clearProperty("panamax.threads"); else System.setProperty("panamax.threads", old);
        }
    }

    @Test
    void vectorBitsPropertyIsCheckedNotIgnored() {
        assertEquals(512, PanamaKernels.requestedBits(null, 512));
        assertEquals(256, PanamaKernels.requestedBits(" 256", 512));
        for (String bad : new String[] {"abc", "", "100", "1024", "256bits"}) { // "abc" was ignored: the CPU's width, silently
            var e = assertThrows(IllegalArgumentException.class, () -> PanamaKernels.requestedBits(bad, 512), bad);
            assertTrue(e.getMessage().contains("-Dpanamax.vector.bits must be 128, 256 or 512, is '" + bad + "'"), e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> PanamaKernels.requestedBits("512", 256));
        assertTrue(e.getMessage().contains("exceeds this CPU's 256-bit vectors"), e.getMessage());
    }

    @Test
    void infoHasTheDocumentedFields() {
        Map<String, Object> m = InfoCommand.info();
        assertInstanceOf(String.class, m.get("java_version"));
        assertInstanceOf(Integer.class, m.get("vector_bits"));
        assertTrue(m.get("kernels").equals("panama") || m.get("kernels").equals("scalar"));
        assertEquals(KernelProvider.pool().threads(), m.get("threads"));
        @SuppressWarnings("unchecked") Map<String, Object> d = (Map<String, Object>) m.get("dnnl");
        assertInstanceOf(Boolean.class, d.get("available"));
        if ((Boolean) d.get("available")) assertTrue(((String) d.get("version")).startsWith("3."));
        else assertNotNull(d.get("reason"));
    }

    @Test
    void providerPicksPanamaHereAndReportsItsWidth() {
        // the tests run with --add-modules jdk.incubator.vector and C2 on this x86 machine
        assertEquals("panama", KernelProvider.kernels().name(), "reason: " + KernelProvider.scalarReason());
        assertTrue(KernelProvider.vectorBits() >= 128);
        assertEquals("scalar", KernelProvider.scalar().name());
    }

    @Test
    void memoryProbeSumsEveryFloat() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 3 * (1 << 16) + 7;
            MemorySegment seg = arena.allocate(4L * n, 64);
            for (int i = 0; i < n; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 3) - 1f); // -1, 0, 1, ...
            assertEquals(-1f, MemoryProbe.sumFloats(seg), 0f); // n = 3q + 1: one extra -1
        }
    }

    @Test
    void poolRunsEveryChunkOnceAndPropagatesFailures() {
        WorkerPool pool = new WorkerPool(3);
        int[] hits = new int[1000];
        for (int round = 0; round < 50; round++) pool.parallelFor(hits.length, c -> hits[c]++);
        for (int h : hits) assertEquals(50, h);
        var e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(10, c -> {
            if (c == 7) throw new IllegalStateException("chunk 7");
        }));
        assertEquals("chunk 7", e.getMessage());
        int[] nested = new int[4];
        pool.parallelFor(4, c -> pool.parallelFor(4, d -> { synchronized (nested) { nested[d]++; } }));
        assertArrayEquals(new int[] {4, 4, 4, 4}, nested);
    }
}
