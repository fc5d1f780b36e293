package dev.panamax.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamax.SharedData;
import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TorchZipTest {

    @Test
    void readsEveryDtypeOfAStateDictAsViews() {
        try (TorchZip f = TorchZip.open(Fixtures.file("state_dict.pt"))) {
            assertEquals(List.of("f32", "f64", "bf16", "f16", "i64", "i32", "bool", "scalar", "empty", "base", "view", "tied", "column"),
                    new ArrayList<>(f.tensors().keySet()), "names in the pickled order");
            Map<String, DType> dtypes = Map.of("f32", DType.F32, "f64", DType.F64, "bf16", DType.BF16, "f16", DType.F16,
                    "i64", DType.I64, "i32", DType.I32, "bool", DType.BOOL);
            dtypes.forEach((name, dt) -> {
                Tensor t = f.tensor(name);
                assertEquals(dt, t.dtype(), name);
                Fixtures.assertFixtureValues(t);
            });
            assertArrayEquals(new long[] {3, 4}, f.tensor("f32").shape());
            assertArrayEquals(new long[] {2, 3}, f.tensor("bf16").shape());
            assertArrayEquals(new long[] {}, f.tensor("scalar").shape());
            assertEquals(-1f, f.tensor("scalar").getFloat(0));
            assertEquals(0, f.tensor("empty").size());
            assertArrayEquals(new long[] {0, 3}, f.tensor("empty").shape());
            // A view at storage offset 2 sees base's elements from 2 on, in the same mapped bytes.
            Tensor view = f.tensor("view"), base = f.tensor("base");
            assertArrayEquals(new long[] {8}, view.shape());
            for (int i = 0; i < 8; i++) assertEquals(base.getFloat(i + 2), view.getFloat(i));
            assertEquals(base.data().address() + 8, view.data().address(), "a view, not a copy");
            assertEquals(f.tensor("f32").data().address(), f.tensor("tied").data().address(), "tied weights share bytes");
            assertTrue(f.tensor("f32").data().isMapped() || f.tensor("f32").data().isNative());
            Fixtures.assertFixtureValues(f.tensor("column")); // shape (4, 1): any stride on the size-1 axis is contiguous
            assertTrue(f.values().isEmpty());
        }
    }

    @Test
    void flattensACheckpointDictAndKeepsItsPlainValues() {
        try (TorchZip f = TorchZip.open(Fixtures.file("checkpoint.pt"))) {
            assertEquals(List.of("model.w", "model.layers.0", "model.layers.1"), new ArrayList<>(f.tensors().keySet()));
            assertEquals(DType.F64, f.tensor("model.layers.1").dtype());
            Fixtures.assertFixtureValues(f.tensor("model.layers.1"));
            assertEquals(3L, f.values().get("epoch"));
            assertEquals(0.5, f.values().get("lr"));
            assertEquals("run", f.values().get("name"));
            assertEquals(Boolean.TRUE, f.values().get("flag"));
            assertTrue(f.values().containsKey("none"));
            assertNull(f.values().get("none"));
        }
    }

    @Test
    void copiesNonContiguousTensorsIntoRowMajorOrder() {
        try (TorchZip f = TorchZip.open(Fixtures.file("noncontiguous.pt"))) {
            Tensor t = f.tensor("t");    // values(2, 3).t(): element (i, j) is original element (j, i) = 3j + i
            assertArrayEquals(new long[] {3, 2}, t.shape());
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 2; j++) assertEquals(Fixtures.expected(DType.F32, 3L * j + i), t.getFloat(2L * i + j), "(" + i + "," + j + ")");
        }
    }

    @Test
    void missingTensorIsNamed() {
        try (TorchZip f = TorchZip.open(Fixtures.file("state_dict.pt"))) {
            FormatException e = assertThrows(FormatException.class, () -> f.tensor("nope"));
            assertEquals("nope", e.item());
        }
    }

    @Test
    void tensorsAreUnusableAfterClose() {
        TorchZip f = TorchZip.open(Fixtures.file("state_dict.pt"));
        Tensor t = f.tensor("f32");
        f.close();
        assertThrows(IllegalStateException.class, () -> t.getFloat(0));
    }

    @Test
    void refusesFilesThatAreNotTorchZips(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path empty = Files.write(tmp.resolve("empty.pt"), new byte[0]);
        assertThrows(FormatException.class, () -> TorchZip.open(empty));
        assertThrows(FormatException.class, () -> TorchZip.open(tmp.resolve("absent.pt")));
        assertThrows(FormatException.class, () -> TorchZip.open(Fixtures.file("small.safetensors")));
        Path legacy = Files.write(tmp.resolve("legacy.pt"), new byte[] {(byte) 0x80, 2, (byte) 0x8a, 0x0a});
        assertTrue(assertThrows(FormatException.class, () -> TorchZip.open(legacy)).getMessage().contains("legacy"));
        // a copy cut short says so, where a file that never was a zip says that
        byte[] whole = Files.readAllBytes(Fixtures.file("state_dict.pt"));
        Path cut = Files.write(tmp.resolve("cut.pt"), java.util.Arrays.copyOf(whole, whole.length / 2));
        assertTrue(assertThrows(FormatException.class, () -> TorchZip.open(cut)).getMessage().contains("truncated or damaged zip archive"));
        Path text = Files.writeString(tmp.resolve("text.pt"), "x".repeat(100));
        assertTrue(assertThrows(FormatException.class, () -> TorchZip.open(text)).getMessage().contains("not a zip archive"));
    }

    /** Every shared KAN checkpoint, against what PyTorch's own torch.load saw (kan_summary.json). */
    @Test
    void readsTheSharedKanCheckpointsAsTorchDoes() throws Exception {
        Path data = SharedData.dir();
        JsonNode summary = new ObjectMapper().readTree(Fixtures.file("kan_summary.json").toFile());
        int files = 0, tensors = 0;
        for (var file : summary.properties()) {
            try (TorchZip f = TorchZip.open(data.resolve(file.getKey()))) {
                files++;
                assertEquals(file.getValue().size(), f.tensors().size(), file.getKey());
                for (var entry : file.getValue().properties()) {
                    Tensor t = f.tensor(entry.getKey());
                    JsonNode want = entry.getValue();
                    assertEquals(want.get("dtype").asText(), t.dtype().name(), t.toString());
                    long[] shape = new long[want.get("shape").size()];
                    for (int i = 0; i < shape.length; i++) shape[i] = want.get("shape").get(i).asLong();
                    assertArrayEquals(shape, t.shape(), t.toString());
                    double sum = 0, weighted = 0;
                    for (long i = 0; i < t.size(); i++) {
                        double v = t.dtype().isFloat() ? t.getDouble(i) : Fixtures.element(t, i);
                        sum += v;
                        weighted += v * (i % 7 + 1);
                    }
                    assertEquals(want.get("sum").asDouble(), sum, 1e-9 * Math.max(1, Math.abs(sum)), t.toString());
                    assertEquals(want.get("weighted_sum").asDouble(), weighted, 1e-9 * Math.max(1, Math.abs(weighted)), t + " element order");
                    if (t.size() > 0) assertEquals(want.get("first").asDouble(), t.dtype().isFloat() ? t.getDouble(0) : Fixtures.element(t, 0), 0.0, t.toString());
                    tensors++;
                }
            }
        }
        assertTrue(files >= 7, "pykan and efficient-kan checkpoints: " + files);
        assertTrue(tensors > 50, "tensors checked: " + tensors);
        try (TorchZip f = TorchZip.open(SharedData.file("kan/pykan/fixture/model_state"))) {
            assertEquals(DType.F64, f.tensor("act_fun.0.coef").dtype(), "pykan's committed fixture holds float64");
        }
    }
}
