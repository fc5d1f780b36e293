package dev.panamax;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** What this JVM holds, read from /proc: for the tests that check that closing releases mappings and descriptors. */
public final class ProcessResources {
    private ProcessResources() {}

    /** Lines of /proc/self/maps that map {@code file} (give its real path). */
    public static long mappingsOf(Path file) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.endsWith(" " + file)).count();
        }
    }

    /** Open file descriptors of this process. */
    public static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
