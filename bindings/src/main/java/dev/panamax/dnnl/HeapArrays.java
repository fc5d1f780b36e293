package dev.panamax.dnnl;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Where in its cache line the JVM has placed a heap array, right now. Java says nothing of an
 * array's address, but a critical downcall may be handed heap memory, and C's
 * {@code memmove(dst, src, 0)} moves nothing and returns dst: so the call gives the address the
 * GC has the array at for the moment (it may move it later). Kernels that read whole 64-byte
 * vectors use this to keep their weights aligned; nothing reads or writes through the address.
 */
public final class HeapArrays {
    private HeapArrays() {}

    private static final MethodHandle MEMMOVE = find();

    private static MethodHandle find() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("memmove").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
                    Linker.Option.critical(true))).orElse(null);
        } catch (RuntimeException | Error e) {     // no native access (--enable-native-access refused), no C library
            return null;
        }
    }

    /** Whether {@link #lineOffset} can answer here. */
    public static boolean available() { return MEMMOVE != null; }

    /**
     * The byte offset within its 64-byte cache line of {@code a[index]} where the JVM holds the
     * array now (0 .. 63), or -1 when that cannot be found out here.
     */
    public static int lineOffset(float[] a, int index) {
        if (MEMMOVE == null) return -1;
        if (index < 0 || index >= a.length) throw new IndexOutOfBoundsException("index " + index + " of an array of " + a.length);
        MemorySegment s = MemorySegment.ofArray(a).asSlice(4L * index);
        try {
            return (int) (((MemorySegment) MEMMOVE.invokeExact(s, s, 0L)).address() & 63);
        } catch (Throwable t) {
            return -1;
        }
    }
}
