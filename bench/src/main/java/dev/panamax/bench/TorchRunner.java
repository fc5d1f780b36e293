package dev.panamax.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

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
            Result r = exec(List.of(python.toString(), "-c", "import torch, numpy; print(torch.__version__)"), null, 120);
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

    /**
     * libgomp's wait policies the script runs under; the faster run counts. Neither is PyTorch's best
     * everywhere: F32 matmuls go to OpenBLAS's own threads, which OpenMP threads spinning beside
     * them slow down (110M llama2.c F32, 24 tokens: 25-27 tokens/s PASSIVE, 6-8 ACTIVE or by
     * default), while its own BF16 kernels want spinning threads (110M BF16: 52.7 ACTIVE, 39.9 PASSIVE).
     */
    static final List<String> WAIT_POLICIES = List.of("ACTIVE", "PASSIVE");

    /**
     * Greedy decoding of {@code model} (a llama2.c file or a Meta folder) after {@code prompt}: the
     * JSON of the faster of the script's runs under {@link #WAIT_POLICIES}, with {@code omp_wait_policy}
     * added.
     */
    JsonNode generate(Path model, int[] prompt, int tokens, int threads, int repeats) {
        ObjectNode best = null;
        for (String policy : WAIT_POLICIES) {
            JsonNode run = generate(model, prompt, tokens, threads, repeats, policy);
            if (best == null || run.path("tokens_per_second").asDouble() > best.path("tokens_per_second").asDouble()) {
                best = run.deepCopy();
                best.put("omp_wait_policy", policy);
            }
        }
        return best;
    }

    private JsonNode generate(Path model, int[] prompt, int tokens, int threads, int repeats, String waitPolicy) {
        List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString(), "--model", model.toString(),
                "--tokens", Integer.toString(tokens), "--threads", Integer.toString(threads),
                "--repeats", Integer.toString(repeats)));
        StringBuilder ids = new StringBuilder();
        for (int id : prompt) ids.append(ids.isEmpty() ? "" : ",").append(id);
        cmd.add("--prompt-ids=" + ids);
        try {
            Result r = exec(cmd, waitPolicy, 1800);
            if (r.code != 0) throw new IllegalStateException("torch_generate.py failed on " + model + " (exit " + r.code + "): " + r.err.strip());
            String[] lines = r.out.strip().split("\n");
            return BenchSupport.JSON.readTree(lines[lines.length - 1]);
        } catch (IOException e) {
            throw new UncheckedIOException("running torch_generate.py on " + model, e);
        }
    }

    private record Result(int code, String out, String err) {}

    /** Runs {@code cmd} with OMP_WAIT_POLICY set to {@code waitPolicy} (none: as inherited). */
    private static Result exec(List<String> cmd, String waitPolicy, long timeoutSeconds) throws IOException {
        // Both streams go to files, so that the timeout holds even when the script hangs with its pipes open.
        Path err = Files.createTempFile("panamax-torch-", ".err"), out = Files.createTempFile("panamax-torch-", ".out");
        Process p = null;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectOutput(out.toFile());
            if (waitPolicy != null) pb.environment().put("OMP_WAIT_POLICY", waitPolicy);
            p = pb.start();
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
