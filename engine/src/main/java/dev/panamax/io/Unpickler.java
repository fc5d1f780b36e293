package dev.panamax.io;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A data-only reader for Python pickles (protocol 2 and later), enough for the state dicts that
 * {@code torch.save} writes. It never runs code: a GLOBAL is accepted only when the caller's
 * whitelist names it, and calling one (REDUCE, NEWOBJ) is delegated to the caller's {@link Calls}.
 *
 * <p>Python values become: None → null, bool → Boolean, int → Long (BigInteger when larger),
 * float → Double, str → String, bytes → byte[], list → ArrayList, tuple → Object[],
 * dict → LinkedHashMap, a whitelisted global → {@link Global}.
 */
final class Unpickler {

    /** A reference to a whitelisted Python global, e.g. {@code torch._utils._rebuild_tensor_v2}. */
    record Global(String module, String name) {
        @Override public String toString() { return module + "." + name; }
    }

    /** What the caller does with a persistent id, and with a call of a whitelisted global. */
    interface Calls {
        Object persistentLoad(Object pid);
        Object call(Global function, Object[] args);
    }

    private static final Object MARK = new Object();
    private static final int MAX_DEPTH_OF_MARKS = 100_000;

    private final Path file;
    private final ByteBuffer in;
    private final Set<String> allowedGlobals;
    private final Calls calls;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private Unpickler(Path file, byte[] bytes, Set<String> allowedGlobals, Calls calls) {
        this.file = file;
        this.in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        this.allowedGlobals = allowedGlobals;
        this.calls = calls;
    }

    /** Reads one pickle; {@code allowedGlobals} holds names as "module.name". */
    static Object load(Path file, byte[] pickle, Set<String> allowedGlobals, Calls calls) {
        try {
            return new Unpickler(file, pickle, allowedGlobals, calls).run();
        } catch (java.nio.BufferUnderflowException e) {
            throw new FormatException(file, "data.pkl", "pickle ends in the middle of an opcode");
        } catch (ClassCastException | ArithmeticException e) {
            throw new FormatException(file, "data.pkl", "malformed pickle: " + e.getMessage());
        }
    }

    private Object run() {
        while (true) {
            int at = in.position();
            int op = in.get() & 0xFF;
            switch (op) {
                case 0x80 -> { int v = u8(); if (v < 2 || v > 5) fail(at, "unsupported pickle protocol " + v); } // PROTO
                case 0x95 -> in.getLong();                                         // FRAME: a hint, no content
                case 0x2e -> { if (stack.size() != 1 || !marks.isEmpty()) fail(at, "STOP with " + stack.size() + " values on the stack"); return stack.getFirst(); }
                case 0x28 -> { if (marks.size() >= MAX_DEPTH_OF_MARKS) fail(at, "too many nested marks"); marks.add(stack.size()); } // MARK
                case 0x30 -> pop(at);                                              // POP
                case 0x31 -> popMark(at);                                          // POP_MARK
                case 0x32 -> push(peek(at));                                       // DUP
                case 0x4e -> push(null);                                           // NONE
                case 0x88 -> push(Boolean.TRUE);                                   // NEWTRUE
                case 0x89 -> push(Boolean.FALSE);                                  // NEWFALSE
                case 0x4b -> push((long) u8());                                    // BININT1
                case 0x4d -> push((long) Short.toUnsignedInt(in.getShort()));      // BININT2
                case 0x4a -> push((long) in.getInt());                             // BININT
                case 0x8a -> push(longOf(bytes(at, u8())));                        // LONG1
                case 0x8b -> push(longOf(bytes(at, in.getInt())));                 // LONG4
                case 0x47 -> push(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // BINFLOAT is big-endian
                case 0x58 -> push(utf8(bytes(at, in.getInt())));                   // BINUNICODE
                case 0x8c -> push(utf8(bytes(at, u8())));                          // SHORT_BINUNICODE
                case 0x8d -> push(utf8(bytes(at, in.getLong())));                  // BINUNICODE8
                case 0x54 -> push(latin1(bytes(at, in.getInt())));                 // BINSTRING
                case 0x55 -> push(latin1(bytes(at, u8())));                        // SHORT_BINSTRING
                case 0x42 -> push(bytes(at, in.getInt()));                         // BINBYTES
                case 0x43 -> push(bytes(at, u8()));                                // SHORT_BINBYTES
                case 0x8e -> push(bytes(at, in.getLong()));                        // BINBYTES8
                case 0x29 -> push(new Object[0]);                                  // EMPTY_TUPLE
                case 0x85 -> push(new Object[] {pop(at)});                         // TUPLE1
                case 0x86 -> { Object b = pop(at), a = pop(at); push(new Object[] {a, b}); }              // TUPLE2
                case 0x87 -> { Object c = pop(at), b = pop(at), a = pop(at); push(new Object[] {a, b, c}); } // TUPLE3
                case 0x74 -> push(popMark(at).toArray());                          // TUPLE
                case 0x5d -> push(new ArrayList<>());                              // EMPTY_LIST
                case 0x6c -> push(new ArrayList<>(popMark(at)));                   // LIST
                case 0x61 -> { Object v = pop(at); list(at, peek(at)).add(v); }    // APPEND
                case 0x65 -> { List<Object> vs = popMark(at); list(at, peek(at)).addAll(vs); } // APPENDS
                case 0x7d -> push(new LinkedHashMap<>());                          // EMPTY_DICT
                case 0x64 -> { Map<Object, Object> d = new LinkedHashMap<>(); putAll(at, d, popMark(at)); push(d); } // DICT
                case 0x73 -> { Object v = pop(at), k = pop(at); putAll(at, dict(at, peek(at)), Arrays.asList(k, v)); } // SETITEM
                case 0x75 -> { List<Object> kvs = popMark(at); putAll(at, dict(at, peek(at)), kvs); } // SETITEMS
                case 0x71 -> memo.put((long) u8(), peek(at));                      // BINPUT
                case 0x72 -> memo.put(Integer.toUnsignedLong(in.getInt()), peek(at)); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek(at));               // MEMOIZE
                case 0x68 -> push(memo(at, u8()));                                 // BINGET
                case 0x6a -> push(memo(at, Integer.toUnsignedLong(in.getInt())));  // LONG_BINGET
                case 0x63 -> push(global(at, line(at), line(at)));                 // GLOBAL
                case 0x93 -> { Object name = pop(at), module = pop(at); push(global(at, str(at, module), str(at, name))); } // STACK_GLOBAL
                case 0x52, 0x81 -> { Object[] args = tuple(at, pop(at)); push(calls.call(function(at, pop(at)), args)); } // REDUCE, NEWOBJ
                case 0x62 -> pop(at);      // BUILD: object state (e.g. an OrderedDict's _metadata); data-only, so dropped
                case 0x51 -> push(calls.persistentLoad(pop(at)));                  // BINPERSID
                default -> fail(at, String.format("unsupported pickle opcode 0x%02x", op));
            }
        }
    }

