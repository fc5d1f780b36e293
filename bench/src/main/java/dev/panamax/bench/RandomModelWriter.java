package dev.panamax.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamax.tensor.DType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes random-weight models for the benches, streaming each tensor to disk as it is generated
 * (a 350M-parameter model never sits in memory whole): llama2.c {@code .bin} files and Meta folders
 * ({@code params.json} + {@code model.safetensors}, F32 or BF16, MTP heads under
 * {@code extra_heads.*}).
 *
 * <p>Every tensor is drawn from its own stream, seeded by the model seed and the tensor's Meta name,
 * so the two layouts of one shape hold the same model. Matrices are uniform with standard deviation
 * 1.5/sqrt(in), which keeps activations of unit scale through the blocks and logits spread over a few
 * units, so greedy choices are clear. Token 1 (llama2.c's BOS and stop token) gets a zero embedding
 * and a zero classifier row: it is never generated, and generation runs to the requested length.
 */
public final class RandomModelWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A model shape. {@code layers} counts every block, MTP heads included (Meta's {@code n_layers}):
     * the trunk has {@code layers - futureTokens} blocks. {@code hidden} follows Meta's rule from
     * {@code dim} and {@code multipleOf}, so params.json alone gives it.
     */
    public record Shape(String name, int dim, int layers, int heads, int kvHeads, int vocab, int seqLen,
                        int multipleOf, int futureTokens) {
        public Shape {
            if (dim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab <= 1 || seqLen <= 0 || multipleOf <= 0)
                throw new IllegalArgumentException("shape " + name + ": sizes must be positive");
            if (dim % heads != 0 || heads % kvHeads != 0)
                throw new IllegalArgumentException("shape " + name + ": dim must split into heads, heads into kv heads");
            if (futureTokens < 1 || layers < futureTokens)
                throw new IllegalArgumentException("shape " + name + ": " + layers + " layers cannot hold " + futureTokens + " heads");
        }

        /** Meta's feed-forward width: two thirds of 4·dim rounded up to a multiple of multipleOf. */
        public int hidden() {
            int h = (int) (2.0 * (4L * dim) / 3);
            return multipleOf * ((h + multipleOf - 1) / multipleOf);
        }

        public int kvDim() { return kvHeads * (dim / heads); }

        /** The same shape with {@code n} heads; the layers grow only if they could not hold them with a trunk block. */
        public Shape withFutureTokens(int n) {
            return new Shape(name, dim, Math.max(layers, n + 1), heads, kvHeads, vocab, seqLen, multipleOf, n);
        }

        /** Parameters of one block: four attention matrices, three feed-forward ones and two norms. */
        public long blockParams() {
            return 2L * dim * dim + 2L * dim * kvDim() + 3L * dim * hidden() + 2L * dim;
        }

        /** Parameters as the model computes with them: embedding, every block, final norm, classifier. */
        public long params() {
            return 2L * vocab * dim + layers * blockParams() + dim;
        }

        /**
         * Weight bytes one next-token step reads: one embedding row, the trunk and head 1 (the extra
         * heads are idle in plain decoding), the final norm and the classifier. Norms are F32.
         */
        public long bytesPerToken(DType dtype) {
            int b = dtype.bytes();
            long matrices = 2L * dim * dim + 2L * dim * kvDim() + 3L * dim * hidden();
            long blocks = (long) (layers - futureTokens + 1) * (matrices * b + 2L * dim * 4);
            return (long) dim * b + blocks + dim * 4L + (long) vocab * dim * b;
        }
    }

    /** Shapes by name: llama2.c's stories15M and stories110M, a 350M one, and a tiny one for tests. */
    public static Shape shape(String name) {
        return switch (name.toUpperCase(java.util.Locale.ROOT)) {
            case "TINY" -> new Shape("tiny", 64, 4, 4, 4, 512, 256, 32, 1);
            case "15M" -> new Shape("15M", 288, 6, 6, 6, 32000, 256, 256, 1);
            case "110M" -> new Shape("110M", 768, 12, 12, 12, 32000, 1024, 256, 1);
            case "350M" -> new Shape("350M", 1024, 24, 16, 16, 32000, 1024, 256, 1);
            default -> throw new IllegalArgumentException("unknown model size '" + name + "' (use tiny, 15M, 110M or 350M)");
        };
    }

    /** Parses "15M,110M" into shapes. */
    public static List<Shape> shapes(String list) {
        List<Shape> out = new ArrayList<>();
        for (String s : list.split(",")) if (!s.isBlank()) out.add(shape(s.trim()));
        if (out.isEmpty()) throw new IllegalArgumentException("no model sizes given");
        return out;
    }

    private RandomModelWriter() {}

    /** A llama2.c checkpoint (F32, classifier shared with the embedding, as the stories models). */
    public static void writeLlama2c(Path file, Shape s, long seed) {
        if (s.futureTokens() != 1) throw new IllegalArgumentException("llama2.c files hold no MTP heads");
        int d = s.dim(), kv = s.kvDim(), h = s.hidden();
        try (Sink out = new Sink(file, DType.F32)) {
            ByteBuffer header = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
            for (int v : new int[] {d, h, s.layers(), s.heads(), s.kvHeads(), s.vocab(), s.seqLen()}) header.putInt(v);
            out.raw(header.flip());
            out.embedding("tok_embeddings.weight", s, seed);
            String[][] order = {{"attention_norm.weight"}, {"attention.wq.weight"}, {"attention.wk.weight"},
                    {"attention.wv.weight"}, {"attention.wo.weight"}, {"ffn_norm.weight"},
                    {"feed_forward.w1.weight"}, {"feed_forward.w2.weight"}, {"feed_forward.w3.weight"}};
            for (String[] part : order)
                for (int l = 0; l < s.layers(); l++) {
                    String name = "layers." + l + "." + part[0];
                    long[] shape = blockTensorShape(part[0], d, kv, h);
                    out.tensor(name, shape, seed);
                }
            out.tensor("norm.weight", new long[] {d}, seed);
            // The RoPE tables llama2.c files carry (unused by readers that compute RoPE): zeros.
            out.zeros((long) s.seqLen() * (d / s.heads()));
        }
    }

    /** A Meta folder: params.json and model.safetensors in {@code dtype} (norms stay F32). */
    public static void writeMeta(Path folder, Shape s, DType dtype, long seed) {
        if (dtype != DType.F32 && dtype != DType.BF16) throw new IllegalArgumentException("dtype " + dtype + ": use F32 or BF16");
        int d = s.dim(), kv = s.kvDim(), h = s.hidden();
        Map<String, long[]> tensors = new LinkedHashMap<>();
        tensors.put("tok_embeddings.weight", new long[] {s.vocab(), d});
        List<String> blocks = new ArrayList<>();
        for (int i = 0; i < s.layers() - s.futureTokens() + 1; i++) blocks.add("layers." + i + ".");
        for (int j = 0; j < s.futureTokens() - 1; j++) blocks.add("extra_heads." + j + ".");
        for (String p : blocks)
            for (String n : new String[] {"attention_norm.weight", "attention.wq.weight", "attention.wk.weight",
                    "attention.wv.weight", "attention.wo.weight", "ffn_norm.weight", "feed_forward.w1.weight",
                    "feed_forward.w2.weight", "feed_forward.w3.weight"})
                tensors.put(p + n, blockTensorShape(n, d, kv, h));
        tensors.put("norm.weight", new long[] {d});
        tensors.put("output.weight", new long[] {s.vocab(), d});

        try {
            Files.createDirectories(folder);
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("dim", d);
            params.put("n_layers", s.layers());
            params.put("n_heads", s.heads());
            params.put("n_kv_heads", s.kvHeads());
            params.put("vocab_size", s.vocab());
            params.put("multiple_of", s.multipleOf());
            params.put("ffn_dim_multiplier", null);
            params.put("norm_eps", 1e-5);
            params.put("rope_theta", 10000.0);
            params.put("max_seq_len", s.seqLen());
            params.put("n_future_tokens", s.futureTokens());
            JSON.writerWithDefaultPrettyPrinter().writeValue(folder.resolve("params.json").toFile(), params);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + folder.resolve("params.json"), e);
        }

        // safetensors: u64 header length, a JSON header padded with spaces to 8 bytes, then the data.
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt", "writer", "panamax bench (random weights, seed " + seed + ")"));
        long offset = 0;
        for (var e : tensors.entrySet()) {
            DType t = isNorm(e.getKey()) ? DType.F32 : dtype;
            long bytes = count(e.getValue()) * t.bytes();
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", t.name());
            info.put("shape", e.getValue());
            info.put("data_offsets", new long[] {offset, offset + bytes});
            header.put(e.getKey(), info);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');

        try (Sink out = new Sink(folder.resolve("model.safetensors"), dtype)) {
            out.raw(head.flip());
            for (var e : tensors.entrySet()) {
                if (e.getKey().equals("tok_embeddings.weight") || e.getKey().equals("output.weight"))
                    out.embedding(e.getKey(), s, seed); // the classifier repeats the embedding, as llama2.c shares it
                else out.tensor(e.getKey(), e.getValue(), seed);
            }
        }
    }

    private static long[] blockTensorShape(String name, int d, int kv, int h) {
        return switch (name) {
            case "attention_norm.weight", "ffn_norm.weight" -> new long[] {d};
            case "attention.wq.weight", "attention.wo.weight" -> new long[] {d, d};
            case "attention.wk.weight", "attention.wv.weight" -> new long[] {kv, d};
            case "feed_forward.w1.weight", "feed_forward.w3.weight" -> new long[] {h, d};
            case "feed_forward.w2.weight" -> new long[] {d, h};
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static boolean isNorm(String name) { return name.endsWith("norm.weight"); }

    private static long count(long[] shape) {
        long n = 1;
        for (long v : shape) n *= v;
        return n;
    }

    /** Streams floats to a file through a 1 MiB buffer, narrowing matrices to the file's dtype. */
    private static final class Sink implements AutoCloseable {
        private final Path file;
        private final FileChannel channel;
        private final DType dtype;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);

        Sink(Path file, DType dtype) {
            this.file = file;
            this.dtype = dtype;
            try {
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException("creating " + file, e);
            }
        }

        void raw(ByteBuffer b) {
            while (b.hasRemaining()) {
                if (!buf.hasRemaining()) flush();
                int n = Math.min(b.remaining(), buf.remaining());
                buf.put(buf.position(), b, b.position(), n);
                buf.position(buf.position() + n);
                b.position(b.position() + n);
            }
        }

        /** A norm (1 + noise, F32) or a matrix (uniform, sd 1.5/sqrt(in)) from the tensor's own stream. */
        void tensor(String name, long[] shape, long seed) {
            SplittableRandom r = stream(seed, name);
            if (isNorm(name)) {
                for (long i = 0; i < shape[0]; i++) put(DType.F32, 1f + 0.2f * uniform(r));
                return;
            }
            float scale = (float) (1.5 / Math.sqrt(shape[1]));
            for (long i = 0, n = count(shape); i < n; i++) put(dtype, scale * uniform(r));
        }

        /** The embedding (and the classifier, the same values): unit scale, row 1 all zeros. */
        void embedding(String name, Shape s, long seed) {
            SplittableRandom r = stream(seed, "tok_embeddings.weight");
            for (int row = 0; row < s.vocab(); row++)
                for (int i = 0; i < s.dim(); i++) {
                    float v = uniform(r);
                    put(dtype, row == 1 ? 0f : v);
                }
        }

        void zeros(long floats) {
            for (long i = 0; i < floats; i++) put(DType.F32, 0f);
        }

        private void put(DType t, float v) {
            if (buf.remaining() < 4) flush();
            if (t == DType.BF16) buf.putShort(DType.floatToBf16(v));
            else buf.putFloat(v);
        }

        private void flush() {
            buf.flip();
            try {
                while (buf.hasRemaining()) channel.write(buf);
            } catch (IOException e) {
                throw new UncheckedIOException("writing " + file, e);
            }
            buf.clear();
        }

        @Override public void close() {
            flush();
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException("closing " + file, e);
            }
        }
    }

    private static SplittableRandom stream(long seed, String name) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ name.hashCode());
    }

    /** Uniform on [-sqrt 3, sqrt 3): mean 0, variance 1. */
    private static float uniform(SplittableRandom r) {
        return (float) ((r.nextInt() * 0x1p-31) * 1.7320508075688772);
    }
}
