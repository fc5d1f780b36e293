package dev.panamax.io;

import dev.panamax.SharedData;
import dev.panamax.tensor.Mapping;
import dev.panamax.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class Llama2cCheckpointTest {
    @TempDir Path tmp;

    @Test void exposesMetaNamesOverTheMappedFile() {
        try (Mapping m = new Mapping()) {
            Llama2cCheckpoint c = Llama2cCheckpoint.open(SharedData.file("llama2c/stories260K.bin"), m);
            Llama2cCheckpoint.Header h = c.header();
            assertEquals(new Llama2cCheckpoint.Header(64, 172, 5, 8, 4, 512, 512, true), h);
            assertEquals(1 + 5 * 9 + 2, c.tensors().size()); // embedding, 9 per layer, norm, output
            Tensor wk = c.tensors().get("layers.4.attention.wk.weight");
            assertArrayEquals(new long[] {32, 64}, wk.shape());
            assertArrayEquals(new long[] {172, 64}, c.tensors().get("layers.0.feed_forward.w1.weight").shape());
            assertArrayEquals(new long[] {64, 172}, c.tensors().get("layers.0.feed_forward.w2.weight").shape());
            // Shared classifier: the output is the embedding's memory, not a copy.
            assertEquals(c.tensors().get("tok_embeddings.weight").data().address(), c.tensors().get("output.weight").data().address());
        }
    }

    private Path write(byte[] bytes) throws IOException {
        Path p = Files.createTempFile(tmp, "m", ".bin");
        Files.write(p, bytes);
        return p;
    }

    private static byte[] header(int... f) {
        ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : f) b.putInt(x);
        return b.array();
    }

    private FormatException fails(byte[] bytes) throws IOException {
        Path p = write(bytes);
        try (Mapping m = new Mapping()) {
            FormatException e = assertThrows(FormatException.class, () -> Llama2cCheckpoint.open(p, m));
            assertEquals(p, e.file());
            return e;
        }
    }

    @Test void rejectsBadHeadersAndSizes() throws IOException {
        assertEquals("header", fails(new byte[10]).item());
        assertEquals("dim", fails(header(0, 4, 1, 1, 1, 8, 8)).item());
        assertEquals("n_kv_heads", fails(header(8, 4, 1, 2, 3, 8, 8)).item());
        assertEquals("n_heads", fails(header(8, 4, 1, 3, 1, 8, 8)).item());
        assertEquals("vocab_size", fails(header(8, 4, 1, 2, 1, Integer.MIN_VALUE, 8)).item());
        // Header fine, arrays missing: the first tensor past the end is named.
        assertEquals("tok_embeddings.weight", fails(header(8, 4, 1, 2, 1, 8, 8)).item());
    }

    @Test void rejectsTruncatedAndOverlongRealFile() throws IOException {
        byte[] real = Files.readAllBytes(SharedData.file("llama2c/stories260K.bin"));
        FormatException cut = fails(Arrays.copyOf(real, real.length - 4));
        assertTrue(cut.getMessage().contains("truncated") || cut.getMessage().contains("implies"), cut.getMessage());
        fails(Arrays.copyOf(real, real.length + 4));
        byte[] negVocab = real.clone(); // a separate classifier then needs V×D more floats
        ByteBuffer.wrap(negVocab).order(ByteOrder.LITTLE_ENDIAN).putInt(20, -512);
        assertEquals("output.weight", fails(negVocab).item());
    }
}
