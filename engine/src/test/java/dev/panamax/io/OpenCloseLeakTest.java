package dev.panamax.io;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.function.Function;

import static dev.panamax.ProcessResources.mappingsOf;
import static dev.panamax.ProcessResources.openFds;
import static org.junit.jupiter.api.Assertions.*;

/** Opening and closing a file 1000 times leaves no mapping and no file descriptor behind. */
class OpenCloseLeakTest {

    @Test
    void openAndClose1000TimesLeavesNothingBehind() throws Exception {
        for (String name : new String[] {"state_dict.pt", "small.safetensors"}) {
            Path file = Fixtures.file(name).toRealPath();
            Function<Path, TensorFile> reader = name.endsWith(".pt") ? TorchZip::open : SafeTensors::open;
            long fds = openFds();
            try (TensorFile f = reader.apply(file)) {
                assertEquals(1, mappingsOf(file), "while open, the file is mapped once (the check can see it)");
                assertFalse(f.tensors().isEmpty());
            }
            for (int i = 0; i < 1000; i++) {
                TensorFile f = reader.apply(file);
                f.tensors().values().forEach(t -> t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                f.close();
            }
            assertEquals(0, mappingsOf(file), name + " still mapped after close");
            assertTrue(openFds() <= fds + 3, name + ": descriptors went from " + fds + " to " + openFds());
        }
    }
}
