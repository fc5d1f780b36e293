package dev.panamax.io;

import dev.panamax.tensor.DType;
import dev.panamax.tensor.Mapping;
import dev.panamax.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PyTorch checkpoints as {@code torch.save} writes them since PyTorch 1.6: a zip archive holding
 * {@code <archive>/data.pkl} (the pickled object) and one stored entry {@code <archive>/data/<key>}
 * per storage. Each tensor becomes a view of its storage's entry in the mapped file; nothing is
 * copied.
 *
 * <p>The pickle must be a dict (a state dict, or a checkpoint dict holding one). Nested dicts and
 * lists are flattened with dotted names ({@code {"model": {"w": t}}} gives {@code model.w}); values
 * that are not tensors (numbers, strings) are kept in {@link #values()}. Contiguous tensors (all that
 * a state dict normally holds) are views of the mapped file; a non-contiguous one (a transposed or
 * strided view saved as such) cannot be, so it is copied into row-major order.
 */
public final class TorchZip implements TensorFile {

    private static final Map<String, DType> STORAGES = Map.ofEntries(
            Map.entry("FloatStorage", DType.F32), Map.entry("DoubleStorage", DType.F64),
            Map.entry("HalfStorage", DType.F16), Map.entry("BFloat16Storage", DType.BF16),
            Map.entry("LongStorage", DType.I64), Map.entry("IntStorage", DType.I32),
            Map.entry("ShortStorage", DType.I16), Map.entry("CharStorage", DType.I8),
            Map.entry("ByteStorage", DType.U8), Map.entry("BoolStorage", DType.BOOL));

    private static final String REBUILD_TENSOR = "torch._utils._rebuild_tensor_v2";
    private static final Set<String> GLOBALS = globals();

    private static Set<String> globals() {
        var s = new java.util.HashSet<>(List.of("collections.OrderedDict", REBUILD_TENSOR,
                "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state", "_codecs.encode"));
        for (String storage : STORAGES.keySet()) s.add("torch." + storage);
        return Set.copyOf(s);
    }

    private static final int MAX_NESTING = 32;
    /** Strided tensors are copied; more than this in one file is taken for a corrupt stride. */
    private static final long MAX_COPIED_BYTES = 1L << 30;

    /** A storage: one data entry of the archive, typed. */
    private record Storage(String key, DType dtype, MemorySegment data) {}

    /** A tensor as the pickle describes it, made into a {@link Tensor} once its name is known. */
    private record Pending(Storage storage, Object offset, Object size, Object stride) {}

    private final Path path;
    private final Mapping mapping;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, Object> values = new LinkedHashMap<>();
    private long copiedBytes;

    private TorchZip(Path path, Mapping mapping) {
        this.path = path;
        this.mapping = mapping;
    }

    /** Maps {@code file} and reads its tensors; a {@link FormatException} for anything malformed. */
    public static TorchZip open(Path file) {
        Mapping mapping = new Mapping();
        try {
            TorchZip t = new TorchZip(file, mapping);
            t.read(Formats.map(mapping, file));
            return t;
        } catch (RuntimeException | Error e) {
            mapping.close();
            throw e;
        }
    }

    @Override public Path path() { return path; }

    @Override public Map<String, Tensor> tensors() { return Collections.unmodifiableMap(tensors); }

    /** The values of the pickled dict that are not tensors (None, bool, int, float, str, bytes), by dotted name. */
    public Map<String, Object> values() { return Collections.unmodifiableMap(values); }

    @Override public void close() { mapping.close(); }

    private void read(MemorySegment file) {
        if (file.byteSize() >= 2 && file.get(ValueLayout.JAVA_BYTE, 0) == (byte) 0x80)
            throw new FormatException(path, null, "a legacy (pre-1.6) torch.save file; re-save it with a recent PyTorch");
        ZipDirectory zip = ZipDirectory.read(path, file);
        String pkl = null;
        for (String name : zip.entries().keySet())
            if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                if (pkl != null) throw new FormatException(path, name, "two data.pkl entries in one archive");
                pkl = name;
            }
        if (pkl == null) throw new FormatException(path, null, "not a torch.save archive: no <archive>/data.pkl entry");
        String prefix = pkl.substring(0, pkl.length() - "data.pkl".length());

