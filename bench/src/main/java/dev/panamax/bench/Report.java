package dev.panamax.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.panamax.cli.InfoCommand;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code report.md} and its charts from the benches' JSON: the tables copy the benches' figures, the
 * charts plot them, and the targets of the issues are checked against them. Nothing is measured here.
 */
final class Report {
    private static final int WIDTH = 760, HEIGHT = 540;

    private final Path dir;
    private final Map<String, JsonNode> r;
    private final Map<String, String> notes;
    private final boolean quick;
    private final StringBuilder md = new StringBuilder();
    /** Chart file names, in the order they appear. */
    final List<String> charts = new ArrayList<>();

    /** When the benches ran (the report may be rewritten later from their JSON). */
    ZonedDateTime measured = ZonedDateTime.now();

    Report(Path dir, Map<String, JsonNode> results, Map<String, String> notes, boolean quick) {
        this.dir = dir;
        this.r = results;
        this.notes = notes;
        this.quick = quick;
    }

    Path write() throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.writeString(dir.resolve("machine.json"), BenchSupport.JSON.writeValueAsString(InfoCommand.info()));
        title();
        targets();
        kernels();
        generate();
        mtp();
        kan();
        Path file = dir.resolve("report.md");
        Files.writeString(file, md.toString());
        return file;
    }

    // ---- sections ----

    private void title() {
        Map<String, Object> info = InfoCommand.info();
        @SuppressWarnings("unchecked") Map<String, Object> dnnl = (Map<String, Object>) info.get("dnnl");
        md.append("# Panamax benchmark report\n\n");
        if (quick) md.append("**Smoke run (`--quick`): tiny sizes, the figures say nothing about performance.**\n\n");
        md.append("| | |\n|---|---|\n");
        row("date", measured.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        row("CPU", info.get("cpu") + ", " + info.get("cores") + " cores");
        row("JDK", info.get("java_vm") + " (" + info.get("java_version") + ")");
        row("OS", String.valueOf(info.get("os")));
        row("kernels", info.get("kernels") + ", " + info.get("vector_bits") + "-bit vectors, " + info.get("threads") + " worker threads");
        row("oneDNN", Boolean.TRUE.equals(dnnl.get("available")) ? dnnl.get("version") + " (" + dnnl.get("library") + ")"
                : "not available: " + dnnl.get("reason"));
        md.append("\nThe machine as `panamax info --json` describes it: [machine.json](machine.json). Each section's figures come from")
                .append(" that bench's JSON, saved beside this file; the commands that made them:\n\n");
        for (var e : notes.entrySet())
            md.append("- `").append(e.getKey()).append("`: ").append(e.getValue().startsWith("panamax") ? "`" + e.getValue() + "`" : e.getValue())
                    .append(r.containsKey(e.getKey()) ? " → [" + e.getKey() + ".json](" + e.getKey() + ".json)" : "").append('\n');
        md.append('\n');
    }

    /** The issues' targets, each against the figure that decides it. */
    private void targets() {
        List<String[]> rows = new ArrayList<>();
        JsonNode k = r.get("kernels");
        if (k != null)
            k.path("ratios").properties().forEach(e -> {
                if (e.getValue().has("target"))
                    rows.add(new String[] {"kernels: " + e.getKey(), num(e.getValue().get("value"))
                            + (e.getValue().has("value_best") ? " (fastest runs: " + num(e.getValue().get("value_best")) + ")" : ""),
                            e.getValue().get("target").asText(),
                            met(e.getValue().get("met").asBoolean())});
            });
        JsonNode g = r.get("generate");
        if (g != null)
            for (JsonNode m : g.path("models"))
                if (m.path("size").asText().equals("110M") && m.hasNonNull("bandwidth_efficiency"))
                    rows.add(new String[] {"generate: bandwidth efficiency 110M " + m.path("format").asText() + " " + m.path("dtype").asText(),
                            num(m.get("bandwidth_efficiency")), ">= 0.85", met(m.get("bandwidth_efficiency").asDouble() >= 0.85)});
        JsonNode t = r.get("mtp");
        if (t != null) {
            rows.add(new String[] {"mtp: ids identical to ntp", t.path("identical").asText(), "true", met(t.path("identical").asBoolean())});
            rows.add(new String[] {"mtp: speedup on " + shortName(t.path("model").asText()), num(t.get("speedup")), ">= 2.5",
                    met(t.path("speedup").asDouble() >= 2.5)});
            for (JsonNode c : t.path("verify_cost").path("models"))
                if (c.path("size").asText().equals("110M") && c.path("cost").size() >= 4)
                    rows.add(new String[] {"mtp: verify cost at 110M " + c.path("dtype").asText() + ", time(4 rows) / time(1 row)", num(c.get("cost").get(3)), "<= 1.3",
                            met(c.get("cost").get(3).asDouble() <= 1.3)});
        }
        JsonNode n = r.get("kan");
        if (n != null)
            for (JsonNode o : n.path("ratios")) {
                String m = o.path("model").asText();
                kanTarget(rows, "kan " + m + ": Panamax / PyTorch at batch 1", o.get("vs_torch_batch_1"), ">= 50", 50, true);
                kanTarget(rows, "kan " + m + ": Panamax / PyTorch at batch 4096", o.get("vs_torch_batch_4096"), ">= 10", 10, true);
                kanTarget(rows, "kan " + m + ": KAN time / MLP time at batch 4096", o.get("kan_time_over_mlp_time_4096"), "<= 1.5", 1.5, false);
            }
        if (rows.isEmpty()) return;
        md.append("## Targets\n\n| target | measured | wanted | |\n|---|---:|---|---|\n");
        for (String[] x : rows) md.append("| ").append(String.join(" | ", x)).append(" |\n");
        md.append('\n');
    }

    private static void kanTarget(List<String[]> rows, String name, JsonNode v, String want, double target, boolean atLeast) {
        if (v == null || !Double.isFinite(v.asDouble())) {
            rows.add(new String[] {name, "n/a", want, "not measured"});
            return;
        }
        double x = v.asDouble();
        rows.add(new String[] {name, num(v), want, met(atLeast ? x >= target : x <= target)});
    }

    private void kernels() {
        JsonNode k = r.get("kernels");
        if (k == null) return;
        md.append("## Kernels (`panamax bench kernels`)\n\n");
        md.append(String.format(Locale.ROOT, "Measured read bandwidth %s GB/s; %s kernels, %s-bit vectors, %s threads; worker-pool dispatch %s µs; oneDNN %s.%n%n",
                num(k.get("read_gbps")), k.path("kernels").asText(), k.path("vector_bits").asText(), k.path("threads").asText(),
                num(k.get("dispatch_us")), k.path("dnnl").asBoolean() ? "in use" : "unavailable"));
        if (k.hasNonNull("method"))
            md.append("Method (").append(k.path("rounds").asText()).append(" rounds, ").append(k.path("matrices").asText())
                    .append(" weight matrices, ").append(num(k.get("weights_mib"))).append(" MiB of f32): ").append(k.path("method").asText()).append(".\n\n");
        md.append("| kernel | impl | dtype | m | n | k | ms | GB/s | GFLOP/s |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (JsonNode x : k.path("results"))
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %d | %d | %s | %s | %s |%n", x.path("kernel").asText(), x.path("impl").asText(),
                    x.path("dtype").asText(), x.path("m").asInt(), x.path("n").asInt(), x.path("k").asInt(), num(x.get("ms")), num(x.get("gbps")), num(x.get("gflops"))));
        md.append('\n');

        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title("Weight streaming (GB/s) against the measured read bandwidth")
                .xAxisTitle("kernel, weights, rows").yAxisTitle("GB/s").build();
        style(c.getStyler());
        c.getStyler().setXAxisLabelRotation(35);
        c.getStyler().setOverlapped(true);
        List<String> names = new ArrayList<>();
        List<Double> gbps = new ArrayList<>(), read = new ArrayList<>();
        for (JsonNode x : k.path("results"))
            if (x.path("kernel").asText().equals("gemm_rows")) {
                names.add(x.path("impl").asText() + " " + x.path("dtype").asText() + " k=" + x.path("m").asInt());
                gbps.add(x.path("gbps").asDouble());
                read.add(k.path("read_gbps").asDouble());
            }
        if (names.isEmpty()) return;
        c.addSeries("weight GB/s (GEMV is k=1)", names, gbps);
        CategorySeries line = c.addSeries("measured read bandwidth", names, read);
        line.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        line.setMarker(SeriesMarkers.NONE);
        chart(c, "kernels_gbps.png", "Kernel weight bandwidth against the read probe");
    }

    private void generate() {
        JsonNode g = r.get("generate");
        if (g == null) return;
        md.append("## Generation, next-token (`panamax bench generate`)\n\n");
        md.append("Random-weight models of llama2.c shapes, greedy, " + g.path("tokens").asText() + " tokens after a " + g.path("prompt_tokens").asText()
                + "-token prompt; read bandwidth " + num(g.get("read_gbps")) + " GB/s; PyTorch: "
                + (g.path("torch").path("available").asBoolean() ? g.path("torch").path("version").asText() + ", " + g.path("torch").path("threads").asText() + " threads"
                : "not run (" + g.path("torch").path("skipped_because").asText() + ")") + ".\n\n");
        md.append("| size | params | format | dtype | tokens/s | weight GB/s | bandwidth efficiency | PyTorch tokens/s | Panamax / PyTorch | same ids |\n")
                .append("|---|---:|---|---|---:|---:|---:|---:|---:|---|\n");
        for (JsonNode m : g.path("models"))
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", m.path("size").asText(), millions(m.path("params").asLong()),
                    m.path("format").asText(), m.path("dtype").asText(), num(m.get("tokens_per_second")), num(m.get("achieved_gbps")),
                    num(m.get("bandwidth_efficiency")), num(m.get("torch_tokens_per_second")), num(m.get("torch_ratio")), text(m.get("torch_same_ids"))));
        md.append('\n');

        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Greedy decoding speed against model size")
                .xAxisTitle("parameters (millions)").yAxisTitle("tokens/s").build();
        style(c.getStyler());
        c.getStyler().setXAxisLogarithmic(true);
        c.getStyler().setYAxisLogarithmic(true);
        Map<String, List<double[]>> byVariant = new LinkedHashMap<>();
        for (JsonNode m : g.path("models"))
            byVariant.computeIfAbsent("ntp " + m.path("format").asText() + " " + m.path("dtype").asText(), x -> new ArrayList<>())
                    .add(new double[] {m.path("params").asLong() / 1e6, m.path("tokens_per_second").asDouble()});
        byVariant.forEach((name, pts) -> xy(c, name, pts));
        JsonNode t = r.get("mtp");
        if (t != null) {
            // mtp on random models: ntp tokens/s of the same size and dtype (bench generate) × the speedup bench mtp predicts there.
            List<double[]> predicted = new ArrayList<>();
            for (JsonNode v : t.path("verify_cost").path("models")) {
                if (v.path("size").asText().equals("model")) continue;
                for (JsonNode m : g.path("models"))
                    if (m.path("size").asText().equals(v.path("size").asText()) && m.path("format").asText().equals("meta")
                            && m.path("dtype").asText().equals(v.path("dtype").asText()))
                        predicted.add(new double[] {m.path("params").asLong() / 1e6, m.path("tokens_per_second").asDouble() * v.path("predicted_speedup").asDouble()});
            }
            if (!predicted.isEmpty()) xy(c, "mtp predicted: ntp meta × verify-cost speedup", predicted);
            double p = bundledParams(t) / 1e6;
            xy(c, "ntp measured, " + shortName(t.path("model").asText()), List.of(new double[][] {{p, t.path("ntp_tokens_per_second").asDouble()}}));
            xy(c, "mtp measured, " + shortName(t.path("model").asText()), List.of(new double[][] {{p, t.path("mtp_tokens_per_second").asDouble()}}));
        }
        chart(c, "tokens_vs_size.png", "tokens/s against model size, ntp and mtp");
    }

    private void mtp() {
        JsonNode t = r.get("mtp");
        if (t == null) return;
        md.append("## Multi-token prediction (`panamax bench mtp`)\n\n");
        md.append("Model `" + t.path("model").asText() + "` (" + t.path("n_future_tokens").asText() + " heads, " + t.path("draft_heads").asText()
                + " drafting), " + t.path("prompts").asText() + " held-out prompts, up to " + t.path("max_tokens").asText() + " tokens each, greedy.\n\n");
        md.append("| ntp tokens/s | mtp tokens/s | speedup | tokens per forward | drafts accepted | ids identical |\n|---:|---:|---:|---:|---:|---|\n");
        md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n%n", num(t.get("ntp_tokens_per_second")), num(t.get("mtp_tokens_per_second")),
                num(t.get("speedup")), num(t.get("accepted_per_forward")), num(t.get("acceptance_rate")), text(t.get("identical"))));
        JsonNode v = t.path("verify_cost");
        md.append("Verify cost: time of a k-row forward / a 1-row forward (k = " + v.path("k") + "), after a " + v.path("prefix").asText()
                + "-token prefix; the draft heads' pass; the speedup they predict with the measured tokens per forward.\n\n");
        md.append("| model | params | dtype | 1 row ms | cost(k) | draft cost | predicted speedup |\n|---|---:|---|---:|---|---:|---:|\n");
        for (JsonNode c : v.path("models"))
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |%n", c.path("size").asText(), millions(c.path("params").asLong()),
                    text(c.get("dtype")), num(c.get("one_row_ms")), c.path("cost"), num(c.get("draft_cost")), num(c.get("predicted_speedup"))));
        md.append('\n');

        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Verify cost: k-row forward / 1-row forward")
                .xAxisTitle("rows k (1 verified token + drafts)").yAxisTitle("time relative to 1 row").build();
        style(c.getStyler());
        for (JsonNode m : v.path("models")) {
            List<double[]> pts = new ArrayList<>();
            for (int i = 0; i < m.path("cost").size(); i++) pts.add(new double[] {v.path("k").get(i).asDouble(), m.path("cost").get(i).asDouble()});
            xy(c, m.path("size").asText().equals("model") ? shortName(t.path("model").asText())
                    : m.path("size").asText() + " " + m.path("dtype").asText() + " random", pts);
        }
        List<double[]> k = new ArrayList<>();
        for (JsonNode x : v.path("k")) k.add(new double[] {x.asDouble(), x.asDouble()});
        XYSeries compute = xy(c, "k (compute-bound)", k);
        compute.setMarker(SeriesMarkers.NONE);
        chart(c, "verify_cost.png", "the verify-cost curve");
    }

    private void kan() {
        JsonNode n = r.get("kan");
        if (n == null) return;
        md.append("## KAN (`panamax bench kan`)\n\n");
        md.append("Machine: " + n.path("machine").asText() + "; PyTorch: " + n.path("torch").asText() + ".\n\n");
        Map<String, Map<Integer, Map<String, Double>>> table = new LinkedHashMap<>();
        Map<String, String> spreads = new HashMap<>();      // "model@batch@impl" -> " (slowest–fastest)"
        List<Integer> batches = new ArrayList<>();
        for (JsonNode x : n.path("rows")) {
            table.computeIfAbsent(x.path("model").asText(), m -> new LinkedHashMap<>())
                    .computeIfAbsent(x.path("batch").asInt(), b -> new LinkedHashMap<>()).put(x.path("impl").asText(), x.path("samples_per_second").asDouble());
            JsonNode spread = x.path("rounds_slowest_fastest");
            if (spread.size() == 2)
                spreads.put(x.path("model").asText() + "@" + x.path("batch").asInt() + "@" + x.path("impl").asText(),
                        " (" + num(spread.get(0).asDouble()) + "–" + num(spread.get(1).asDouble()) + ")");
            if (!batches.contains(x.path("batch").asInt())) batches.add(x.path("batch").asInt());
        }
        md.append("| model | batch | Panamax samples/s | MLP (Panamax) samples/s | PyTorch samples/s | Panamax / PyTorch |\n|---|---:|---:|---:|---:|---:|\n");
        table.forEach((model, byBatch) -> byBatch.forEach((b, impl) -> {
            Double p = impl.get("panamax"), m = impl.get("panamax-mlp"), t = impl.get("torch");
            String at = model + "@" + b + "@";
            md.append(String.format(Locale.ROOT, "| %s | %d | %s%s | %s%s | %s%s | %s |%n", model, b,
                    num(p), spreads.getOrDefault(at + "panamax", ""), num(m), spreads.getOrDefault(at + "panamax-mlp", ""),
                    num(t), spreads.getOrDefault(at + "torch", ""), p != null && t != null ? num(p / t) : "n/a"));
        }));
        if (!spreads.isEmpty()) md.append("\nIn brackets: the slowest and the fastest of the rounds each figure was timed in (10 each).\n");
        md.append('\n');
        int i = 0;
        for (var e : table.entrySet()) {
            XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("KAN " + e.getKey() + ": samples/s against batch")
                    .xAxisTitle("batch").yAxisTitle("samples/s").build();
            style(c.getStyler());
            c.getStyler().setXAxisLogarithmic(true);
            c.getStyler().setYAxisLogarithmic(true);
            for (String impl : List.of("panamax", "panamax-mlp", "torch")) {
                List<double[]> pts = new ArrayList<>();
                e.getValue().forEach((b, m) -> {
                    if (m.containsKey(impl)) pts.add(new double[] {b, m.get(impl)});
                });
                if (!pts.isEmpty()) xy(c, switch (impl) {
                    case "panamax" -> "Panamax KAN";
                    case "panamax-mlp" -> "MLP of equal parameters (Panamax)";
                    default -> "PyTorch (efficient-kan formulation)";
                }, pts);
            }
            chart(c, "kan_batch_" + (++i) + ".png", "KAN " + e.getKey() + " samples/s against batch");
        }
    }

    // ---- helpers ----

    private void row(String k, String v) { md.append("| ").append(k).append(" | ").append(v.replace("|", "\\|")).append(" |\n"); }

    private static String met(boolean ok) { return ok ? "met" : "**missed**"; }

    private static String shortName(String path) {
        Path p = Path.of(path).getFileName();
        return p == null ? path : p.toString();
    }

    private static long bundledParams(JsonNode mtp) {
        for (JsonNode c : mtp.path("verify_cost").path("models")) if (c.path("size").asText().equals("model")) return c.path("params").asLong();
        return 0;
    }

    private static String millions(long params) {
        return params >= 1_000_000 ? String.format(Locale.ROOT, "%.1fM", params / 1e6) : String.format(Locale.ROOT, "%.0fk", params / 1e3);
    }

    private static String text(JsonNode v) { return v == null || v.isNull() ? "n/a" : v.asText(); }

    private static String num(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) return "n/a";
        if (!v.isNumber()) return v.asText();
        return num(v.asDouble());
    }

    /** At most 4 significant digits, no exponent: the benches' noise is far above that. */
    static String num(Double v) {
        if (v == null || !Double.isFinite(v)) return "n/a";
        double a = Math.abs(v);
        if (a >= 1000) return String.format(Locale.ROOT, "%,.0f", v);
        if (a >= 100) return String.format(Locale.ROOT, "%.1f", v);
        if (a >= 10) return String.format(Locale.ROOT, "%.2f", v);
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static void style(Styler s) {
        s.setLegendPosition(Styler.LegendPosition.OutsideS); // never over the points
        s.setChartBackgroundColor(java.awt.Color.WHITE);
        s.setLegendBackgroundColor(new java.awt.Color(255, 255, 255, 200));
    }

    private static XYSeries xy(XYChart c, String name, List<double[]> pts) {
        double[] x = new double[pts.size()], y = new double[pts.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = pts.get(i)[0];
            y[i] = pts.get(i)[1];
        }
        XYSeries s = c.addSeries(name, x, y);
        if (x.length == 1) s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        return s;
    }

    private void chart(org.knowm.xchart.internal.chartpart.Chart<?, ?> c, String file, String alt) {
        try {
            BitmapEncoder.saveBitmap(c, dir.resolve(file).toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("writing chart " + dir.resolve(file), e);
        }
        charts.add(file);
        md.append("![").append(alt).append("](").append(file).append(")\n\n");
    }
}
