package dev.panamax.kan;

import dev.panamax.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Every checkpoint in ../shared/data/kan against the outputs pykan / efficient-kan computed for it. */
class KanReferenceDataTest {
    static final double REL = 1e-5, ABS = 1e-6;

    static Path modelPath(String kase) {
        Path dir = SharedData.file("kan/" + kase);
        return kase.startsWith("pykan/") ? dir.resolve("model") : dir;
    }

    static void assertClose(double expected, double actual, double rel, double abs, String where) {
        if (Double.isNaN(expected)) { assertTrue(Double.isNaN(actual), where + ": expected NaN, got " + actual); return; }
        if (Double.isInfinite(expected)) { assertEquals(expected, actual, where); return; }
        assertTrue(Math.abs(actual - expected) <= Math.max(rel * Math.abs(expected), abs),
                where + ": expected " + expected + ", got " + actual + " (diff " + Math.abs(actual - expected) + ")");
    }

    @ParameterizedTest
    @ValueSource(strings = {"pykan/fixture", "pykan/toy_exp_sin", "pykan/toy_exp_sin_symbolic", "pykan/mult_xy",
            "pykan/wide_random", "efficient-kan/ekan_default", "efficient-kan/ekan_trained"})
    void float32AgreesWithTheReferenceImplementation(String kase) throws IOException {
        double[][] in = Csv.read(SharedData.file("kan/" + kase + "/inputs.csv"));
        double[][] expected = Csv.read(SharedData.file("kan/" + kase + "/expected.csv"));
        float[][] perSample = null;
        // "batch" is the local path with the bases computed in vector lanes across the batch
        for (String path : new String[] {"local", "batch", "dense"}) {
            System.setProperty("panamax.kan.path", path.equals("batch") ? "local" : path);
            System.setProperty("panamax.kan.bases", path.equals("batch") ? "batch" : "sample");
            try (KanModel model = KanModel.load(modelPath(kase))) {
                float[][] x = new float[in.length][];
                for (int r = 0; r < in.length; r++) {
                    x[r] = new float[in[r].length];
                    for (int c = 0; c < in[r].length; c++) x[r][c] = (float) in[r][c];
                }
                float[][] y = model.predict(x);
                assertEquals(expected.length, y.length);
                for (int r = 0; r < y.length; r++) {
                    assertEquals(expected[r].length, y[r].length);
                    for (int c = 0; c < y[r].length; c++)
                        assertClose(expected[r][c], y[r][c], REL, ABS, kase + " (" + path + ") row " + r + " col " + c);
                }
                if (path.equals("local")) perSample = y;
                if (path.equals("batch"))      // bit-identical to the bases computed one sample at a time
                    for (int r = 0; r < y.length; r++) assertArrayEquals(perSample[r], y[r], kase + " batch bases row " + r);
                // one sample at a time gives the same floats as the batch
                for (int r = 0; r < x.length; r += 7)
                    assertArrayEquals(y[r], model.predict(new float[][] {x[r]})[0], kase + " row " + r + " alone");
            } finally {
                System.clearProperty("panamax.kan.path");
                System.clearProperty("panamax.kan.bases");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pykan/fixture", "pykan/toy_exp_sin", "pykan/toy_exp_sin_symbolic", "pykan/mult_xy",
            "pykan/wide_random", "efficient-kan/ekan_default", "efficient-kan/ekan_trained"})
    void doubleReferencePathMatchesClosely(String kase) throws IOException {
        double[][] in = Csv.read(SharedData.file("kan/" + kase + "/inputs.csv"));
        double[][] expected = Csv.read(SharedData.file("kan/" + kase + "/expected.csv"));
        try (KanModel model = KanModel.load(modelPath(kase))) {
            for (int r = 0; r < in.length; r++) {
                double[] y = Reference.forward(model, in[r]);
                for (int c = 0; c < y.length; c++)
                    assertClose(expected[r][c], y[c], 1e-6, 1e-7, kase + " (double) row " + r + " col " + c);
            }
        }
    }
}
