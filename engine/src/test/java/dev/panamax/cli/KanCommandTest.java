package dev.panamax.cli;

import dev.panamax.SharedData;
import dev.panamax.kan.Csv;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code panamax kan predict|info|convert} end to end, and the errors bad input gives. */
class KanCommandTest {
    @TempDir Path tmp;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        try {
            int code = cl.execute(args);
            return new Result(code, out.toString(), err.toString());
        } finally {
            System.setOut(old);
        }
    }

    static Path pykan(String name) { return SharedData.file("kan/pykan/" + name).resolve("model"); }

    @Test
    void predictWritesCsvThatMatchesPykan() throws Exception {
        Path out = tmp.resolve("out.csv");
        Path dir = SharedData.file("kan/pykan/toy_exp_sin");
        Result r = run("kan", "predict", "--model", dir.resolve("model").toString(), "--input", dir.resolve("inputs.csv").toString(), "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        double[][] got = Csv.read(out), expected = Csv.read(dir.resolve("expected.csv"));
        assertEquals(expected.length, got.length);
        for (int i = 0; i < got.length; i++) assertEquals(expected[i][0], got[i][0], 1e-5 * Math.abs(expected[i][0]) + 1e-6);
        // to standard output, and from the folder instead of the prefix
        Result s = run("kan", "predict", "--model", dir.toString(), "--input", dir.resolve("inputs.csv").toString());
        assertEquals(0, s.code(), s.err());
        assertEquals(Files.readString(out), s.out());
    }

    @Test
    void infoAndFormula() {
        Result r = run("kan", "info", "--model", pykan("mult_xy").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("widths      2 -> 1 (0 sum + 1 mult) -> 1"), r.out());
        assertTrue(r.out().contains("G=5, k=3, base=silu"), r.out());
        assertTrue(r.out().contains("edge (0, 0)  spline"), r.out());

        Result f = run("kan", "info", "--model", pykan("toy_exp_sin_symbolic").toString(), "--formula");
        assertEquals(0, f.code(), f.err());
        assertTrue(f.out().contains("y1 = ") && f.out().contains("exp(") && f.out().contains("sin("), f.out());

        Result n = run("kan", "info", "--model", pykan("toy_exp_sin").toString(), "--formula");
        assertEquals(1, n.code());
        assertTrue(n.err().contains("is a spline, not symbolic"), n.err());
    }

    @Test
    void convertRoundTripsToTheSameFloats() throws Exception {
        for (String model : new String[] {pykan("toy_exp_sin_symbolic").toString(), pykan("mult_xy").toString(),
                pykan("fixture").toString(), SharedData.file("kan/efficient-kan/ekan_trained").toString()}) {
            Path kan = tmp.resolve("m.kan");
            Result c = run("kan", "convert", "--model", model, "--output", kan.toString());
            assertEquals(0, c.code(), c.err());
            Path in = Path.of(model).getFileName().toString().equals("model") ? Path.of(model).resolveSibling("inputs.csv") : Path.of(model, "inputs.csv");
            Result a = run("kan", "predict", "--model", model, "--input", in.toString());
            Result b = run("kan", "predict", "--model", kan.toString(), "--input", in.toString());
            assertEquals(0, b.code(), b.err());
            assertEquals(a.out(), b.out(), model);
        }
    }

    @Test
    void badInputGivesErrorsNamingTheCause() throws Exception {
        Path model = pykan("toy_exp_sin");
        predictFails(model, "wide.csv", "0.1,0.2,0.3\n", "wide.csv:1: 3 values, the model takes 2");
        predictFails(model, "late.csv", "x,y\n0.1,0.2\n\n0.3\n", "late.csv:4: 1 value, the model takes 2"); // named by its line, past a header and a blank
        // a one-sample file with a typo is a bad row, not a header followed by nothing
        predictFails(model, "typo.csv", "0.1,0.2x\n", "typo.csv:1: column 2: '0.2x' is not a number");
        predictFails(model, "cell.csv", "0.1,\n", "cell.csv:1: column 2: '' is not a number");
        // pandas' to_csv writes its index as a first column under an empty header cell
        predictFails(model, "pandas.csv", ",x,y\n0,0.1,0.2\n", "pandas.csv:2: 3 values, the model takes 2 (the header's empty first cell is pandas' index column: "
                + "write the file with to_csv(..., index=False))");
        predictFails(model, "semi.csv", "0.1;0.2\n", "semi.csv: no samples (its only line, '0.1;0.2', was taken as a header) (values are separated by commas, not by semicolons)");
        predictFails(model, "tabs.csv", "x\ty\n0.1\t0.2\n", "tabs.csv:2: column 1: '0.1\t0.2' is not a number (values are separated by commas, not by tabs)");
        Result r = run("kan", "predict", "--model", model.toString(), "--input", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(tmp + ": a folder, not a CSV file"), r.err());
        Path binary = Files.write(tmp.resolve("binary.csv"), new byte[] {(byte) 0xff, (byte) 0xfe, '1', ',', '2', '\n'});
        r = run("kan", "predict", "--model", model.toString(), "--input", binary.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("binary.csv: not a CSV file (not UTF-8 text)"), r.err()); // was "Input length = 1"
        Files.write(tmp.resolve("b_config.yml"), new byte[] {'w', ':', ' ', (byte) 0xff, (byte) 0xfe, '\n'});
        r = run("kan", "info", "--model", tmp.resolve("b").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("b_config.yml: not a YAML file (not UTF-8 text)"), r.err());

        Path text = predictFails(model, "text.csv", "0.1,0.2\n0.3,abc\n", "text.csv:2: column 2: 'abc' is not a number");

        r = run("kan", "predict", "--model", tmp.resolve("nothing").toString(), "--input", text.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("nothing") && r.err().contains("no such file"), r.err());

        r = run("kan", "predict", "--model", model.toString(), "--input", tmp.resolve("missing.csv").toString());
        assertTrue(r.err().contains("missing.csv"), r.err());

        Path folder = Files.createDirectories(tmp.resolve("a-folder"));
        r = run("kan", "convert", "--model", model.toString(), "--output", folder.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(folder + ": a folder; give the name of the file to write"), r.err());
        assertFalse(Files.exists(tmp.resolve("a-folder.tmp")), "a failed convert leaves its temporary file behind");
        Path nowhere = tmp.resolve("no/such/dir/m.kan");
        r = run("kan", "convert", "--model", model.toString(), "--output", nowhere.toString());
        assertEquals(1, r.code());
        assertEquals("panamax: cannot write " + nowhere + ": " + nowhere + ".tmp: no such file or folder", r.err().strip()); // each path once

        predictFails(model, "empty.csv", "x,y\n\n", "empty.csv: no samples");

        Path good = Files.writeString(tmp.resolve("good.csv"), "0.1,0.2\n");
        r = run("kan", "predict", "--model", model.toString(), "--input", good.toString(), "--output", tmp.resolve("no/such/dir/out.csv").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("out.csv: no such file or folder"), r.err());

        // an unknown symbolic function in the config
        Path dir = SharedData.file("kan/pykan/toy_exp_sin_symbolic");
        Files.writeString(tmp.resolve("m_config.yml"), Files.readString(dir.resolve("model_config.yml")).replaceFirst("- - exp", "- - bessel"));
        Files.copy(dir.resolve("model_state"), tmp.resolve("m_state"));
        r = run("kan", "info", "--model", tmp.resolve("m").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("symbolic.funs_name.0[1][0]") && r.err().contains("'bessel'"), r.err());

        // a corrupted (truncated) state file
        Files.writeString(tmp.resolve("c_config.yml"), Files.readString(dir.resolve("model_config.yml")));
        byte[] state = Files.readAllBytes(dir.resolve("model_state"));
        Files.write(tmp.resolve("c_state"), java.util.Arrays.copyOf(state, state.length / 2));
        r = run("kan", "info", "--model", tmp.resolve("c").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("c_state"), r.err());

        // the state file missing
        Files.writeString(tmp.resolve("d_config.yml"), Files.readString(dir.resolve("model_config.yml")));
        r = run("kan", "info", "--model", tmp.resolve("d").toString());
        assertTrue(r.err().contains("d_state") && r.err().contains("missing pykan state file"), r.err());
    }

    @Test
    void csvAsSpreadsheetsAndShellsGiveIt() throws Exception {
        Path model = pykan("toy_exp_sin");
        Path plain = Files.writeString(tmp.resolve("plain.csv"), "0.1,0.2\n0.3,0.4\n");
        Result expected = run("kan", "predict", "--model", model.toString(), "--input", plain.toString());
        assertEquals(0, expected.code(), expected.err());
        // a UTF-8 byte-order mark (Excel's "CSV UTF-8") and CRLF line ends read as the plain file
        Path bom = Files.writeString(tmp.resolve("bom.csv"), "\uFEFF0.1,0.2\r\n0.3,0.4\r\n");
        Result r = run("kan", "predict", "--model", model.toString(), "--input", bom.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(expected.out(), r.out());
        // and with a header after the mark
        Files.writeString(bom, "\uFEFFx,y\r\n0.1,0.2\r\n0.3,0.4\r\n");
        assertEquals(expected.out(), run("kan", "predict", "--model", model.toString(), "--input", bom.toString()).out());
        // a pipe is a file too (/dev/stdin, bash's <(...)): a symlink to a FIFO here
        Path fifo = tmp.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Thread writer = Thread.ofVirtual().start(() -> {
            try { Files.writeString(fifo, "0.1,0.2\n0.3,0.4\n"); } catch (java.io.IOException e) { throw new java.io.UncheckedIOException(e); }
        });
        r = run("kan", "predict", "--model", model.toString(), "--input", fifo.toString());
        writer.join();
        assertEquals(0, r.code(), r.err());
        assertEquals(expected.out(), r.out());
    }

    @Test
    void numbersThatAreNotDecimalOrDoNotFitAFloatAreRefused() throws Exception {
        Path model = pykan("toy_exp_sin");
        // Double.parseDouble's Java-source forms: not numbers in a CSV file
        predictFails(model, "suffix.csv", "0.1,2f\n", "suffix.csv:1: column 2: '2f' is not a number");
        predictFails(model, "double.csv", "1d,0.2\n", "double.csv:1: column 1: '1d' is not a number");
        predictFails(model, "hex.csv", "0.1,0.2\n0x1p3,0.2\n", "hex.csv:2: column 1: '0x1p3' is not a number");
        // finite in the file, infinite as float32: an error, not an infinity nobody wrote
        predictFails(model, "huge.csv", "0.1,0.2\n0.1,-1e39\n", "huge.csv:2: column 2: -1.0E39 is outside float32's range");
        // the forms that are numbers still read
        Path ok = Files.writeString(tmp.resolve("ok.csv"), "+1.5,-.5\n2.,1E-3\n3e+0,nan\ninf,-Infinity\n");
        Result r = run("kan", "predict", "--model", model.toString(), "--input", ok.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(4, r.out().lines().count(), r.out());
    }

    @Test
    void anOutputThatCannotBeWrittenIsAnError() {
        Path dir = SharedData.file("kan/pykan/toy_exp_sin");
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        PrintStream old = System.out;
        // standard output on a full disk: PrintStream keeps the IOException to itself
        System.setOut(new PrintStream(new java.io.OutputStream() {
            @Override public void write(int b) throws java.io.IOException { throw new java.io.IOException("No space left on device"); }
        }, true));
        int code;
        try {
            code = cl.execute("kan", "predict", "--model", dir.resolve("model").toString(), "--input", dir.resolve("inputs.csv").toString());
        } finally {
            System.setOut(old);
        }
        assertEquals(1, code, err.toString());
        assertTrue(err.toString().contains("could not write all of the output to standard output"), err.toString());
    }

    @Test
    void aCheckpointsOwnFileLoadsItAndAMissingOneIsNamed() throws Exception {
        Path dir = SharedData.file("kan/pykan/toy_exp_sin"), ekan = SharedData.file("kan/efficient-kan/ekan_default");
        String pykanInfo = run("kan", "info", "--model", dir.resolve("model").toString()).out();
        String ekanInfo = run("kan", "info", "--model", ekan.toString()).out();
        // the file a user sees in the folder, given instead of the prefix or the folder
        for (String file : new String[] {"model_config.yml", "model_state"}) {
            Result r = run("kan", "info", "--model", dir.resolve(file).toString());
            assertEquals(0, r.code(), file + ": " + r.err());
            assertEquals(pykanInfo, r.out());
        }
        for (String file : new String[] {"model.pt", "config.json"}) {
            Result r = run("kan", "info", "--model", ekan.resolve(file).toString());
            assertEquals(0, r.code(), file + ": " + r.err());
            assertEquals(ekanInfo, r.out());
        }
        // a folder missing one of its two files: that file named, not "not a KAN checkpoint"
        Path e1 = Files.createDirectories(tmp.resolve("e1"));
        Files.copy(ekan.resolve("model.pt"), e1.resolve("model.pt"));
        Result r = run("kan", "info", "--model", e1.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(e1.resolve("config.json") + ": missing: efficient-kan's constructor arguments"), r.err());
        Path e2 = Files.createDirectories(tmp.resolve("e2"));
        Files.copy(ekan.resolve("config.json"), e2.resolve("config.json"));
        r = run("kan", "info", "--model", e2.toString());
        assertTrue(r.err().contains(e2.resolve("model.pt") + ": missing efficient-kan state file"), r.err());
        Path p1 = Files.createDirectories(tmp.resolve("p1"));
        Files.copy(dir.resolve("model_state"), p1.resolve("run_state"));
        r = run("kan", "info", "--model", p1.toString());
        assertTrue(r.err().contains(p1.resolve("run_config.yml") + ": missing pykan config file (expected beside run_state)"), r.err());
        r = run("kan", "info", "--model", p1.resolve("run_state").toString());
        assertTrue(r.err().contains(p1.resolve("run_config.yml") + ": missing pykan config file (expected beside run_state)"), r.err());
        // two checkpoints in one folder: which prefixes there are
        Path p2 = Files.createDirectories(tmp.resolve("p2"));
        for (String prefix : new String[] {"a", "b"}) {
            Files.copy(dir.resolve("model_config.yml"), p2.resolve(prefix + "_config.yml"));
            Files.copy(dir.resolve("model_state"), p2.resolve(prefix + "_state"));
        }
        r = run("kan", "info", "--model", p2.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("holds 2 pykan checkpoints (a_config.yml, b_config.yml): give one's prefix, e.g. " + p2.resolve("a")), r.err());
    }

    @Test
    void aConvertedFileLoadsWhateverItsName() {
        Path model = pykan("toy_exp_sin");
        Path noSuffix = tmp.resolve("my-model");
        assertEquals(0, run("kan", "convert", "--model", model.toString(), "--output", noSuffix.toString()).code());
        Result a = run("kan", "info", "--model", model.toString()), b = run("kan", "info", "--model", noSuffix.toString());
        assertEquals(0, b.code(), b.err());
        assertTrue(b.out().contains("format      panamax"), b.out());
        assertEquals(a.out().substring(a.out().indexOf("widths")), b.out().substring(b.out().indexOf("widths")));
    }

    @Test
    void aSplineOrderThatDoesNotFitTheStateIsTheConfigsFault() throws Exception {
        Path dir = SharedData.file("kan/pykan/toy_exp_sin");
        Files.copy(dir.resolve("model_state"), tmp.resolve("k_state"));
        String config = Files.readString(dir.resolve("model_config.yml"));
        assertTrue(config.contains("\nk: 3\n"));
        Files.writeString(tmp.resolve("k_config.yml"), config.replace("\nk: 3\n", "\nk: 2\n"));
        Result r = run("kan", "info", "--model", tmp.resolve("k").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("k_config.yml [k]: k=2 does not fit the state: act_fun.0.grid has 12 knots an input and act_fun.0.coef 8 coefficients an edge, which fit k=3"), r.err());
        Files.writeString(tmp.resolve("k_config.yml"), config.replace("\nk: 3\n", "\nk: -1\n"));
        r = run("kan", "info", "--model", tmp.resolve("k").toString());
        assertTrue(r.err().contains("k_config.yml [k]: must be >= 0, is -1"), r.err());

        Path ekan = SharedData.file("kan/efficient-kan/ekan_default"), e = Files.createDirectories(tmp.resolve("e"));
        Files.copy(ekan.resolve("model.pt"), e.resolve("model.pt"));
        Files.writeString(e.resolve("config.json"), "{\"layers_hidden\": [4, 8, 3], \"spline_order\": 2}");
        r = run("kan", "info", "--model", e.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("config.json [spline_order]: spline_order=2 does not fit the state: layers.0.grid has 12 knots an input "
                + "and layers.0.spline_weight 8 coefficients an edge, which fit spline_order=3"), r.err());
    }

    @Test
    void anEfficientKanConfigWithoutTheStandaloneScalerTheStateHoldsIsRefused() throws Exception {
        Path ekan = SharedData.file("kan/efficient-kan/ekan_default"), e = Files.createDirectories(tmp.resolve("e"));
        Files.copy(ekan.resolve("model.pt"), e.resolve("model.pt"));
        // was loaded with the state's spline_scaler left out: other outputs, no word said
        Files.writeString(e.resolve("config.json"), "{\"layers_hidden\": [4, 8, 3], \"enable_standalone_scale_spline\": false}");
        Result r = run("kan", "predict", "--model", e.toString(), "--input", ekan.resolve("inputs.csv").toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("config.json [enable_standalone_scale_spline]: is false, but the state holds layers.0.spline_scaler"), r.err());
        // said true, as the state has it: loads
        Files.writeString(e.resolve("config.json"), "{\"layers_hidden\": [4, 8, 3], \"enable_standalone_scale_spline\": true}");
        r = run("kan", "predict", "--model", e.toString(), "--input", ekan.resolve("inputs.csv").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(run("kan", "predict", "--model", ekan.toString(), "--input", ekan.resolve("inputs.csv").toString()).out(), r.out());
    }

    /** Writes text to the CSV file name in tmp; predicting from it must exit 1 with an error holding expected. */
    private Path predictFails(Path model, String name, String text, String expected) throws Exception {
        Path csv = Files.writeString(tmp.resolve(name), text);
        Result r = run("kan", "predict", "--model", model.toString(), "--input", csv.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        return csv;
    }
}
