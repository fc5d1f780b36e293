package dev.panamax.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.panamax.dnnl.DnnlLibrary;
import dev.panamax.kernel.Gemm;
import dev.panamax.kernel.KernelProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code panamax info [--json]}: the machine, the JDK, the kernels in use and oneDNN's status. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the machine, JDK, kernels in use and oneDNN status (--json: one JSON object).")
public final class InfoCommand implements Runnable {

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    /** The fields, in print order; {@code dnnl} is a nested object. */
    public static Map<String, Object> info() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("java_version", Runtime.version().toString());
        m.put("java_vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("max_heap_mib", Runtime.getRuntime().maxMemory() >> 20);
        m.put("kernels", KernelProvider.kernels().name());
        if (KernelProvider.scalarReason() != null) m.put("kernels_reason", KernelProvider.scalarReason());
        m.put("vector_bits", KernelProvider.vectorBits());
        m.put("threads", KernelProvider.pool().threads());
        DnnlLibrary.Status s = DnnlLibrary.status();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("available", s.available());
        d.put("version", s.version());
        d.put("library", s.library());
        if (!s.available()) d.put("reason", s.reason());
        d.put("gemm_min_flops", Gemm.dnnlMinFlops());
        m.put("dnnl", d);
        return m;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
        } catch (IOException | RuntimeException ignored) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    @Override public void run() {
        Map<String, Object> m = info();
        if (json) {
            try {
                System.out.println(new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return;
        }
        for (var e : m.entrySet()) {
            if (e.getValue() instanceof Map<?, ?> nested)
                for (var n : nested.entrySet()) System.out.printf("%-16s %s%n", e.getKey() + "." + n.getKey(), n.getValue());
            else System.out.printf("%-16s %s%n", e.getKey(), e.getValue());
        }
    }
}
