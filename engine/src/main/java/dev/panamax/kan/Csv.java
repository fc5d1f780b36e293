package dev.panamax.kan;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Numeric CSV, one sample a row, comma-separated, no header (a first line none of whose cells is a
 * number is taken as a header and skipped; a first line with some numbers and a bad cell is a bad
 * row, not a header). A number is decimal ({@code -1.5}, {@code 2e-3}) or nan, inf, -inf; a UTF-8
 * byte-order mark at the start (as spreadsheets write) is ignored. Values are written with the
 * shortest text that reads back as the same float.
 */
public final class Csv {
    private Csv() {}

    /** Every row as doubles; an {@link IllegalArgumentException} naming file, line and column for a bad value. */
    public static double[][] read(Path file) throws IOException {
        Table t = table(file);
        int width = -1;
        for (int r = 0; r < t.rows.size(); r++) {
            double[] row = t.rows.get(r);
            if (width >= 0 && row.length != width)
                throw new IllegalArgumentException(file + ":" + t.lines.get(r) + ": " + row.length + " values, earlier rows have " + width);
            width = row.length;
        }
        return t.rows.toArray(double[][]::new);
    }

    /**
     * The samples of a model that takes {@code width} inputs, as floats. The errors name the file: the
     * line of a row of another width, or that there is no sample at all (and the header, if the only
     * line was taken as one).
     */
    public static float[][] readSamples(Path file, int width) throws IOException {
        Table t = table(file);
        if (t.rows.isEmpty())
            throw new IllegalArgumentException(file + ": no samples (" + (t.header == null ? "the file holds no numeric rows"
                    : "its only line, '" + t.header + "', was taken as a header") + ")" + separatorHint(t.header));
        float[][] x = new float[t.rows.size()][];
        for (int r = 0; r < x.length; r++) {
            double[] row = t.rows.get(r);
            if (row.length != width)
                throw new IllegalArgumentException(file + ":" + t.lines.get(r) + ": " + row.length + (row.length == 1 ? " value" : " values")
                        + ", the model takes " + width + (row.length == width + 1 && t.header != null && t.header.startsWith(",")
                        ? " (the header's empty first cell is pandas' index column: write the file with to_csv(..., index=False))" : ""));
            x[r] = new float[width];
            for (int c = 0; c < width; c++) {
                x[r][c] = (float) row[c];
                if (Float.isInfinite(x[r][c]) && Double.isFinite(row[c]))   // would silently become an infinity
                    throw new IllegalArgumentException(file + ":" + t.lines.get(r) + ": column " + (c + 1) + ": " + row[c]
                            + " is outside float32's range (magnitude at most " + Float.MAX_VALUE + ")");
            }
        }
        return x;
    }

    /** The numeric rows of a file, the line (from 1) each came from, and the header line skipped, if any. */
    private record Table(List<double[]> rows, List<Integer> lines, String header) {}

    private static Table table(Path file) throws IOException {
        if (Files.isDirectory(file)) throw new IllegalArgumentException(file + ": a folder, not a CSV file");
        // Not only regular files: a pipe (/dev/stdin, bash's <(...)) is read the same way
        if (!Files.exists(file)) throw new java.nio.file.NoSuchFileException(file.toString(), null, "no such input file");
        List<double[]> rows = new ArrayList<>();
        List<Integer> numbers = new ArrayList<>();
        String header = null;
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not a CSV file (not UTF-8 text)", e);
        }
        boolean first = true;
        for (int n = 0; n < lines.size(); n++) {
            String line = (n == 0 && lines.get(n).startsWith("\uFEFF") ? lines.get(n).substring(1) : lines.get(n)).strip();
            if (line.isEmpty()) continue;
            String[] cells = line.split(",", -1);
            if (first && noNumber(cells)) { // a header
                header = line;
                first = false;
                continue;
            }
            first = false;
            double[] row = new double[cells.length];
            for (int c = 0; c < cells.length; c++) {
                String cell = cells[c].strip();
                try {
                    row[c] = parse(cell);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(file + ":" + (n + 1) + ": column " + (c + 1) + ": '" + cell + "' is not a number" + separatorHint(cell));
                }
            }
            rows.add(row);
            numbers.add(n + 1);
        }
        return new Table(rows, numbers, header);
    }

    /** For text that is numbers split by another separator ("0.1;0.2", tabs, spaces): that the values must be split by commas. */
    private static String separatorHint(String text) {
        String[] parts = text.strip().split("[;\\t ]+");
        if (parts.length < 2) return "";
        for (String part : parts)
            if (!DECIMAL.matcher(part).matches()) return "";
        return " (values are separated by commas, not by " + (text.contains(";") ? "semicolons" : text.contains("\t") ? "tabs" : "spaces") + ")";
    }

    private static boolean noNumber(String[] cells) {
        for (String cell : cells) {
            try {
                parse(cell.strip());
                return false;
            } catch (NumberFormatException e) {
                // not a number: look at the next cell
            }
        }
        return true;
    }

    /** Decimal notation only: Double.parseDouble alone would also take "2f", "1d" and hexadecimal "0x1p3". */
    private static final java.util.regex.Pattern DECIMAL = java.util.regex.Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    private static double parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "nan" -> Double.NaN;
            case "inf", "+inf", "infinity" -> Double.POSITIVE_INFINITY;
            case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
            default -> {
                if (!DECIMAL.matcher(s).matches()) throw new NumberFormatException(s.isEmpty() ? "empty" : "not a decimal number");
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
