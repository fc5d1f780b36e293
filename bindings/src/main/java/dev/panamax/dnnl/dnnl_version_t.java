package dev.panamax.dnnl;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code typedef struct { int major; int minor; int patch; const char *hash; unsigned cpu_runtime;
 * unsigned gpu_runtime; } dnnl_version_t;} (hand-written in jextract's shape, see {@link Dnnl}).
 */
public final class dnnl_version_t {
    private dnnl_version_t() {}

    private static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Dnnl.C_INT.withName("major"),
            Dnnl.C_INT.withName("minor"),
            Dnnl.C_INT.withName("patch"),
            MemoryLayout.paddingLayout(4),
            Dnnl.C_POINTER.withName("hash"),
            Dnnl.C_INT.withName("cpu_runtime"),
            Dnnl.C_INT.withName("gpu_runtime")
    ).withName("dnnl_version_t");

    public static GroupLayout layout() { return LAYOUT; }

    private static final ValueLayout.OfInt major$LAYOUT = (ValueLayout.OfInt) LAYOUT.select(MemoryLayout.PathElement.groupElement("major"));
    private static final ValueLayout.OfInt minor$LAYOUT = (ValueLayout.OfInt) LAYOUT.select(MemoryLayout.PathElement.groupElement("minor"));
    private static final ValueLayout.OfInt patch$LAYOUT = (ValueLayout.OfInt) LAYOUT.select(MemoryLayout.PathElement.groupElement("patch"));
    private static final ValueLayout.OfInt cpu_runtime$LAYOUT = (ValueLayout.OfInt) LAYOUT.select(MemoryLayout.PathElement.groupElement("cpu_runtime"));
    private static final long major$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("major"));
    private static final long minor$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("minor"));
    private static final long patch$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("patch"));
    private static final long hash$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("hash"));
    private static final long cpu_runtime$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("cpu_runtime"));

    public static int major(MemorySegment s) { return s.get(major$LAYOUT, major$OFFSET); }
    public static int minor(MemorySegment s) { return s.get(minor$LAYOUT, minor$OFFSET); }
    public static int patch(MemorySegment s) { return s.get(patch$LAYOUT, patch$OFFSET); }
    public static MemorySegment hash(MemorySegment s) { return s.get(Dnnl.C_POINTER, hash$OFFSET); }
    public static int cpu_runtime(MemorySegment s) { return s.get(cpu_runtime$LAYOUT, cpu_runtime$OFFSET); }
}
