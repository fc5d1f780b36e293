package dev.panamax.io;

import dev.panamax.SharedData;
import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The files models/testdata/make_format_fixtures.py wrote, and the values it put in them. */
final class Fixtures {
    private Fixtures() {}

    static Path file(String name) { return SharedData.projectRoot().resolve("models/testdata/formats").resolve(name); }

    /** Element i of every fixture tensor, as the script defines it. */
    static double expected(DType dtype, long i) {
        return switch (dtype) {
            case BOOL -> i % 2 == 0 ? 1 : 0;
            case I64, I32, I16, I8, U8 -> i * 3 - 2;
            default -> i * 0.25 - 1;
        };
    }

    static double element(Tensor t, long i) {
        var d = t.data();
        var le = java.nio.ByteOrder.LITTLE_ENDIAN;
        return switch (t.dtype()) {
            case BOOL, U8 -> d.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i);
            case I64 -> d.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(le), i);
            case I32 -> d.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(le), i);
            default -> t.getDouble(i);
        };
    }

    static void assertFixtureValues(Tensor t) {
        for (long i = 0; i < t.size(); i++) assertEquals(expected(t.dtype(), i), element(t, i), 0.0, t + " element " + i);
    }
}
