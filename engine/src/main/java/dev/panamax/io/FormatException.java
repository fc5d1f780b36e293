package dev.panamax.io;

import java.nio.file.Path;

/**
 * The one exception every reader throws for a file it cannot accept: it names the file and, when
 * the fault lies in one tensor or field, that too.
 */
public class FormatException extends RuntimeException {
    private final Path file;
    private final String item;

    public FormatException(Path file, String item, String message) { this(file, item, message, null); }

    public FormatException(Path file, String item, String message, Throwable cause) {
        super(compose(file, item, message), cause);
        this.file = file;
        this.item = item;
    }

    private static String compose(Path file, String item, String message) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<memory>" : file.toString());
        if (item != null) sb.append(" [").append(item).append(']');
        return sb.append(": ").append(message).toString();
    }

    /**
     * Jackson's complaint in a user's words: where it is in the file and what is wrong, without the
     * parser's source descriptions ("[Source: REDACTED ...]") that name nothing useful.
     */
    public static String json(com.fasterxml.jackson.core.JacksonException e) {
        String what = String.valueOf(e.getOriginalMessage()).replaceAll(" ?\\(start marker at \\[Source: .*?\\]\\)", "");
        var at = e.getLocation();
        return "not valid JSON" + (at == null || at.getLineNr() < 1 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")")
                + ": " + what;
    }

    public Path file() { return file; }

    /** The tensor or field at fault, or null when the file as a whole is. */
    public String item() { return item; }
}
