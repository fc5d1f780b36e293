package dev.panamax.kan;

import dev.panamax.io.FormatException;
import dev.panamax.kernel.KernelProvider;
import dev.panamax.kernel.SplineKernels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.util.List;

/**
 * A Kolmogorov–Arnold network ready to run: pykan, efficient-kan or Panamax checkpoints, evaluated in
 * float32 with local B-spline kernels (or one GEMM per layer for large batches).
 *
 * <pre>{@code
 * try (var kan = KanModel.load(Path.of("runs/feynman/model"))) {   // pykan saveckpt path
 *     float[][] y = kan.predict(new float[][] {{0.5f, -0.2f}});
 * }
 * }</pre>
 *
 * Thread-safe: the parameters are immutable after loading and every call works on its own buffers.
 * Large batches are split across the cores. The dense path's weights live in native memory (for
 * oneDNN), freed by {@link #close} (call it when no call is running), or by the GC once the model is
 * unreachable.
 */
public final class KanModel implements AutoCloseable {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int PARALLEL_FROM = 256;

    private final List<KanLayer> layers;
    private final List<LayerPlan> plans;
    // fused[l]: at batch 1 layer l runs layer l + 1 inside its own pool call (LayerPlan.forwardWith)
    private final boolean[] fused;
    private final int widest;      // the most values any layer takes or gives per sample (checkRows)
    static volatile boolean fuseBatchOne = true;   // false: batch 1 runs every layer on its own (measurements compare)
    private final String format;
    private final Path source;
    private volatile boolean closed;
    // The native memory of the layers' dense weights (LayerPlan.wNative): shared, as the pool's threads
    // read it; closed by close(), or by the cleaner when the model becomes unreachable unclosed.
    private final Cleaner.Cleanable nativeMemory;
    private static final Cleaner CLEANER = Cleaner.create();

    public KanModel(List<KanLayer> layers, String format, Path source) {
        this(layers, format, source, SplineKernels.best());
    }

    KanModel(List<KanLayer> layers, String format, Path source, SplineKernels kernels) {
        if (layers.isEmpty()) throw new IllegalArgumentException("a KAN needs at least one layer");
        for (int l = 1; l < layers.size(); l++)
            if (layers.get(l).in() != layers.get(l - 1).nodes())
                throw new IllegalArgumentException("layer " + l + " takes " + layers.get(l).in() + " inputs, layer " + (l - 1) + " gives " + layers.get(l - 1).nodes());
        this.layers = List.copyOf(layers);
        this.widest = this.layers.stream().mapToInt(l -> Math.max(l.in(), Math.max(l.out(), l.nodes()))).max().orElseThrow();
        Arena arena = Arena.ofShared();
        this.nativeMemory = CLEANER.register(this, arena::close);
        this.plans = this.layers.stream().map(l -> new LayerPlan(l, kernels, arena)).toList();
        this.fused = new boolean[plans.size()];
        for (int l = 0; l + 1 < plans.size(); l++) fused[l] = plans.get(l).fuse(plans.get(l + 1));
        this.format = format;
        this.source = source;
        Crossover.apply(plans);
    }

