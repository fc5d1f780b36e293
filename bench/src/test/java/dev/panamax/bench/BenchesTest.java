package dev.panamax.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.panamax.cli.Main;
import dev.panamax.llm.GenerateOptions;
import dev.panamax.llm.LanguageModel;
import dev.panamax.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The end-to-end benches on tiny models: they run through the CLI and their JSON holds sane figures (never timings asserted). */
class BenchesTest {

    /** Runs {@code panamax args...} and returns its stdout and exit code. */
    private static JsonNode runJson(String... args) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try (PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            code = Main.commandLine().execute(args);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, "panamax " + String.join(" ", args) + " failed; stdout: " + out);
        return BenchSupport.JSON.readTree(out);
    }

    @Test void shapesFollowLlama2cStoriesModels() {
        assertEquals(768, RandomModelWriter.shape("15M").hidden());
        assertEquals(2048, RandomModelWriter.shape("110M").hidden());
        RandomModelWriter.Shape s = RandomModelWriter.shape("350M");
        assertTrue(s.params() >= 350_000_000L, "350M shape has " + s.params());
        RandomModelWriter.Shape m = RandomModelWriter.shape("tiny").withFutureTokens(4);
        assertEquals(5, m.layers(), "a trunk block is kept below 4 heads");
        // Plain decoding reads the trunk (1 block) and head 1, not the 3 extra heads: 2 of the 4 blocks of tiny.
        assertEquals(RandomModelWriter.shape("tiny").bytesPerToken(DType.F32) - 2 * m.blockParams() * 4, m.bytesPerToken(DType.F32));
    }

    @Test void llama2cAndMetaFilesHoldTheSameModel(@TempDir Path dir) {
        RandomModelWriter.Shape s = RandomModelWriter.shape("tiny");
        RandomModelWriter.writeLlama2c(dir.resolve("m.bin"), s, 7);
        RandomModelWriter.writeMeta(dir.resolve("f32"), s, DType.F32, 7);
        RandomModelWriter.writeMeta(dir.resolve("bf16"), s, DType.BF16, 7);
        GenerateOptions o = GenerateOptions.greedy().maxTokens(20).addBos(false);
        int[] prompt = {5, 50, 100};
        int[] a, b, c;
        try (LanguageModel m = LanguageModel.load(dir.resolve("m.bin"))) {
            assertEquals(s.hidden(), m.config().hiddenDim());
            a = m.generate(prompt, o).ids();
        }
        try (LanguageModel m = LanguageModel.load(dir.resolve("f32"))) {
            assertEquals(MtpBench.params(m.config()), s.params());
            b = m.generate(prompt, o).ids();
        }
        try (LanguageModel m = LanguageModel.load(dir.resolve("bf16"))) {
            c = m.generate(prompt, o).ids();
        }
        assertEquals(20, a.length, "token 1 (stop) is never generated, so the run goes to its length");
        assertArrayEquals(a, b, "the same weights in two layouts");
        assertEquals(20, c.length);
        assertTrue(Arrays.stream(a).distinct().count() > 1, "random weights still give varied ids: " + Arrays.toString(a));
    }

    @Test void generateBenchReportsEveryModel() throws Exception {
        JsonNode r = runJson("bench", "generate", "--json", "--sizes", "tiny", "--tokens", "6", "--repeats", "2", "--probe-slice-mib", "2",
                "--torch", "off", "--bandwidth-mib", "8");
        assertEquals("generate", r.path("bench").asText());
        assertTrue(r.path("read_gbps").asDouble() > 0, "read_gbps " + r.path("read_gbps"));
        assertEquals(3 * 2, r.path("read_gbps_probes").size(), "three models, two runs each: one probe figure per run");
        assertFalse(r.path("torch").path("available").asBoolean());
        JsonNode models = r.path("models");
        assertEquals(3, models.size(), "llama2c, meta-f32, meta-bf16");
        for (JsonNode m : models) {
            assertEquals("tiny", m.path("size").asText());
            assertEquals(6, m.path("generated").asInt());
            double tps = m.path("tokens_per_second").asDouble(), bytes = m.path("weight_bytes_per_token").asDouble();
            assertTrue(tps > 0 && Double.isFinite(tps), "tokens/s " + tps);
            assertEquals(bytes * tps / 1e9, m.path("achieved_gbps").asDouble(), 1e-3 * bytes * tps / 1e9 + 1e-9);
            // Efficiency is the median of the per-run ratios, each run against its own probe.
            JsonNode runs = m.path("efficiency_runs");
            assertEquals(2, runs.size(), "--repeats 2: " + m);
            double lo = Math.min(runs.get(0).asDouble(), runs.get(1).asDouble()), hi = Math.max(runs.get(0).asDouble(), runs.get(1).asDouble());
            assertTrue(lo > 0, "efficiency of every run is positive: " + runs);
            assertEquals((lo + hi) / 2, m.path("bandwidth_efficiency").asDouble(), 0.01 * hi + 1e-6);
            assertTrue(m.path("read_gbps").asDouble() > 0, "the model's probes: " + m);
            assertTrue(m.has("torch_ratio"));
        }
        int d = 64, blocks = 4; // tiny: norms stay F32, every matrix and embedding row halves in BF16
        assertEquals((blocks * 2 * d + d) * 4, 2 * models.get(2).path("weight_bytes_per_token").asLong()
                - models.get(1).path("weight_bytes_per_token").asLong());
    }

    @Test void mtpBenchOnARandomMtpModel(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("tiny-mtp3");
        RandomModelWriter.writeMeta(model, RandomModelWriter.shape("tiny").withFutureTokens(3), DType.F32, 11);
        Files.writeString(model.resolve(MtpBench.PROMPTS_FILE), """
                {"text": "not used: ids win", "ids": [5, 6, 7, 8]}
                {"ids": [100, 200]}

                [300, 301, 302, 303, 304]
                """);
        JsonNode r = runJson("bench", "mtp", "--json", "--model", model.toString(), "--max-tokens", "12",
                "--verify-sizes", "tiny", "--verify-reps", "2", "--verify-dtype", "F32, bf16");
        assertEquals(3, r.path("prompts").asInt());
        assertEquals(3, r.path("n_future_tokens").asInt());
        assertEquals(2, r.path("draft_heads").asInt());
        assertTrue(r.path("identical").asBoolean(), "mtp greedy must give ntp's ids");
        assertEquals(36, r.path("ntp_tokens").asInt());
        assertEquals(36, r.path("mtp_tokens").asInt());
        double ntp = r.path("ntp_tokens_per_second").asDouble(), mtp = r.path("mtp_tokens_per_second").asDouble();
        assertTrue(ntp > 0 && mtp > 0);
        assertEquals(mtp / ntp, r.path("speedup").asDouble(), 0.01 * mtp / ntp);
        double apf = r.path("accepted_per_forward").asDouble(), rate = r.path("acceptance_rate").asDouble();
        assertTrue(apf >= 36.0 / (36 + 3) && apf <= 3, "tokens per forward " + apf);
        assertTrue(rate >= 0 && rate <= 1, "acceptance " + rate);

        JsonNode v = r.path("verify_cost");
        assertEquals("[1,2,3,4]", v.path("k").toString());
        assertEquals(3, v.path("models").size(), "the model itself, then the tiny random one in each dtype");
        assertEquals("model", v.path("models").get(0).path("size").asText());
        assertEquals("tiny", v.path("models").get(1).path("size").asText());
        assertEquals("F32", v.path("models").get(1).path("dtype").asText());
        assertEquals("tiny", v.path("models").get(2).path("size").asText());
        assertEquals("BF16", v.path("models").get(2).path("dtype").asText());
        for (JsonNode c : v.path("models")) {
            assertEquals(4, c.path("cost").size());
            assertEquals(1.0, c.path("cost").get(0).asDouble(), 0.0);
            for (JsonNode x : c.path("cost")) assertTrue(x.asDouble() > 0);
            assertTrue(c.path("draft_cost").asDouble() > 0);
            double step = c.path("mtp_step_cost").asDouble();
            assertEquals(c.path("cost").get(2).asDouble() + c.path("draft_cost").asDouble(), step, 1e-3 * step);
            assertEquals(apf / step, c.path("predicted_speedup").asDouble(), 0.01 * apf / step);
            for (String profile : new String[] {"ntp_step_profile", "mtp_step_profile"}) {
                JsonNode p = c.path(profile);
                double sum = 0;
                for (String part : new String[] {"trunk", "head_1", "unembedding", "argmax", "draft_heads", "draft_unembedding", "draft_argmax"}) {
                    assertTrue(p.path(part).isNumber() && p.path(part).asDouble() >= 0, profile + "." + part + ": " + p);
                    sum += p.path(part).asDouble();
                }
                assertEquals(sum, p.path("total").asDouble(), 1e-3 + 1e-3 * sum, profile + " total");
                assertTrue(p.path("trunk").asDouble() > 0 && p.path("unembedding").asDouble() > 0, profile + ": " + p);
            }
            assertEquals(0.0, c.path("ntp_step_profile").path("draft_heads").asDouble(), 0.0, "an ntp step drafts nothing");
            assertTrue(c.path("mtp_step_profile").path("draft_heads").asDouble() > 0, "two heads draft");
        }

        // One drafting head: 2-row verify passes, and the step counts cost(2) and one head's drafting.
        JsonNode one = runJson("bench", "mtp", "--json", "--model", model.toString(), "--max-tokens", "12",
                "--verify-sizes", "none", "--verify-reps", "2", "--draft-heads", "1");
        assertEquals(1, one.path("draft_heads").asInt());
        assertTrue(one.path("identical").asBoolean(), "mtp greedy with one head must give ntp's ids");
        JsonNode c = one.path("verify_cost").path("models").get(0);
        double step = c.path("mtp_step_cost").asDouble();
        assertEquals(c.path("cost").get(1).asDouble() + c.path("draft_cost").asDouble(), step, 1e-3 * step);
    }

    @Test void mtpBenchNamesTheMissingPromptsFile(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("m");
        RandomModelWriter.writeMeta(model, RandomModelWriter.shape("tiny").withFutureTokens(2), DType.F32, 1);
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MtpBench.defaultPrompts(model));
        assertTrue(e.getMessage().contains(MtpBench.PROMPTS_FILE) && e.getMessage().contains("--prompts"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MtpBench.defaultPrompts(dir.resolve("absent")));
        assertEquals(dir.resolve("absent") + ": no such file or folder", e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MtpBench.readPrompts(dir.resolve("p.jsonl")));
        assertTrue(e.getMessage().contains("p.jsonl: no such prompts file"), e.getMessage());
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"ids\": [1]}\ngarbage\n");
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MtpBench.readPrompts(bad));
        assertTrue(e.getMessage().startsWith(bad + " line 2: not JSON: Unrecognized token 'garbage'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("Source:"), "one line, no parser location: " + e.getMessage());
    }

    @Test void badArgumentsAreRejectedBeforeAnyMeasurement() {
        for (String[] args : new String[][] {
                {"bench", "kernels", "--dim", "0"}, {"bench", "kernels", "--gemm-sizes", "0"}, {"bench", "kernels", "--weights-mib", "0"},
                {"bench", "kernels", "--rounds", "0"},
                {"bench", "kan", "--seconds", "0"}, {"bench", "kan", "--seconds", "-1"}, {"bench", "kan", "--batches", "1,0"},
                {"bench", "mtp", "--model", "models/code-mtp4", "--verify-dtype", "F32,F16"},
                {"bench", "mtp", "--model", "models/code-mtp4", "--limit", "0"}, {"bench", "mtp", "--model", "models/code-mtp4", "--limit", "-1"},
                {"bench", "mtp", "--model", "models/code-mtp4", "--draft-heads", "0"},
                {"bench", "generate", "--torch-threads", "0"}, {"bench", "all", "--out", "pom.xml"},
                {"demo", "--kan", "/nonexistent/kan"}, {"demo", "--model", "/nonexistent/model"}}) {
            java.io.StringWriter err = new java.io.StringWriter();
            var cl = Main.commandLine();
            cl.setErr(new java.io.PrintWriter(err));
            PrintStream old = System.out;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int code;
            try {
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                code = cl.execute(args);
            } finally {
                System.setOut(old);
            }
            String what = String.join(" ", args);
            assertEquals(1, code, what);
            assertTrue(err.toString().contains(args[args.length - 2]) || err.toString().contains(args[args.length - 1]), what + ": " + err);
            assertFalse(out.toString().contains("GEMV") || out.toString().contains("samples/s") || out.toString().contains("tokens/s"),
                    what + " measured before failing: " + out);
        }
    }
}
