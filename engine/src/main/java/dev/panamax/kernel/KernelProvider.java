package dev.panamax.kernel;

/**
 * Picks the kernels once, at startup. Until the Vector API implementation lands this always
 * serves the scalar twin.
 */
public final class KernelProvider {
    private static final Kernels KERNELS = new ScalarKernels();

    private KernelProvider() {}

    public static Kernels kernels() { return KERNELS; }

    public static Kernels scalar() { return KERNELS; }
}
