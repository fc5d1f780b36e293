package dev.panamax.dnnl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * oneDNN's matmul primitive for {@code dst (m × n, f32) = src (m × k, f32) · weightsᵀ}, with weights
 * stored (n, k) row-major in f32 or bf16 (the layout of a model's weight matrices). A primitive is
 * built once per shape and reused; {@link #execute} validates every size before the native call.
 * Calls on one instance are serialised (they share the engine's stream).
 */
public final class DnnlMatmul implements AutoCloseable {

    /** One CPU engine and stream for the process, created on first use. */
    private static final class Shared {
        static final MemorySegment ENGINE, STREAM;

        static {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(Dnnl.C_POINTER);
                check(Dnnl.dnnl_engine_create(p, Dnnl.dnnl_cpu(), 0), "dnnl_engine_create");
                ENGINE = p.get(Dnnl.C_POINTER, 0);
                check(Dnnl.dnnl_stream_create(p, ENGINE, Dnnl.dnnl_stream_default_flags()), "dnnl_stream_create");
                STREAM = p.get(Dnnl.C_POINTER, 0);
            }
        }
    }

    private final long m, k, n;
    private final int weightType;
    private final MemorySegment srcMd, weightsMd, dstMd, primitiveDesc, primitive;
    private boolean closed;

    /**
     * @param weightType {@link Dnnl#dnnl_f32()} or {@link Dnnl#dnnl_bf16()}
     */
    public DnnlMatmul(long m, long k, long n, int weightType) {
        if (!DnnlLibrary.available()) throw new IllegalStateException("oneDNN is unavailable: " + DnnlLibrary.status().reason());
        if (m <= 0 || k <= 0 || n <= 0) throw new IllegalArgumentException("m, k, n must be > 0, are " + m + ", " + k + ", " + n);
        if (weightType != Dnnl.dnnl_f32() && weightType != Dnnl.dnnl_bf16())
            throw new IllegalArgumentException("weightType must be dnnl_f32 or dnnl_bf16, is " + weightType);
        this.m = m;
        this.k = k;
        this.n = n;
        this.weightType = weightType;
        try (Arena a = Arena.ofConfined()) {
            srcMd = desc(a, m, k, Dnnl.dnnl_f32(), Dnnl.dnnl_ab());
            weightsMd = desc(a, k, n, weightType, Dnnl.dnnl_ba()); // logical (k, n), stored as (n, k) rows
            dstMd = desc(a, m, n, Dnnl.dnnl_f32(), Dnnl.dnnl_ab());
            MemorySegment p = a.allocate(Dnnl.C_POINTER);
            check(Dnnl.dnnl_matmul_primitive_desc_create(p, Shared.ENGINE, srcMd, weightsMd, MemorySegment.NULL, dstMd,
                    MemorySegment.NULL), "dnnl_matmul_primitive_desc_create");
            primitiveDesc = p.get(Dnnl.C_POINTER, 0);
            check(Dnnl.dnnl_primitive_create(p, primitiveDesc), "dnnl_primitive_create");
            primitive = p.get(Dnnl.C_POINTER, 0);
        }
    }

    private static MemorySegment desc(Arena a, long rows, long cols, int type, int tag) {
        MemorySegment dims = a.allocate(Dnnl.C_LONG, Dnnl.DNNL_MAX_NDIMS());
        dims.setAtIndex(Dnnl.C_LONG, 0, rows);
        dims.setAtIndex(Dnnl.C_LONG, 1, cols);
        MemorySegment p = a.allocate(Dnnl.C_POINTER);
        check(Dnnl.dnnl_memory_desc_create_with_tag(p, 2, dims, type, tag), "dnnl_memory_desc_create_with_tag");
        return p.get(Dnnl.C_POINTER, 0);
    }

    /** src: m × k f32; weights: n × k of the weight type; dst: m × n f32. All native, alive and large enough. */
    public synchronized void execute(MemorySegment src, MemorySegment weights, MemorySegment dst) {
        if (closed) throw new IllegalStateException("this DnnlMatmul is closed");
        long wBytes = weightType == Dnnl.dnnl_f32() ? 4 : 2;
        checkSegment("src", src, m * k * 4);
        checkSegment("weights", weights, n * k * wBytes);
        checkSegment("dst", dst, m * n * 4);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment srcMem = memory(a, srcMd, src), wMem = memory(a, weightsMd, weights), dstMem = memory(a, dstMd, dst);
            try {
                MemorySegment args = a.allocate(dnnl_exec_arg_t.layout(), 3);
                dnnl_exec_arg_t.arg(args, 0, Dnnl.DNNL_ARG_SRC());
                dnnl_exec_arg_t.memory(args, 0, srcMem);
                dnnl_exec_arg_t.arg(args, 1, Dnnl.DNNL_ARG_WEIGHTS());
                dnnl_exec_arg_t.memory(args, 1, wMem);
                dnnl_exec_arg_t.arg(args, 2, Dnnl.DNNL_ARG_DST());
                dnnl_exec_arg_t.memory(args, 2, dstMem);
                check(Dnnl.dnnl_primitive_execute(primitive, Shared.STREAM, 3, args), "dnnl_primitive_execute");
                check(Dnnl.dnnl_stream_wait(Shared.STREAM), "dnnl_stream_wait");
            } finally {
                Dnnl.dnnl_memory_destroy(srcMem);
                Dnnl.dnnl_memory_destroy(wMem);
                Dnnl.dnnl_memory_destroy(dstMem);
            }
        }
    }

    private static MemorySegment memory(Arena a, MemorySegment md, MemorySegment data) {
        MemorySegment p = a.allocate(Dnnl.C_POINTER);
        check(Dnnl.dnnl_memory_create(p, md, Shared.ENGINE, data), "dnnl_memory_create");
        return p.get(Dnnl.C_POINTER, 0);
    }

    /** A segment handed to native code must be off-heap, alive and hold {@code bytes}. */
    public static void checkSegment(String name, MemorySegment s, long bytes) {
        if (s == null) throw new IllegalArgumentException(name + " must not be null");
        if (!s.isNative()) throw new IllegalArgumentException(name + " must be a native (off-heap) segment");
        if (!s.scope().isAlive()) throw new IllegalStateException(name + ": its memory was released");
        if (s.byteSize() < bytes) throw new IllegalArgumentException(name + " holds " + s.byteSize() + " bytes, needs " + bytes);
    }

    /** Throws when a oneDNN call did not return dnnl_success. */
    public static void check(int status, String call) {
        if (status == Dnnl.dnnl_success()) return;
        String name = switch (status) {
            case 1 -> "out_of_memory";
            case 2 -> "invalid_arguments";
            case 3 -> "unimplemented";
            case 4 -> "last_impl_reached";
            case 5 -> "runtime_error";
            case 6 -> "not_required";
            default -> "status " + status;
        };
        throw new IllegalStateException(call + " failed: " + name);
    }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        Dnnl.dnnl_primitive_destroy(primitive);
        Dnnl.dnnl_primitive_desc_destroy(primitiveDesc);
        Dnnl.dnnl_memory_desc_destroy(srcMd);
        Dnnl.dnnl_memory_desc_destroy(weightsMd);
        Dnnl.dnnl_memory_desc_destroy(dstMd);
    }
}
