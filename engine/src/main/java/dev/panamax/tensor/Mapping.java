package dev.panamax.tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Files mapped read-only into one shared arena. Closing the mapping unmaps every file at once; the
 * file handles are closed right after mapping, so an open Mapping holds no descriptor.
 */
public final class Mapping implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final List<Path> files = new ArrayList<>();

    public MemorySegment map(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            files.add(file);
            return seg;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + file + ": " + e.getMessage(), e);
        }
    }

    /** The arena, for allocations that should live exactly as long as the mapped files. */
    public Arena arena() { return arena; }

    public List<Path> files() { return List.copyOf(files); }

    @Override public void close() { arena.close(); }
}
