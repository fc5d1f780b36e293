package dev.panamax.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.panamax.tensor.DType;
import dev.panamax.tensor.Mapping;
import dev.panamax.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face safetensors: an 8-byte little-endian header length, a JSON header
 * {@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}},
 * then the tensors' bytes (offsets count from the end of the header). Tensors are mapped in place.
 * A sharded checkpoint is opened through its {@code model.safetensors.index.json}
 * ({@code {"metadata": {..}, "weight_map": {"name": "shard file"}}}); all shards share one mapping.
 */
public final class SafeTensors implements TensorFile {

    /** The reference implementation's limit; a larger header is a corrupt or hostile file. */
    static final long MAX_HEADER = 100L << 20;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path path;
    private final Mapping mapping;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private SafeTensors(Path path, Mapping mapping) {
        this.path = path;
        this.mapping = mapping;
    }

    /** Opens a {@code .safetensors} file, or a sharded checkpoint through its {@code .json} index. */
    public static SafeTensors open(Path fileOrIndex) {
        SafeTensors st = new SafeTensors(fileOrIndex, new Mapping());
        try {
            if (fileOrIndex.getFileName().toString().endsWith(".json")) st.readIndex();
            else st.tensors.putAll(st.readFile(fileOrIndex, st.metadata));
            return st;
        } catch (RuntimeException | Error e) {
            st.close();
            throw e;
        }
    }

    @Override public Path path() { return path; }

    @Override public Map<String, Tensor> tensors() { return Collections.unmodifiableMap(tensors); }

    @Override public Map<String, String> metadata() { return Collections.unmodifiableMap(metadata); }

    @Override public void close() { mapping.close(); }

    private void readIndex() {
        JsonNode index;
        try {
            index = JSON.readTree(Files.readAllBytes(path));
        } catch (JsonProcessingException e) {
            throw new FormatException(path, null, FormatException.json(e), e);
        } catch (IOException e) {
            throw new FormatException(path, null, "cannot read: " + e.getMessage(), e);
        }
        if (index == null || !index.isObject() || !index.path("weight_map").isObject())
            throw new FormatException(path, "weight_map", "a shard index needs a \"weight_map\" object");
        for (var e : index.path("metadata").properties())
            if (e.getValue().isValueNode()) metadata.put(e.getKey(), e.getValue().asText());

        Map<String, String> shardOf = new LinkedHashMap<>();
        for (var e : index.get("weight_map").properties()) {
            String shard = e.getValue().isTextual() ? e.getValue().asText() : "";
            Path p = Path.of(shard).getFileName();
            if (shard.isEmpty() || p == null || !p.toString().equals(shard) || shard.equals("..") || shard.equals("."))
                throw new FormatException(path, e.getKey(), "shard must be a file name beside the index, not \"" + shard + "\"");
            shardOf.put(e.getKey(), shard);
        }
        for (String shard : new java.util.LinkedHashSet<>(shardOf.values())) {
            Path file = path.resolveSibling(shard);
            for (var t : readFile(file, new LinkedHashMap<>()).entrySet()) {
                if (tensors.containsKey(t.getKey())) throw new FormatException(file, t.getKey(), "tensor also found in another shard");
                if (shardOf.containsKey(t.getKey()) && !shardOf.get(t.getKey()).equals(shard))
                    throw new FormatException(file, t.getKey(), "the index places this tensor in " + shardOf.get(t.getKey()));
                tensors.put(t.getKey(), t.getValue());
            }
        }
        for (var e : shardOf.entrySet())
            if (!tensors.containsKey(e.getKey()))
                throw new FormatException(path.resolveSibling(e.getValue()), e.getKey(), "tensor listed in the index is missing from its shard");
    }

