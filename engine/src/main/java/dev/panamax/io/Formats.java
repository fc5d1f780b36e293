package dev.panamax.io;

import dev.panamax.tensor.Mapping;

import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small helpers the readers share. */
final class Formats {
    private Formats() {}

    /** Maps {@code file} into {@code mapping}; a missing or unreadable file is a {@link FormatException} too. */
    static MemorySegment map(Mapping mapping, Path file) {
        if (!Files.isRegularFile(file)) throw new FormatException(file, null, "no such file");
        try {
            return mapping.map(file);
        } catch (UncheckedIOException e) {
            throw new FormatException(file, null, "cannot map: " + e.getCause().getMessage(), e);
        }
    }
}
