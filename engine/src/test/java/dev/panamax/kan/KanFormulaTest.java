package dev.panamax.kan;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class KanFormulaTest {
    @Test
    void symbolicEdgesBecomeAFormula() {
        KanLayer s = TestKans.layer(2, 1, 3, 3, BaseFunction.SILU, 1);
        // y = 2*sin(3*x1 + 0.5) + 1 + exp(x2) - 0.25, spline masks off
        KanLayer l = new KanLayer(2, 1, 3, s.knots(), BaseFunction.SILU, true, new double[] {0, 0}, s.scaleBase(), s.scaleSp(), s.coef(),
                new Symbolic[] {Symbolic.SIN, Symbolic.EXP}, new double[] {1, 1}, new double[] {3, 0.5, 2, 1, 1, 0, 1, -0.25},
                new double[] {1}, new double[] {0}, 1, new int[0], new double[] {1}, new double[] {0});
        try (KanModel m = new KanModel(List.of(l), "t", null)) {
            assertEquals(List.of("2*sin(3*x1 + 0.5) + exp(x2) + 0.75"), KanFormula.of(m));   // a call is not put in parentheses again
        }
        try (KanModel m = TestKans.model(3, 3, 2, 1)) {
            assertThrows(IllegalStateException.class, () -> KanFormula.of(m));
        }
    }
}
