package dev.panamax.kan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamax.io.FormatException;
import dev.panamax.io.TensorFile;
import dev.panamax.io.TorchZip;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.panamax.kan.Checkpoints.*;

/**
 * efficient-kan: {@code model.pt} ({@code torch.save(model.state_dict())}: {@code layers.{l}.base_weight}
 * (out, in), {@code spline_weight} (out, in, G+k), {@code spline_scaler} (out, in), {@code grid}
 * (in, G+2k+1)) and {@code config.json} with the constructor arguments. Each layer computes
 * {@code silu(x)·base_weightᵀ + B(x)·(spline_weight·spline_scaler)ᵀ}: a pykan layer with unit masks,
 * no symbolic edges and no affines, whose non-finite inputs give NaN rather than zero bases.
 */
final class EfficientKanCheckpoint {
    private EfficientKanCheckpoint() {}

    static boolean looksLike(Path dir) {
        return Files.isDirectory(dir) && Files.isRegularFile(dir.resolve("config.json")) && Files.exists(dir.resolve("model.pt"));
    }

    static KanModel load(Path dir) throws IOException {
        Path configFile = dir.resolve("config.json"), stateFile = dir.resolve("model.pt");
        JsonNode config;
        try {
            config = new ObjectMapper().readTree(configFile.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new FormatException(configFile, null, FormatException.json(e), e);
        }
        JsonNode hidden = config.get("layers_hidden");
        if (hidden == null || !hidden.isArray() || hidden.size() < 2)
            throw new FormatException(configFile, "layers_hidden", "expected a list of at least two widths");
        int k = config.path("spline_order").asInt(3);
        JsonNode scalerField = config.get("enable_standalone_scale_spline");   // absent: the state says (efficient-kan's default is true)
        String activation = config.path("base_activation").asText("SiLU");
        if (!activation.toLowerCase(java.util.Locale.ROOT).contains("silu"))
            throw new FormatException(configFile, "base_activation", "only SiLU is supported, found " + activation);
        if (!Files.isRegularFile(stateFile)) throw new FormatException(stateFile, null, "missing efficient-kan state file");

        List<KanLayer> layers = new ArrayList<>();
        try (TensorFile state = TorchZip.open(stateFile)) {
            for (int l = 0; l + 1 < hidden.size(); l++) {
                int in = hidden.get(l).asInt(), out = hidden.get(l + 1).asInt();
                if (in <= 0 || out <= 0) throw new FormatException(configFile, "layers_hidden", "widths must be positive: " + hidden);
                String p = "layers." + l + ".";
                long[] gs = shape(state, p + "grid", 2);
                int nKnots = Math.toIntExact(gs[1]), nBases = nKnots - k - 1;
                requireOrder(configFile, "spline_order", k, state, p + "grid", p + "spline_weight", nKnots);
                if (nBases < k + 1) throw new FormatException(stateFile, p + "grid", nKnots + " knots per input are too few for spline_order=" + k);
                double[] grid = values(state, p + "grid", in, nKnots);
                double[] baseWeight = values(state, p + "base_weight", out, in);
                double[] splineWeight = values(state, p + "spline_weight", out, in, nBases);
                // The config and the state must agree: a scaler the config turns off would be dropped silently
                boolean scaler = state.has(p + "spline_scaler");
                if (scalerField != null && scalerField.asBoolean(true) != scaler)
                    throw new FormatException(configFile, "enable_standalone_scale_spline", "is " + scalerField + ", but the state "
                            + (scaler ? "holds " : "has no ") + p + "spline_scaler");
                double[] splineScaler = scaler ? values(state, p + "spline_scaler", out, in) : filled(out * in, 1.0);

                // efficient-kan indexes edges (out, in); pykan's layer (in, out).
                double[] sb = new double[in * out], sp = new double[in * out], coef = new double[in * out * nBases];
                for (int i = 0; i < in; i++)
                    for (int j = 0; j < out; j++) {
                        sb[i * out + j] = baseWeight[j * in + i];
                        sp[i * out + j] = splineScaler[j * in + i];
                        System.arraycopy(splineWeight, (j * in + i) * nBases, coef, (i * out + j) * nBases, nBases);
                    }
                requireFinite(stateFile, p + "spline_weight", coef);
                layers.add(new KanLayer(in, out, k, knots(stateFile, p + "grid", grid, in, nKnots, k), BaseFunction.SILU, false,
                        filled(in * out, 1.0), sb, sp, coef, null, null, null,
                        filled(out, 1.0), filled(out, 0.0), out, new int[0], filled(out, 1.0), filled(out, 0.0)));
            }
            String extra = "layers." + (hidden.size() - 1) + ".grid";
            if (state.has(extra)) throw new FormatException(stateFile, extra, "the state has more layers than config.json's layers_hidden " + hidden);
        }
        return new KanModel(layers, "efficient-kan", dir);
    }
}
