package dev.panamax.llm;

import dev.panamax.io.SafeTensors;
import dev.panamax.tensor.DType;
import dev.panamax.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Meta layout from a {@code consolidated.00.pth} (torch.save zip, BF16, made by
 * models/testdata/make_meta_pth.py from meta-mtp3-f32): the same model as the safetensors one with
 * its weights rounded to BF16, so the logits must equal, bit for bit, those of that rounding done here.
 */
class MetaPthTest {
    @Test void pthLoadsAsTheSafetensorsModelRoundedToBf16() {
        int[] seq = {72, 0, 44, 69, 32, 41, 79, 22, 62};
        try (LanguageModel pth = LanguageModel.load(ReferenceModelsTest.dir("meta-mtp3-pth"));
             SafeTensors st = SafeTensors.open(ReferenceModelsTest.dir("meta-mtp3-f32").resolve("model.safetensors"));
             Arena arena = Arena.ofConfined()) {
            assertEquals("meta", pth.format());
            assertEquals(3, pth.config().futureTokens());
            Map<String, Tensor> rounded = new LinkedHashMap<>();
            for (var e : st.tensors().entrySet()) {
                Tensor src = e.getValue();
                Tensor t = Tensor.allocate(arena, e.getKey(), DType.BF16, src.shape());
                for (long i = 0; i < src.size(); i++) t.setFloat(i, src.getFloat(i));
                rounded.put(e.getKey(), t);
            }
            try (LanguageModel mem = LanguageModel.of(pth.config(), WeightMapper.meta(rounded, null, pth.config()), null)) {
                float[][] a = LogitsProbe.logitsInOnePass(pth, seq), b = LogitsProbe.logitsInOnePass(mem, seq);
                for (int i = 0; i < seq.length; i++) assertArrayEquals(b[i], a[i], "position " + i);
            }
            GenerateOptions o = GenerateOptions.greedy().maxTokens(30);
            assertArrayEquals(pth.generate(seq, o.decoder(GenerateOptions.Decoder.NTP)).ids(),
                    pth.generate(seq, o.decoder(GenerateOptions.Decoder.MTP)).ids());
        }
    }
}
