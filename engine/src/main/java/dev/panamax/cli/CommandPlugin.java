package dev.panamax.cli;

import java.util.List;

/**
 * Lets modules that depend on the engine (the bench module) add commands to {@code panamax}
 * without the engine depending on them. Found with {@link java.util.ServiceLoader}.
 */
public interface CommandPlugin {
    /** picocli command objects (classes annotated with {@code @Command}) to add at the top level. */
    List<Object> commands();
}