        ZipDirectory.Entry order = zip.entries().get(prefix + "byteorder");
        if (order != null && !text(zip.data(order)).strip().equals("little"))
            throw new FormatException(path, prefix + "byteorder", "only little-endian checkpoints are supported");

        MemorySegment pickle = zip.data(zip.entries().get(pkl));
        if (pickle.byteSize() > Integer.MAX_VALUE - 8) throw new FormatException(path, pkl, "pickle too large: " + pickle.byteSize());
        Map<String, Storage> storages = new HashMap<>();
        Object root = Unpickler.load(path, pickle.toArray(ValueLayout.JAVA_BYTE), GLOBALS, new Unpickler.Calls() {
            @Override public Object persistentLoad(Object pid) { return storage(zip, prefix, storages, pid); }
            @Override public Object call(Unpickler.Global f, Object[] args) { return TorchZip.this.call(f, args); }
        });
        if (!(root instanceof Map<?, ?> dict))
            throw new FormatException(path, pkl, "expected a dict of tensors, found " + Unpickler.typeName(root));
        walk("", dict, 0, Collections.newSetFromMap(new IdentityHashMap<>()));
    }

    /** persistent_load: {@code ('storage', torch.FloatStorage, key, location, numel)}. */
    private Storage storage(ZipDirectory zip, String prefix, Map<String, Storage> storages, Object pid) {
        if (!(pid instanceof Object[] t) || t.length != 5 || !"storage".equals(t[0])
                || !(t[1] instanceof Unpickler.Global type) || !(t[2] instanceof String key) || !(t[4] instanceof Long numel))
            throw new FormatException(path, "data.pkl", "unsupported persistent id " + Unpickler.typeName(pid));
        DType dtype = STORAGES.get(type.name());
        if (dtype == null || !type.module().equals("torch"))
            throw new FormatException(path, "data/" + key, "unsupported storage type " + type);
        Storage known = storages.get(key);
        if (known != null) {
            if (known.dtype != dtype) throw new FormatException(path, "data/" + key, "storage read as both " + known.dtype + " and " + dtype);
            return known;
        }
        ZipDirectory.Entry e = zip.entries().get(prefix + "data/" + key);
        if (e == null) throw new FormatException(path, "data/" + key, "storage entry missing from the archive");
        MemorySegment data = zip.data(e);
        if (numel < 0 || numel > data.byteSize() / dtype.bytes())
            throw new FormatException(path, "data/" + key, "storage of " + numel + " " + dtype + " elements needs more than the entry's " + data.byteSize() + " bytes");
        Storage s = new Storage(key, dtype, data.asSlice(0, numel * dtype.bytes()));
        storages.put(key, s);
        return s;
    }

    /** The whitelisted calls: an OrderedDict, a tensor, a parameter (its tensor), bytes. */
    private Object call(Unpickler.Global f, Object[] args) {
        String name = f.toString();
        if (name.equals("collections.OrderedDict") && args.length == 0) return new LinkedHashMap<>();
        if (name.equals(REBUILD_TENSOR) && args.length >= 4 && args[0] instanceof Storage s)
            return new Pending(s, args[1], args[2], args[3]);
        if (name.startsWith("torch._utils._rebuild_parameter") && args.length >= 1 && args[0] instanceof Pending p) return p;
        if (name.equals("_codecs.encode") && args.length == 2 && args[0] instanceof String s && "latin1".equals(args[1]))
            return s.getBytes(StandardCharsets.ISO_8859_1);
        throw new FormatException(path, "data.pkl", "unexpected call " + name + " with " + args.length + " arguments");
    }

    /** Names every value under {@code container} as {@code prefix + key}, tensors into {@link #tensors}. */
    private void walk(String prefix, Object container, int depth, Set<Object> seen) {
        if (depth > MAX_NESTING) throw new FormatException(path, prefix, "containers nested deeper than " + MAX_NESTING);
        if (!seen.add(container)) return;   // a container reached twice (or a cycle) is named once
        switch (container) {
            case Map<?, ?> m -> {
                for (var e : m.entrySet()) {
                    if (!(e.getKey() instanceof String || e.getKey() instanceof Long))
                        throw new FormatException(path, prefix, "dict key of type " + Unpickler.typeName(e.getKey()));
                    add(prefix + e.getKey(), e.getValue(), depth, seen);
                }
            }
            case List<?> l -> { for (int i = 0; i < l.size(); i++) add(prefix + i, l.get(i), depth, seen); }
            case Object[] t -> { for (int i = 0; i < t.length; i++) add(prefix + i, t[i], depth, seen); }
            default -> throw new FormatException(path, prefix, "unexpected " + Unpickler.typeName(container));
        }
    }

    private void add(String name, Object value, int depth, Set<Object> seen) {
        switch (value) {
            case Pending p -> {
                if (tensors.put(name, tensor(name, p)) != null) throw new FormatException(path, name, "two tensors with this name");
            }
            case Map<?, ?> m -> walk(name + ".", m, depth + 1, seen);
            case List<?> l -> walk(name + ".", l, depth + 1, seen);
            case Object[] t -> walk(name + ".", t, depth + 1, seen);
            case String s -> values.put(name, s);
            case Number n -> values.put(name, n);
            case Boolean b -> values.put(name, b);
            case byte[] b -> values.put(name, b);
            case null -> values.put(name, null);
            default -> throw new FormatException(path, name, "unsupported value: " + Unpickler.typeName(value));
        }
    }

    /**
     * Checks the view against its storage and returns it in place when it is contiguous; a strided
     * view (pykan saves some, e.g. {@code coef} after a grid update) is gathered into a row-major copy
     * that lives as long as the file's mapping.
     */
    private Tensor tensor(String name, Pending p) {
        if (!(p.offset instanceof Long offset) || !(p.size instanceof Object[] size) || !(p.stride instanceof Object[] stride)
                || size.length != stride.length)
            throw new FormatException(path, name, "malformed tensor arguments (offset, size, stride)");
        DType dtype = p.storage.dtype;
        int rank = size.length;
        long[] shape = new long[rank], strides = new long[rank];
        try {
            long count = 1, last = offset;   // last: the highest element index the view touches
            boolean contiguous = true;
            for (int i = rank - 1; i >= 0; i--) {
                if (!(size[i] instanceof Long d) || d < 0 || !(stride[i] instanceof Long s) || s < 0)
                    throw new FormatException(path, name, "bad size or stride for dimension " + i);
                shape[i] = d;
                strides[i] = s;
                if (d != 1 && s != count) contiguous = false;   // a dimension of 1 may carry any stride
                count = Math.multiplyExact(count, d);
                if (d > 0) last = Math.addExact(last, Math.multiplyExact(d - 1, s));
            }
            long elements = p.storage.data.byteSize() / dtype.bytes();
            if (offset < 0 || (count > 0 && last >= elements) || offset > elements)
                throw new FormatException(path, name, "elements up to " + last + " lie outside storage "
                        + p.storage.key + " of " + elements + " elements");
            long bytes = Math.multiplyExact(count, dtype.bytes());
            if (contiguous || count == 0)
                return new Tensor(name, dtype, shape, p.storage.data.asSlice(offset * dtype.bytes(), bytes));
            copiedBytes = Math.addExact(copiedBytes, bytes);
            if (copiedBytes > MAX_COPIED_BYTES)
                throw new FormatException(path, name, "non-contiguous tensors need over " + MAX_COPIED_BYTES + " bytes of copies");
            MemorySegment copy = mapping.arena().allocate(bytes, 64);
            gather(p.storage.data, offset, shape, strides, dtype.bytes(), copy);
            return new Tensor(name, dtype, shape, copy);
        } catch (ArithmeticException e) {
            throw new FormatException(path, name, "tensor size overflows: " + Arrays.toString(shape));
        }
    }

    /** Copies a strided view element by element into row-major order. */
    private static void gather(MemorySegment src, long offset, long[] shape, long[] strides, int width, MemorySegment dst) {
        long[] index = new long[shape.length];
        for (long out = 0; out < dst.byteSize(); out += width) {
            long at = offset;
            for (int i = 0; i < shape.length; i++) at += index[i] * strides[i];
            MemorySegment.copy(src, at * width, dst, out, width);
            for (int i = shape.length - 1; i >= 0 && ++index[i] == shape[i]; i--) index[i] = 0;   // next row-major index
        }
    }

    private static String text(MemorySegment s) {
        return new String(s.asSlice(0, Math.min(s.byteSize(), 64)).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
    }
}
