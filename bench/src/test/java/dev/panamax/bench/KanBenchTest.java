package dev.panamax.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code panamax bench kan}'s parts that need no timing: its report, its MLP baseline, its inputs. */
class KanBenchTest {

    /** Rows as a run at batches 1 and 4096 gives them, with PyTorch rows when {@code torch}. */
    private static List<KanBench.Row> rows(boolean torch) {
        List<KanBench.Row> rows = new ArrayList<>();
        for (KanBench.Spec s : KanBench.SPECS)
            for (int b : new int[] {1, 4096}) {
                rows.add(new KanBench.Row(s.name(), b, "panamax", 1000.0 * b));
                rows.add(new KanBench.Row(s.name(), b, "panamax-mlp", 2000.0 * b));
                if (torch) rows.add(new KanBench.Row(s.name(), b, "torch", 10.0 * b));
            }
        return rows;
    }

    private static Map<String, KanBench.Pair> pairs() {
        Map<String, KanBench.Pair> pairs = new HashMap<>();
        for (KanBench.Spec s : KanBench.SPECS) pairs.put(s.name(), new KanBench.Pair(4.096e6, 8.192e6, 2.0, 1.9, 2.1));
        return pairs;
    }

    /** What {@code report} prints, as text or JSON. */
    private static String report(boolean json, List<KanBench.Row> rows, String torchNote) throws Exception {
        KanBench bench = new KanBench();
        bench.json = json;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        try (PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            bench.report(rows, pairs(), torchNote);
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test void withoutTorchTheRatiosToTorchSayNotMeasuredInTextAndAreAbsentFromJson() throws Exception {
        String text = report(false, rows(false), "skipped (--no-torch)");
        assertFalse(text.contains("NaN"), text);
        for (KanBench.Spec s : KanBench.SPECS)
            assertTrue(text.contains(s.name()) && text.lines().anyMatch(l -> l.startsWith(s.name())
                    && l.contains("vs torch b1 not measured   b4096 not measured   KAN/MLP time at 4096 2.00 (1.90-2.10)")), text);

        String json = report(true, rows(false), "skipped (--no-torch)");
        assertFalse(json.contains("NaN"), json);
        JsonNode root = BenchSupport.JSON.readTree(json);
        assertEquals("skipped (--no-torch)", root.get("torch").asText());
        for (JsonNode o : root.get("ratios")) {
            assertFalse(o.has("vs_torch_batch_1") || o.has("vs_torch_batch_4096"), o.toString());
            assertEquals(2.0, o.get("kan_time_over_mlp_time_4096").asDouble());
        }
    }

    @Test void withTorchTheRatiosAreInTextAndJsonAlike() throws Exception {
        String text = report(false, rows(true), "ran");
        assertFalse(text.contains("NaN") || text.contains("not measured"), text);
        assertTrue(text.contains("vs torch b1   100.0x   b4096  100.0x"), text);
        JsonNode root = BenchSupport.JSON.readTree(report(true, rows(true), "ran"));
        for (JsonNode o : root.get("ratios")) {
            assertEquals(100.0, o.get("vs_torch_batch_1").asDouble(), 1e-9, o.toString());
            assertEquals(100.0, o.get("vs_torch_batch_4096").asDouble(), 1e-9, o.toString());
        }
    }

    @Test void aBatchPyTorchDidNotRunIsNotMeasuredOnItsOwn() throws Exception {
        List<KanBench.Row> rows = new ArrayList<>(rows(true));
        rows.removeIf(r -> r.impl().equals("torch") && r.batch() == 4096);
        String text = report(false, rows, "ran");
        assertFalse(text.contains("NaN"), text);
        assertTrue(text.contains("vs torch b1   100.0x   b4096 not measured"), text);
        for (JsonNode o : BenchSupport.JSON.readTree(report(true, rows, "ran")).get("ratios")) {
            assertTrue(o.has("vs_torch_batch_1") && !o.has("vs_torch_batch_4096"), o.toString());
        }
    }
}
