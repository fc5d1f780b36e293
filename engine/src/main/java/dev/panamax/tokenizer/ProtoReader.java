package dev.panamax.tokenizer;

import dev.panamax.io.FormatException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Just enough of the protobuf wire format to read a SentencePiece model: a cursor over one
 * message's bytes yielding (field number, wire type) tags and their values. Every length is checked
 * against the bytes left, so a corrupt file gives a {@link FormatException}, never garbage.
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, LENGTH = 2, FIXED32 = 5;

    private final Path file;
    private final String what;
    private final ByteBuffer in;
    private int tag;

    ProtoReader(Path file, String what, ByteBuffer in) {
        this.file = file;
        this.what = what;
        this.in = in.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Advances to the next field; false at the end of the message. */
    boolean next() {
        if (!in.hasRemaining()) return false;
        long t = varint();
        if (t >>> 3 == 0 || t >>> 3 > Integer.MAX_VALUE) throw error("bad field tag " + t);
        tag = (int) t;
        return true;
    }

    int field() { return tag >>> 3; }

    int wireType() { return tag & 7; }

    long varint() {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!in.hasRemaining()) throw error("truncated varint");
            byte b = in.get();
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) return value;
        }
        throw error("varint longer than 10 bytes");
    }

    int int32() { expect(VARINT); return (int) varint(); }

    boolean bool() { expect(VARINT); return varint() != 0; }

    float float32() {
        expect(FIXED32);
        if (in.remaining() < 4) throw error("truncated float");
        return in.getFloat();
    }

    ByteBuffer bytes() {
        expect(LENGTH);
        long length = varint();
        if (length < 0 || length > in.remaining()) throw error("length " + length + " past the end (" + in.remaining() + " bytes left)");
        ByteBuffer slice = in.slice(in.position(), (int) length);
        in.position(in.position() + (int) length);
        return slice;
    }

    String string() {
        ByteBuffer b = bytes();
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return new String(a, StandardCharsets.UTF_8);
    }

    ProtoReader message(String name) { return new ProtoReader(file, name, bytes()); }

    /** Skips a field this reader does not need. */
    void skip() {
        switch (wireType()) {
            case VARINT -> varint();
            case FIXED64 -> advance(8);
            case LENGTH -> bytes();
            case FIXED32 -> advance(4);
            default -> throw error("unsupported wire type " + wireType() + " in field " + field());
        }
    }

    private void advance(int n) {
        if (in.remaining() < n) throw error("truncated field " + field());
        in.position(in.position() + n);
    }

    private void expect(int wireType) {
        if (wireType() != wireType) throw error("field " + field() + " has wire type " + wireType() + ", expected " + wireType);
    }

    FormatException error(String message) { return new FormatException(file, what, message); }
}
