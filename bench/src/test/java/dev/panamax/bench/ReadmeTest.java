package dev.panamax.bench;

import dev.panamax.cli.Main;
import dev.panamax.kan.KanModel;
import dev.panamax.llm.GenerateOptions;
import dev.panamax.llm.GenerateOptions.Decoder;
import dev.panamax.llm.LanguageModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** README.md is true of the code: its Java runs, its commands run, its CLI reference names every option. */
class ReadmeTest {
    static final Path ROOT = DemoCommandTest.ROOT;

    static String readme() throws Exception { return Files.readString(ROOT.resolve("README.md")); }

    /** The fenced blocks of a language, in order. */
    static List<String> blocks(String markdown, String language) {
        List<String> out = new ArrayList<>();
        String fence = "```" + language + "\n";
        for (int i = markdown.indexOf(fence); i >= 0; i = markdown.indexOf(fence, i + 1)) {
            int end = markdown.indexOf("\n```", i + fence.length());
            out.add(markdown.substring(i + fence.length(), end + 1));
        }
        return out;
    }

    @Test void javaApiOfTheReadmeRuns() throws Exception {
        // README:begin (the README's block, with Path.of("models/...") resolved from the repository root)
        try (var model = LanguageModel.load(ROOT.resolve("models/code-mtp4"))) {     // Meta layout + MTP heads + tokenizer
            var result = model.generate("def parse(self, text):", GenerateOptions.greedy().maxTokens(64));
            System.out.println(result.text());                                 // the same text as .decoder(Decoder.NTP)
            System.out.println(result.tokensPerSecond() + " tokens/s, " + result.acceptedPerForward() + " tokens per pass");
            // README:end
            assertEquals("mtp", result.decoder(), "the default decoder of a model with heads");
            var ntp = model.generate("def parse(self, text):", GenerateOptions.greedy().maxTokens(64).decoder(Decoder.NTP));
            assertArrayEquals(ntp.ids(), result.ids(), "the comment's claim: the same text as ntp");
            assertEquals(ntp.text(), result.text());
            assertFalse(result.text().isEmpty());
        }
        // README:begin
        try (var kan = KanModel.load(ROOT.resolve("models/kan-expsin"))) {           // efficient-kan folder, pykan prefix or .kan
            float[][] y = kan.predict(new float[][] {{0.5f, -0.2f}});          // ≈ exp(sin(π·0.5) + 0.2²)
            System.out.println(y[0][0]);
            // README:end
            assertEquals(Math.exp(Math.sin(Math.PI * 0.5) + 0.04), y[0][0], 0.05, "the comment's claim");
        }

        // The README shows exactly this code (bar the path resolution and the assertions).
        String source = Files.readString(Path.of("src/test/java/dev/panamax/bench/ReadmeTest.java"));
        String begin = "// README:" + "begin", end = "// README:" + "end"; // split, so that these lines are no markers
        StringBuilder shown = new StringBuilder();
        for (int i = source.indexOf(begin); i >= 0; i = source.indexOf(begin, i + 1)) {
            int from = source.indexOf('\n', i) + 1, to = source.indexOf(end, from);
            shown.append(source, from, to);
        }
        String java = blocks(readme(), "java").getFirst().replace("Path.of(\"models/", "ROOT.resolve(\"models/");
        assertEquals(normalise(java).replace("}\n", ""), normalise(shown.toString()).replace("}\n", ""),
                "README.md's Java block differs from the code this test runs");
    }

    /** Lines stripped of indentation, runs of spaces made one, blank ones dropped. */
    private static String normalise(String code) {
        StringBuilder b = new StringBuilder();
        for (String line : code.split("\n")) if (!line.isBlank()) b.append(line.strip().replaceAll(" +", " ")).append('\n');
        return b.toString();
    }

    /** Splits a shell line into words, honouring single and double quotes. */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        char quote = 0;
        boolean any = false;
        for (char c : line.toCharArray()) {
            if (quote != 0) {
                if (c == quote) quote = 0;
                else w.append(c);
            } else if (c == '\'' || c == '"') {
                quote = c;
                any = true;
            } else if (Character.isWhitespace(c)) {
                if (any || !w.isEmpty()) out.add(w.toString());
                w.setLength(0);
                any = false;
            } else {
                w.append(c);
            }
        }
        if (any || !w.isEmpty()) out.add(w.toString());
        return out;
    }

    @Test void readmeCommandsOnBundledFilesRun(@TempDir Path tmp) throws Exception {
        int ran = 0;
        for (String block : blocks(readme(), "sh"))
            for (String line : block.split("\n")) {
                String cmd = line.contains(" #") ? line.substring(0, line.indexOf(" #")) : line;
                List<String> w = words(cmd.strip());
                if (w.isEmpty() || !w.getFirst().equals("./panamax")) continue; // environment-variable lines need another oneDNN
                List<String> args = new ArrayList<>(w.subList(1, w.size()));
                String first = args.getFirst();
                if (first.equals("demo") || first.equals("test")) continue; // the two set-up commands: run by the CI itself
                for (int i = 0; i < args.size(); i++) {
                    String a = args.get(i);
                    if (a.startsWith("models/")) args.set(i, ROOT.resolve(a).toString());
                    else if (i > 0 && (args.get(i - 1).equals("--output") || args.get(i - 1).equals("--model")) && !a.startsWith("/"))
                        args.set(i, tmp.resolve(a).toString()); // files the README's commands write, then read
                }
                String out = run(args);
                assertFalse(out.isBlank(), "no output from " + line);
                ran++;
            }
        assertTrue(ran >= 6, "only " + ran + " README commands found");
    }

    private static String run(List<String> args) {
        String out = DemoCommandTest.run(args.toArray(String[]::new));
        // --output writes a file instead of printing: report that as output.
        return out.isBlank() && args.contains("--output") ? "wrote " + args.get(args.indexOf("--output") + 1) : out;
    }

    @Test void cliReferenceNamesEveryCommandAndOption() throws Exception {
        String readme = readme();
        List<String> missing = new ArrayList<>();
        check(Main.commandLine(), "", readme, missing);
        assertTrue(missing.isEmpty(), "README.md's command table lacks: " + missing);
    }

    /** Every leaf command has a table row starting with its name, and that row names each of its options. */
    private static void check(CommandLine cl, String prefix, String readme, List<String> missing) {
        for (var e : cl.getSubcommands().entrySet()) {
            String name = (prefix + " " + e.getKey()).strip();
            CommandLine sub = e.getValue();
            if (!sub.getSubcommands().isEmpty()) {
                check(sub, name, readme, missing);
                continue;
            }
            int at = readme.indexOf("| `" + name + " ");
            if (at < 0) at = readme.indexOf("| `" + name + "`");
            if (at < 0) {
                missing.add(name);
                continue;
            }
            String row = readme.substring(at, readme.indexOf('\n', at));
            for (OptionSpec o : sub.getCommandSpec().options()) {
                if (o.usageHelp() || o.versionHelp()) continue;
                if (!row.contains(o.longestName())) missing.add(name + " " + o.longestName());
            }
        }
    }
}
