package dev.panamax.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code panamax bench}: end-to-end benchmarks. Each subcommand measures its ratios in one process. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run benchmarks and print their figures (--json for machine-readable output).",
        subcommands = {KernelsBench.class, JmhCommand.class, GenerateBench.class, MtpBench.class, KanBench.class, AllBench.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }
}
