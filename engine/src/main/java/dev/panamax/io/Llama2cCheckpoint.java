package dev.panamax.io;

import dev.panamax.tensor.DType;
import dev.panamax.tensor.Mapping;
import dev.panamax.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A llama2.c checkpoint ({@code .bin}, as Karpathy's {@code export.py} writes its legacy version 0):
 * a header of seven int32 followed by float32 arrays, mapped in place.
 *
 * <p>The arrays are exposed under Meta's tensor names ({@code tok_embeddings.weight},
 * {@code layers.{i}.attention.wq.weight}, ...) so that one Meta-layout weight mapper serves both
 * formats. Every matrix is (out, in), row-major, as Meta's are. When the classifier is shared (a
 * positive vocab_size in the header), {@code output.weight} is a view of the embedding.
 */
public final class Llama2cCheckpoint {

    /** The header; {@code sharedClassifier} is true when the stored vocab_size was positive. */
    public record Header(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize,
                         int seqLen, boolean sharedClassifier) {
        public int headSize() { return dim / nHeads; }

        public int kvDim() { return headSize() * nKvHeads; }
    }

    private static final int HEADER_BYTES = 7 * Integer.BYTES;
    /** Far above any real llama2.c model; keeps a corrupted header from asking for absurd sizes. */
    private static final int MAX_DIM = 1 << 20;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Header header;
    private final Map<String, Tensor> tensors;

    private Llama2cCheckpoint(Path file, Header header, Map<String, Tensor> tensors) {
        this.file = file;
        this.header = header;
        this.tensors = tensors;
    }

    /** Maps {@code file} into {@code mapping} and validates it; the tensors live as long as the mapping. */
    public static Llama2cCheckpoint open(Path file, Mapping mapping) {
        MemorySegment seg;
        try {
            seg = mapping.map(file);
        } catch (RuntimeException e) {
            throw new FormatException(file, null, "cannot read: " + e.getMessage(), e);
        }
        return read(file, seg);
    }

    /** Reads a checkpoint already in memory (the tensors are views of {@code seg}). */
    public static Llama2cCheckpoint read(Path file, MemorySegment seg) {
        Header h = readHeader(file, seg);
        int d = h.dim(), hd = h.hiddenDim(), l = h.nLayers(), v = h.vocabSize(), kv = h.kvDim();

        Map<String, Tensor> out = new LinkedHashMap<>();
        Cursor c = new Cursor(file, seg);
        Tensor emb = c.take("tok_embeddings.weight", v, d);
        out.put("tok_embeddings.weight", emb);
        Tensor rmsAtt = c.take("rms_att_weight", l, d);
        Tensor wq = c.take("wq", l, d, d);
        Tensor wk = c.take("wk", l, kv, d);
        Tensor wv = c.take("wv", l, kv, d);
        Tensor wo = c.take("wo", l, d, d);
        Tensor rmsFfn = c.take("rms_ffn_weight", l, d);
        Tensor w1 = c.take("w1", l, hd, d);
        Tensor w2 = c.take("w2", l, d, hd);
        Tensor w3 = c.take("w3", l, hd, d);
        Tensor norm = c.take("norm.weight", d);
        c.skip("freq_cis", 4L * h.seqLen() * h.headSize()); // legacy RoPE tables: real and imaginary halves
        Tensor output = h.sharedClassifier() ? emb.withName("output.weight") : c.take("output.weight", v, d);
        if (c.offset != seg.byteSize())
            throw new FormatException(file, null, "file holds " + seg.byteSize() + " bytes, the header implies " + c.offset);

        for (int i = 0; i < l; i++) {
            String p = "layers." + i + ".";
            out.put(p + "attention_norm.weight", layer(rmsAtt, i, p + "attention_norm.weight"));
            out.put(p + "attention.wq.weight", layer(wq, i, p + "attention.wq.weight"));
            out.put(p + "attention.wk.weight", layer(wk, i, p + "attention.wk.weight"));
            out.put(p + "attention.wv.weight", layer(wv, i, p + "attention.wv.weight"));
            out.put(p + "attention.wo.weight", layer(wo, i, p + "attention.wo.weight"));
            out.put(p + "ffn_norm.weight", layer(rmsFfn, i, p + "ffn_norm.weight"));
            out.put(p + "feed_forward.w1.weight", layer(w1, i, p + "feed_forward.w1.weight"));
            out.put(p + "feed_forward.w2.weight", layer(w2, i, p + "feed_forward.w2.weight"));
            out.put(p + "feed_forward.w3.weight", layer(w3, i, p + "feed_forward.w3.weight"));
        }
        out.put("norm.weight", norm);
        out.put("output.weight", output);
        return new Llama2cCheckpoint(file, h, Collections.unmodifiableMap(out));
    }

