package dev.panamax.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the PyTorch eager comparison ({@code torch_generate.py}, shipped in the bench jar) with a
 * Python that has torch. Nothing else in Panamax needs Python: without it the comparison is skipped
 * and the reason reported.
 */
final class TorchRunner {
    private final Path python;
    private final Path script;
    /** torch's version, or null when unavailable. */
    final String version;
    /** Why the comparison is skipped, or null. */
    final String unavailable;

    private TorchRunner(Path python, Path script, String version, String unavailable) {
        this.python = python;
        this.script = script;
        this.version = version;
        this.unavailable = unavailable;
    }

    /** Checks that {@code python} imports torch; copies the script into {@code workDir}. */
    static TorchRunner find(Path python, Path workDir) {
        if (!Files.isExecutable(python)) return new TorchRunner(python, null, null, python + " not found");
        try {
            Result r = exec(List.of(python.toString(), "-c", "import torch, numpy; print(torch.__version__)"), 120);
            if (r.code != 0) return new TorchRunner(python, null, null, python + " cannot import torch and numpy");
            Path script = workDir.resolve("torch_generate.py");
            try (InputStream in = TorchRunner.class.getResourceAsStream("torch_generate.py")) {
                if (in == null) return new TorchRunner(python, null, null, "torch_generate.py missing from the bench jar");
                Files.copy(in, script);
            }
            return new TorchRunner(python, script, r.out.strip(), null);
        } catch (IOException e) {
            return new TorchRunner(python, null, null, "running " + python + ": " + e.getMessage());
        }
    }

    boolean available() { return unavailable == null; }

    /** Greedy decoding of {@code model} (a llama2.c file or a Meta folder) after {@code prompt}; the script's JSON. */
    JsonNode generate(Path model, int[] prompt, int tokens, int threads, int repeats) {
        List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString(), "--model", model.toString(),
                "--tokens", Integer.toString(tokens), "--threads", Integer.toString(threads),
                "--repeats", Integer.toString(repeats)));
        StringBuilder ids = new StringBuilder();
        for (int id : prompt) ids.append(ids.isEmpty() ? "" : ",").append(id);
        cmd.add("--prompt-ids=" + ids);
        try {
            Result r = exec(cmd, 1800);
            if (r.code != 0) throw new IllegalStateException("torch_generate.py failed on " + model + " (exit " + r.code + "): " + r.err.strip());
            String[] lines = r.out.strip().split("\n");
            return BenchSupport.JSON.readTree(lines[lines.length - 1]);
        } catch (IOException e) {
            throw new UncheckedIOException("running torch_generate.py on " + model, e);
        }
    }

    private record Result(int code, String out, String err) {}

    private static Result exec(List<String> cmd, long timeoutSeconds) throws IOException {
        // Both streams go to files, so that the timeout holds even when the script hangs with its pipes open.
        Path err = Files.createTempFile("panamax-torch-", ".err"), out = Files.createTempFile("panamax-torch-", ".out");
        Process p = null;
        try {
            p = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectOutput(out.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS))
                return new Result(-1, Files.readString(out), "timed out after " + timeoutSeconds + " s");
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            if (p != null && p.isAlive()) p.destroyForcibly();
            Files.deleteIfExists(err);
            Files.deleteIfExists(out);
        }
    }
}
