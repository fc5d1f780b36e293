package dev.panamax;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The reference data in {@code ../shared/data} (beside the project root). Tests that need it call
 * {@link #dir()}: it skips them with a visible reason when the folder is absent (a user's clone),
 * and fails them instead when {@code -Dpanamax.requireSharedData=true} (CI).
 */
public final class SharedData {
    private SharedData() {}

    private static volatile boolean warned;

    public static Path projectRoot() {
        String prop = System.getProperty("panamax.projectRoot");
        Path p = prop != null ? Path.of(prop) : Path.of("").toAbsolutePath();
        for (Path q = p.toAbsolutePath(); q != null; q = q.getParent())
            if (Files.exists(q.resolve("panamax")) && Files.exists(q.resolve("engine"))) return q;
        return p;
    }

    public static Path dir() {
        Path d = projectRoot().resolve("../shared/data").normalize();
        if (!Files.isDirectory(d)) {
            String why = "reference data not found at " + d;
            if (Boolean.getBoolean("panamax.requireSharedData")) throw new AssertionError(why + " (panamax.requireSharedData=true)");
            // Surefire neither prints skip reasons nor counts tests skipped in @BeforeAll: say it once here.
            if (!warned) {
                warned = true;
                System.err.println("panamax tests: " + why + "; the tests that need it are skipped (CI sets -Dpanamax.requireSharedData=true to fail them instead)");
            }
            Assumptions.abort(why + ": skipped");
        }
        return d;
    }

    public static Path file(String relative) {
        Path f = dir().resolve(relative);
        if (!Files.exists(f)) throw new AssertionError("missing reference file " + f);
        return f;
    }
}
