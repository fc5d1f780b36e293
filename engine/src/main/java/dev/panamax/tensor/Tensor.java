package dev.panamax.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A named, typed, shaped view over a {@link MemorySegment}: row-major, little-endian, contiguous.
 * The segment may be mapped from a file or allocated; the tensor never owns its memory (the arena
 * behind the segment does), so views and slices are free.
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Tensor {
        shape = shape.clone();
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor " + name + ": negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        long need = Math.multiplyExact(n, dtype.bytes());
        if (data.byteSize() != need)
            throw new IllegalArgumentException("tensor " + name + ": " + dtype + Arrays.toString(shape)
                    + " needs " + need + " bytes, segment has " + data.byteSize());
    }

    /** A zero-filled tensor in {@code arena}, 64-byte aligned for the SIMD kernels. */
    public static Tensor allocate(Arena arena, String name, DType dtype, long... shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return new Tensor(name, dtype, shape, arena.allocate(n * dtype.bytes(), 64));
    }

    @Override public long[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public long dim(int i) { return shape[i]; }

    public long size() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Rows of a matrix view: the product of all but the last dimension. */
    public long rows() { return shape.length == 0 ? 1 : size() / Math.max(1, shape[shape.length - 1]); }

    /** Columns of a matrix view: the last dimension. */
    public long cols() { return shape.length == 0 ? 1 : shape[shape.length - 1]; }

    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, i);
            case BF16 -> DType.bf16ToFloat(data.getAtIndex(I16, i));
            case F16 -> Float.float16ToFloat(data.getAtIndex(I16, i));
            case F64 -> (float) data.getAtIndex(F64, i);
            default -> throw new UnsupportedOperationException("tensor " + name + ": getFloat on " + dtype);
        };
    }

    public double getDouble(long i) {
        return dtype == DType.F64 ? data.getAtIndex(F64, i) : getFloat(i);
    }

    public void setFloat(long i, float v) {
        switch (dtype) {
            case F32 -> data.setAtIndex(F32, i, v);
            case BF16 -> data.setAtIndex(I16, i, DType.floatToBf16(v));
            case F16 -> data.setAtIndex(I16, i, Float.floatToFloat16(v));
            case F64 -> data.setAtIndex(F64, i, v);
            default -> throw new UnsupportedOperationException("tensor " + name + ": setFloat on " + dtype);
        }
    }

    /** Copies every element, widened or narrowed to float32. */
    public float[] toFloatArray() {
        long n = size();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalStateException("tensor " + name + " is too large for a float[]: " + n);
        float[] out = new float[(int) n];
        if (dtype == DType.F32) MemorySegment.copy(data, F32, 0, out, 0, out.length);
        else for (int i = 0; i < out.length; i++) out[i] = getFloat(i);
        return out;
    }

    /** Rows [from, from+count) along the first dimension, as a view. */
    public Tensor slice(long from, long count) {
        if (shape.length == 0) throw new IllegalArgumentException("tensor " + name + ": cannot slice a scalar");
        if (from < 0 || count < 0 || from + count > shape[0])
            throw new IndexOutOfBoundsException("tensor " + name + ": rows [" + from + ", " + (from + count) + ") outside " + shape[0]);
        long rowBytes = dtype.bytes() * (size() / Math.max(1, shape[0]));
        long[] s = shape.clone();
        s[0] = count;
        return new Tensor(name, dtype, s, data.asSlice(from * rowBytes, count * rowBytes));
    }

    /** The same bytes seen with another shape of the same element count. */
    public Tensor reshape(long... newShape) {
        return new Tensor(name, dtype, newShape, data);
    }

    public Tensor withName(String newName) { return new Tensor(newName, dtype, shape, data); }

    @Override public String toString() { return name + ":" + dtype + Arrays.toString(shape); }

    @Override public boolean equals(Object o) { return this == o; }

    @Override public int hashCode() { return System.identityHashCode(this); }
}
