package dev.panamax.kan;

/** The residual base function b(x) of every spline edge: pykan's {@code base_fun_name}. */
public enum BaseFunction {
    /** x · sigmoid(x), pykan's and efficient-kan's default. */
    SILU("silu"),
    IDENTITY("identity"),
    /** pykan writes it as {@code x * 0}: zero for finite x, NaN for infinities and NaN. */
    ZERO("zero");

    private final String pykanName;

    BaseFunction(String pykanName) { this.pykanName = pykanName; }

    public String pykanName() { return pykanName; }

    public double apply(double x) {
        return switch (this) {
            case SILU -> x / (1.0 + Math.exp(-x));
            case IDENTITY -> x;
            case ZERO -> x * 0.0;
        };
    }

    public static BaseFunction byName(String name) {
        for (BaseFunction b : values()) if (b.pykanName.equals(name)) return b;
        throw new IllegalArgumentException("unknown base function '" + name + "' (known: silu, identity, zero)");
    }
}
