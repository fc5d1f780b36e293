package dev.panamax.io;

import dev.panamax.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Corrupts small weight files thousands of ways (seeded, so a failure can be replayed) and checks
 * that a reader either accepts the file, with every tensor readable, or throws a
 * {@link FormatException} naming the file: never another exception, never a crash.
 */
class FormatMutationTest {
    /** Mutants per file: 2800 torch archives and 1200 safetensors files in all. */
    private static final Map<String, Integer> MUTANTS = Map.of("state_dict.pt", 1400, "checkpoint.pt", 900,
            "noncontiguous.pt", 500, "small.safetensors", 1200);
    private static final byte[] INTERESTING = {0, 1, 2, 0x7f, (byte) 0x80, (byte) 0xff, 'K', 'J', 'X', ')', '(', 't', 'R', 'Q', 's', 'u', '.', '}', ']', 'h', 'q', 'c', '\n', '"', '[', '{', '-', '9'};

    @TempDir Path tmp;

    @Test
    void corruptedTorchZipsGiveOnlyFormatExceptions() throws Exception {
        for (String name : new String[] {"state_dict.pt", "checkpoint.pt", "noncontiguous.pt"}) {
            byte[] clean = Files.readAllBytes(Fixtures.file(name));
            long[] pickle = pickleRange(clean);
            Stats s = mutate(name, clean, TorchZip::open, new long[][] {pickle, {centralDirectory(clean), clean.length}});
            assertTrue(s.rejected > s.accepted, name + ": most mutants should be refused, " + s);
            System.out.println(name + " mutants: " + s);
        }
    }

    @Test
    void corruptedSafetensorsGiveOnlyFormatExceptions() throws Exception {
        byte[] clean = Files.readAllBytes(Fixtures.file("small.safetensors"));
        long headerEnd = 8 + MemorySegment.ofArray(clean).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        Stats s = mutate("small.safetensors", clean, SafeTensors::open, new long[][] {{0, headerEnd}});
        assertTrue(s.rejected > s.accepted, s.toString());
        System.out.println("small.safetensors mutants: " + s);
    }

    /** Prefixes of the fixtures (every length of the header-heavy ones): a truncated file is refused cleanly. */
    @Test
    void truncatedFilesAreRefused() throws Exception {
        for (String name : new String[] {"state_dict.pt", "checkpoint.pt", "small.safetensors"}) {
            byte[] clean = Files.readAllBytes(Fixtures.file(name));
            Function<Path, TensorFile> reader = name.endsWith(".pt") ? TorchZip::open : SafeTensors::open;
            int step = name.endsWith(".pt") ? 5 : 1;   // a shared arena's close costs about a millisecond
            for (int len = 0; len < clean.length; len += step) {
                Path f = Files.write(tmp.resolve("cut-" + name), Arrays.copyOf(clean, len));
                int n = len;
                FormatException e = assertThrows(FormatException.class, () -> reader.apply(f).close(), () -> name + " cut at " + n);
                assertTrue(e.getMessage().contains(f.getFileName().toString()), e.getMessage());
            }
        }
    }

    record Stats(int accepted, int rejected) {}

    /** Mutants of {@code clean}; half the edits land in {@code hot} ranges (headers, pickle, directory). */
    private Stats mutate(String name, byte[] clean, Function<Path, TensorFile> reader, long[][] hot) throws Exception {
        Random random = new Random(name.hashCode());
        int accepted = 0, rejected = 0;
        Path file = tmp.resolve("mutant-" + name);
        for (int m = 0; m < MUTANTS.get(name); m++) {
            byte[] bytes = clean.clone();
            int edits = 1 + random.nextInt(4);
            for (int e = 0; e < edits; e++) {
                long[] range = random.nextBoolean() ? hot[random.nextInt(hot.length)] : new long[] {0, bytes.length};
                int at = (int) (range[0] + random.nextInt((int) Math.max(1, range[1] - range[0])));
                if (at >= bytes.length) continue;
                switch (random.nextInt(4)) {
                    case 0 -> bytes[at] ^= (byte) (1 << random.nextInt(8));                      // one bit
                    case 1 -> bytes[at] = INTERESTING[random.nextInt(INTERESTING.length)];        // an opcode or a boundary
                    case 2 -> { for (int i = at; i < Math.min(bytes.length, at + 4 + 4 * random.nextInt(2)); i++) bytes[i] = (byte) 0xff; } // a huge field
                    default -> bytes[at] = (byte) random.nextInt(256);
                }
            }
            if (random.nextInt(10) == 0) bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length)); // and cut short
            Files.write(file, bytes);
            try (TensorFile f = reader.apply(file)) {
                for (Tensor t : f.tensors().values()) touch(t);   // whatever is accepted must be readable
                accepted++;
            } catch (FormatException e) {
                assertTrue(e.getMessage().contains(file.getFileName().toString()), "message names the file: " + e.getMessage());
                rejected++;
            } catch (Throwable t) {
                fail(name + " mutant " + m + " (seeded): " + t, t);
            }
        }
        return new Stats(accepted, rejected);
    }

    private static void touch(Tensor t) {
        long bytes = t.data().byteSize();
        if (bytes > 0) {
            t.data().get(ValueLayout.JAVA_BYTE, 0);
            t.data().get(ValueLayout.JAVA_BYTE, bytes - 1);
        }
        assertEquals(t.size() * t.dtype().bytes(), bytes, t.toString());
    }

    private long[] pickleRange(byte[] zip) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(zip.length);
            MemorySegment.copy(zip, 0, seg, ValueLayout.JAVA_BYTE, 0, zip.length);
            for (ZipDirectory.Entry e : ZipDirectory.read(null, seg).entries().values())
                if (e.name().endsWith("/data.pkl")) return new long[] {e.offset(), e.offset() + e.size()};
        }
        throw new AssertionError("no data.pkl");
    }

    private static int centralDirectory(byte[] zip) {
        byte[] sig = "PK\u0001\u0002".getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i + 4 <= zip.length; i++)
            if (Arrays.equals(zip, i, i + 4, sig, 0, 4)) return i;
        throw new AssertionError("no central directory");
    }
}
