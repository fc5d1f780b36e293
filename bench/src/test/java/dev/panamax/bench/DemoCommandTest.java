package dev.panamax.bench;

import dev.panamax.cli.Main;
import dev.panamax.kan.Csv;
import dev.panamax.kan.KanModel;
import dev.panamax.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code panamax demo} end to end at small settings: ntp and mtp give the same text, the KAN predicts its samples. */
class DemoCommandTest {
    /** The repository root, seen from the bench module (surefire runs in bench/). */
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path KAN = ROOT.resolve(DemoCommand.DEFAULT_KAN);

    /** What an in-process {@code panamax args...} gave: its exit code, stdout and stderr. */
    record Outcome(int code, String out, String err) {}

    static Outcome execute(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream old = System.out, oldErr = System.err;
        int code;
        try (PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8);
             PrintStream captureErr = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            System.setErr(captureErr);
            code = Main.commandLine().execute(args);
        } finally {
            System.setOut(old);
            System.setErr(oldErr);
        }
        return new Outcome(code, buf.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs {@code panamax args...} in-process; returns stdout after checking the exit code. */
    static String run(String... args) {
        Outcome o = execute(args);
        assertEquals(0, o.code(), "panamax " + String.join(" ", args) + " failed; stderr: " + o.err() + "\nstdout: " + o.out());
        return o.out();
    }

    private static int count(String text, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    @Test void demoOnARandomMtpModelShowsTheSameTextForNtpAndMtp(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("tiny-mtp4");
        RandomModelWriter.writeMeta(model, RandomModelWriter.shape("tiny").withFutureTokens(4), DType.F32, 3);
        Files.writeString(model.resolve(MtpBench.PROMPTS_FILE), "{\"ids\": [5, 50, 100]}\n[7, 8, 9, 10]\n{\"ids\": [300]}\n");
        String out = run("demo", "--model", model.toString(), "--prompts", "2", "--max-tokens", "12", "--kan", KAN.toString());

        assertEquals(2, count(out, "mtp text identical to ntp: yes"), out);
        assertFalse(out.contains("identical to ntp: NO"), out);
        assertTrue(out.contains("all 2 prompts:") && out.contains("identical text: yes"), out);
        assertTrue(out.contains("4 heads (head 1 + 3 drafting)"), out);
        assertTrue(out.contains("kernels") && out.contains("oneDNN"), out);
        // No tokenizer: the completions show ids, 12 of them.
        Matcher ids = Pattern.compile("ntp \\| ids \\[([0-9, ]+)]").matcher(out);
        assertTrue(ids.find(), out);
        assertEquals(12, ids.group(1).split(", ").length, ids.group(1));
        // The KAN section: 8 sample rows shown and two speeds.
        assertEquals(8, count(out, "->"), out);
        assertEquals(8, count(out, "(formula "), "the bundled KAN's samples come with the formula's values: " + out);
        assertEquals(2, count(out, "samples/s"), out);
    }

    @Test void kanInputsWithoutSamplesAreRefusedBeforeTheGeneration(@TempDir Path dir) throws Exception {
        Path csv = Files.writeString(dir.resolve("header-only.csv"), "x,y\n");
        Outcome o = execute("demo", "--model", dir.toString(), "--kan", KAN.toString(), "--kan-input", csv.toString());
        assertEquals(1, o.code(), o.err());
        assertTrue(o.err().contains("header-only.csv: no samples"), o.err()); // was "/ by zero" after the generation
        assertEquals("", o.out(), "nothing runs before the inputs are read");
    }

    @Test void demoShowsTheBundledKanOutputs() throws Exception {
        double[][] x = Csv.read(KAN.resolve("samples.csv"));
        double[][] expected = Csv.read(KAN.resolve("samples-expected.csv")); // kan_torch, formula (header skipped)
        assertEquals(x.length, expected.length);
        float[][] in = new float[x.length][];
        for (int r = 0; r < x.length; r++) in[r] = new float[] {(float) x[r][0], (float) x[r][1]};
        try (KanModel kan = KanModel.load(KAN)) {
            float[][] y = kan.predict(in);
            for (int r = 0; r < x.length; r++) {
                assertEquals(expected[r][0], y[r][0], 1e-5 * Math.abs(expected[r][0]), "sample " + r + ": Panamax against the PyTorch model");
                assertEquals(expected[r][1], y[r][0], 0.05 * Math.abs(expected[r][1]), "sample " + r + ": the KAN learned the formula");
            }
        }
    }

    @Test void bundledCodeModel() {
        Path model = ROOT.resolve(DemoCommand.DEFAULT_MODEL);
        assertTrue(Files.isDirectory(model), "the bundled model " + model + " is missing");
        String old = System.getProperty("panamax.home");
        System.setProperty("panamax.home", ROOT.toString());
        try {
            String out = run("demo", "--prompts", "1", "--max-tokens", "16");
            assertEquals(1, count(out, "mtp text identical to ntp: yes"), out);
            assertTrue(out.contains("with its tokenizer"), out);
            assertTrue(out.contains(KAN.getFileName().toString()), out);
        } finally {
            if (old == null) System.clearProperty("panamax.home");
            else System.setProperty("panamax.home", old);
        }
    }
}
