package dev.panamax.dnnl;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.jar.JarEntry;

/**
 * Finds and loads oneDNN's {@code libdnnl.so.3}, once, in this order:
 * <ol>
 *   <li>the path in the system property {@code panamax.dnnl.library} or the environment variable
 *       {@code PANAMAX_DNNL_LIBRARY} (when set, nothing else is tried);</li>
 *   <li>the natives inside the bytedeco jars on the class path ({@code org.bytedeco:dnnl:linux-x86_64},
 *       which carries libdnnl.so.3 and libgomp.so.1, and {@code org.bytedeco:opencl:linux-x86_64},
 *       which carries the libOpenCL.so.1 libdnnl links against). They are copied into one per-user cache
 *       folder so that libdnnl's RUNPATH {@code $ORIGIN} finds its neighbours; a cached copy is reused
 *       when its size and CRC-32 match the jar entry; copies go through a temporary file and an atomic
 *       rename under a file lock, so two JVMs starting at once never see a half-written library;</li>
 *   <li>a system library found by the dynamic linker.</li>
 * </ol>
 * When none loads, {@link #status()} says why and {@link #lookup()} is null; callers then use their
 * Java kernels. No JNI and no JavaCPP class is involved: only the native files are used.
 */
public final class DnnlLibrary {

    /** What was loaded: {@code version} and {@code library} when available, {@code reason} when not. */
    public record Status(boolean available, String version, String library, String reason) {}

    private static final String DNNL_ENTRY = "org/bytedeco/dnnl/linux-x86_64/libdnnl.so.3";
    private static final String[] NEIGHBOURS = {
            "org/bytedeco/dnnl/linux-x86_64/libgomp.so.1",
            "org/bytedeco/opencl/linux-x86_64/libOpenCL.so.1",
    };

    private static final Status STATUS;
    private static final SymbolLookup LOOKUP;

    static {
        Loaded loaded = load();
        LOOKUP = loaded.lookup;
        STATUS = loaded.status;
    }

    private record Loaded(SymbolLookup lookup, Status status) {}

    private DnnlLibrary() {}

    /** Whether oneDNN loaded, its version and file, or why not. */
    public static Status status() { return STATUS; }

    public static boolean available() { return STATUS.available(); }

    /** Symbols of libdnnl and of the OpenMP runtime it runs on; null when oneDNN is unavailable. */
    public static SymbolLookup lookup() { return LOOKUP; }

    private static Loaded load() {
        if ("off".equalsIgnoreCase(System.getProperty("panamax.dnnl", "").strip()))
            return unavailable("-Dpanamax.dnnl=off");
        String explicit = System.getProperty("panamax.dnnl.library");
        String origin = "-Dpanamax.dnnl.library";
        if (explicit == null || explicit.isBlank()) {
            explicit = System.getenv("PANAMAX_DNNL_LIBRARY");
            origin = "PANAMAX_DNNL_LIBRARY";
        }
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (!Files.isRegularFile(p)) return unavailable(origin + "=" + explicit + ": no such file");
            return open(p.toAbsolutePath().toString(), p.resolveSibling("libgomp.so.1"), origin + "=" + explicit);
        }
        List<String> tried = new ArrayList<>();
        URL url = DnnlLibrary.class.getClassLoader().getResource(DNNL_ENTRY);
        if (url != null) {
            try {
                Path dnnl = extractFromJars(url);
                Loaded l = open(dnnl.toString(), dnnl.resolveSibling("libgomp.so.1"), "bytedeco jar");
                if (l.status.available()) return l;
                tried.add(l.status.reason());
            } catch (IOException | RuntimeException e) {
                tried.add("extracting " + DNNL_ENTRY + " failed: " + e.getMessage());
            }
        } else {
            tried.add("org.bytedeco:dnnl:linux-x86_64 is not on the class path");
        }
        Loaded sys = open("libdnnl.so.3", null, "system library");
        if (sys.status.available()) return sys;
        tried.add(sys.status.reason());
        return unavailable(String.join("; ", tried));
    }

    /** dlopens libdnnl (and, for omp_* symbols, the libgomp beside it or the system's) and checks its version. */
    private static Loaded open(String library, Path gomp, String origin) {
        try {
            Arena arena = Arena.global();
            SymbolLookup dnnl = library.contains("/") ? SymbolLookup.libraryLookup(Path.of(library), arena)
                    : SymbolLookup.libraryLookup(library, arena);
            SymbolLookup omp;
            try {
                omp = gomp != null && Files.isRegularFile(gomp) ? SymbolLookup.libraryLookup(gomp, arena)
                        : SymbolLookup.libraryLookup("libgomp.so.1", arena);
            } catch (IllegalArgumentException noGomp) {
                omp = name -> java.util.Optional.empty();
            }
            SymbolLookup both = dnnl.or(omp);
            if (dnnl.find("dnnl_version").isEmpty()) return unavailable(origin + " " + library + " has no dnnl_version symbol");
            String version = Dnnl.versionString(both);
            if (!version.startsWith("3."))
                return unavailable(origin + " " + library + " is oneDNN " + version + ", version 3 is needed");
            return new Loaded(both, new Status(true, version, library, null));
        } catch (IllegalArgumentException e) { // libraryLookup: dlopen failed
            return unavailable(origin + " " + library + " did not load: " + e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            return unavailable(origin + " " + library + ": " + e);
        }
    }

    private static Loaded unavailable(String reason) {
        return new Loaded(null, new Status(false, null, null, reason));
    }

    /** Copies libdnnl and its neighbours into the cache folder (unless present and intact); returns libdnnl's path. */
    private static Path extractFromJars(URL dnnlUrl) throws IOException {
        String base = System.getenv("XDG_CACHE_HOME");
        Path cache = (base != null && !base.isBlank() ? Path.of(base) : Path.of(System.getProperty("user.home"), ".cache"))
                .resolve("panamax").resolve("native-linux-x86_64");
        Files.createDirectories(cache);
        ClassLoader cl = DnnlLibrary.class.getClassLoader();
        try (FileChannel lockFile = FileChannel.open(cache.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockFile.lock()) {
            Path dnnl = extractOne(dnnlUrl, cache);
            for (String entry : NEIGHBOURS) {
                URL url = cl.getResource(entry);
                if (url == null) throw new IOException(entry + " is not on the class path (org.bytedeco:opencl:linux-x86_64 missing?)");
                extractOne(url, cache);
            }
            return dnnl;
        }
    }

    private static Path extractOne(URL url, Path dir) throws IOException {
        String name = url.getPath().substring(url.getPath().lastIndexOf('/') + 1);
        Path target = dir.resolve(name);
        long size = -1, crc = -1;
        if (url.openConnection() instanceof JarURLConnection jar) {
            jar.setUseCaches(false);
            JarEntry e = jar.getJarEntry();
            size = e.getSize();
            crc = e.getCrc();
        }
        if (size >= 0 && crc >= 0 && Files.isRegularFile(target) && Files.size(target) == size && crc32(target) == crc)
            return target;
        Path tmp = Files.createTempFile(dir, name, ".part");
        try (InputStream in = url.openStream()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            if (size >= 0 && (Files.size(tmp) != size || crc32(tmp) != crc))
                throw new IOException("copy of " + url + " does not match its size and CRC");
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    private static long crc32(Path file) throws IOException {
        CRC32 crc = new CRC32();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            var buf = java.nio.ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(buf) > 0) {
                buf.flip();
                crc.update(buf);
                buf.clear();
            }
        }
        return crc.getValue();
    }
}
