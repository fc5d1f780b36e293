package dev.panamax.llm;

import dev.panamax.SharedData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static dev.panamax.ProcessResources.mappingsOf;
import static dev.panamax.ProcessResources.openFds;
import static org.junit.jupiter.api.Assertions.*;

/** Loading a model and closing it 1000 times leaves no mapping and no file descriptor behind (llama2.c, Meta safetensors, Meta .pth). */
class LoadCloseLeakTest {

    @Test void loadAndClose1000TimesLeavesNothingBehind() throws Exception {
        Path refmodels = SharedData.projectRoot().resolve("engine/src/test/resources/refmodels");
        Path[][] cases = {
                {SharedData.file("llama2c/stories260K.bin"), SharedData.file("llama2c/stories260K.bin")},
                {refmodels.resolve("meta-mtp4-bf16"), refmodels.resolve("meta-mtp4-bf16/model.safetensors")},
                {refmodels.resolve("meta-mtp3-pth"), refmodels.resolve("meta-mtp3-pth/consolidated.00.pth")}};
        for (Path[] c : cases) {
            Path model = c[0], weights = c[1].toRealPath();
            long fds = openFds();
            try (LanguageModel m = LanguageModel.load(model)) {
                assertEquals(1, mappingsOf(weights), model + ": while loaded, the weights are mapped once (the check can see it)");
                assertEquals(3, m.generate(new int[] {1, 2}, GenerateOptions.greedy().maxTokens(3)).ids().length);
            }
            for (int i = 0; i < 1000; i++) LanguageModel.load(model).close();
            assertEquals(0, mappingsOf(weights), model + " still mapped after close");
            assertTrue(openFds() <= fds + 3, model + ": descriptors went from " + fds + " to " + openFds());
        }
    }
}
