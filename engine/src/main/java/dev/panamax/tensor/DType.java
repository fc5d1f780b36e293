package dev.panamax.tensor;

/** Element types a tensor can hold. Sizes are in bytes. */
public enum DType {
    F32(4), F16(2), BF16(2), F64(8), I8(1), U8(1), I16(2), I32(4), I64(8), BOOL(1);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    public int bytes() { return bytes; }

    public boolean isFloat() { return this == F32 || this == F16 || this == BF16 || this == F64; }

    /** bfloat16 is the top half of a float32: widening is a shift. */
    public static float bf16ToFloat(short bits) { return Float.intBitsToFloat((bits & 0xFFFF) << 16); }

    /** Round-to-nearest-even narrowing, the rounding PyTorch uses; NaN stays NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
