package dev.panamax.bench;

import dev.panamax.cli.CommandPlugin;

import java.util.List;

/** Adds {@code panamax bench ...} and {@code panamax demo} to the engine's CLI. */
public final class BenchPlugin implements CommandPlugin {
    @Override public List<Object> commands() {
        return List.of(new BenchCommand(), new DemoCommand());
    }
}
