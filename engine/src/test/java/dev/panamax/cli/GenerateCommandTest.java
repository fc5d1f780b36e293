package dev.panamax.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamax.SharedData;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class GenerateCommandTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err));
            int code = cl.execute(args);
            return new Run(code, bytes.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(old);
        }
    }

    @Test void jsonOnStories260K() throws Exception {
        String model = SharedData.file("llama2c/stories260K.bin").toString();
        Run r = run("generate", "--model", model, "--prompt-ids", "5,50,100,7", "--max-tokens", "10", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = new ObjectMapper().readTree(r.out());
        assertEquals("[1,5,50,100,7]", o.get("prompt_ids").toString());
        assertEquals("[465,465,466,310,310,338,283,347,466,473]", o.get("ids").toString());
        assertEquals("", o.get("text").asText());
        assertEquals(10, o.get("forward_passes").asInt());
        assertEquals("ntp", o.get("decoder").asText());
        assertEquals(1.0, o.get("accepted_per_forward").asDouble());
        assertEquals(0, o.get("draft_heads").asInt());
        assertTrue(o.get("tokens_per_second").asDouble() > 0);
        assertTrue(o.has("acceptance_rate"));
    }

    @Test void streamsIdsWithoutATokenizerThenTheSpeed() {
        Run r = run("generate", "--model", SharedData.file("llama2c/stories260K.bin").toString(), "--prompt-ids", "5,50,100,7", "--max-tokens", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("465 465 466\n"), r.out());
        assertTrue(r.out().contains("tokens/s"), r.out());
    }

    @Test void mtpOnAMetaModelAndClearErrors() throws Exception {
        String dir = SharedData.projectRoot().resolve("engine/src/test/resources/refmodels/meta-mtp4-bf16").toString();
        Run mtp = run("generate", "--model", dir, "--prompt-ids", "6,26", "--max-tokens", "20", "--draft-heads", "2", "--json");
        Run ntp = run("generate", "--model", dir, "--prompt-ids", "6,26", "--max-tokens", "20", "--decoder", "ntp", "--json");
        JsonNode a = new ObjectMapper().readTree(mtp.out()), b = new ObjectMapper().readTree(ntp.out());
        assertEquals("mtp", a.get("decoder").asText());
        assertEquals(2, a.get("draft_heads").asInt());
        assertEquals(b.get("ids"), a.get("ids"));

        Run bad = run("generate", "--model", dir, "--decoder", "xyz");
        assertNotEquals(0, bad.code());
        assertTrue(bad.err().contains("--decoder"), bad.err());
        Run ntpDrafts = run("generate", "--model", dir, "--prompt-ids", "1", "--decoder", "ntp", "--draft-heads", "2");
        assertEquals(2, ntpDrafts.code(), "ntp with --draft-heads ran, ignoring it: " + ntpDrafts.out());
        assertTrue(ntpDrafts.err().contains("--draft-heads is for --decoder mtp"), ntpDrafts.err());
        Run tooLong = run("generate", "--model", dir, "--prompt-ids", "1", "--max-tokens", "1000");
        assertNotEquals(0, tooLong.code());
        assertTrue(tooLong.err().contains("context"), tooLong.err());
        Run text = run("generate", "--model", dir, "--prompt", "hi");
        assertTrue(text.err().contains("no tokenizer"), text.err());
    }
}