    private Object global(int at, String module, String name) {
        String full = module + "." + name;
        if (!allowedGlobals.contains(full)) fail(at, "refusing to load Python global " + full + " (not a tensor or container type)");
        return new Global(module, name);
    }

    private void putAll(int at, Map<Object, Object> d, List<Object> kvs) {
        if (kvs.size() % 2 != 0) fail(at, "odd number of dict keys and values");
        for (int i = 0; i < kvs.size(); i += 2) {
            Object k = kvs.get(i);
            // Only plain keys: hashing a list or dict could recurse forever on a self-referencing pickle.
            if (!(k == null || k instanceof String || k instanceof Long || k instanceof BigInteger || k instanceof Double
                    || k instanceof Boolean || k instanceof Object[]))
                fail(at, "unsupported dict key of type " + typeName(k));
            d.put(k, kvs.get(i + 1));
        }
    }

    private void push(Object o) { stack.add(o); }

    private Object pop(int at) {
        if (stack.size() <= (marks.isEmpty() ? 0 : marks.getLast())) fail(at, "pickle stack underflow");
        return stack.removeLast();
    }

    private Object peek(int at) {
        if (stack.size() <= (marks.isEmpty() ? 0 : marks.getLast())) fail(at, "pickle stack underflow");
        return stack.getLast();
    }

    private List<Object> popMark(int at) {
        if (marks.isEmpty()) fail(at, "no MARK on the stack");
        int from = marks.removeLast();
        List<Object> top = new ArrayList<>(stack.subList(from, stack.size()));
        stack.subList(from, stack.size()).clear();
        return top;
    }

    private Object memo(int at, long key) {
        if (!memo.containsKey(key)) fail(at, "memo key " + key + " was never stored");
        return memo.get(key);
    }

    private int u8() { return in.get() & 0xFF; }

    private byte[] bytes(int at, long n) {
        if (n < 0 || n > in.remaining()) fail(at, "length " + n + " runs past the end of the pickle");
        byte[] b = new byte[(int) n];
        in.get(b);
        return b;
    }

    /** A newline-terminated ASCII argument of GLOBAL. */
    private String line(int at) {
        int start = in.position();
        while (in.get() != '\n') if (in.position() - start > 256) fail(at, "GLOBAL name too long");
        return new String(in.array(), start, in.position() - start - 1, StandardCharsets.US_ASCII);
    }

    private Object longOf(byte[] littleEndian) {
        if (littleEndian.length == 0) return 0L;
        byte[] be = new byte[littleEndian.length];
        for (int i = 0; i < be.length; i++) be[i] = littleEndian[be.length - 1 - i];
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String utf8(byte[] b) { return new String(b, StandardCharsets.UTF_8); }

    private String latin1(byte[] b) { return new String(b, StandardCharsets.ISO_8859_1); }

    private String str(int at, Object o) {
        if (!(o instanceof String s)) throw fail(at, "expected a string, found " + typeName(o));
        return s;
    }

    private Object[] tuple(int at, Object o) {
        if (!(o instanceof Object[] t)) throw fail(at, "expected a tuple of arguments, found " + typeName(o));
        return t;
    }

    private Global function(int at, Object o) {
        if (!(o instanceof Global g)) throw fail(at, "cannot call a " + typeName(o));
        return g;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(int at, Object o) {
        if (!(o instanceof List<?> l)) throw fail(at, "APPEND to a " + typeName(o));
        return (List<Object>) l;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(int at, Object o) {
        if (!(o instanceof Map<?, ?> m)) throw fail(at, "SETITEM on a " + typeName(o));
        return (Map<Object, Object>) m;
    }

    static String typeName(Object o) {
        return switch (o) {
            case null -> "None";
            case Object[] t -> "tuple of " + t.length;
            case Global g -> "global " + g;
            default -> o.getClass().getSimpleName();
        };
    }

    private FormatException fail(int at, String message) {
        throw new FormatException(file, "data.pkl", message + " (at byte " + at + ")");
    }
}
