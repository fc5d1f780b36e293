package dev.panamax.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.panamax.cli.Main;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code panamax bench all --out DIR}: every end-to-end bench in one go, and a report.
 *
 * <p>Each bench runs exactly as {@code panamax bench NAME --json ...} would: through the CLI, in a JVM
 * of its own with this one's flags and class path. In one shared JVM, where the JIT's code and
 * profiles carry over from one bench to the next, code-mtp4's ntp decoding ran at 1,056 tokens/s
 * inside {@code bench all} against 1,630-1,750 in {@code bench mtp} alone the same hour, which made
 * mtp's speedup look larger (1.34 against 1.02-1.06). Its JSON is
 * saved as {@code DIR/NAME.json}, and {@link Report} turns those files, and nothing else, into
 * {@code DIR/report.md} with PNG charts: every figure in the report is one of the benches' own.
 */
@Command(name = "all", mixinStandardHelpOptions = true,
        description = {"Run the kernels, generate, mtp and kan benches and write DIR/report.md with tables and PNG charts,"
                + " each bench's JSON beside it (DIR/<bench>.json). At full size it took 2.5 minutes on an idle 2-core machine (longer when the machine is shared).",
                "The shrinking options (or --quick) make a smoke run of a minute or less."})
public final class AllBench implements Callable<Integer> {
    /** The benches, in run order. */
    static final List<String> BENCHES = List.of("kernels", "generate", "mtp", "kan");

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder for report.md, the charts and the JSON (created)")
    Path out;

    @Option(names = "--skip", paramLabel = "LIST", split = ",", description = "benches to leave out, from " + "kernels, generate, mtp, kan")
    List<String> skip = new ArrayList<>();

    @Option(names = "--report-only", description = "run no bench: rewrite DIR/report.md and the charts from the JSON an earlier run"
            + " left in DIR (give the options of that run, so that the commands it lists are the ones that ran)")
    boolean reportOnly;

    @Option(names = "--quick", description = "tiny sizes everywhere (a smoke test of the pipeline; the figures mean little)")
    boolean quick;

    @Option(names = "--kernels-dim", paramLabel = "N", description = "bench kernels --dim (default 4096; --quick 512)")
    Integer kernelsDim;

    @Option(names = "--gemm-sizes", paramLabel = "LIST", description = "bench kernels --gemm-sizes (default 1024,2048; --quick 128)")
    String gemmSizes;

    @Option(names = "--sizes", paramLabel = "LIST", description = "bench generate --sizes (default 15M,110M; --quick tiny)")
    String sizes;

    @Option(names = "--variants", paramLabel = "LIST", description = "bench generate --variants (default llama2c,meta-f32,meta-bf16)")
    String variants;

    @Option(names = "--mtp-model", paramLabel = "PATH", description = "bench mtp --model (default " + DemoCommand.DEFAULT_MODEL + ")")
    Path mtpModel;

    @Option(names = "--mtp-limit", paramLabel = "N", description = "bench mtp --limit: prompts used (default all; --quick 2)")
    Integer mtpLimit;

    @Option(names = "--verify-sizes", paramLabel = "LIST", description = "bench mtp --verify-sizes (default 15M,110M,350M; --quick tiny)")
    String verifySizes;

    @Option(names = "--kan-seconds", paramLabel = "S", description = "bench kan --seconds per measurement (default 0.7; --quick 0.05)")
    Double kanSeconds;

    @Option(names = "--torch", paramLabel = "auto|off", defaultValue = "auto",
            description = "the PyTorch comparisons of bench generate and bench kan (default ${DEFAULT-VALUE}; --quick off)")
    String torch;

    @Override public Integer call() throws Exception {
        for (String s : skip)
            if (!BENCHES.contains(s)) throw new IllegalArgumentException("--skip: unknown bench '" + s + "' (use " + String.join(", ", BENCHES) + ")");
        if (!torch.equals("auto") && !torch.equals("off")) throw new IllegalArgumentException("--torch must be auto or off, is " + torch);
        boolean torchOn = torch.equals("auto") && !quick;
        if (Files.exists(out) && !Files.isDirectory(out)) throw new IllegalArgumentException("--out " + out + " is a file, not a folder");
        Files.createDirectories(out);

        Map<String, JsonNode> results = new LinkedHashMap<>();
        Map<String, String> notes = new LinkedHashMap<>();
        if (reportOnly) return rewrite(results, notes, torchOn);
        List<String> todo = BENCHES.stream().filter(b -> !skip.contains(b)).toList();
        long t0 = System.nanoTime();
        for (int i = 0; i < todo.size(); i++) {
            String bench = todo.get(i);
            List<String> args = args(bench, torchOn);
            System.err.printf(Locale.ROOT, "bench all [%d/%d] panamax bench %s %s%n", i + 1, todo.size(), bench, String.join(" ", args));
            if (!available(bench)) {
                notes.put(bench, "not run: this build has no 'panamax bench " + bench + "'");
                System.err.println("  " + notes.get(bench));
                continue;
            }
            List<String> argv = new ArrayList<>(List.of("bench", bench));
            argv.addAll(args);
            long b0 = System.nanoTime();
            Run r = run(bench, argv);
            System.err.printf(Locale.ROOT, "  bench %s took %.1f s%n", bench, (System.nanoTime() - b0) / 1e9);
            if (r.code != 0 || r.json == null) {
                notes.put(bench, "failed (exit code " + r.code + "): " + r.error.strip());
                System.err.println("  " + notes.get(bench));
                continue;
            }
            Files.writeString(out.resolve(bench + ".json"), BenchSupport.JSON.writeValueAsString(r.json));
            results.put(bench, r.json);
            notes.put(bench, "panamax bench " + bench + " " + String.join(" ", args));
        }
        System.err.println("bench all: writing the report...");
        Path report = new Report(out, results, notes, quick).write();
        System.err.printf(Locale.ROOT, "bench all: done in %.1f min%n", (System.nanoTime() - t0) / 60e9);
        System.out.println(report);
        return notes.values().stream().anyMatch(n -> n.startsWith("failed")) ? 1 : 0;
    }

