package dev.panamax.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code panamax bench all} at tiny sizes: every chart decodes as an image, the report names it, its figures are the benches'. */
class AllBenchTest {

    private static void assertChartsDecodeAndAreNamed(Path dir, String report, List<String> expected) throws Exception {
        List<Path> pngs;
        try (Stream<Path> s = Files.list(dir)) {
            pngs = s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        for (String name : expected) assertTrue(Files.isRegularFile(dir.resolve(name)), "missing chart " + name + " in " + pngs);
        for (Path png : pngs) {
            BufferedImage img = ImageIO.read(png.toFile());
            assertNotNull(img, png + " does not decode as an image");
            assertTrue(img.getWidth() >= 400 && img.getHeight() >= 200, png + " is " + img.getWidth() + "x" + img.getHeight());
            assertTrue(report.contains("](" + png.getFileName() + ")"), "report.md does not show " + png.getFileName());
            assertTrue(Files.size(png) < 200_000, png + " is " + Files.size(png) + " bytes");
        }
    }

    @Test void quickRunWritesAReportWithChartsAndTheBenchesJson(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("report");
        // bench kan has no size options (its KANs take ~20 s even with --seconds 0.05): its section is tested below on its JSON shape.
        String stdout = DemoCommandTest.run("bench", "all", "--quick", "--skip", "kan", "--out", out.toString(), "--kernels-dim", "256",
                "--mtp-model", DemoCommandTest.ROOT.resolve(DemoCommand.DEFAULT_MODEL).toString());
        assertEquals(out.resolve("report.md").toString(), stdout.strip());
        String report = Files.readString(out.resolve("report.md"));
        assertChartsDecodeAndAreNamed(out, report, List.of("kernels_gbps.png", "tokens_vs_size.png", "verify_cost.png"));
        for (String section : List.of("CPU", "JDK", "oneDNN", "vector", "## Kernels", "## Generation", "## Multi-token prediction"))
            assertTrue(report.contains(section), "report.md lacks " + section);
        assertFalse(report.contains("## KAN") || Files.exists(out.resolve("kan.json")), "--skip kan runs no kan bench");

        // The figures are the benches' own: the tables quote the JSON saved beside the report.
        JsonNode machine = BenchSupport.JSON.readTree(out.resolve("machine.json").toFile());
        assertTrue(report.contains(machine.path("cpu").asText() + ", " + machine.path("cores").asInt() + " cores"), report);
        JsonNode mtp = BenchSupport.JSON.readTree(out.resolve("mtp.json").toFile());
        assertTrue(mtp.path("identical").asBoolean(), "mtp ids must equal ntp ids");
        assertTrue(report.contains("| " + Report.num(mtp.path("ntp_tokens_per_second").asDouble()) + " | "
                + Report.num(mtp.path("mtp_tokens_per_second").asDouble()) + " | " + Report.num(mtp.path("speedup").asDouble()) + " |"), report);
        JsonNode kernels = BenchSupport.JSON.readTree(out.resolve("kernels.json").toFile());
        assertTrue(report.contains("Measured read bandwidth " + Report.num(kernels.path("read_gbps").asDouble()) + " GB/s"), report);
        JsonNode generate = BenchSupport.JSON.readTree(out.resolve("generate.json").toFile());
        for (JsonNode m : generate.path("models"))
            assertTrue(report.contains(" | " + Report.num(m.path("tokens_per_second").asDouble()) + " | "), "tokens/s of " + m + " not in the report");

        // --report-only rewrites the same report from the JSON, measuring nothing.
        Files.delete(out.resolve("verify_cost.png"));
        DemoCommandTest.run("bench", "all", "--report-only", "--quick", "--skip", "kan", "--out", out.toString(), "--kernels-dim", "256",
                "--mtp-model", DemoCommandTest.ROOT.resolve(DemoCommand.DEFAULT_MODEL).toString());
        assertTrue(Files.isRegularFile(out.resolve("verify_cost.png")));
        assertEquals(report.replaceAll("\\| date \\|[^\n]*", ""), Files.readString(out.resolve("report.md")).replaceAll("\\| date \\|[^\n]*", ""));
    }

    @Test void kanSectionPlotsEveryImplementationPerModel(@TempDir Path dir) throws Exception {
        // bench kan's JSON shape: rows of model, batch, impl, samples_per_second; ratios per model.
        JsonNode kan = BenchSupport.JSON.readTree("""
                {"machine": "2 cores", "torch": "ran", "rows": [
                  {"model": "[2,5,1] G=5", "batch": 1, "impl": "panamax", "samples_per_second": 900000.0, "rounds_slowest_fastest": [800000.0, 950000.0]},
                  {"model": "[2,5,1] G=5", "batch": 1, "impl": "panamax-mlp", "samples_per_second": 1200000.0},
                  {"model": "[2,5,1] G=5", "batch": 1, "impl": "torch", "samples_per_second": 9000.0},
                  {"model": "[2,5,1] G=5", "batch": 4096, "impl": "panamax", "samples_per_second": 5.0E7},
                  {"model": "[2,5,1] G=5", "batch": 4096, "impl": "panamax-mlp", "samples_per_second": 6.0E7},
                  {"model": "[2,5,1] G=5", "batch": 4096, "impl": "torch", "samples_per_second": 2.0E6},
                  {"model": "[64,256,256,10] G=5", "batch": 1, "impl": "panamax", "samples_per_second": 40000.0},
                  {"model": "[64,256,256,10] G=5", "batch": 4096, "impl": "panamax", "samples_per_second": 80000.0}],
                 "ratios": [{"model": "[2,5,1] G=5", "vs_torch_batch_1": 100.0, "vs_torch_batch_4096": 25.0, "kan_time_over_mlp_time_4096": 1.2},
                            {"model": "[64,256,256,10] G=5", "kan_time_over_mlp_time_4096": 2.0}]}""");
        Map<String, JsonNode> results = new LinkedHashMap<>();
        results.put("kan", kan);
        Report r = new Report(dir, results, Map.of("kan", "panamax bench kan --json"), false);
        String report = Files.readString(r.write());
        assertChartsDecodeAndAreNamed(dir, report, List.of("kan_batch_1.png", "kan_batch_2.png"));
        assertTrue(report.contains("| [2,5,1] G=5 | 1 | 900,000 (800,000–950,000) | 1,200,000 | 9,000 | 100.0 |"), report);
        assertTrue(report.contains("| [2,5,1] G=5 | 4096 | 50,000,000 | 60,000,000 | 2,000,000 | 25.00 |"), report);    // no rounds given: no brackets
        assertTrue(report.contains("In brackets: the slowest and the fastest of the rounds"), report);
        assertTrue(report.contains("KAN time / MLP time at batch 4096 | 2.000 | <= 1.5 | **missed**"), report);
        assertTrue(report.contains("[64,256,256,10] G=5: Panamax / PyTorch at batch 1 | n/a"), report);
    }
}
