package dev.panamax.tokenizer;

import dev.panamax.io.FormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Corrupted tokenizer files: a mutant either loads (and then encodes and decodes without
 * failing) or is refused with a {@link FormatException} naming the file. Nothing else escapes.
 */
class TokenizerMutationTest {

    @TempDir Path dir;

    private int refused;

    private void check(Path file, byte[] mutant, String what) throws IOException {
        Files.write(file, mutant);
        try {
            Tokenizer t = Tokenizers.load(file).orElseThrow();
            for (String text : Fixtures.VARIED_TEXT) {
                int[] ids = t.encode(text, true);
                for (int id : ids) assertTrue(id >= 0 && id < t.vocabSize(), what + ": id " + id + " outside the vocabulary");
                t.decode(ids);
            }
        } catch (FormatException e) {
            assertEquals(file, e.file(), what);
            refused++;
        } catch (IllegalArgumentException e) {
            // Allowed only for encoding a character a mutated vocabulary can no longer spell.
            assertTrue(e.getMessage().contains("is not in the vocabulary"), what + ": " + e);
        }
    }

    private void mutate(Path file, int count, long seed) throws IOException {
        byte[] original = Files.readAllBytes(file);
        Random rnd = new Random(seed);
        refused = 0;
        for (int m = 0; m < count; m++) {
            byte[] b = original.clone();
            String what;
            switch (m % 4) {
                case 0 -> { b = Arrays.copyOf(b, rnd.nextInt(b.length)); what = "truncated to " + b.length; }
                case 1 -> { int i = rnd.nextInt(b.length); b[i] = (byte) rnd.nextInt(256); what = "byte " + i + " set"; }
                case 2 -> { for (int k = 0; k < 8; k++) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8)); what = "8 bit flips"; }
                default -> { int i = rnd.nextInt(Math.max(1, b.length - 4)); b[i] = (byte) 0xFF; b[i + 1] = (byte) 0xFF; b[i + 2] = (byte) 0xFF; b[i + 3] = (byte) 0x7F; what = "int at " + i + " huge"; }
            }
            check(file, b, "mutant " + m + " (" + what + ")");
        }
        assertTrue(refused > count / 10, "most corruptions should be noticed, only " + refused + " of " + count + " were");
    }

    @Test void llama2cTokenizerBin() throws IOException { mutate(Fixtures.llama2cBin(dir, "tokenizer.bin"), 500, 1); }

    @Test void sentencePieceModel() throws IOException { mutate(Fixtures.spModel(dir), 500, 2); }

    @Test void huggingFaceJson() throws IOException {
        // Text-level mutations: JSON that still parses but says something else.
        Path file = Fixtures.spJson(dir, Fixtures.SpStyle.PREPEND_REPLACE);
        String json = Files.readString(file);
        Random rnd = new Random(3);
        String[] swaps = {"\"type\"", "\"vocab\"", "\"merges\"", "259", "\"▁\"", "true", "\"Sequence\"", "\"pattern\"", "[", "\"id\""};
        String[] replacements = {"\"typo\"", "null", "-1", "\"\"", "[]", "{}", "99999999", "\"x\"", "0", "false"};
        int mutants = 0;
        for (int m = 0; m < 300; m++) {
            String target = swaps[rnd.nextInt(swaps.length)];
            int at = json.indexOf(target, rnd.nextInt(json.length()));
            if (at < 0) continue;
            String mutant = json.substring(0, at) + replacements[rnd.nextInt(replacements.length)] + json.substring(at + target.length());
            check(file, mutant.getBytes(StandardCharsets.UTF_8), "json mutant " + m);
            mutants++;
        }
        assertTrue(mutants > 100);
    }
}
