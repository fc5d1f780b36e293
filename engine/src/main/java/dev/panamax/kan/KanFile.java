package dev.panamax.kan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.panamax.io.FormatException;
import dev.panamax.io.SafeTensors;
import dev.panamax.io.TensorFile;
import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.panamax.kan.Checkpoints.*;

/**
 * The Panamax KAN format: a safetensors file whose {@code __metadata__["panamax.kan"]} is a JSON
 * description of the network, and whose tensors are each layer's parameters in pykan's layout:
 *
 * <pre>
 * {"format": "panamax.kan", "version": 1, "source": "pykan",
 *  "layers": [{"in": 2, "out": 5, "k": 3, "base": "silu", "spline_nan_to_num": true,
 *              "n_sum": 5, "mult_arity": [], "symbolic": [["x", "sin"], ...] or null}, ...]}
 *
 * layers.{l}.grid (in, G+2k+1)   .coef (in, out, G+k)   .mask .scale_base .scale_sp (in, out)
 * layers.{l}.symbolic_mask (out, in)   .symbolic_affine (out, in, 4)     (when "symbolic" is not null)
 * layers.{l}.subnode_scale .subnode_bias (out)   .node_scale .node_bias (nodes)
 * </pre>
 *
 * Values are stored as F32 when every value of the tensor is exactly a float, else as F64. Other
 * KAN variants (FastKAN's RBFs, ChebyKAN's polynomials) can follow as new layer kinds.
 */
final class KanFile {
    private KanFile() {}

