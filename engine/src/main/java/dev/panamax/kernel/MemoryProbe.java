package dev.panamax.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Reads memory as fast as the kernels can, to measure the read bandwidth that a bandwidth-bound
 * kernel (GEMV) should approach. Lives here because only this package may use the Vector API.
 */
public final class MemoryProbe {
    private MemoryProbe() {}

    /**
     * The sum of every float in {@code seg} (its byte size must be a multiple of 4), read with vector
     * loads on all pool threads when the Vector API kernels are in use.
     */
    public static float sumFloats(MemorySegment seg) {
        if (seg.byteSize() % 4 != 0) throw new IllegalArgumentException("seg: byte size " + seg.byteSize() + " is not a multiple of 4");
        if (KernelProvider.kernels() instanceof PanamaKernels p) return p.sumFloats(seg);
        var f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        float s = 0f;
        for (long i = 0; i < seg.byteSize(); i += 4) s += seg.get(f32, i);
        return s;
    }
}