    static Header readHeader(Path file, MemorySegment seg) {
        if (seg.byteSize() < HEADER_BYTES)
            throw new FormatException(file, "header", "file is " + seg.byteSize() + " bytes, shorter than the 28-byte header");
        int[] f = new int[7];
        for (int i = 0; i < 7; i++) f[i] = seg.get(INT, 4L * i);
        String[] names = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
        boolean shared = f[5] > 0;
        if (f[5] == Integer.MIN_VALUE) throw new FormatException(file, "vocab_size", "absurd value " + f[5]);
        f[5] = Math.abs(f[5]);
        for (int i = 0; i < 7; i++)
            if (f[i] <= 0 || f[i] > MAX_DIM)
                throw new FormatException(file, names[i], "must lie in 1.." + MAX_DIM + ", is " + f[i]);
        int dim = f[0], heads = f[3], kvHeads = f[4];
        if (dim % heads != 0) throw new FormatException(file, "n_heads", "dim " + dim + " is not a multiple of n_heads " + heads);
        if ((dim / heads) % 2 != 0) throw new FormatException(file, "n_heads", "head size " + dim / heads + " must be even for RoPE");
        if (kvHeads > heads || heads % kvHeads != 0)
            throw new FormatException(file, "n_kv_heads", "n_heads " + heads + " is not a multiple of n_kv_heads " + kvHeads);
        return new Header(dim, f[1], f[2], heads, kvHeads, f[5], f[6], shared);
    }

    private static Tensor layer(Tensor stacked, int i, String name) {
        return stacked.slice(i, 1).reshape(dropFirst(stacked.shape())).withName(name);
    }

    private static long[] dropFirst(long[] s) {
        long[] r = new long[s.length - 1];
        System.arraycopy(s, 1, r, 0, r.length);
        return r;
    }

    /** Walks the float32 arrays in file order, checking each lies inside the file. */
    private static final class Cursor {
        final Path file;
        final MemorySegment seg;
        long offset = HEADER_BYTES;

        Cursor(Path file, MemorySegment seg) { this.file = file; this.seg = seg; }

        Tensor take(String name, long... shape) {
            long n = 1;
            for (long s : shape) n = Math.multiplyExact(n, s);
            long bytes = Math.multiplyExact(n, 4L);
            if (offset + bytes > seg.byteSize())
                throw new FormatException(file, name, "needs bytes [" + offset + ", " + (offset + bytes)
                        + ") but the file has " + seg.byteSize() + " (truncated?)");
            Tensor t = new Tensor(name, DType.F32, shape, seg.asSlice(offset, bytes));
            offset += bytes;
            return t;
        }

        void skip(String name, long bytes) {
            if (offset + bytes > seg.byteSize())
                throw new FormatException(file, name, "needs bytes [" + offset + ", " + (offset + bytes)
                        + ") but the file has " + seg.byteSize() + " (truncated?)");
            offset += bytes;
        }
    }

    public Path file() { return file; }

    public Header header() { return header; }

    /** Every tensor under its Meta name, in file order. */
    public Map<String, Tensor> tensors() { return tensors; }
}
