package dev.panamax.dnnl;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * FFM binding of the subset of oneDNN's C API (3.x, {@code oneapi/dnnl/dnnl.h}) that Panamax uses.
 *
 * <p><b>Hand-written in the shape jextract generates</b> (jextract is not published on Maven Central
 * and is not available here): this header class holds the C layouts ({@code C_INT}, {@code C_POINTER}
 * ...), enum constants and macros as static int methods, and per function a holder class with
 * {@code DESC} (the descriptor), {@code ADDR} (the symbol) and {@code HANDLE} (the downcall handle),
 * exposed as {@code name$descriptor()}, {@code name$handle()}, {@code name$address()} and a static
 * wrapper that calls {@code invokeExact}. Structs are the classes {@link dnnl_version_t} and
 * {@link dnnl_exec_arg_t}. Thread control is the OpenMP runtime's ({@code omp_set_num_threads}), as
 * this oneDNN build runs on OpenMP and has no {@code dnnl_set_max_threads}.
 *
 * <p>The symbols come from {@link DnnlLibrary#lookup()}: check {@link DnnlLibrary#available()} first;
 * touching a function when oneDNN is absent throws {@link UnsatisfiedLinkError}. These wrappers do
 * not validate anything: a wrong pointer or size kills the JVM. Callers validate every size first
 * (see {@link DnnlMatmul} and {@code dev.panamax.kernel.Gemm}).
 */
public final class Dnnl {
    private Dnnl() {}

    public static final ValueLayout.OfBoolean C_BOOL = ValueLayout.JAVA_BOOLEAN;
    public static final ValueLayout.OfByte C_CHAR = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    public static final ValueLayout.OfLong C_SIZE_T = ValueLayout.JAVA_LONG;
    public static final ValueLayout.OfFloat C_FLOAT = ValueLayout.JAVA_FLOAT;
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS
            .withTargetLayout(java.lang.foreign.MemoryLayout.sequenceLayout(Long.MAX_VALUE, ValueLayout.JAVA_BYTE));

    static MemorySegment findOrThrow(String symbol) {
        SymbolLookup lookup = DnnlLibrary.lookup();
        if (lookup == null) throw new UnsatisfiedLinkError("oneDNN is unavailable: " + DnnlLibrary.status().reason());
        return lookup.find(symbol).orElseThrow(() -> new UnsatisfiedLinkError("unresolved symbol: " + symbol));
    }

    /** "major.minor.patch" read through {@code lookup} (used by the loader before {@link DnnlLibrary#lookup()} is set). */
    static String versionString(SymbolLookup lookup) {
        MemorySegment fn = lookup.find("dnnl_version").orElseThrow();
        MethodHandle h = Linker.nativeLinker().downcallHandle(fn, FunctionDescriptor.of(C_POINTER));
        try {
            MemorySegment v = ((MemorySegment) h.invokeExact()).reinterpret(dnnl_version_t.layout().byteSize());
            return dnnl_version_t.major(v) + "." + dnnl_version_t.minor(v) + "." + dnnl_version_t.patch(v);
        } catch (Throwable t) {
            throw new IllegalStateException("dnnl_version failed", t);
        }
    }

    // ---------------------------------------------------------------- enums and macros

    /** {@code dnnl_status_t} */
    public static int dnnl_success() { return 0; }
    public static int dnnl_out_of_memory() { return 1; }
    public static int dnnl_invalid_arguments() { return 2; }
    public static int dnnl_unimplemented() { return 3; }
    public static int dnnl_last_impl_reached() { return 4; }
    public static int dnnl_runtime_error() { return 5; }
    public static int dnnl_not_required() { return 6; }

    /** {@code dnnl_data_type_t} */
    public static int dnnl_data_type_undef() { return 0; }
    public static int dnnl_f16() { return 1; }
    public static int dnnl_bf16() { return 2; }
    public static int dnnl_f32() { return 3; }

    /** {@code dnnl_format_tag_t}: plain row-major 2-D is {@code ab}, its transpose {@code ba}. */
    public static int dnnl_format_tag_undef() { return 0; }
    public static int dnnl_format_tag_any() { return 1; }
    public static int dnnl_a() { return 2; }
    public static int dnnl_ab() { return 3; }
    public static int dnnl_abc() { return 4; }
    public static int dnnl_ba() { return 14; }

    /** {@code dnnl_engine_kind_t} */
    public static int dnnl_any_engine() { return 0; }
    public static int dnnl_cpu() { return 1; }

    /** {@code dnnl_stream_flags_t} */
    public static int dnnl_stream_in_order() { return 1; }
    public static int dnnl_stream_default_flags() { return 1; }

    /** {@code DNNL_ARG_*} execution argument indices */
    public static int DNNL_ARG_SRC() { return 1; }
    public static int DNNL_ARG_DST() { return 17; }
    public static int DNNL_ARG_WEIGHTS() { return 33; }
    public static int DNNL_ARG_BIAS() { return 41; }

    /** {@code DNNL_MAX_NDIMS}: the length of a {@code dnnl_dims_t}. */
    public static int DNNL_MAX_NDIMS() { return 12; }

    /** {@code dnnl_version_t.cpu_runtime} values */
    public static int DNNL_RUNTIME_SEQ() { return 1; }
    public static int DNNL_RUNTIME_OMP() { return 2; }

    // ---------------------------------------------------------------- functions

    private static final class dnnl_version {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_POINTER);
        static final MemorySegment ADDR = findOrThrow("dnnl_version");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code const dnnl_version_t *dnnl_version(void)} */
    public static FunctionDescriptor dnnl_version$descriptor() { return dnnl_version.DESC; }
    public static MethodHandle dnnl_version$handle() { return dnnl_version.HANDLE; }
    public static MemorySegment dnnl_version$address() { return dnnl_version.ADDR; }
    public static MemorySegment dnnl_version() {
        try {
            return (MemorySegment) dnnl_version.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError("dnnl_version: unexpected throwable", t);
        }
    }

    private static final class dnnl_sgemm {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_CHAR, C_CHAR, C_LONG, C_LONG, C_LONG, C_FLOAT, C_POINTER, C_LONG, C_POINTER, C_LONG, C_FLOAT, C_POINTER, C_LONG);
        static final MemorySegment ADDR = findOrThrow("dnnl_sgemm");
        // Not a critical call: a GEMM runs for milliseconds, and a thread in a critical call holds off
        // every safepoint meanwhile (it was critical once, passing heap arrays in place: under the JFR
        // sampler the JVM crashed on 300³ calls). Callers pass native memory.
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_sgemm(char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, float alpha, const float *A, dnnl_dim_t lda, const float *B, dnnl_dim_t ldb, float beta, float *C, dnnl_dim_t ldc)} */
    public static FunctionDescriptor dnnl_sgemm$descriptor() { return dnnl_sgemm.DESC; }
    public static MethodHandle dnnl_sgemm$handle() { return dnnl_sgemm.HANDLE; }
    public static MemorySegment dnnl_sgemm$address() { return dnnl_sgemm.ADDR; }
    public static int dnnl_sgemm(byte transa, byte transb, long M, long N, long K, float alpha, MemorySegment A, long lda, MemorySegment B, long ldb, float beta, MemorySegment C, long ldc) {
        try {
            return (int) dnnl_sgemm.HANDLE.invokeExact(transa, transb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_sgemm: unexpected throwable", t);
        }
    }

    private static final class dnnl_engine_create {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_LONG);
        static final MemorySegment ADDR = findOrThrow("dnnl_engine_create");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_engine_create(dnnl_engine_t *engine, dnnl_engine_kind_t kind, size_t index)} */
    public static FunctionDescriptor dnnl_engine_create$descriptor() { return dnnl_engine_create.DESC; }
    public static MethodHandle dnnl_engine_create$handle() { return dnnl_engine_create.HANDLE; }
    public static MemorySegment dnnl_engine_create$address() { return dnnl_engine_create.ADDR; }
    public static int dnnl_engine_create(MemorySegment engine, int kind, long index) {
        try {
            return (int) dnnl_engine_create.HANDLE.invokeExact(engine, kind, index);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_engine_create: unexpected throwable", t);
        }
    }

    private static final class dnnl_engine_destroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MemorySegment ADDR = findOrThrow("dnnl_engine_destroy");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_engine_destroy(dnnl_engine_t engine)} */
    public static FunctionDescriptor dnnl_engine_destroy$descriptor() { return dnnl_engine_destroy.DESC; }
    public static MethodHandle dnnl_engine_destroy$handle() { return dnnl_engine_destroy.HANDLE; }
    public static MemorySegment dnnl_engine_destroy$address() { return dnnl_engine_destroy.ADDR; }
    public static int dnnl_engine_destroy(MemorySegment engine) {
        try {
            return (int) dnnl_engine_destroy.HANDLE.invokeExact(engine);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_engine_destroy: unexpected throwable", t);
        }
    }

    private static final class dnnl_stream_create {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_INT);
        static final MemorySegment ADDR = findOrThrow("dnnl_stream_create");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_stream_create(dnnl_stream_t *stream, dnnl_engine_t engine, unsigned flags)} */
    public static FunctionDescriptor dnnl_stream_create$descriptor() { return dnnl_stream_create.DESC; }
    public static MethodHandle dnnl_stream_create$handle() { return dnnl_stream_create.HANDLE; }
    public static MemorySegment dnnl_stream_create$address() { return dnnl_stream_create.ADDR; }
    public static int dnnl_stream_create(MemorySegment stream, MemorySegment engine, int flags) {
        try {
            return (int) dnnl_stream_create.HANDLE.invokeExact(stream, engine, flags);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_stream_create: unexpected throwable", t);
        }
    }

    private static final class dnnl_stream_wait {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MemorySegment ADDR = findOrThrow("dnnl_stream_wait");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_stream_wait(dnnl_stream_t stream)} */
    public static FunctionDescriptor dnnl_stream_wait$descriptor() { return dnnl_stream_wait.DESC; }
    public static MethodHandle dnnl_stream_wait$handle() { return dnnl_stream_wait.HANDLE; }
    public static MemorySegment dnnl_stream_wait$address() { return dnnl_stream_wait.ADDR; }
    public static int dnnl_stream_wait(MemorySegment stream) {
        try {
            return (int) dnnl_stream_wait.HANDLE.invokeExact(stream);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_stream_wait: unexpected throwable", t);
        }
    }

    private static final class dnnl_stream_destroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MemorySegment ADDR = findOrThrow("dnnl_stream_destroy");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_stream_destroy(dnnl_stream_t stream)} */
    public static FunctionDescriptor dnnl_stream_destroy$descriptor() { return dnnl_stream_destroy.DESC; }
    public static MethodHandle dnnl_stream_destroy$handle() { return dnnl_stream_destroy.HANDLE; }
    public static MemorySegment dnnl_stream_destroy$address() { return dnnl_stream_destroy.ADDR; }
    public static int dnnl_stream_destroy(MemorySegment stream) {
        try {
            return (int) dnnl_stream_destroy.HANDLE.invokeExact(stream);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_stream_destroy: unexpected throwable", t);
        }
    }

    private static final class dnnl_memory_desc_create_with_tag {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_POINTER, C_INT, C_INT);
        static final MemorySegment ADDR = findOrThrow("dnnl_memory_desc_create_with_tag");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_memory_desc_create_with_tag(dnnl_memory_desc_t *memory_desc, int ndims, const dnnl_dims_t dims, dnnl_data_type_t data_type, dnnl_format_tag_t tag)} */
    public static FunctionDescriptor dnnl_memory_desc_create_with_tag$descriptor() { return dnnl_memory_desc_create_with_tag.DESC; }
    public static MethodHandle dnnl_memory_desc_create_with_tag$handle() { return dnnl_memory_desc_create_with_tag.HANDLE; }
    public static MemorySegment dnnl_memory_desc_create_with_tag$address() { return dnnl_memory_desc_create_with_tag.ADDR; }
    public static int dnnl_memory_desc_create_with_tag(MemorySegment memory_desc, int ndims, MemorySegment dims, int data_type, int tag) {
        try {
            return (int) dnnl_memory_desc_create_with_tag.HANDLE.invokeExact(memory_desc, ndims, dims, data_type, tag);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_memory_desc_create_with_tag: unexpected throwable", t);
        }
    }

    private static final class dnnl_memory_desc_destroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MemorySegment ADDR = findOrThrow("dnnl_memory_desc_destroy");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_memory_desc_destroy(dnnl_memory_desc_t memory_desc)} */
    public static FunctionDescriptor dnnl_memory_desc_destroy$descriptor() { return dnnl_memory_desc_destroy.DESC; }
    public static MethodHandle dnnl_memory_desc_destroy$handle() { return dnnl_memory_desc_destroy.HANDLE; }
    public static MemorySegment dnnl_memory_desc_destroy$address() { return dnnl_memory_desc_destroy.ADDR; }
    public static int dnnl_memory_desc_destroy(MemorySegment memory_desc) {
        try {
            return (int) dnnl_memory_desc_destroy.HANDLE.invokeExact(memory_desc);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_memory_desc_destroy: unexpected throwable", t);
        }
    }

    private static final class dnnl_memory_create {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER);
        static final MemorySegment ADDR = findOrThrow("dnnl_memory_create");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_memory_create(dnnl_memory_t *memory, const_dnnl_memory_desc_t memory_desc, dnnl_engine_t engine, void *handle)} */
    public static FunctionDescriptor dnnl_memory_create$descriptor() { return dnnl_memory_create.DESC; }
    public static MethodHandle dnnl_memory_create$handle() { return dnnl_memory_create.HANDLE; }
    public static MemorySegment dnnl_memory_create$address() { return dnnl_memory_create.ADDR; }
    public static int dnnl_memory_create(MemorySegment memory, MemorySegment memory_desc, MemorySegment engine, MemorySegment handle) {
        try {
            return (int) dnnl_memory_create.HANDLE.invokeExact(memory, memory_desc, engine, handle);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_memory_create: unexpected throwable", t);
        }
    }

    private static final class dnnl_memory_set_data_handle {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER);
        static final MemorySegment ADDR = findOrThrow("dnnl_memory_set_data_handle");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_memory_set_data_handle(dnnl_memory_t memory, void *handle)} */
    public static FunctionDescriptor dnnl_memory_set_data_handle$descriptor() { return dnnl_memory_set_data_handle.DESC; }
    public static MethodHandle dnnl_memory_set_data_handle$handle() { return dnnl_memory_set_data_handle.HANDLE; }
    public static MemorySegment dnnl_memory_set_data_handle$address() { return dnnl_memory_set_data_handle.ADDR; }
    public static int dnnl_memory_set_data_handle(MemorySegment memory, MemorySegment handle) {
        try {
            return (int) dnnl_memory_set_data_handle.HANDLE.invokeExact(memory, handle);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_memory_set_data_handle: unexpected throwable", t);
        }
    }

    private static final class dnnl_memory_destroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MemorySegment ADDR = findOrThrow("dnnl_memory_destroy");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_memory_destroy(dnnl_memory_t memory)} */
    public static FunctionDescriptor dnnl_memory_destroy$descriptor() { return dnnl_memory_destroy.DESC; }
    public static MethodHandle dnnl_memory_destroy$handle() { return dnnl_memory_destroy.HANDLE; }
    public static MemorySegment dnnl_memory_destroy$address() { return dnnl_memory_destroy.ADDR; }
    public static int dnnl_memory_destroy(MemorySegment memory) {
        try {
            return (int) dnnl_memory_destroy.HANDLE.invokeExact(memory);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_memory_destroy: unexpected throwable", t);
        }
    }

    private static final class dnnl_matmul_primitive_desc_create {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER);
        static final MemorySegment ADDR = findOrThrow("dnnl_matmul_primitive_desc_create");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_matmul_primitive_desc_create(dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, const_dnnl_memory_desc_t src_desc, const_dnnl_memory_desc_t weights_desc, const_dnnl_memory_desc_t bias_desc, const_dnnl_memory_desc_t dst_desc, const_dnnl_primitive_attr_t attr)} */
    public static FunctionDescriptor dnnl_matmul_primitive_desc_create$descriptor() { return dnnl_matmul_primitive_desc_create.DESC; }
    public static MethodHandle dnnl_matmul_primitive_desc_create$handle() { return dnnl_matmul_primitive_desc_create.HANDLE; }
    public static MemorySegment dnnl_matmul_primitive_desc_create$address() { return dnnl_matmul_primitive_desc_create.ADDR; }
    public static int dnnl_matmul_primitive_desc_create(MemorySegment primitive_desc, MemorySegment engine, MemorySegment src_desc, MemorySegment weights_desc, MemorySegment bias_desc, MemorySegment dst_desc, MemorySegment attr) {
        try {
            return (int) dnnl_matmul_primitive_desc_create.HANDLE.invokeExact(primitive_desc, engine, src_desc, weights_desc, bias_desc, dst_desc, attr);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_matmul_primitive_desc_create: unexpected throwable", t);
        }
    }

    private static final class dnnl_primitive_desc_destroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MemorySegment ADDR = findOrThrow("dnnl_primitive_desc_destroy");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_primitive_desc_destroy(dnnl_primitive_desc_t primitive_desc)} */
    public static FunctionDescriptor dnnl_primitive_desc_destroy$descriptor() { return dnnl_primitive_desc_destroy.DESC; }
    public static MethodHandle dnnl_primitive_desc_destroy$handle() { return dnnl_primitive_desc_destroy.HANDLE; }
    public static MemorySegment dnnl_primitive_desc_destroy$address() { return dnnl_primitive_desc_destroy.ADDR; }
    public static int dnnl_primitive_desc_destroy(MemorySegment primitive_desc) {
        try {
            return (int) dnnl_primitive_desc_destroy.HANDLE.invokeExact(primitive_desc);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_primitive_desc_destroy: unexpected throwable", t);
        }
    }

    private static final class dnnl_primitive_create {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER);
        static final MemorySegment ADDR = findOrThrow("dnnl_primitive_create");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_primitive_create(dnnl_primitive_t *primitive, const_dnnl_primitive_desc_t primitive_desc)} */
    public static FunctionDescriptor dnnl_primitive_create$descriptor() { return dnnl_primitive_create.DESC; }
    public static MethodHandle dnnl_primitive_create$handle() { return dnnl_primitive_create.HANDLE; }
    public static MemorySegment dnnl_primitive_create$address() { return dnnl_primitive_create.ADDR; }
    public static int dnnl_primitive_create(MemorySegment primitive, MemorySegment primitive_desc) {
        try {
            return (int) dnnl_primitive_create.HANDLE.invokeExact(primitive, primitive_desc);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_primitive_create: unexpected throwable", t);
        }
    }

    private static final class dnnl_primitive_execute {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_INT, C_POINTER);
        static final MemorySegment ADDR = findOrThrow("dnnl_primitive_execute");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_primitive_execute(const_dnnl_primitive_t primitive, dnnl_stream_t stream, int nargs, const dnnl_exec_arg_t *args)} */
    public static FunctionDescriptor dnnl_primitive_execute$descriptor() { return dnnl_primitive_execute.DESC; }
    public static MethodHandle dnnl_primitive_execute$handle() { return dnnl_primitive_execute.HANDLE; }
    public static MemorySegment dnnl_primitive_execute$address() { return dnnl_primitive_execute.ADDR; }
    public static int dnnl_primitive_execute(MemorySegment primitive, MemorySegment stream, int nargs, MemorySegment args) {
        try {
            return (int) dnnl_primitive_execute.HANDLE.invokeExact(primitive, stream, nargs, args);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_primitive_execute: unexpected throwable", t);
        }
    }

    private static final class dnnl_primitive_destroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MemorySegment ADDR = findOrThrow("dnnl_primitive_destroy");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code dnnl_status_t dnnl_primitive_destroy(dnnl_primitive_t primitive)} */
    public static FunctionDescriptor dnnl_primitive_destroy$descriptor() { return dnnl_primitive_destroy.DESC; }
    public static MethodHandle dnnl_primitive_destroy$handle() { return dnnl_primitive_destroy.HANDLE; }
    public static MemorySegment dnnl_primitive_destroy$address() { return dnnl_primitive_destroy.ADDR; }
    public static int dnnl_primitive_destroy(MemorySegment primitive) {
        try {
            return (int) dnnl_primitive_destroy.HANDLE.invokeExact(primitive);
        } catch (Throwable t) {
            throw new AssertionError("dnnl_primitive_destroy: unexpected throwable", t);
        }
    }

    private static final class omp_set_num_threads {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(C_INT);
        static final MemorySegment ADDR = findOrThrow("omp_set_num_threads");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code void omp_set_num_threads(int num_threads)  (OpenMP runtime, libgomp: oneDNN's thread control)} */
    public static FunctionDescriptor omp_set_num_threads$descriptor() { return omp_set_num_threads.DESC; }
    public static MethodHandle omp_set_num_threads$handle() { return omp_set_num_threads.HANDLE; }
    public static MemorySegment omp_set_num_threads$address() { return omp_set_num_threads.ADDR; }
    public static void omp_set_num_threads(int num_threads) {
        try {
            omp_set_num_threads.HANDLE.invokeExact(num_threads);
        } catch (Throwable t) {
            throw new AssertionError("omp_set_num_threads: unexpected throwable", t);
        }
    }

    private static final class omp_get_max_threads {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT);
        static final MemorySegment ADDR = findOrThrow("omp_get_max_threads");
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
    }

    /** {@code int omp_get_max_threads(void)  (OpenMP runtime, libgomp)} */
    public static FunctionDescriptor omp_get_max_threads$descriptor() { return omp_get_max_threads.DESC; }
    public static MethodHandle omp_get_max_threads$handle() { return omp_get_max_threads.HANDLE; }
    public static MemorySegment omp_get_max_threads$address() { return omp_get_max_threads.ADDR; }
    public static int omp_get_max_threads() {
        try {
            return (int) omp_get_max_threads.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError("omp_get_max_threads: unexpected throwable", t);
        }
    }

}