    /** The report from the JSON already in {@link #out}; its date is when the oldest of those files was written. */
    private int rewrite(Map<String, JsonNode> results, Map<String, String> notes, boolean torchOn) throws Exception {
        java.nio.file.attribute.FileTime first = null;
        for (String bench : BENCHES) {
            Path f = out.resolve(bench + ".json");
            if (skip.contains(bench) || !Files.isRegularFile(f)) continue;
            results.put(bench, BenchSupport.JSON.readTree(f.toFile()));
            notes.put(bench, "panamax bench " + bench + " " + String.join(" ", args(bench, torchOn)));
            java.nio.file.attribute.FileTime t = Files.getLastModifiedTime(f);
            if (first == null || t.compareTo(first) < 0) first = t;
        }
        if (results.isEmpty()) throw new IllegalArgumentException("--report-only: no bench JSON (kernels.json, generate.json, ...) in " + out);
        Report report = new Report(out, results, notes, quick);
        report.measured = first.toInstant().atZone(java.time.ZoneOffset.UTC);
        System.out.println(report.write());
        return 0;
    }

    /** Each bench's command line: --json, then the sizes asked for (or --quick's). */
    List<String> args(String bench, boolean torchOn) {
        List<String> a = new ArrayList<>(List.of("--json"));
        switch (bench) {
            case "kernels" -> {
                add(a, "--dim", kernelsDim, quick ? 512 : null);
                add(a, "--gemm-sizes", gemmSizes, quick ? "128" : null);
                if (quick) {
                    add(a, "--weights-mib", null, 8);
                    add(a, "--rounds", null, 3);
                }
            }
            case "generate" -> {
                add(a, "--sizes", sizes, quick ? "tiny" : null);
                add(a, "--variants", variants, null);
                if (quick) {
                    add(a, "--tokens", null, 8);
                    add(a, "--repeats", null, 1);
                    add(a, "--bandwidth-mib", null, 16);
                }
                add(a, "--torch", torchOn ? null : "off", null);
            }
            case "mtp" -> {
                add(a, "--model", mtpModel != null ? mtpModel.toString() : DemoCommand.bundled(DemoCommand.DEFAULT_MODEL).toString(), null);
                add(a, "--limit", mtpLimit, quick ? 2 : null);
                add(a, "--verify-sizes", verifySizes, quick ? "tiny" : null);
                if (quick) {
                    add(a, "--max-tokens", null, 16);
                    add(a, "--verify-reps", null, 3);
                }
            }
            case "kan" -> {
                add(a, "--seconds", kanSeconds, quick ? 0.05 : null);
                if (!torchOn) a.add("--no-torch");
            }
            default -> throw new IllegalStateException(bench);
        }
        return a;
    }

    /** Adds {@code name value} when the user gave a value, else the fallback when there is one. */
    private static void add(List<String> a, String name, Object given, Object fallback) {
        Object v = given != null ? given : fallback;
        if (v == null) return;
        a.add(name);
        a.add(v.toString());
    }

    private static boolean available(String bench) {
        return Main.commandLine().getSubcommands().get("bench").getSubcommands().containsKey(bench);
    }

    private record Run(int code, JsonNode json, String error) {}

    /**
     * Runs {@code panamax argv...} in a new JVM (this one's java, flags and class path) with stdout
     * captured (the bench's JSON) and stderr teed (its progress stays on the terminal, its error
     * message is kept). Benches without a progress bar of their own get a ticking one.
     */
    private static Run run(String bench, List<String> argv) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments())
            if (!flag.startsWith("-agentlib:jdwp") && !flag.startsWith("-Xrunjdwp") && !flag.startsWith("-XX:StartFlightRecording"))
                cmd.add(flag); // a debugger's port or a recording's file would clash with this JVM's
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(argv);
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        Thread copier = Thread.ofVirtual().start(() -> {
            try (var in = p.getErrorStream()) {
                in.transferTo(new Tee(System.err, stderr));
            } catch (IOException e) {
                // the child's stderr closed early: what came is kept
            }
        });
        boolean ownBar = bench.equals("generate") || bench.equals("mtp");
        byte[] stdout;
        int code;
        try (ProgressBar ticker = ownBar ? null : BenchSupport.progress("bench " + bench, -1)) {
            stdout = p.getInputStream().readAllBytes();
            code = p.waitFor();
        }
        copier.join();
        String text = new String(stdout, StandardCharsets.UTF_8);
        JsonNode json = null;
        try {
            if (!text.isBlank()) json = BenchSupport.JSON.readTree(text);
        } catch (Exception e) {
            return new Run(code == 0 ? 1 : code, null, "its output is not JSON: " + e.getMessage());
        }
        String err = stderr.toString(StandardCharsets.UTF_8);
        int last = err.lastIndexOf("panamax: ");
        return new Run(code, json, last >= 0 ? err.substring(last) : err.length() > 400 ? err.substring(err.length() - 400) : err);
    }

    /** Writes to the terminal and keeps a copy. */
    private static final class Tee extends java.io.OutputStream {
        private final java.io.OutputStream a, b;

        Tee(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override public void write(int x) throws java.io.IOException {
            a.write(x);
            b.write(x);
        }

        @Override public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