    /** One safetensors file: the header checked in full before any tensor is made. */
    private Map<String, Tensor> readFile(Path file, Map<String, String> meta) {
        MemorySegment seg = Formats.map(mapping, file);
        if (seg.byteSize() < 8) throw new FormatException(file, null, "too short for a safetensors header (" + seg.byteSize() + " bytes)");
        long n = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 2 || n > MAX_HEADER || n > seg.byteSize() - 8)
            throw new FormatException(file, null, "header length " + Long.toUnsignedString(n) + " is impossible for a file of "
                    + seg.byteSize() + " bytes (limit " + MAX_HEADER + ")");
        JsonNode header;
        try {
            header = JSON.readTree(seg.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE));
        } catch (JsonProcessingException e) {
            throw new FormatException(file, null, "header " + FormatException.json(e), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);   // reading a byte array does no I/O
        }
        if (header == null || !header.isObject()) throw new FormatException(file, null, "the header is not a JSON object");
        MemorySegment data = seg.asSlice(8 + n);

        record Span(String name, long begin, long end) {}
        List<Span> spans = new ArrayList<>();
        Map<String, Tensor> read = new LinkedHashMap<>();
        for (var e : header.properties()) {
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw new FormatException(file, name, "must be an object of strings");
                for (var m : v.properties()) {
                    if (!m.getValue().isTextual()) throw new FormatException(file, name + "." + m.getKey(), "metadata values must be strings");
                    meta.put(m.getKey(), m.getValue().asText());
                }
                continue;
            }
            if (!v.isObject() || v.size() != 3 || !v.path("dtype").isTextual() || !v.path("shape").isArray() || !v.path("data_offsets").isArray())
                throw new FormatException(file, name, "expected {\"dtype\", \"shape\", \"data_offsets\"}");
            DType dtype = dtype(file, name, v.get("dtype").asText());
            long[] shape = new long[v.get("shape").size()];
            long bytes = dtype.bytes();
            for (int i = 0; i < shape.length; i++) {
                shape[i] = count(file, name, v.get("shape").get(i));
                try {
                    bytes = Math.multiplyExact(bytes, shape[i]);
                } catch (ArithmeticException x) {
                    throw new FormatException(file, name, "absurd shape: the byte count overflows");
                }
            }
            JsonNode off = v.get("data_offsets");
            if (off.size() != 2) throw new FormatException(file, name, "data_offsets must be [begin, end]");
            long begin = count(file, name, off.get(0)), end = count(file, name, off.get(1));
            if (begin > end || end > data.byteSize())
                throw new FormatException(file, name, "data_offsets [" + begin + ", " + end + ") lie outside the " + data.byteSize() + " data bytes");
            if (end - begin != bytes)
                throw new FormatException(file, name, dtype + java.util.Arrays.toString(shape) + " needs " + bytes + " bytes, data_offsets give " + (end - begin));
            spans.add(new Span(name, begin, end));
            read.put(name, new Tensor(name, dtype, shape, data.asSlice(begin, bytes)));
        }
        spans.sort(Comparator.comparingLong(Span::begin).thenComparingLong(Span::end));
        for (int i = 1; i < spans.size(); i++)
            if (spans.get(i).begin < spans.get(i - 1).end)
                throw new FormatException(file, spans.get(i).name, "bytes overlap tensor " + spans.get(i - 1).name);
        return read;
    }

    private static long count(Path file, String name, JsonNode n) {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0)
            throw new FormatException(file, name, "expected a non-negative integer, found " + abbreviate(n.toString()));
        return n.asLong();
    }

    private static DType dtype(Path file, String name, String text) {
        try {
            return DType.valueOf(text);   // safetensors and DType spell them alike: F32, BF16, I64, BOOL...
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, name, "unsupported dtype " + abbreviate(text));
        }
    }

    private static String abbreviate(String s) { return s.length() > 40 ? s.substring(0, 40) + "..." : s; }

    /**
     * Writes {@code tensors} (in map order, no gaps) with {@code metadata} as {@code __metadata__}.
     * The file is written beside its destination, then moved into place, so no reader sees half of it.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        if (Files.isDirectory(file)) throw new IllegalArgumentException(file + ": a folder; give the name of the file to write");
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (var e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) throw new IllegalArgumentException("\"__metadata__\" cannot name a tensor");
            Tensor t = e.getValue();
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", t.dtype().name());
            var shape = entry.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            entry.putArray("data_offsets").add(offset).add(offset + t.data().byteSize());
            offset += t.data().byteSize();
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;   // spaces up to 8 bytes, so the data starts aligned
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();

        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            writeAll(ch, head);
            for (Tensor t : tensors.values())   // in slices: one ByteBuffer holds at most 2 GiB
                for (long at = 0; at < t.data().byteSize(); at += 1L << 30)
                    writeAll(ch, t.data().asSlice(at, Math.min(1L << 30, t.data().byteSize() - at)).asByteBuffer());
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(tmp);   // a failed save leaves nothing behind
            throw new UncheckedIOException("cannot move " + tmp + " to " + file + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the write's own error is the one to report
        }
    }

    private static void writeAll(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
