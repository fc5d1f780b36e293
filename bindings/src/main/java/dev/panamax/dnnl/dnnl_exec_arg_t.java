package dev.panamax.dnnl;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/**
 * {@code typedef struct { int arg; dnnl_memory_t memory; } dnnl_exec_arg_t;} (hand-written in
 * jextract's shape, see {@link Dnnl}).
 */
public final class dnnl_exec_arg_t {
    private dnnl_exec_arg_t() {}

    private static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Dnnl.C_INT.withName("arg"),
            MemoryLayout.paddingLayout(4),
            Dnnl.C_POINTER.withName("memory")
    ).withName("dnnl_exec_arg_t");

    public static GroupLayout layout() { return LAYOUT; }

    private static final long arg$OFFSET = 0, memory$OFFSET = 8;

    public static int arg(MemorySegment s, long index) { return s.get(Dnnl.C_INT, index * LAYOUT.byteSize() + arg$OFFSET); }
    public static void arg(MemorySegment s, long index, int v) { s.set(Dnnl.C_INT, index * LAYOUT.byteSize() + arg$OFFSET, v); }
    public static MemorySegment memory(MemorySegment s, long index) { return s.get(Dnnl.C_POINTER, index * LAYOUT.byteSize() + memory$OFFSET); }
    public static void memory(MemorySegment s, long index, MemorySegment v) { s.set(Dnnl.C_POINTER, index * LAYOUT.byteSize() + memory$OFFSET, v); }
}
