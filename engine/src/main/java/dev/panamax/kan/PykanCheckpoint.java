package dev.panamax.kan;

import dev.panamax.io.FormatException;
import dev.panamax.io.TensorFile;
import dev.panamax.io.TorchZip;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.panamax.kan.Checkpoints.*;

/**
 * pykan's {@code saveckpt(path)} output: {@code {path}_config.yml} (width, k, mult_arity,
 * base_fun_name, symbolic_enabled, symbolic.funs_name.{l}, ...) and {@code {path}_state}, a
 * torch.save zip of the MultKAN state dict ({@code act_fun.{l}.*}, {@code symbolic_fun.{l}.*},
 * {@code node_*_{l}}, {@code subnode_*_{l}}).
 */
final class PykanCheckpoint {
    private PykanCheckpoint() {}

    /** The checkpoint prefix for {@code path}: the prefix itself, or the one {@code *_config.yml} in a folder. */
    static Path prefix(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            List<Path> configs;
            try (var s = Files.list(path)) {
                configs = s.filter(p -> p.getFileName().toString().endsWith("_config.yml")).sorted().toList();
            }
            if (configs.size() != 1) return null;
            String name = configs.getFirst().getFileName().toString();
            return path.resolve(name.substring(0, name.length() - "_config.yml".length()));
        }
        return Files.isRegularFile(sibling(path, "_config.yml")) ? path : null;
    }

    static Path sibling(Path prefix, String suffix) {
        return prefix.resolveSibling(prefix.getFileName() + suffix);
    }

    static KanModel load(Path prefix) throws IOException {
        Path configFile = sibling(prefix, "_config.yml"), stateFile = sibling(prefix, "_state");
        Map<String, Object> config = readYaml(configFile);
        if (!Files.isRegularFile(stateFile)) throw new FormatException(stateFile, null, "missing pykan state file (expected beside " + configFile.getFileName() + ")");

        List<int[]> width = width(configFile, config.get("width"));
        int depth = width.size() - 1;
        int k = intField(configFile, config, "k");
        BaseFunction base;
        try {
            base = BaseFunction.byName(String.valueOf(config.getOrDefault("base_fun_name", "silu")));
        } catch (IllegalArgumentException e) {
            throw new FormatException(configFile, "base_fun_name", e.getMessage());
        }
        boolean symbolicEnabled = !Boolean.FALSE.equals(config.get("symbolic_enabled"));
        Object arity = config.getOrDefault("mult_arity", 2);

        List<KanLayer> layers = new ArrayList<>();
        try (TensorFile state = TorchZip.open(stateFile)) {
            for (int l = 0; l < depth; l++) {
                int in = width.get(l)[0] + width.get(l)[1];
                int nSum = width.get(l + 1)[0], nMult = width.get(l + 1)[1];
                int[] multArity = multArity(configFile, arity, l + 1, nMult);
                int out = nSum;
                for (int a : multArity) out += a;
                int nodes = nSum + nMult;

                String p = "act_fun." + l + ".";
                long[] gs = shape(state, p + "grid", 2);
                if (gs[0] != in) throw new FormatException(stateFile, p + "grid", "has " + gs[0] + " rows, width says " + in + " inputs");
                int nKnots = Math.toIntExact(gs[1]), nBases = nKnots - k - 1;
                requireOrder(configFile, "k", k, state, p + "grid", p + "coef", nKnots);
                if (nBases < k + 1) throw new FormatException(stateFile, p + "grid", nKnots + " knots per input are too few for k=" + k);
                double[] grid = values(state, p + "grid", in, nKnots);
                double[] coef = values(state, p + "coef", in, out, nBases);
                double[] mask = values(state, p + "mask", in, out);
                double[] sb = values(state, p + "scale_base", in, out);
                double[] sp = values(state, p + "scale_sp", in, out);
                requireFinite(stateFile, p + "coef", coef);

                Symbolic[] funs = null;
                double[] symMask = null, affine = null;
                String q = "symbolic_fun." + l + ".";
                if (symbolicEnabled && state.has(q + "mask")) {
                    symMask = values(state, q + "mask", out, in);
                    affine = values(state, q + "affine", out, in, 4);
                    funs = symbolicNames(configFile, config.get("symbolic.funs_name." + l), l, out, in);
                }
                double[] subScale = optional(state, "subnode_scale_" + l, out, 1.0);
                double[] subBias = optional(state, "subnode_bias_" + l, out, 0.0);
                double[] nodeScale = optional(state, "node_scale_" + l, nodes, 1.0);
                double[] nodeBias = optional(state, "node_bias_" + l, nodes, 0.0);
                try {
                    layers.add(new KanLayer(in, out, k, knots(stateFile, p + "grid", grid, in, nKnots, k), base, true,
                            mask, sb, sp, coef, funs, symMask, affine, subScale, subBias, nSum, multArity, nodeScale, nodeBias));
                } catch (IllegalArgumentException e) {
                    throw new FormatException(stateFile, "layer " + l, e.getMessage());
                }
            }
        }
        return new KanModel(layers, "pykan", prefix);
    }

    private static double[] optional(TensorFile state, String name, int n, double fill) {
        return state.has(name) ? values(state, name, n) : filled(n, fill);
    }

    static Map<String, Object> readYaml(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new FormatException(file, null, "missing pykan config file");
        try (Reader r = Files.newBufferedReader(file)) {
            Object o = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
            if (!(o instanceof Map<?, ?> m)) throw new FormatException(file, null, "expected a YAML mapping at the top level");
            @SuppressWarnings("unchecked") Map<String, Object> map = (Map<String, Object>) m;
            return map;
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            if (e.getCause() instanceof java.nio.charset.CharacterCodingException)
                throw new FormatException(file, null, "not a YAML file (not UTF-8 text)", e);
            throw new FormatException(file, null, "invalid YAML: " + e.getMessage(), e);
        }
    }

    /** width as pykan writes it ([[n_sum, n_mult], ...]) or as plain integers. */
    private static List<int[]> width(Path file, Object w) {
        if (!(w instanceof List<?> list) || list.size() < 2) throw new FormatException(file, "width", "expected a list of at least two layer widths, found " + w);
        List<int[]> out = new ArrayList<>();
        for (Object e : list) {
            if (e instanceof Number n) out.add(new int[] {n.intValue(), 0});
            else if (e instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof Number a && pair.get(1) instanceof Number b)
                out.add(new int[] {a.intValue(), b.intValue()});
            else throw new FormatException(file, "width", "cannot read layer width " + e);
            int[] last = out.getLast();
            if (last[0] < 0 || last[1] < 0 || last[0] + last[1] == 0) throw new FormatException(file, "width", "bad layer width " + e);
        }
        return out;
    }

    private static int intField(Path file, Map<String, Object> config, String key) {
        if (!(config.get(key) instanceof Number n)) throw new FormatException(file, key, "expected an integer, found " + config.get(key));
        return n.intValue();
    }

    /** Arities of the multiplication nodes of layer {@code l}: one integer for all, or pykan's per-layer lists. */
    private static int[] multArity(Path file, Object arity, int l, int nMult) {
        int[] a = new int[nMult];
        if (arity instanceof Number n) java.util.Arrays.fill(a, n.intValue());
        else if (arity instanceof List<?> perLayer && l < perLayer.size() && perLayer.get(l) instanceof List<?> nodes && nodes.size() == nMult) {
            for (int j = 0; j < nMult; j++) {
                if (!(nodes.get(j) instanceof Number n)) throw new FormatException(file, "mult_arity", "layer " + l + ": not an integer: " + nodes.get(j));
                a[j] = n.intValue();
            }
        } else if (nMult > 0) throw new FormatException(file, "mult_arity", "cannot read arities for the " + nMult + " multiplication nodes of layer " + l + " from " + arity);
        for (int v : a) if (v < 2) throw new FormatException(file, "mult_arity", "multiplication arity must be >= 2, is " + v);
        return a;
    }

    private static Symbolic[] symbolicNames(Path file, Object names, int l, int out, int in) {
        String key = "symbolic.funs_name." + l;
        Symbolic[] funs = new Symbolic[out * in];
        if (names == null) { java.util.Arrays.fill(funs, Symbolic.ZERO); return funs; }
        if (!(names instanceof List<?> rows) || rows.size() != out) throw new FormatException(file, key, "expected " + out + " rows of " + in + " function names");
        for (int j = 0; j < out; j++) {
            if (!(rows.get(j) instanceof List<?> row) || row.size() != in) throw new FormatException(file, key, "row " + j + ": expected " + in + " function names");
            for (int i = 0; i < in; i++) {
                try {
                    funs[j * in + i] = Symbolic.byName(String.valueOf(row.get(i)));
                } catch (IllegalArgumentException e) {
                    throw new FormatException(file, key + "[" + j + "][" + i + "]", e.getMessage());
                }
            }
        }
        return funs;
    }
}
