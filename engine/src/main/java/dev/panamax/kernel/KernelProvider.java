package dev.panamax.kernel;

import java.lang.management.ManagementFactory;

/**
 * Picks the kernels once, at startup, the way Lucene picks its vectorization provider: the Vector
 * API kernels when the incubator module is present, the JIT is C2 and the CPU has a fast FMA;
 * otherwise the scalar twin, with the reason kept for {@code panamax info}.
 *
 * <p>{@code -Dpanamax.kernels=scalar} forces the scalar kernels; {@code -Dpanamax.vector.bits=128|256|512}
 * sets the vector width (default: the CPU's widest). Nothing outside this package touches
 * {@code jdk.incubator.vector}, and this class only names {@link PanamaKernels} once the checks passed.
 */
public final class KernelProvider {
    private static final ScalarKernels SCALAR = new ScalarKernels();
    private static final String[] REASON = new String[1];
    private static final Kernels KERNELS = choose();

    private KernelProvider() {}

    /** The kernels in use. */
    public static Kernels kernels() { return KERNELS; }

    /** The scalar twin, the reference the vector kernels are tested against. */
    public static Kernels scalar() { return SCALAR; }

    /** The pool the kernels run on. */
    public static WorkerPool pool() { return WorkerPool.shared(); }

    /** Bits per float vector of the kernels in use; 0 for the scalar kernels. */
    public static int vectorBits() { return KERNELS == SCALAR ? 0 : PanamaKernels.vectorBits(); }

    /** Why the scalar kernels were chosen, or null when the vector kernels are in use. */
    public static String scalarReason() { return REASON[0]; }

    private static Kernels choose() {
        String forced = System.getProperty("panamax.kernels", "auto");
        if (forced.equals("scalar")) return scalar("forced by -Dpanamax.kernels=scalar");
        if (!forced.equals("auto") && !forced.equals("panama"))
            return scalar("unknown -Dpanamax.kernels=" + forced + " (use auto, panama or scalar)");
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty())
            return scalar("module jdk.incubator.vector is absent (run with --add-modules jdk.incubator.vector)");
        String vmOptionProblem = vmOptionProblem();
        if (vmOptionProblem != null && !forced.equals("panama")) return scalar(vmOptionProblem);
        try {
            return new PanamaKernels(WorkerPool.shared());
        } catch (LinkageError | RuntimeException e) {
            // The first cause's message names what failed (a class whose initialiser failed before, in the
            // spline kernels, is "Could not initialize class", its cause the original failure); one
            // without a message is named by its class.
            Throwable cause = e;
            while (cause.getCause() != null && cause.getCause() != cause) cause = cause.getCause();
            String why = cause.getMessage() != null ? cause.getMessage() : cause.toString();
            return scalar("the Vector API kernels failed to start: " + why);
        }
    }

    /** C2 off or a slow FMA make the Vector API slower than plain loops (Lucene checks the same flags). */
    private static String vmOptionProblem() {
        try {
            var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            if (bean == null) return null;
            if (!bean.getVMOption("UseCompiler").getValue().equals("true")) return "the JIT is off (-Xint)";
            String stop = bean.getVMOption("TieredStopAtLevel").getValue();
            if (Integer.parseInt(stop) < 4 && bean.getVMOption("TieredCompilation").getValue().equals("true"))
                return "C2 is off (-XX:TieredStopAtLevel=" + stop + ")";
            if (!bean.getVMOption("UseFMA").getValue().equals("true")) return "the CPU or JVM has no fast FMA (-XX:-UseFMA)";
            return null;
        } catch (RuntimeException | LinkageError e) {
            return null; // not HotSpot, or options hidden: trust the module's presence
        }
    }

    private static Kernels scalar(String reason) {
        REASON[0] = reason;
        // Said once: a mistyped -Dpanamax.kernels or -Dpanamax.vector.bits, or a missing --add-modules,
        // would otherwise only show as a model running several times slower.
        if (!reason.startsWith("forced")) System.err.println("panamax: the scalar kernels are in use (several times slower than the vector ones): " + reason);
        return SCALAR;
    }
}
