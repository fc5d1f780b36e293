package dev.panamax.llm;

import dev.panamax.SharedData;
import dev.panamax.io.FormatException;
import dev.panamax.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/** The public API: loading, tokenizer plumbing, sharing between threads, closing. */
class LanguageModelTest {
    @TempDir Path tmp;

    /** A llama2.c tokenizer.bin whose token i reads "w{i} " (ids 0..2 are the usual unk/BOS/EOS). */
    static void writeTokenizer(Path file, int vocab) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        out.write(b.putInt(0, 16).array(), 0, 4);
        for (int i = 0; i < vocab; i++) {
            byte[] piece = (i == 0 ? "<unk>" : i == 1 ? "\n<s>\n" : i == 2 ? "\n</s>\n" : " w" + i).getBytes(StandardCharsets.UTF_8);
            ByteBuffer t = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(-i).putInt(piece.length);
            out.write(t.array(), 0, 8);
            out.write(piece, 0, piece.length);
        }
        Files.write(file, out.toByteArray());
    }

    @Test void textStreamsThroughTheTokenizerBesideTheModel() throws IOException {
        Path folder = Files.createDirectory(tmp.resolve("stories"));
        Files.createSymbolicLink(folder.resolve("stories260K.bin"), SharedData.file("llama2c/stories260K.bin").toAbsolutePath());
        writeTokenizer(folder.resolve("tokenizer.bin"), 512);
        try (LanguageModel m = LanguageModel.load(folder)) {
            assertTrue(m.hasTokenizer());
            assertEquals("llama2.c", m.format());
            StringBuilder streamed = new StringBuilder();
            GenerateResult r = m.generate(new int[] {5, 50, 100, 7}, GenerateOptions.greedy().maxTokens(12), (id, t) -> streamed.append(t));
            int[] want = {465, 465, 466, 310, 310, 338, 283, 347, 466, 473};
            assertArrayEquals(want, Arrays.copyOf(r.ids(), 10));
            assertTrue(r.text().startsWith(" w465 w465 w466"), r.text());
            assertEquals(r.text(), streamed.toString());
            assertEquals(m.tokenizer().orElseThrow().decode(r.ids()), r.text());
            // Text prompts go through the same tokenizer, BOS first.
            int[] encoded = m.tokenizer().orElseThrow().encode("Once upon");
            GenerateResult fromText = m.generate("Once upon", GenerateOptions.greedy().maxTokens(12));
            int[] withBos = new int[encoded.length + 1];
            withBos[0] = 1;
            System.arraycopy(encoded, 0, withBos, 1, encoded.length);
            assertArrayEquals(withBos, fromText.promptIds());
            assertArrayEquals(m.generate(encoded, GenerateOptions.greedy().maxTokens(12)).ids(), fromText.ids());
            assertEquals(r.text(), m.generate(new int[] {5, 50, 100, 7}, GenerateOptions.greedy().maxTokens(12)).text(),
                    "the result holds the text with no listener too");
        }
    }

    @Test void aPromptTheTokenizerCannotEncodeNamesTheModel() throws IOException {
        Path src = ReferenceModelsTest.dir("meta-ntp-f32"), dir = Files.createDirectories(tmp.resolve("tiny-vocab"));
        for (String f : new String[] {"model.safetensors", "params.json"}) Files.copy(src.resolve(f), dir.resolve(f));
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}");
        try (LanguageModel m = LanguageModel.load(dir)) {
            var e = assertThrows(IllegalArgumentException.class, () -> m.generate("hello", GenerateOptions.greedy().maxTokens(2)));
            assertTrue(e.getMessage().contains("tokenizer of " + dir) && e.getMessage().contains("U+68"), e.getMessage());
        }
    }

    @Test void unknownFormatsAreNamed() throws IOException {
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        FormatException e = assertThrows(FormatException.class, () -> LanguageModel.load(empty));
        assertTrue(e.getMessage().contains("unknown model format"), e.getMessage());
        Path txt = Files.writeString(tmp.resolve("model.txt"), "hello");
        assertTrue(assertThrows(FormatException.class, () -> LanguageModel.load(txt)).getMessage().contains("unknown model format"));
        assertThrows(FormatException.class, () -> LanguageModel.load(tmp.resolve("missing")));
        Path badParams = Files.createDirectory(tmp.resolve("meta"));
        Files.writeString(badParams.resolve("params.json"), "{\"dim\": 8}");
        Files.copy(ReferenceModelsTest.dir("meta-ntp-f32").resolve("model.safetensors"), badParams.resolve("model.safetensors"));
        FormatException missing = assertThrows(FormatException.class, () -> LanguageModel.load(badParams));
        assertTrue(missing.getMessage().contains("params.json"), missing.getMessage());
    }

    @Test void shapesThatContradictTheConfigNameTheTensor() throws IOException {
        Path folder = Files.createDirectory(tmp.resolve("meta"));
        Path src = ReferenceModelsTest.dir("meta-mtp3-f32");
        Files.copy(src.resolve("model.safetensors"), folder.resolve("model.safetensors"));
        Files.writeString(folder.resolve("params.json"), Files.readString(src.resolve("params.json")).replace("\"n_kv_heads\": 1", "\"n_kv_heads\": 2"));
        FormatException e = assertThrows(FormatException.class, () -> LanguageModel.load(folder));
        assertEquals("layers.0.attention.wk.weight", e.item());
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    }

    @Test void eightThreadsShareOneModel() throws Exception {
        try (LanguageModel m = RandomModels.model(RandomModels.config(32, 64, 4, 4, 2, 48, 128, 3), 21, DType.F32)) {
            int[][] prompts = new int[8][];
            int[][] alone = new int[8][];
            for (int i = 0; i < 8; i++) {
                prompts[i] = new int[] {i, i + 1, 2 * i};
                alone[i] = m.generate(prompts[i], GenerateOptions.greedy().maxTokens(60).decoder(i % 2 == 0 ? GenerateOptions.Decoder.NTP : GenerateOptions.Decoder.MTP)).ids();
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<int[]>> futures = new ArrayList<>();
                for (int round = 0; round < 3; round++)
                    for (int i = 0; i < 8; i++) {
                        int j = i;
                        futures.add(pool.submit(() -> m.generate(prompts[j], GenerateOptions.greedy().maxTokens(60)
                                .decoder(j % 2 == 0 ? GenerateOptions.Decoder.NTP : GenerateOptions.Decoder.MTP)).ids()));
                    }
                for (int f = 0; f < futures.size(); f++) assertArrayEquals(alone[f % 8], futures.get(f).get(), "thread task " + f);
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test void loadingAndClosingReleasesEverything() {
        Path dir = ReferenceModelsTest.dir("meta-mtp4-bf16");
        int[] first = null;
        for (int i = 0; i < 200; i++) {
            try (LanguageModel m = LanguageModel.load(dir)) {
                if (i == 0) first = m.generate(new int[] {1, 2}, GenerateOptions.greedy().maxTokens(4)).ids();
            }
        }
        LanguageModel m = LanguageModel.load(dir);
        m.close();
        m.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> m.generate(new int[] {1}, GenerateOptions.greedy()));
        try (LanguageModel again = LanguageModel.load(dir)) {
            assertArrayEquals(first, again.generate(new int[] {1, 2}, GenerateOptions.greedy().maxTokens(4)).ids());
        }
    }
}
