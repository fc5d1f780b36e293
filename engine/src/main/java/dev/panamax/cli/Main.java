package dev.panamax.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
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
        inheritVersion(cl, cl.getCommandSpec().version());
        // System.out (a PrintStream) swallows write errors: without this check a full disk or a closed
        // pipe would lose the output, or part of it, and the command still exit 0.
        cl.setExecutionStrategy(parse -> {
            int code = new CommandLine.RunLast().execute(parse);
            if (System.out.checkError()) {
                parse.commandSpec().commandLine().getErr().println("panamax: could not write all of the output to standard output (disk full, or the reader closed it)");
                return code == 0 ? 1 : code;
            }
            return code;
        });
        cl.setExecutionExceptionHandler((ex, line, parse) -> {
            line.getErr().println("panamax: " + describe(ex));
            if (Boolean.getBoolean("panamax.debug")) ex.printStackTrace(line.getErr());
            return 1;
        });
        return cl;
    }

    /** Every subcommand offers -V (the standard help options): it prints the version of panamax, not nothing. */
    private static void inheritVersion(CommandLine command, String[] version) {
        for (CommandLine sub : command.getSubcommands().values()) {
            if (sub.getCommandSpec().version().length == 0) sub.getCommandSpec().version(version);
            inheritVersion(sub, version);
        }
    }

    /**
     * What went wrong, in words a user can act on: the file and the reason for file-system errors
     * (whose own message is only the path), text that is not UTF-8, the exception's name when it has
     * no message, and the cause when a wrapper merely repeats it.
     */
    static String describe(Throwable ex) {
        if (ex instanceof FileSystemException fs && fs.getReason() == null) {
            String what = switch (ex) {
                case NoSuchFileException e -> "no such file or folder";
                case AccessDeniedException e -> "permission denied";
                case FileAlreadyExistsException e -> "already exists";
                case NotDirectoryException e -> "not a folder";
                default -> ex.getClass().getSimpleName();
            };
            return fs.getFile() + ": " + what;
        }
        if (ex instanceof java.nio.charset.CharacterCodingException)
            return "not UTF-8 text (" + ex.getClass().getSimpleName() + ": " + ex.getMessage() + ")"; // its message is only "Input length = 1"
        String message = ex.getMessage();
        Throwable cause = ex.getCause();
        if (cause != null && cause != ex && (message == null || message.equals(cause.toString()))) return describe(cause);
        if (message == null || message.isBlank()) return ex.getClass().getSimpleName();
        if (cause instanceof java.io.IOException && ex instanceof java.io.UncheckedIOException) {
            String why = describe(cause), own = cause.getMessage();
            if (message.contains(why)) return message;
            // "cannot map X: X" (a file-system error's message is its path): the path once, then the reason
            if (own != null && message.endsWith(": " + own)) message = message.substring(0, message.length() - own.length() - 2);
            return message + ": " + why;
        }
        return message;
    }

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } catch (OutOfMemoryError e) {
            // A size the machine cannot hold (a huge --dim or --tokens): one line, not a JVM stack trace.
            System.err.println("panamax: out of memory: " + e.getMessage() + " (ask for less, or give the JVM more: PANAMAX_JAVA_OPTS=-Xmx...)");
            if (Boolean.getBoolean("panamax.debug")) e.printStackTrace();
            code = 1;
        }
        System.exit(code);
    }
}
