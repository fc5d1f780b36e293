package dev.panamax.io;

import dev.panamax.tensor.Tensor;

import java.nio.file.Path;
import java.util.Map;

/**
 * The tensors of a weight file (or of a set of shards), mapped in place. Every tensor is a view of
 * the mapped file: closing unmaps them all, after which touching one throws
 * {@link IllegalStateException} instead of reading freed memory.
 */
public interface TensorFile extends AutoCloseable {

    /** The file that was opened (the index file for a sharded checkpoint). */
    Path path();

    /** Every tensor by name, in file order. */
    Map<String, Tensor> tensors();

    /** Text metadata the format carries (safetensors' {@code __metadata__}); empty when none. */
    default Map<String, String> metadata() { return Map.of(); }

    /** The tensor called {@code name}; a {@link FormatException} naming it when absent. */
    default Tensor tensor(String name) {
        Tensor t = tensors().get(name);
        if (t == null) throw new FormatException(path(), name, "no such tensor (the file has " + tensors().size() + ")");
        return t;
    }

    default boolean has(String name) { return tensors().containsKey(name); }

    /** Unmaps the file; idempotent. */
    @Override void close();
}
