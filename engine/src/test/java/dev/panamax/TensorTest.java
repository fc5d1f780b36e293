package dev.panamax;

import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.*;

class TensorTest {
    @Test
    void slicesAreViewsAndDtypesRoundTrip() {
        try (Arena arena = Arena.ofConfined()) {
            for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16, DType.F64}) {
                Tensor t = Tensor.allocate(arena, "t", dt, 4, 3);
                for (int i = 0; i < 12; i++) t.setFloat(i, i * 0.5f - 2f);
                Tensor s = t.slice(1, 2);
                assertArrayEquals(new long[] {2, 3}, s.shape());
                assertEquals(4 * 0.5f - 2f, s.getFloat(1), 0f, dt.name()); // element (1,1) of t is index 4
                s.setFloat(0, 7f);
                assertEquals(7f, t.getFloat(3), 0f, "slice must write through to " + dt);
            }
        }
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals(1.0f, DType.bf16ToFloat(DType.floatToBf16(1.0f + 0x1p-9f)));
        assertEquals(1.0f + 0x1p-7f, DType.bf16ToFloat(DType.floatToBf16(1.0f + 0x1p-7f + 0x1p-9f)));
        assertTrue(Float.isNaN(DType.bf16ToFloat(DType.floatToBf16(Float.NaN))));
    }

    @Test
    void sizeMismatchIsRejected() {
        try (Arena arena = Arena.ofConfined()) {
            var seg = arena.allocate(10);
            var e = assertThrows(IllegalArgumentException.class, () -> new Tensor("w", DType.F32, new long[] {3}, seg));
            assertTrue(e.getMessage().contains("w"));
        }
    }
}
