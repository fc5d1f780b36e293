package dev.panamax.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;

/** {@code panamax bench jmh [JMH arguments]}: the JMH kernel benchmarks (dev.panamax.bench.jmh). */
@Command(name = "jmh",
        description = "Run the JMH kernel benchmarks; every argument goes to JMH (e.g. 'matmul -p rows=1,4 -f 1', '-h' for JMH's help).")
public final class JmhCommand implements Runnable {
    @Unmatched List<String> args = new ArrayList<>();

    @Override public void run() {
        String[] a = args.isEmpty() ? new String[] {"dev.panamax.bench.jmh"} : args.toArray(String[]::new);
        try {
            org.openjdk.jmh.Main.main(a);
        } catch (Exception e) {
            throw new IllegalStateException("JMH failed: " + e.getMessage(), e);
        }
    }
}
