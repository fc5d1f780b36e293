package dev.panamax.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamax.SharedData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The tokenizers Panamax's own models ship with ({@code models/<name>/tokenizer.json}). */
class BundledTokenizersTest {

    private static List<Path> bundled() throws IOException {
        Path models = SharedData.projectRoot().resolve("models");
        if (!Files.isDirectory(models)) return List.of();
        try (Stream<Path> dirs = Files.list(models)) {
            return dirs.map(d -> d.resolve("tokenizer.json")).filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** Code as the models were trained on: indentation with spaces and tabs, blank lines, non-ASCII. */
    private static List<String> codeSamples() throws IOException {
        Path source = SharedData.projectRoot().resolve("engine/src/main/java/dev/panamax/tokenizer/PairMerges.java");
        return List.of(
                Files.readString(source),
                "def mean(xs):\n    \"\"\"Average of xs.\"\"\"\n\tif not xs:\n\t\treturn 0.0\n    return sum(xs) / len(xs)\n\n\n",
                "    for i in range(10):  # naïve loop — 日本 😀\n        print(f'{i:>4}')\r\n",
                "",
                "x" + " ".repeat(17) + "= {'a': [1, 2, 3]}\n");
    }

    /**
     * Exact ids from an independent encoder: models/testdata/tokenizer/make_vectors.py encodes code
     * samples with the trainer's own Python BPE (models/bpe.py) and writes them beside the tests.
     */
    @Test void idsEqualThePythonTrainersEncoder() throws IOException {
        Path vectors = SharedData.projectRoot().resolve("engine/src/test/resources/tokenizer");
        List<Path> files;
        try (Stream<Path> s = Files.list(vectors)) { files = s.filter(p -> p.toString().endsWith(".ids.json")).sorted().toList(); }
        assertFalse(files.isEmpty(), "no test vectors in " + vectors);
        for (Path file : files) {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            Path tokenizer = SharedData.projectRoot().resolve(root.get("tokenizer").asText());
            Tokenizer t = Tokenizers.load(tokenizer).orElseThrow(() -> new AssertionError("missing " + tokenizer));
            int samples = 0;
            for (JsonNode sample : root.get("samples")) {
                String text = sample.get("text").asText();
                int[] expected = new int[sample.get("ids").size()];
                for (int i = 0; i < expected.length; i++) expected[i] = sample.get("ids").get(i).asInt();
                assertArrayEquals(expected, t.encode(text), file.getFileName() + ": " + text);
                assertEquals(text, t.decode(expected));
                samples++;
            }
            assertTrue(samples >= 5, file + " has too few samples");
        }
    }

    @Test void roundTripCodeAndDeclareBosEos() throws IOException {
        List<Path> files = bundled();
        assertFalse(files.isEmpty(), "no models/*/tokenizer.json: the bundled tokenizers are missing");
        for (Path file : files) {
            Tokenizer t = Tokenizers.load(file).orElseThrow();
            for (String code : codeSamples()) {
                int[] ids = t.encode(code);
                assertEquals(code, t.decode(ids), file + " round trip");
                for (int id : ids) assertTrue(id >= 0 && id < t.vocabSize(), file + ": id " + id);
                if (t.vocabSize() > 258 && code.length() > 1000)
                    assertTrue(ids.length < code.getBytes(StandardCharsets.UTF_8).length / 2,
                            file + ": a trained BPE should need under half a token per byte of code, took " + ids.length);
            }
            assertTrue(t.bos().isPresent() && t.eos().isPresent(), file + " names BOS and EOS");
            assertTrue(t.stopIds().contains(t.eos().getAsInt()), file + " stops at EOS");
            assertEquals("", t.decode(new int[] {t.bos().getAsInt(), t.eos().getAsInt()}), "special tokens render as nothing");
            if (t.vocabSize() == 258)   // the byte-level model: bytes are ids 0..255, then <s> and </s>
                for (String code : codeSamples()) assertArrayEquals(Tokenizers.bytes().encode(code), t.encode(code), file.toString());
        }
    }
}
