package dev.panamax.kan;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * pykan's symbolic library at its singular points. The expected rows are what torch (float64)
 * returns for the inputs in {@link #X}.
 */
class SymbolicTest {
    static final double I = Double.POSITIVE_INFINITY, N = Double.NaN;
    static final double[] X = {-I, -2, -1, -0.5, -0.0, 0.0, 0.5, 1, 2, I, N};

    static final Object[][] TORCH = {
            {"1/x", new double[] {-0.0, -0.5, -1, -2, -I, I, 2, 1, 0.5, 0, N}},
            {"1/x^2", new double[] {0, 0.25, 1, 4, I, I, 4, 1, 0.25, 0, N}},
            {"1/x^3", new double[] {-0.0, -0.125, -1, -8, -I, I, 8, 1, 0.125, 0, N}},
            {"sqrt", new double[] {N, N, N, N, -0.0, 0, 0.7071067811865476, 1, 1.4142135623730951, I, N}},
            {"x^1.5", new double[] {N, N, N, N, -0.0, 0, 0.35355339059327384, 1, 2.8284271247461907, I, N}},
            {"1/sqrt(x)", new double[] {N, N, N, N, -I, I, 1.414213562373095, 1, 0.7071067811865475, 0, N}},
            {"log", new double[] {N, N, N, N, -I, -I, -0.6931471805599453, 0, 0.6931471805599453, I, N}},
            {"sgn", new double[] {-1, -1, -1, -1, 0, 0, 1, 1, 1, 1, 0}},
            {"arcsin", new double[] {N, N, -1.5707963267948966, -0.5235987755982989, -0.0, 0, 0.5235987755982989, 1.5707963267948966, N, N, N}},
            {"arccos", new double[] {N, N, 3.141592653589793, 2.0943951023931957, 1.5707963267948966, 1.5707963267948966, 1.0471975511965976, 0, N, N, N}},
            {"arctanh", new double[] {N, N, -I, -0.5493061443340548, -0.0, 0, 0.5493061443340548, I, N, N, N}},
            {"tan", new double[] {N, 2.185039863261519, -1.5574077246549023, -0.5463024898437905, -0.0, 0, 0.5463024898437905, 1.5574077246549023, -2.185039863261519, N, N}},
            {"0", new double[] {N, -0.0, -0.0, -0.0, -0.0, 0, 0, 0, 0, N, N}},
            {"gaussian", new double[] {0, 0.01831563888873418, 0.36787944117144233, 0.7788007830714049, 1, 1, 0.7788007830714049, 0.36787944117144233, 0.01831563888873418, 0, N}},
            {"x^5", new double[] {-I, -32, -1, -0.03125, -0.0, 0, 0.03125, 1, 32, I, N}},
            {"tanh", new double[] {-1, -0.9640275800758169, -0.7615941559557649, -0.46211715726000974, -0.0, 0, 0.46211715726000974, 0.7615941559557649, 0.9640275800758169, 1, N}},
            {"exp", new double[] {0, 0.1353352832366127, 0.36787944117144233, 0.6065306597126334, 1, 1, 1.6487212707001282, 2.718281828459045, 7.38905609893065, I, N}},
    };

    @Test
    void singularPointsMatchTorch() {
        for (Object[] row : TORCH) {
            Symbolic f = Symbolic.byName((String) row[0]);
            double[] expected = (double[]) row[1];
            for (int i = 0; i < X.length; i++) {
                double got = f.apply(X[i]);
                String where = row[0] + "(" + X[i] + ")";
                if (Double.isNaN(expected[i])) assertTrue(Double.isNaN(got), where + " should be NaN, is " + got);
                else assertEquals(expected[i], got, 1e-15 * Math.abs(expected[i]), where);
                if (expected[i] == 0 && !Double.isNaN(got))
                    assertEquals(Double.doubleToRawLongBits(expected[i]) < 0, Double.doubleToRawLongBits(got) < 0, where + " sign of zero");
            }
        }
    }

    @Test
    void everyPykanNameIsKnownAndUnknownOnesAreNamedInTheError() {
        for (String name : new String[] {"x", "x^2", "x^3", "x^4", "x^5", "1/x", "1/x^2", "1/x^3", "1/x^4", "1/x^5",
                "sqrt", "x^0.5", "x^1.5", "1/sqrt(x)", "1/x^0.5", "exp", "log", "abs", "sin", "cos", "tan", "tanh",
                "sgn", "arcsin", "arccos", "arctan", "arctanh", "0", "gaussian"})
            assertEquals(name, Symbolic.byName(name).pykanName());
        var e = assertThrows(IllegalArgumentException.class, () -> Symbolic.byName("bessel"));
        assertTrue(e.getMessage().contains("'bessel'"), e.getMessage());
    }
}
