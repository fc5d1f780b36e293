package dev.panamax.cli;

import dev.panamax.kan.Csv;
import dev.panamax.kan.KanFormula;
import dev.panamax.kan.KanLayer;
import dev.panamax.kan.KanModel;
import dev.panamax.kan.Knots;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code panamax kan ...}: run, inspect and convert KAN checkpoints. */
@Command(name = "kan", mixinStandardHelpOptions = true,
        description = "Kolmogorov-Arnold networks: pykan, efficient-kan and Panamax (.kan) checkpoints.",
        subcommands = {KanCommand.Predict.class, KanCommand.Info.class, KanCommand.Convert.class})
public final class KanCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    static final String MODEL_HELP = "pykan checkpoint prefix (e.g. runs/model for runs/model_config.yml + runs/model_state) "
            + "or a folder holding one, an efficient-kan folder (model.pt + config.json), or a Panamax .kan file; "
            + "one of a checkpoint's files (model_config.yml, model.pt, ...) names its checkpoint too";

    @Command(name = "predict", mixinStandardHelpOptions = true,
            description = "Evaluate the model on every row of a CSV file (one sample a row, no header needed); "
                    + "prints one output row per input row with full float precision.")
    static final class Predict implements Callable<Integer> {
        @Option(names = "--model", required = true, description = MODEL_HELP) Path model;
        @Option(names = "--input", required = true, description = "CSV file of inputs, one sample a row, comma-separated (a first line with no number in it is "
                + "skipped as a header; nan, inf and -inf are values)") Path input;
        @Option(names = "--output", description = "CSV file to write (default: standard output)") Path output;

        @Override public Integer call() throws IOException {
            try (KanModel kan = KanModel.load(model)) {
                float[][] y = kan.predict(Csv.readSamples(input, kan.inputWidth()));
                if (output == null) {
                    PrintWriter out = new PrintWriter(System.out);
                    Csv.write(out, y);
                    out.flush();
                } else {
                    Csv.write(output, y);
                }
            }
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Print the widths, parameter count, grid sizes and ranges, and what each edge is.")
    static final class Info implements Callable<Integer> {
        @Option(names = "--model", required = true, description = MODEL_HELP) Path model;
        @Option(names = "--formula", description = "also print each output's closed-form formula (needs every edge symbolic; constants to 4 significant digits)") boolean formula;

        @Override public Integer call() {
            try (KanModel kan = KanModel.load(model)) {
                StringBuilder widths = new StringBuilder().append(kan.inputWidth());
                for (KanLayer l : kan.layers()) {
                    widths.append(" -> ").append(l.nodes());
                    if (l.multArity().length > 0) widths.append(" (").append(l.nSum()).append(" sum + ").append(l.multArity().length).append(" mult)");
                }
                System.out.println("model       " + kan.source());
                System.out.println("format      " + kan.format());
                System.out.println("widths      " + widths);
                System.out.println("parameters  " + kan.parameterCount());
                for (int li = 0; li < kan.layers().size(); li++) {
                    KanLayer l = kan.layers().get(li);
                    System.out.printf(Locale.ROOT, "layer %d     %d -> %d subnodes, G=%d, k=%d, base=%s%s%n", li, l.in(), l.out(),
                            l.gridSize(), l.k(), l.base().pykanName(), l.multArity().length > 0 ? ", mult arity " + java.util.Arrays.toString(l.multArity()) : "");
                    for (int i = 0; i < l.in(); i++) {
                        Knots kn = l.knots()[i];
                        System.out.printf(Locale.ROOT, "  input %d  grid [%s, %s] %s%n", i, kn.knot(l.k()), kn.knot(kn.knotCount() - 1 - l.k()),
                                kn.isUniform() ? "uniform" : "non-uniform");
                        if (i == 7 && l.in() > 9) { System.out.println("  ... " + (l.in() - 8) + " more inputs"); break; }
                    }
                    TreeMap<String, Integer> kinds = new TreeMap<>();
                    for (int i = 0; i < l.in(); i++) for (int j = 0; j < l.out(); j++) kinds.merge(l.edgeKind(i, j), 1, Integer::sum);
                    if (l.in() * l.out() <= 32) {
                        for (int i = 0; i < l.in(); i++)
                            for (int j = 0; j < l.out(); j++) System.out.printf("  edge (%d, %d)  %s%n", i, j, l.edgeKind(i, j));
                    } else {
                        kinds.forEach((k, n) -> System.out.printf("  %d edges  %s%n", n, k));
                    }
                }
                if (formula) {
                    var f = KanFormula.of(kan);
                    for (int j = 0; j < f.size(); j++) System.out.println("y" + (j + 1) + " = " + f.get(j));
                }
            }
            return 0;
        }
    }

    @Command(name = "convert", mixinStandardHelpOptions = true,
            description = "Write the model as a Panamax .kan file (safetensors with a JSON model description).")
    static final class Convert implements Callable<Integer> {
        @Option(names = "--model", required = true, description = MODEL_HELP) Path model;
        @Option(names = "--output", required = true, description = "the .kan file to write") Path output;

        @Override public Integer call() {
            try (KanModel kan = KanModel.load(model)) {
                kan.save(output);
                System.out.println("wrote " + output + " (" + kan.parameterCount() + " parameters)");
            }
            return 0;
        }
    }
}