    /**
     * Loads a checkpoint: a pykan path prefix ({@code .../model} for {@code model_config.yml} and
     * {@code model_state}) or a folder holding one, an efficient-kan folder ({@code model.pt} +
     * {@code config.json}), or a Panamax {@code .kan} file. One of a checkpoint's files given
     * instead ({@code model_config.yml}, {@code model_state}, {@code model.pt}, {@code config.json})
     * loads the checkpoint it belongs to.
     */
    public static KanModel load(Path path) {
        try {
            if (Files.isRegularFile(path) && KanFile.looksLike(path)) return KanFile.read(path);
            path = checkpointOf(path);
            if (EfficientKanCheckpoint.looksLike(path)) return EfficientKanCheckpoint.load(path);
            Path prefix = PykanCheckpoint.prefix(path);
            if (prefix != null) return PykanCheckpoint.load(prefix);
            if (!Files.exists(path) && !Files.exists(PykanCheckpoint.sibling(path, "_config.yml")))
                throw new FormatException(path, null, "no such file or folder, and no pykan checkpoint " + path.getFileName() + "_config.yml beside it");
            incomplete(path);
            throw new FormatException(path, null, "not a KAN checkpoint: expected a pykan prefix (<path>_config.yml + <path>_state), "
                    + "a folder with one *_config.yml, an efficient-kan folder (model.pt + config.json) or a Panamax .kan file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /** The checkpoint a file of it stands for (pykan's {prefix}_config.yml or _state, efficient-kan's model.pt or config.json), else path. */
    private static Path checkpointOf(Path path) {
        if (!Files.isRegularFile(path)) return path;
        String name = path.getFileName().toString();
        for (String suffix : new String[] {"_config.yml", "_state"})
            if (name.endsWith(suffix) && name.length() > suffix.length()) {
                Path prefix = path.resolveSibling(name.substring(0, name.length() - suffix.length()));
                if (suffix.equals("_config.yml") || Files.exists(PykanCheckpoint.sibling(prefix, "_config.yml"))) return prefix;
            }
        Path folder = path.toAbsolutePath().getParent();
        if ((name.equals("model.pt") || name.equals("config.json")) && folder != null && EfficientKanCheckpoint.looksLike(folder))
            return path.getParent() != null ? path.getParent() : folder;
        return path;
    }

    /** A checkpoint that lacks one of its files: an error naming the missing file; else nothing. */
    private static void incomplete(Path path) throws IOException {
        String name = path.getFileName() == null ? "" : path.getFileName().toString();
        if (Files.isRegularFile(path) && name.endsWith("_state") && name.length() > "_state".length())
            throw new FormatException(path.resolveSibling(name.substring(0, name.length() - "_state".length()) + "_config.yml"), null,
                    "missing pykan config file (expected beside " + name + ")");
        if (!Files.isDirectory(path)) return;
        boolean pt = Files.exists(path.resolve("model.pt")), json = Files.exists(path.resolve("config.json"));
        if (pt && !json)
            throw new FormatException(path.resolve("config.json"), null, "missing: efficient-kan's constructor arguments as JSON "
                    + "(e.g. {\"layers_hidden\": [2, 5, 1], \"grid_size\": 5, \"spline_order\": 3}) must sit beside model.pt");
        if (json && !pt) throw new FormatException(path.resolve("model.pt"), null, "missing efficient-kan state file (expected beside config.json)");
        List<String> configs, states;
        try (var s = Files.list(path)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            configs = names.stream().filter(n -> n.endsWith("_config.yml")).toList();
            states = names.stream().filter(n -> n.endsWith("_state") && n.length() > "_state".length()).toList();
        }
        if (configs.size() > 1)
            throw new FormatException(path, null, "holds " + configs.size() + " pykan checkpoints (" + String.join(", ", configs)
                    + "): give one's prefix, e.g. " + path.resolve(configs.getFirst().substring(0, configs.getFirst().length() - "_config.yml".length())));
        if (configs.isEmpty() && states.size() == 1)
            throw new FormatException(path.resolve(states.getFirst().substring(0, states.getFirst().length() - "_state".length()) + "_config.yml"), null,
                    "missing pykan config file (expected beside " + states.getFirst() + ")");
    }

    public List<KanLayer> layers() { return layers; }

    /** "pykan", "efficient-kan" or "panamax". */
    public String format() { return format; }

    public Path source() { return source; }

    public int inputWidth() { return layers.getFirst().in(); }

    public int outputWidth() { return layers.getLast().nodes(); }

    public long parameterCount() { return layers.stream().mapToLong(KanLayer::parameterCount).sum(); }

    /**
     * Which path each layer takes at this batch size now: "dense" (one GEMM), "sample" (each
     * sample through batch 1's path, outputs in registers) or "local" (the tiled loop over a
     * batch). Dense or not is a choice kept by the calls' own times from 64 rows (64 rows a part,
     * for a batch {@link #forward} splits across the pool) on layers of 1024 edges or more, the
     * others (and every layer on the scalar kernels) staying local; local or sample, below
     * {@link #PARALLEL_FROM}, is one too. Both may
     * change as the machine's load does; {@code -Dpanamax.kan.path=local|dense} fixes the path.
     *
     * @throws IllegalArgumentException when batch is below 1
     */
    public List<String> paths(int batch) {
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, is " + batch);
        int chunks = chunks(batch), rows = (batch + chunks - 1) / chunks;
        return plans.stream().map(p -> p.denseNow(batch, rows, chunks > 1) ? "dense" : p.oneByOne(batch) ? "sample" : "local").toList();
    }

    /** The parts {@link #forward} splits a batch of this many rows into, one per pool thread; 1: left whole. */
    private static int chunks(int rows) {
        int threads = KernelProvider.pool().threads();
        return rows < PARALLEL_FROM || threads < 2 ? 1 : threads;
    }

    /** One output row per input row. */
    public float[][] predict(float[][] x) {
        checkRows(x.length);
        int in = inputWidth();
        float[] flat = new float[x.length * in];
        for (int r = 0; r < x.length; r++) {
            if (x[r].length != in)
                throw new IllegalArgumentException("sample " + r + " has " + x[r].length + " values, the model takes " + in);
            System.arraycopy(x[r], 0, flat, r * in, in);
        }
        float[] y = forward(flat, x.length);
        int outW = outputWidth();
        float[][] out = new float[x.length][];
        for (int r = 0; r < x.length; r++) out[r] = java.util.Arrays.copyOfRange(y, r * outW, (r + 1) * outW);
        return out;
    }

    /**
     * {@code rows} samples of float32 (little-endian, rows × inputWidth) from {@code input} to
     * {@code output} (rows × outputWidth).
     */
    public void predict(MemorySegment input, MemorySegment output, int rows) {
        int in = inputWidth(), outW = outputWidth();
        checkRows(rows);
        if (input.byteSize() < 4L * rows * in)
            throw new IllegalArgumentException("input holds " + input.byteSize() + " bytes, " + rows + " rows of " + in + " floats need " + 4L * rows * in);
        if (output.byteSize() < 4L * rows * outW)
            throw new IllegalArgumentException("output holds " + output.byteSize() + " bytes, " + rows + " rows of " + outW + " floats need " + 4L * rows * outW);
        float[] x = new float[rows * in];
        MemorySegment.copy(input, F32, 0, x, 0, x.length);
        float[] y = forward(x, rows);
        MemorySegment.copy(y, 0, output, F32, 0, y.length);
    }

    /** The most floats a Java array holds here: every layer's values for a whole batch live in one. */
    static final int MAX_FLOATS = Integer.MAX_VALUE - 8;

    /** Refuses a batch whose values in some layer would not fit one array ({@link #MAX_FLOATS}), or a negative one. */
    private void checkRows(int rows) {
        if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, is " + rows);
        if ((long) rows * widest > MAX_FLOATS)
            throw new IllegalArgumentException("a batch of " + rows + " rows is too large for this model: a layer " + widest + " values wide needs "
                    + (long) rows * widest + " floats in one array, at most " + MAX_FLOATS + "; predict at most " + MAX_FLOATS / widest + " rows at a time");
    }

    /** The forward pass on {@code rows} samples stored row-major in x; returns rows × outputWidth. */
    public float[] forward(float[] x, int rows) {
        if (closed) throw new IllegalStateException("model " + source + " is closed");
        checkRows(rows);
        if (rows == 0) return new float[0];      // the layers' small-batch choices are kept per batch size from 1 row
        if ((long) rows * inputWidth() > x.length)
            throw new IllegalArgumentException("x holds " + x.length + " floats, " + rows + " rows of " + inputWidth() + " need " + (long) rows * inputWidth());
        int chunks = chunks(rows);
        if (chunks == 1) return forwardWhole(x.length == rows * inputWidth() ? x : java.util.Arrays.copyOf(x, rows * inputWidth()), rows);
        // Each layer's way (dense or local) is taken once for every part, and timed by the first
        int per = (rows + chunks - 1) / chunks;
        LayerPlan.Part[] ways = new LayerPlan.Part[plans.size()];
        for (int l = 0; l < ways.length; l++) ways[l] = plans.get(l).part(rows, per);
        float[][] parts = new float[chunks][];
        KernelProvider.pool().parallelFor(chunks, c -> {
            int from = Math.min(rows, c * per), to = Math.min(rows, from + per);
            parts[c] = forwardPart(x, from, to - from, ways, c == 0);
        });
        float[] y = new float[rows * outputWidth()];
        int at = 0;
        for (float[] p : parts) { System.arraycopy(p, 0, y, at, p.length); at += p.length; }
        return y;
    }

    /** A batch left whole (on the calling thread, the layers sharing out their own work) through every layer. */
    private float[] forwardWhole(float[] v, int rows) {
        for (int l = 0; l < plans.size(); l++) {
            LayerPlan p = plans.get(l);
            if (rows == 1 && fused[l] && fuseBatchOne) v = p.forwardWith(plans.get(++l), v);    // a wide layer and the narrow one after it, one pool call
            else v = p.forward(v, rows);
        }
        return v;
    }

    /** Rows from .. from + rows - 1 of x, one thread's part of a larger batch, through every layer the way {@code ways} says; {@code timer}: the part whose times count. */
    private float[] forwardPart(float[] x, int from, int rows, LayerPlan.Part[] ways, boolean timer) {
        float[] v = java.util.Arrays.copyOfRange(x, from * inputWidth(), (from + rows) * inputWidth());
        for (int l = 0; l < ways.length; l++) v = plans.get(l).forward(v, rows, ways[l], timer);
        return v;
    }

    /** Writes the model as a Panamax .kan file (safetensors + JSON description), from which {@link #load} reads it back. */
    public void save(Path file) { KanFile.write(this, file); }

    List<LayerPlan> plans() { return plans; }

    /** Whether batch 1 runs layer l + 1 inside layer l's pool call ({@link LayerPlan#fuse}). */
    boolean fused(int l) { return fused[l]; }

    /** Refuses further calls and frees the native weights; a call still running may then fail with IllegalStateException. */
    @Override public void close() {
        if (closed) return;
        closed = true;
        nativeMemory.clean();
    }
}
