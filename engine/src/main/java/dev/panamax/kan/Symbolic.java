package dev.panamax.kan;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Collectors;

/**
 * pykan's library of symbolic functions f, used on symbolic edges as {@code c·f(a·x + b) + d}.
 * Each one is evaluated in double with the same IEEE semantics as PyTorch: singular points give
 * infinities or NaN exactly where torch does (1/x at 0 is +inf, log of a negative is NaN,
 * arctanh(1) is +inf), and {@code sgn} maps NaN to 0 as {@code torch.sign} does.
 */
public enum Symbolic {
    X("x", x -> x, "%s"),
    X2("x^2", x -> x * x, "(%s)^2"),
    X3("x^3", x -> x * x * x, "(%s)^3"),
    X4("x^4", x -> (x * x) * (x * x), "(%s)^4"),
    X5("x^5", x -> (x * x) * (x * x) * x, "(%s)^5"),
    INV("1/x", x -> 1.0 / x, "1/(%s)"),
    INV2("1/x^2", x -> 1.0 / (x * x), "1/(%s)^2"),
    INV3("1/x^3", x -> 1.0 / (x * x * x), "1/(%s)^3"),
    INV4("1/x^4", x -> 1.0 / ((x * x) * (x * x)), "1/(%s)^4"),
    INV5("1/x^5", x -> 1.0 / ((x * x) * (x * x) * x), "1/(%s)^5"),
    SQRT("sqrt", Math::sqrt, "sqrt(%s)"),
    X0_5("x^0.5", Math::sqrt, "sqrt(%s)"),
    X1_5("x^1.5", x -> { double r = Math.sqrt(x); return r * r * r; }, "(%s)^1.5"),
    INV_SQRT("1/sqrt(x)", x -> 1.0 / Math.sqrt(x), "1/sqrt(%s)"),
    INV_X0_5("1/x^0.5", x -> 1.0 / Math.sqrt(x), "1/sqrt(%s)"),
    EXP("exp", Math::exp, "exp(%s)"),
    LOG("log", Math::log, "log(%s)"),
    ABS("abs", Math::abs, "|%s|"),
    SIN("sin", Math::sin, "sin(%s)"),
    COS("cos", Math::cos, "cos(%s)"),
    TAN("tan", Math::tan, "tan(%s)"),
    TANH("tanh", Math::tanh, "tanh(%s)"),
    SGN("sgn", x -> x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0, "sgn(%s)"),
    ARCSIN("arcsin", Math::asin, "arcsin(%s)"),
    ARCCOS("arccos", Math::acos, "arccos(%s)"),
    ARCTAN("arctan", Math::atan, "arctan(%s)"),
    ARCTANH("arctanh", Symbolic::atanh, "arctanh(%s)"),
    ZERO("0", x -> x * 0.0, "0"),
    GAUSSIAN("gaussian", x -> Math.exp(-(x * x)), "exp(-(%s)^2)");

    private final String pykanName;
    private final DoubleUnaryOperator f;
    private final String template;

    Symbolic(String pykanName, DoubleUnaryOperator f, String template) {
        this.pykanName = pykanName;
        this.f = f;
        this.template = template;
    }

    public String pykanName() { return pykanName; }

    public double apply(double x) { return f.applyAsDouble(x); }

    /** The function applied to an argument written as text, for formulas. */
    public String format(String argument) { return template.formatted(argument); }

    public static Symbolic byName(String name) {
        for (Symbolic s : values()) if (s.pykanName.equals(name)) return s;
        throw new IllegalArgumentException("unknown symbolic function '" + name + "'; pykan's library has: "
                + Arrays.stream(values()).map(Symbolic::pykanName).collect(Collectors.joining(", ")));
    }

    /** atanh with log1p for accuracy near 0; +-inf at +-1 and NaN beyond, as torch gives. */
    private static double atanh(double x) {
        if (x == 0) return x;   // keeps the sign of -0
        return 0.5 * Math.log1p(2 * x / (1 - x));
    }
}
