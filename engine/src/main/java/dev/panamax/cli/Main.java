package dev.panamax.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.ServiceLoader;

/** The {@code panamax} command line. */
@Command(name = "panamax", mixinStandardHelpOptions = true, version = "panamax 0.1.0",
        description = "JVM-native CPU inference for multi-token-prediction LLMs and Kolmogorov-Arnold Networks.",
        subcommands = {InfoCommand.class, GenerateCommand.class, KanCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (CommandPlugin plugin : ServiceLoader.load(CommandPlugin.class))
            for (Object command : plugin.commands()) cl.addSubcommand(command);
        cl.setExecutionExceptionHandler((ex, line, parse) -> {
            line.getErr().println("panamax: " + ex.getMessage());
            if (Boolean.getBoolean("panamax.debug")) ex.printStackTrace(line.getErr());
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
