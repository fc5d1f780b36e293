package dev.panamax.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The central directory of a zip archive that lies in memory, as PyTorch's {@code torch.save}
 * writes it: entries STORED (uncompressed) so that each one is a slice of the mapped file. Knows
 * ZIP64, which checkpoints over 4 GiB use. Every size read from the file is checked against the
 * file before it is used.
 */
final class ZipDirectory {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int LOCAL = 0x04034b50, CENTRAL = 0x02014b50, END = 0x06054b50;
    private static final int END64 = 0x06064b50, END64_LOCATOR = 0x07064b50;

    /** One entry: where its bytes lie in the file, and whether they are stored as they are. */
    record Entry(String name, int method, long offset, long size) {}

    private final Path file;
    private final MemorySegment zip;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    private ZipDirectory(Path file, MemorySegment zip) {
        this.file = file;
        this.zip = zip;
    }

    static ZipDirectory read(Path file, MemorySegment zip) {
        ZipDirectory d = new ZipDirectory(file, zip);
        d.readDirectory();
        return d;
    }

    Map<String, Entry> entries() { return entries; }

    /** The bytes of a stored entry, as a slice of the mapping. */
    MemorySegment data(Entry e) {
        if (e.method != 0)
            throw new FormatException(file, e.name, "zip entry is compressed (method " + e.method
                    + "); only stored entries can be mapped in place (torch.save writes them stored)");
        return zip.asSlice(e.offset, e.size);
    }

    private void readDirectory() {
        long end = findEnd();
        long count = u16(end + 10), dirSize = u32(end + 12), dirOffset = u32(end + 16);
        if (end >= 20 && u32(end - 20) == END64_LOCATOR) {           // ZIP64: the real figures lie elsewhere
            long rec = u64(end - 20 + 8);
            check(rec >= 0 && rec <= zip.byteSize() - 56 && u32(rec) == END64, null, "broken ZIP64 end record");
            count = u64(rec + 32);
            dirSize = u64(rec + 40);
            dirOffset = u64(rec + 48);
        }
        check(dirOffset >= 0 && dirSize >= 0 && dirOffset <= zip.byteSize() && dirSize <= zip.byteSize() - dirOffset,
                null, "central directory [" + dirOffset + ", +" + dirSize + ") lies outside the file");
        check(count >= 0 && count <= dirSize / 46, null, "central directory claims " + count + " entries in " + dirSize + " bytes");
        long p = dirOffset, dirEnd = dirOffset + dirSize;
        for (long i = 0; i < count; i++) {
            check(p + 46 <= dirEnd && u32(p) == CENTRAL, null, "broken central directory entry #" + i);
            int flags = u16(p + 8), method = u16(p + 10);
            long size = u32(p + 20), usize = u32(p + 24), local = u32(p + 42);
            int nameLen = u16(p + 28), extraLen = u16(p + 30), commentLen = u16(p + 32);
            check(p + 46 + nameLen + extraLen + commentLen <= dirEnd, null, "central directory entry #" + i + " runs past the directory");
            String name = new String(zip.asSlice(p + 46, nameLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            // ZIP64 extra field: the 64-bit values, in this order, of the fields saturated at 0xFFFFFFFF.
            for (long x = p + 46 + nameLen, xEnd = x + extraLen; x + 4 <= xEnd; ) {
                int id = u16(x), len = u16(x + 2);
                check(x + 4 + len <= xEnd, name, "extra field runs past its entry");
                if (id == 1) {
                    long q = x + 4, qEnd = q + len;
                    if (usize == 0xFFFFFFFFL) { check(q + 8 <= qEnd, name, "short ZIP64 field"); usize = u64(q); q += 8; }
                    if (size == 0xFFFFFFFFL) { check(q + 8 <= qEnd, name, "short ZIP64 field"); size = u64(q); q += 8; }
                    if (local == 0xFFFFFFFFL) { check(q + 8 <= qEnd, name, "short ZIP64 field"); local = u64(q); }
                }
                x += 4 + len;
            }
            check((flags & 1) == 0, name, "zip entry is encrypted");
            check(method != 0 || size == usize, name, "stored entry has compressed size " + size + " but size " + usize);
            check(local >= 0 && local <= zip.byteSize() - 30 && u32(local) == LOCAL, name, "no local header at offset " + local);
            long data = local + 30 + u16(local + 26) + u16(local + 28);   // the local header has its own extra field
            check(size >= 0 && data <= zip.byteSize() && size <= zip.byteSize() - data, name,
                    "entry data [" + data + ", +" + size + ") lies outside the file (" + zip.byteSize() + " bytes)");
            check(entries.put(name, new Entry(name, method, data, size)) == null, name, "duplicate zip entry");
            p += 46 + nameLen + extraLen + commentLen;
        }
    }

    /** The end-of-central-directory record: the last 22 bytes, unless a comment follows it. */
    private long findEnd() {
        long size = zip.byteSize();
        check(size >= 22, null, "too short to be a zip archive (" + size + " bytes)");
        for (long p = size - 22, stop = Math.max(0, size - 22 - 65535); p >= stop; p--)
            if (u32(p) == END && p + 22 + u16(p + 20) == size) return p;
        // A file that starts as a zip but has no end record was cut short (a copy or a save interrupted)
        throw new FormatException(file, null, u32(0) == LOCAL ? "truncated or damaged zip archive: it starts as one, but its end (the zip directory) is missing"
                : "not a zip archive (torch.save writes one): no zip end-of-directory record found");
    }

    private void check(boolean ok, String item, String message) {
        if (!ok) throw new FormatException(file, item, message);
    }

    private long u32(long p) { return Integer.toUnsignedLong(zip.get(U32, p)); }
    private int u16(long p) { return Short.toUnsignedInt(zip.get(U16, p)); }
    private long u64(long p) { return zip.get(U64, p); }  // negative (over 2^63) fails the range checks
}