    static final String KEY = "panamax.kan";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** By its name (.kan, .safetensors) or, whatever its name, by its start: a safetensors header length, then '{'. */
    static boolean looksLike(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".kan") || name.endsWith(".safetensors")) return true;
        try (var in = java.nio.channels.FileChannel.open(file)) {
            java.nio.ByteBuffer start = java.nio.ByteBuffer.allocate(9).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (start.hasRemaining() && in.read(start) >= 0) { /* read the first 9 bytes */ }
            if (start.hasRemaining()) return false;
            long headerLength = start.getLong(0);
            return start.get(8) == '{' && headerLength >= 2 && headerLength <= in.size() - 8;
        } catch (java.io.IOException e) {
            return false;        // unreadable: the caller's checks say why
        }
    }

    static void write(KanModel model, Path file) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", KEY).put("version", 1).put("source", model.format());
        ArrayNode layersJson = root.putArray("layers");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            List<KanLayer> layers = model.layers();
            for (int l = 0; l < layers.size(); l++) {
                KanLayer L = layers.get(l);
                ObjectNode j = layersJson.addObject();
                j.put("in", L.in()).put("out", L.out()).put("k", L.k()).put("base", L.base().pykanName())
                        .put("spline_nan_to_num", L.splineNanToNum()).put("n_sum", L.nSum());
                ArrayNode ar = j.putArray("mult_arity");
                for (int a : L.multArity()) ar.add(a);
                String p = "layers." + l + ".";
                int nk = L.knots()[0].knotCount();
                double[] grid = new double[L.in() * nk];
                for (int i = 0; i < L.in(); i++) for (int m = 0; m < nk; m++) grid[i * nk + m] = L.knots()[i].knot(m);
                put(tensors, arena, p + "grid", grid, L.in(), nk);
                put(tensors, arena, p + "coef", L.coef(), L.in(), L.out(), L.basisCount());
                put(tensors, arena, p + "mask", L.mask(), L.in(), L.out());
                put(tensors, arena, p + "scale_base", L.scaleBase(), L.in(), L.out());
                put(tensors, arena, p + "scale_sp", L.scaleSp(), L.in(), L.out());
                if (L.hasSymbolic()) {
                    ArrayNode rows = j.putArray("symbolic");
                    for (int o = 0; o < L.out(); o++) {
                        ArrayNode row = rows.addArray();
                        for (int i = 0; i < L.in(); i++) row.add(L.symbolic(i, o).pykanName());
                    }
                    put(tensors, arena, p + "symbolic_mask", L.symMask(), L.out(), L.in());
                    put(tensors, arena, p + "symbolic_affine", L.symAffine(), L.out(), L.in(), 4);
                } else {
                    j.putNull("symbolic");
                }
                put(tensors, arena, p + "subnode_scale", L.subScale(), L.out());
                put(tensors, arena, p + "subnode_bias", L.subBias(), L.out());
                put(tensors, arena, p + "node_scale", L.nodeScale(), L.nodes());
                put(tensors, arena, p + "node_bias", L.nodeBias(), L.nodes());
            }
            SafeTensors.write(file, tensors, Map.of(KEY, root.toString()));
        }
    }

    private static void put(Map<String, Tensor> tensors, Arena arena, String name, double[] v, long... shape) {
        boolean exact = true;
        for (double d : v) if ((double) (float) d != d && !Double.isNaN(d)) { exact = false; break; }
        Tensor t = Tensor.allocate(arena, name, exact ? DType.F32 : DType.F64, shape);
        for (int i = 0; i < v.length; i++) {
            if (exact) t.setFloat(i, (float) v[i]);
            else t.data().setAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED, i, v[i]);
        }
        tensors.put(name, t);
    }

    static KanModel read(Path file) {
        try (TensorFile st = SafeTensors.open(file)) {
            String text = st.metadata().get(KEY);
            if (text == null) throw new FormatException(file, "__metadata__." + KEY, "a safetensors file without a Panamax KAN description");
            JsonNode root;
            try {
                root = JSON.readTree(text);
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                throw new FormatException(file, "__metadata__." + KEY, FormatException.json(e), e);
            }
            if (root.path("version").asInt(-1) != 1) throw new FormatException(file, "version", "unsupported version " + root.path("version"));
            JsonNode layersJson = root.path("layers");
            if (!layersJson.isArray() || layersJson.isEmpty()) throw new FormatException(file, "layers", "no layers");
            List<KanLayer> layers = new ArrayList<>();
            for (int l = 0; l < layersJson.size(); l++) {
                JsonNode j = layersJson.get(l);
                String p = "layers." + l + ".";
                int in = j.path("in").asInt(), out = j.path("out").asInt(), k = j.path("k").asInt(-1);
                if (in <= 0 || out <= 0 || k < 0) throw new FormatException(file, p + "*", "bad layer description " + j);
                long[] gs = shape(st, p + "grid", 2);
                int nk = Math.toIntExact(gs[1]), nb = nk - k - 1;
                if (nb < k + 1) throw new FormatException(file, p + "grid", nk + " knots are too few for k=" + k);
                double[] grid = values(st, p + "grid", in, nk);
                int[] arity = new int[j.path("mult_arity").size()];
                for (int g = 0; g < arity.length; g++) arity[g] = j.path("mult_arity").get(g).asInt();
                int nodes = j.path("n_sum").asInt() + arity.length;
                Symbolic[] funs = null;
                double[] symMask = null, affine = null;
                JsonNode sym = j.path("symbolic");
                if (sym.isArray()) {
                    funs = new Symbolic[out * in];
                    for (int o = 0; o < out; o++)
                        for (int i = 0; i < in; i++) {
                            try {
                                funs[o * in + i] = Symbolic.byName(sym.path(o).path(i).asText());
                            } catch (IllegalArgumentException e) {
                                throw new FormatException(file, p + "symbolic[" + o + "][" + i + "]", e.getMessage());
                            }
                        }
                    symMask = values(st, p + "symbolic_mask", out, in);
                    affine = values(st, p + "symbolic_affine", out, in, 4);
                }
                try {
                    layers.add(new KanLayer(in, out, k, knots(file, p + "grid", grid, in, nk, k),
                            BaseFunction.byName(j.path("base").asText("silu")), j.path("spline_nan_to_num").asBoolean(true),
                            values(st, p + "mask", in, out), values(st, p + "scale_base", in, out), values(st, p + "scale_sp", in, out),
                            values(st, p + "coef", in, out, nb), funs, symMask, affine,
                            values(st, p + "subnode_scale", out), values(st, p + "subnode_bias", out),
                            j.path("n_sum").asInt(), arity, values(st, p + "node_scale", nodes), values(st, p + "node_bias", nodes)));
                } catch (IllegalArgumentException e) {
                    throw new FormatException(file, "layer " + l, e.getMessage());
                }
            }
            return new KanModel(layers, "panamax", file);
        }
    }

}
