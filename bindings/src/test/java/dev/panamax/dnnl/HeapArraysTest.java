package dev.panamax.dnnl;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class HeapArraysTest {
    @Test
    void givesWhereInItsCacheLineAnArrayElementSits() {
        assertTrue(HeapArrays.available(), "memmove through a critical downcall (Linux, macOS and Windows C libraries have it)");
        float[] a = new float[64];
        for (int attempt = 0; ; attempt++) {          // a GC may move the array between two calls: then ask again
            int first = HeapArrays.lineOffset(a, 0), fifth = HeapArrays.lineOffset(a, 4), again = HeapArrays.lineOffset(a, 0);
            if (first != again && attempt < 10) continue;
            assertTrue(first >= 0 && first < 64 && first % 4 == 0, "a float's offset " + first);
            assertEquals((first + 16) % 64, fifth, "four floats on, 16 bytes on");
            break;
        }
        assertThrows(IndexOutOfBoundsException.class, () -> HeapArrays.lineOffset(a, 64));
    }
}
