package dev.panamax.cli;

import dev.panamax.kernel.KernelProvider;
import picocli.CommandLine.Command;

/** {@code panamax info}: the machine, the JDK and the kernels in use. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Print the machine, JDK, kernels in use and oneDNN status.")
public final class InfoCommand implements Runnable {
    @Override public void run() {
        System.out.println("java      " + Runtime.version());
        System.out.println("cores     " + Runtime.getRuntime().availableProcessors());
        System.out.println("kernels   " + KernelProvider.kernels().name());
    }
}
