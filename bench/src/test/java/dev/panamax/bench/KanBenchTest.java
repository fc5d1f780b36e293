package dev.panamax.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import dev.panamax.kernel.KernelProvider;
import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
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
        for (KanBench.Spec s : KanBench.SPECS) pairs.put(s.name(), new KanBench.Pair(4.096e6, 8.192e6, 2.0, 1.9, 2.1, 3.9e6, 4.2e6, 8.0e6, 8.3e6));
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

    @Test void aRowsRoundsSpreadIsInTextAndJsonOnlyWhereItWasMeasured() throws Exception {
        List<KanBench.Row> rows = new ArrayList<>(rows(true));
        String model = KanBench.SPECS.get(1).name();
        rows.replaceAll(r -> r.model().equals(model) && r.batch() == 1 && !r.impl().equals("panamax-mlp")
                ? new KanBench.Row(r.model(), 1, r.impl(), r.samplesPerSecond(), null, r.samplesPerSecond() * 0.5, r.samplesPerSecond() * 1.25) : r);
        String text = report(false, rows, "ran");
        assertTrue(text.lines().anyMatch(l -> l.startsWith(model) && l.contains("panamax") && l.contains("1000  500-1250")), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith(model) && l.contains("torch") && l.contains("10  5-13")), text);
        for (JsonNode r : BenchSupport.JSON.readTree(report(true, rows, "ran")).get("rows")) {
            boolean spread = r.get("model").asText().equals(model) && r.get("batch").asInt() == 1 && !r.get("impl").asText().equals("panamax-mlp");
            assertEquals(spread, r.has("rounds_slowest_fastest"), r.toString());
            if (spread) {
                double sps = r.get("samples_per_second").asDouble();
                assertEquals(sps * 0.5, r.get("rounds_slowest_fastest").get(0).asDouble(), 1e-9, r.toString());
                assertEquals(sps * 1.25, r.get("rounds_slowest_fastest").get(1).asDouble(), 1e-9, r.toString());
            }
        }
    }

    /** The MLP in double precision from its own weights: x·Wᵀ + b per layer, SiLU between. */
    private static double[] reference(Mlp mlp, float[] x, int batch) {
        int[] w = mlp.widths();
        double[] v = new double[x.length];
        for (int i = 0; i < x.length; i++) v[i] = x[i];
        for (int l = 0; l + 1 < w.length; l++) {
            int in = w[l], out = w[l + 1];
            Tensor wt = mlp.weight(l);
            float[] b = mlp.bias(l);
            double[] y = new double[batch * out];
            for (int r = 0; r < batch; r++)
                for (int o = 0; o < out; o++) {
                    double s = b[o];
                    for (int i = 0; i < in; i++) s += v[r * in + i] * wt.getFloat((long) o * in + i);
                    y[r * out + o] = l + 2 < w.length ? s / (1 + Math.exp(-s)) : s;
                }
            v = y;
        }
        return v;
    }

    @Test void theMlpHasTheKansParameterCountAndItsWeightsAsTheLlmHasThem() {
        for (KanBench.Spec s : KanBench.SPECS) {
            long kan = KanBench.kanParameters(s);
            int[] w = Mlp.widths(s.widths(), kan);
            assertTrue(Mlp.parameterCount(w) <= kan && Mlp.params(s.widths(), w[1] + 1) > kan, s.name() + ": " + Arrays.toString(w));
        }
        Mlp mlp = Mlp.withParameters(new int[] {64, 256, 256, 10}, 844_800, 2);
        assertArrayEquals(new int[] {64, 881, 881, 10}, mlp.widths());
        Tensor w1 = mlp.weight(1);
        assertEquals(DType.F32, w1.dtype());
        assertArrayEquals(new long[] {881, 881}, w1.shape(), "(out, in), as Kernels.matmul reads weights");
        assertArrayEquals(new long[] {881, 64}, mlp.weight(0).shape());
        assertTrue(w1.data().isNative() && KernelProvider.pool().canShare(w1.data()), "the pool's threads can read the weights");
    }

    @Test void everyPathOfTheMlpComputesTheSameNetwork() {
        assertEquals(List.of(Mlp.Path.values()), Mlp.candidates(), "oneDNN is part of the build");
        // Ragged tiles of rows on a small network; outputs split across the pool on a wide one.
        assertSamePaths(Mlp.withParameters(new int[] {7, 50, 50, 3}, 3_000, 5), 1, 2, 3, 64, 2 * Mlp.TILE + 5);
        Mlp wide = Mlp.withParameters(new int[] {7, 50, 50, 3}, 370_000, 5);
        assertTrue((long) wide.widths()[1] * wide.widths()[2] >= Mlp.SPLIT_FROM, Arrays.toString(wide.widths()));
        assertSamePaths(wide, 1, 3);
    }

    private static void assertSamePaths(Mlp mlp, int... batches) {
        SplittableRandom rnd = new SplittableRandom(9);
        for (int batch : batches) {
            float[] x = new float[batch * 7];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble(-1, 1);
            double[] want = reference(mlp, x, batch);
            for (Mlp.Path p : Mlp.candidates()) {
                float[] got = mlp.forward(x, batch, p);
                assertEquals(want.length, got.length);
                for (int i = 0; i < want.length; i++)
                    assertEquals(want[i], got[i], 1e-4 * (1 + Math.abs(want[i])), p + " batch " + batch + " at " + i);
            }
        }
    }

    @Test void theMlpRunsThePathItChoseAtEachBatchSize() {
        Mlp mlp = Mlp.withParameters(new int[] {7, 50, 50, 3}, 3_000, 5);
        assertEquals(Mlp.Path.KERNELS, mlp.path(64), "before a choice");
        float[][] inputs = {new float[64 * 7], new float[64 * 7]};
        Mlp.Path p = mlp.choose(64, inputs, 3, 1_000_000);
        assertTrue(Mlp.candidates().contains(p));
        assertEquals(p, mlp.path(64));
        assertEquals(Mlp.Path.KERNELS, mlp.path(1), "each batch size chooses on its own");
    }

    @Test void eachBatchSizeHasDistinctInputsTheSameAsPyTorchsSide() {
        assertEquals(64, KanBench.inputSets(1));
        assertEquals(64, KanBench.inputSets(64));
        assertEquals(16, KanBench.inputSets(4096));
        for (int batch : new int[] {1, 64, 4096}) {
            float[][] xs = KanBench.inputs(batch, 64);
            assertEquals(KanBench.inputSets(batch), xs.length);
            java.util.Set<java.nio.FloatBuffer> distinct = new java.util.HashSet<>();     // FloatBuffers compare their contents
            for (float[] x : xs) {
                assertEquals(batch * 64, x.length);
                for (float v : x) if (!(v >= -1f && v < 1f)) throw new AssertionError("batch " + batch + ": " + v);
                distinct.add(java.nio.FloatBuffer.wrap(x));
            }
            assertEquals(xs.length, distinct.size(), "batch " + batch + ": every input set differs");
        }
        // These floats were printed by kan_torch.py's inputs(1, 64): both sides see the same inputs.
        float[][] xs = KanBench.inputs(1, 64);
        assertArrayEquals(new float[] {0.751524806022644f, 0.1582498550415039f, -0.5369447469711304f, 0.96034836769104f},
                Arrays.copyOf(xs[0], 4), 0f);
        assertEquals(0.5088696479797363f, xs[1][0], 0f);
        assertEquals(-0.15744733810424805f, xs[63][63], 0f);
    }

    @Test void aCyclingCallTakesTheNextInputEveryTime() {
        float[][] xs = KanBench.inputs(1, 64);
        List<float[]> seen = new ArrayList<>();
        Runnable call = KanBench.cycling(xs, seen::add);
        for (int i = 0; i < 3 * xs.length + 1; i++) call.run();
        for (int i = 0; i < seen.size(); i++) assertSame(xs[i % xs.length], seen.get(i), "call " + i);
        // Two cycles over the same inputs (the KAN's and the MLP's) advance on their own.
        List<float[]> other = new ArrayList<>();
        KanBench.cycling(xs, other::add).run();
        assertSame(xs[0], other.getFirst());
    }
}
