package dev.panamax.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The one line a user sees when a command fails. */
class MainTest {
    @Test void fileSystemErrorsNameTheFileAndTheReason() {
        assertEquals("/x/out.csv: no such file or folder", Main.describe(new NoSuchFileException("/x/out.csv")));
        assertEquals("/etc/y: permission denied", Main.describe(new AccessDeniedException("/etc/y")));
        assertEquals("reading prompts p.jsonl: p.jsonl: no such file or folder",
                Main.describe(new UncheckedIOException("reading prompts p.jsonl", new NoSuchFileException("p.jsonl"))));
        assertEquals("p.jsonl: no such file or folder", Main.describe(new UncheckedIOException(new NoSuchFileException("p.jsonl"))));
        assertEquals("cannot write m.kan: No space left on device",
                Main.describe(new UncheckedIOException("cannot write m.kan", new IOException("No space left on device"))));
        assertEquals("cannot write m.kan: No space left on device",
                Main.describe(new UncheckedIOException("cannot write m.kan: No space left on device", new IOException("No space left on device"))));
        assertEquals("cannot map /m/x: /m/x: permission denied", // not "cannot map /m/x: /m/x: /m/x: permission denied"
                Main.describe(new UncheckedIOException("cannot map /m/x: /m/x", new AccessDeniedException("/m/x"))));
        // a binary file read as text: Java's own message is only "Input length = 1"
        assertEquals("reading prompts p.jsonl: not UTF-8 text (MalformedInputException: Input length = 1)",
                Main.describe(new UncheckedIOException("reading prompts p.jsonl", new java.nio.charset.MalformedInputException(1))));
    }

    @Test void otherErrorsKeepTheirMessageOrNameTheirKind() {
        assertEquals("bad --x", Main.describe(new IllegalArgumentException("bad --x")));
        assertEquals("NullPointerException", Main.describe(new NullPointerException()));
        assertEquals("disk full", Main.describe(new IOException("disk full")));
    }

    @Test void everyCommandPrintsTheVersion() {
        picocli.CommandLine root = Main.commandLine();
        java.util.List<String> silent = new java.util.ArrayList<>();
        java.util.ArrayDeque<picocli.CommandLine> todo = new java.util.ArrayDeque<>(root.getSubcommands().values());
        while (!todo.isEmpty()) {
            picocli.CommandLine c = todo.pop();
            if (c.getCommandSpec().mixinStandardHelpOptions() && c.getCommandSpec().version().length == 0) silent.add(c.getCommandName());
            todo.addAll(c.getSubcommands().values());
        }
        assertEquals(java.util.List.of(), silent, "commands whose -V prints nothing");
    }
}
