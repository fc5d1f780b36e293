package dev.panamax.tokenizer;

import dev.panamax.io.FormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Finds and loads the tokenizer that belongs to a model.
 *
 * <p>{@link #load(Path)} accepts a tokenizer file, a model folder, or a model file (then its folder
 * is searched). Files are recognised by name: a {@code .json} named like {@code tokenizer.json} (not
 * {@code tokenizer_config.json}) is a Hugging Face tokenizer,
 * {@code *.model} a SentencePiece model, and a {@code .bin} whose name starts with {@code tok} a
 * llama2.c tokenizer ({@code tokenizer.bin}, {@code tok512.bin}). In a folder the first present of
 * {@code tokenizer.json}, {@code tokenizer.model}, {@code tokenizer.bin} wins.
 */
public final class Tokenizers {
    private Tokenizers() {}

    private static final List<String> FOLDER_NAMES = List.of("tokenizer.json", "tokenizer.model", "tokenizer.bin");

    /** The byte-level tokenizer: ids 0..255 are the bytes of the UTF-8 text; no BOS, EOS or stop id. */
    public static Tokenizer bytes() { return ByteTokenizer.INSTANCE; }

    /**
     * The tokenizer for {@code path}, or empty when there is none to be found there.
     *
     * @throws FormatException when a tokenizer file is found but cannot be read as its format
     */
    public static Optional<Tokenizer> load(Path path) {
        if (Files.isDirectory(path)) {
            for (String name : FOLDER_NAMES) {
                Path candidate = path.resolve(name);
                if (Files.isRegularFile(candidate)) return Optional.of(loadFile(candidate));
            }
            return Optional.empty();
        }
        if (!Files.isRegularFile(path)) return Optional.empty();
        if (isTokenizerFile(path)) return Optional.of(loadFile(path));
        Path folder = path.toAbsolutePath().getParent();
        return folder == null ? Optional.empty() : load(folder);
    }

    private static boolean isTokenizerFile(Path file) {
        String name = file.getFileName().toString();
        return (name.endsWith(".json") && name.contains("tokenizer") && !name.contains("config"))
                || name.endsWith(".model") || (name.startsWith("tok") && name.endsWith(".bin"));
    }

    private static Tokenizer loadFile(Path file) {
        String name = file.getFileName().toString();
        try {
            if (name.endsWith(".json")) return HuggingFaceTokenizer.read(file);
            if (name.endsWith(".model")) return SentencePieceTokenizer.read(file);
            return Llama2cTokenizer.read(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer " + file, e);
        }
    }
}
