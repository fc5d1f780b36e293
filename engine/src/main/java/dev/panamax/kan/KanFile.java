package dev.panamax.kan;

import java.nio.file.Path;

/** The Panamax KAN format (safetensors with a JSON model description in its metadata). */
final class KanFile {
    private KanFile() {}

    static boolean looksLike(Path file) { return file.getFileName().toString().endsWith(".kan"); }

    static KanModel read(Path file) {
        throw new UnsupportedOperationException("Panamax .kan files are not supported yet: " + file);
    }
}
