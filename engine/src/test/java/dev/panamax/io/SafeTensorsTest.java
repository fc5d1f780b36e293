package dev.panamax.io;

import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SafeTensorsTest {
    @TempDir Path tmp;

    @Test
    void readsAFileWrittenByAnotherImplementation() {
        try (SafeTensors f = SafeTensors.open(Fixtures.file("small.safetensors"))) {
            assertEquals(List.of("f32", "bf16", "f16", "f64", "i64", "i32", "bool"), List.copyOf(f.tensors().keySet()));
            for (Tensor t : f.tensors().values()) Fixtures.assertFixtureValues(t);
            assertArrayEquals(new long[] {3, 4}, f.tensor("f32").shape());
            assertEquals(DType.BF16, f.tensor("bf16").dtype());
            assertEquals("pt", f.metadata().get("format"));
            assertTrue(f.tensor("f32").data().isMapped(), "mapped in place");
        }
    }

    @Test
    void writesWhatItReads() throws Exception {
        Map<String, Tensor> src = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16, DType.F64}) {
                Tensor t = Tensor.allocate(arena, "t_" + dt, dt, 3, 5);
                for (int i = 0; i < 15; i++) t.setFloat(i, (float) Fixtures.expected(dt, i));
                src.put(t.name(), t);
            }
            src.put("scalar", Tensor.allocate(arena, "scalar", DType.F32));
            src.put("empty", Tensor.allocate(arena, "empty", DType.F32, 0, 4));
            Path file = tmp.resolve("w.safetensors");
            SafeTensors.write(file, src, Map.of("k", "v"));
            try (SafeTensors f = SafeTensors.open(file)) {
                assertEquals(List.copyOf(src.keySet()), List.copyOf(f.tensors().keySet()));
                assertEquals(Map.of("k", "v"), f.metadata());
                for (Tensor want : src.values()) {
                    Tensor got = f.tensor(want.name());
                    assertEquals(want.dtype(), got.dtype());
                    assertArrayEquals(want.shape(), got.shape());
                    assertEquals(-1, want.data().mismatch(got.data()), want.name());
                }
                long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                assertEquals(0, headerLength % 8, "header padded so the data starts 8-byte aligned");
            }
        }
    }

    @Test
    void readsShardsThroughTheirIndex() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            Tensor a = fill(Tensor.allocate(arena, "a", DType.F32, 4)), b = fill(Tensor.allocate(arena, "b", DType.BF16, 2, 2)),
                    c = fill(Tensor.allocate(arena, "c", DType.F32, 3));
            SafeTensors.write(tmp.resolve("model-00001-of-00002.safetensors"), Map.of("a", a, "b", b), Map.of());
            SafeTensors.write(tmp.resolve("model-00002-of-00002.safetensors"), Map.of("c", c), Map.of());
            Path index = Files.writeString(tmp.resolve("model.safetensors.index.json"), """
                    {"metadata": {"total_size": 26}, "weight_map": {"a": "model-00001-of-00002.safetensors",
                     "b": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}}""");
            try (SafeTensors f = SafeTensors.open(index)) {
                assertEquals(3, f.tensors().size());
                assertEquals("26", f.metadata().get("total_size"));
                for (Tensor t : List.of(a, b, c)) assertEquals(-1, t.data().mismatch(f.tensor(t.name()).data()), t.name());
            }
            Path missing = Files.writeString(tmp.resolve("missing.index.json"),
                    "{\"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\", \"zz\": \"model-00002-of-00002.safetensors\"}}");
            FormatException e = assertThrows(FormatException.class, () -> SafeTensors.open(missing));
            assertEquals("zz", e.item());
            assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors"), e.getMessage());
            Path escape = Files.writeString(tmp.resolve("escape.index.json"), "{\"weight_map\": {\"a\": \"../x.safetensors\"}}");
            assertEquals("a", assertThrows(FormatException.class, () -> SafeTensors.open(escape)).item());
            Path moved = Files.writeString(tmp.resolve("moved.index.json"),
                    "{\"weight_map\": {\"a\": \"model-00002-of-00002.safetensors\", \"c\": \"model-00002-of-00002.safetensors\"}}");
            assertEquals("a", assertThrows(FormatException.class, () -> SafeTensors.open(moved)).item());
        }
    }

    /** Each broken header gives a FormatException naming the tensor at fault (null: the file as a whole). */
    @Test
    void validatesTheHeader() throws Exception {
        String ok = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        assertNull(error(ok, 12), "the control case reads");
        assertEquals("y", error(ok.replace("[8,12]", "[4,8]"), 12).item(), "overlap");
        assertEquals("y", error(ok.replace("[8,12]", "[8,16]").replace("\"shape\":[1]", "\"shape\":[2]"), 12).item(), "past the end");
        assertEquals("x", error(ok.replace("\"shape\":[2]", "\"shape\":[3]"), 12).item(), "size against dtype x shape");
        assertEquals("x", error(ok.replace("\"F32\",\"shape\":[2]", "\"F8_E4M3\",\"shape\":[2]"), 12).item(), "unknown dtype");
        assertEquals("x", error(ok.replace("[2]", "[-2]"), 12).item(), "negative dimension");
        assertEquals("x", error(ok.replace("[2]", "[4294967296,4294967296,4294967296]"), 12).item(), "overflowing shape");
        assertEquals("x", error(ok.replace("[0,8]", "[0,8,9]"), 12).item());
        assertEquals("x", error(ok.replace("[0,8]", "[8,0]"), 12).item());
        assertEquals("x", error(ok.replace("[0,8]", "[0,1e3]"), 12).item());
        assertEquals("x", error(ok.replace("\"data_offsets\"", "\"extra\":1,\"data_offsets\""), 12).item());
        assertNull(error(ok.replace("\"y\"", "\"x\""), 12).item(), "duplicate name");
        assertNull(error(ok + "xyz", 12).item(), "trailing garbage");
        assertNull(error("[1,2]", 0).item());
        assertNull(error("{\"x\":", 0).item());
        assertEquals("__metadata__.a", error("{\"__metadata__\":{\"a\":1}}", 0).item());
        // header length field itself absurd or past the end
        Path f = tmp.resolve("len.safetensors");
        Files.write(f, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).array());
        assertTrue(assertThrows(FormatException.class, () -> SafeTensors.open(f)).getMessage().contains("len.safetensors"));
        Files.write(f, new byte[3]);
        assertThrows(FormatException.class, () -> SafeTensors.open(f));
    }

    private FormatException error(String header, int dataBytes) throws Exception {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Path f = Files.write(tmp.resolve("h.safetensors"), b.array());
        try (SafeTensors s = SafeTensors.open(f)) {
            return null;
        } catch (FormatException e) {
            assertTrue(e.getMessage().contains("h.safetensors"), e.getMessage());
            return e;
        }
    }

    private static Tensor fill(Tensor t) {
        for (int i = 0; i < t.size(); i++) t.setFloat(i, i * 0.5f - 1);
        return t;
    }

    @Test void invalidJsonSaysWhereWithoutTheParsersSourceDescription() throws Exception {
        var e = assertThrows(com.fasterxml.jackson.core.JacksonException.class,
                () -> new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"a\": 1,\n"));
        String text = FormatException.json(e);
        assertTrue(text.startsWith("not valid JSON (line 2, column 1): "), text);
        assertFalse(text.contains("Source"), text);
    }
}
