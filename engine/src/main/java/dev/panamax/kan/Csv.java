package dev.panamax.kan;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Numeric CSV, one sample a row, comma-separated, no header (a first line that is not numeric is
 * taken as a header and skipped). Values are written with the shortest text that reads back as
 * the same float.
 */
public final class Csv {
    private Csv() {}

    /** Every row as doubles; an {@link IllegalArgumentException} naming file, line and column for a bad value. */
    public static double[][] read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new java.nio.file.NoSuchFileException(file.toString(), null, "no such input file");
        List<double[]> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        int width = -1;
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty()) continue;
            String[] cells = line.split(",", -1);
            double[] row = new double[cells.length];
            for (int c = 0; c < cells.length; c++) {
                String cell = cells[c].strip();
                try {
                    row[c] = parse(cell);
                } catch (NumberFormatException e) {
                    if (rows.isEmpty() && width < 0 && n == firstNonEmpty(lines)) { row = null; break; }   // a header
                    throw new IllegalArgumentException(file + ":" + (n + 1) + ": column " + (c + 1) + ": '" + cell + "' is not a number");
                }
            }
            if (row == null) continue;
            if (width >= 0 && row.length != width)
                throw new IllegalArgumentException(file + ":" + (n + 1) + ": " + row.length + " values, earlier rows have " + width);
            width = row.length;
            rows.add(row);
        }
        return rows.toArray(double[][]::new);
    }

    private static int firstNonEmpty(List<String> lines) {
        for (int i = 0; i < lines.size(); i++) if (!lines.get(i).isBlank()) return i;
        return -1;
    }

    private static double parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "nan" -> Double.NaN;
            case "inf", "+inf", "infinity" -> Double.POSITIVE_INFINITY;
            case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
            default -> {
                if (s.isEmpty()) throw new NumberFormatException("empty");
                yield Double.parseDouble(s);
            }
        };
    }

    public static void write(Appendable out, float[][] rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (float[] row : rows) {
            sb.setLength(0);
            for (int c = 0; c < row.length; c++) {
                if (c > 0) sb.append(',');
                float v = row[c];
                sb.append(Float.isNaN(v) ? "nan" : Float.isInfinite(v) ? (v > 0 ? "inf" : "-inf") : Float.toString(v));
            }
            out.append(sb).append('\n');
        }
    }

    public static void write(Path file, float[][] rows) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file)) { write(w, rows); }
    }
}
