package dev.panamax.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.panamax.io.FormatException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of a Hugging Face {@code tokenizer.json} around the BPE model: the normalizer, the
 * pre-tokenizer and the decoder, each built from its JSON. Only the kinds that BPE tokenizers use
 * are here; any other kind is named in a {@link FormatException} rather than ignored.
 */
final class HfPipeline {
    private HfPipeline() {}

    static final char METASPACE = '\u2581';

    // ---------------------------------------------------------------- normalizers

    interface TextNormalizer { String apply(String s); }

    static TextNormalizer normalizer(Path file, JsonNode n, String where) {
        if (n == null || n.isNull()) return s -> s;
        String type = type(file, n, where);
        return switch (type) {
            case "Sequence" -> {
                List<TextNormalizer> steps = new ArrayList<>();
                JsonNode list = n.path("normalizers");
                for (int i = 0; i < list.size(); i++) steps.add(normalizer(file, list.get(i), where + ".normalizers[" + i + "]"));
                yield s -> { for (TextNormalizer t : steps) s = t.apply(s); return s; };
            }
            case "NFC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFC);
            case "NFD" -> s -> Normalizer.normalize(s, Normalizer.Form.NFD);
            case "NFKC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKC);
            case "NFKD" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKD);
            case "Lowercase" -> s -> s.toLowerCase(Locale.ROOT);
            case "Prepend" -> {
                String prefix = text(file, n, "prepend", where);
                yield s -> s.isEmpty() ? s : prefix + s;
            }
            case "Replace" -> {
                Pattern p = pattern(file, n.path("pattern"), where + ".pattern");
                String content = Matcher.quoteReplacement(text(file, n, "content", where));
                yield s -> p.matcher(s).replaceAll(content);
            }
            case "Strip" -> {
                boolean left = n.path("strip_left").asBoolean(true), right = n.path("strip_right").asBoolean(true);
                yield s -> left && right ? s.strip() : left ? s.stripLeading() : right ? s.stripTrailing() : s;
            }
            default -> throw new FormatException(file, where, "unsupported normalizer type '" + type + "'");
        };
    }

    // ---------------------------------------------------------------- pre-tokenizers

    /** Splits each piece of a text further; {@code first} is true for a segment at the very start of the input. */
    interface PreTokenizer { List<String> apply(List<String> pieces, boolean first); }

    static PreTokenizer preTokenizer(Path file, JsonNode n, String where) {
        if (n == null || n.isNull()) return (pieces, first) -> pieces;
        String type = type(file, n, where);
        return switch (type) {
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                JsonNode list = n.path("pretokenizers");
                for (int i = 0; i < list.size(); i++) steps.add(preTokenizer(file, list.get(i), where + ".pretokenizers[" + i + "]"));
                yield (pieces, first) -> { for (PreTokenizer p : steps) pieces = p.apply(pieces, first); return pieces; };
            }
            case "ByteLevel" -> {
                boolean prefixSpace = n.path("add_prefix_space").asBoolean(false);
                boolean useRegex = n.path("use_regex").asBoolean(true);
                yield (pieces, first) -> {
                    List<String> out = new ArrayList<>();
                    for (String p : pieces) {
                        if (prefixSpace && !p.startsWith(" ")) p = " " + p;
                        if (useRegex) for (String w : split(p, ByteLevel.GPT2_SPLIT, Behavior.ISOLATED, false)) out.add(ByteLevel.encode(w));
                        else out.add(ByteLevel.encode(p));
                    }
                    return out;
                };
            }
            case "Metaspace" -> {
                char replacement = replacement(file, n, where);
                String scheme = n.has("prepend_scheme") ? n.get("prepend_scheme").asText()
                        : n.path("add_prefix_space").asBoolean(true) ? "always" : "never";
                boolean splitWords = n.path("split").asBoolean(true);
                String mark = String.valueOf(replacement);
                Pattern markPattern = Pattern.compile(Pattern.quote(mark));
                yield (pieces, first) -> {
                    List<String> out = new ArrayList<>();
                    for (int i = 0; i < pieces.size(); i++) {
                        String p = pieces.get(i).replace(' ', replacement);
                        boolean prepend = scheme.equals("always") || (scheme.equals("first") && first && i == 0);
                        if (prepend && !p.startsWith(mark)) p = mark + p;
                        if (splitWords) out.addAll(split(p, markPattern, Behavior.MERGED_WITH_NEXT, false));
                        else out.add(p);
                    }
                    return out;
                };
            }
            case "Split" -> {
                Pattern p = pattern(file, n.path("pattern"), where + ".pattern");
                Behavior behavior = Behavior.of(file, n.path("behavior").asText("Isolated"), where);
                boolean invert = n.path("invert").asBoolean(false);
                yield splitter(p, behavior, invert);
            }
            case "Digits" -> splitter(Pattern.compile(n.path("individual_digits").asBoolean(false) ? "\\p{N}" : "\\p{N}+"),
                    Behavior.ISOLATED, false);
            case "Whitespace" -> splitter(Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS), Behavior.ISOLATED, true)
                    .then(Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS));
            case "WhitespaceSplit" -> splitter(Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS), Behavior.REMOVED, false);
            default -> throw new FormatException(file, where, "unsupported pre_tokenizer type '" + type + "'");
        };
    }

    /** A pre-tokenizer applying one regex split to every piece. */
    interface Splitter extends PreTokenizer {
        /** This splitter, then the removal of pieces that match {@code drop} whole. */
        default PreTokenizer then(Pattern drop) {
            return (pieces, first) -> apply(pieces, first).stream().filter(s -> !drop.matcher(s).matches()).toList();
        }
    }

    private static Splitter splitter(Pattern p, Behavior behavior, boolean invert) {
        return (pieces, first) -> {
            List<String> out = new ArrayList<>();
            for (String s : pieces) out.addAll(split(s, p, behavior, invert));
            return out;
        };
    }

    /** Hugging Face's SplitDelimiterBehavior. */
    enum Behavior {
        REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

        static Behavior of(Path file, String name, String where) {
            return switch (name) {
                case "Removed" -> REMOVED;
                case "Isolated" -> ISOLATED;
                case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
                case "MergedWithNext" -> MERGED_WITH_NEXT;
                case "Contiguous" -> CONTIGUOUS;
                default -> throw new FormatException(file, where + ".behavior", "unknown split behavior '" + name + "'");
            };
        }
    }

    /**
     * Cuts {@code s} into the matches of {@code p} and the gaps between them (with {@code invert}
     * the gaps count as the delimiters), then joins or drops the delimiters as {@code behavior} says.
     */
    static List<String> split(String s, Pattern p, Behavior behavior, boolean invert) {
        List<String> parts = new ArrayList<>();
        List<Boolean> isDelimiter = new ArrayList<>();
        Matcher m = p.matcher(s);
        int last = 0;
        while (m.find()) {
            if (m.end() == m.start()) continue;                      // empty matches delimit nothing
            if (m.start() > last) { parts.add(s.substring(last, m.start())); isDelimiter.add(invert); }
            parts.add(m.group()); isDelimiter.add(!invert);
            last = m.end();
        }
        if (last < s.length()) { parts.add(s.substring(last)); isDelimiter.add(invert); }

        List<String> out = new ArrayList<>();
        StringBuilder carry = null;                                  // a delimiter waiting for the next piece
        for (int i = 0; i < parts.size(); i++) {
            String part = parts.get(i);
            boolean delim = isDelimiter.get(i);
            switch (behavior) {
                case ISOLATED -> out.add(part);
                case REMOVED -> { if (!delim) out.add(part); }
                case MERGED_WITH_PREVIOUS -> {
                    if (delim && !out.isEmpty() && !isDelimiter.get(i - 1)) out.set(out.size() - 1, out.getLast() + part);
                    else out.add(part);
                }
                case MERGED_WITH_NEXT -> {
                    if (delim) { if (carry != null) out.add(carry.toString()); carry = new StringBuilder(part); }
                    else if (carry != null) { out.add(carry.append(part).toString()); carry = null; }
                    else out.add(part);
                }
                case CONTIGUOUS -> {
                    if (delim && i > 0 && isDelimiter.get(i - 1)) out.set(out.size() - 1, out.getLast() + part);
                    else out.add(part);
                }
            }
        }
        if (carry != null) out.add(carry.toString());
        return out;
    }

    // ---------------------------------------------------------------- decoders

    /** Renders one model token; {@code atStart} is true while no text has come yet. */
    interface TokenDecoder { byte[] decode(String token, boolean atStart); }

    /** A step works on a token that is still text (String) or already bytes (byte[]). */
    private interface Step { Object apply(Object token, boolean atStart); }

    static TokenDecoder decoder(Path file, JsonNode n) {
        List<Step> steps = new ArrayList<>();
        addSteps(file, n, "decoder", steps);
        return (token, atStart) -> {
            Object v = token;
            for (Step s : steps) v = s.apply(v, atStart);
            return v instanceof String str ? str.getBytes(StandardCharsets.UTF_8) : (byte[]) v;
        };
    }

    private static void addSteps(Path file, JsonNode n, String where, List<Step> steps) {
        if (n == null || n.isNull()) return;
        String type = type(file, n, where);
        switch (type) {
            case "Sequence" -> {
                JsonNode list = n.path("decoders");
                for (int i = 0; i < list.size(); i++) addSteps(file, list.get(i), where + ".decoders[" + i + "]", steps);
            }
            case "ByteLevel" -> steps.add((v, atStart) -> v instanceof String s ? ByteLevel.decode(s) : v);
            case "ByteFallback" -> steps.add((v, atStart) -> {
                if (!(v instanceof String s)) return v;
                int b = ByteFallback.parse(s);
                return b >= 0 ? new byte[] {(byte) b} : v;
            });
            case "Replace" -> {
                Pattern p = pattern(file, n.path("pattern"), where + ".pattern");
                String content = Matcher.quoteReplacement(text(file, n, "content", where));
                steps.add((v, atStart) -> v instanceof String s ? p.matcher(s).replaceAll(content) : v);
            }
            case "Metaspace" -> {
                char replacement = replacement(file, n, where);
                String scheme = n.has("prepend_scheme") ? n.get("prepend_scheme").asText()
                        : n.path("add_prefix_space").asBoolean(true) ? "always" : "never";
                boolean strip = !scheme.equals("never");
                steps.add((v, atStart) -> {
                    if (!(v instanceof String s)) return v;
                    s = s.replace(replacement, ' ');
                    return strip && atStart && s.startsWith(" ") ? s.substring(1) : s;
                });
            }
            case "Strip" -> {
                // Applied to the start of the text only (after Fuse, Hugging Face strips the whole
                // text; a stream cannot know its end, so 'stop' is not applied).
                String content = n.path("content").asText(" ");
                int start = n.path("start").asInt(0);
                steps.add((v, atStart) -> {
                    if (!(v instanceof String s) || !atStart) return v;
                    for (int i = 0; i < start && s.startsWith(content); i++) s = s.substring(content.length());
                    return s;
                });
            }
            case "Fuse" -> { }                                        // joining is what a stream does anyway
            default -> throw new FormatException(file, where, "unsupported decoder type '" + type + "'");
        }
    }

    // ---------------------------------------------------------------- JSON helpers

    private static char replacement(Path file, JsonNode n, String where) {
        String r = n.path("replacement").asText("\u2581");
        if (r.length() != 1) throw new FormatException(file, where + ".replacement", "must be one character, got '" + r + "'");
        return r.charAt(0);
    }

    static String type(Path file, JsonNode n, String where) {
        JsonNode t = n.get("type");
        if (t == null || !t.isTextual()) throw new FormatException(file, where, "no 'type'");
        return t.asText();
    }

    private static String text(Path file, JsonNode n, String field, String where) {
        JsonNode t = n.get(field);
        if (t == null || !t.isTextual()) throw new FormatException(file, where + "." + field, "missing or not a string");
        return t.asText();
    }

    /** {"String": "..."} is a literal, {"Regex": "..."} a regular expression (Oniguruma syntax, which Java's mostly shares). */
    private static Pattern pattern(Path file, JsonNode n, String where) {
        if (n.has("String")) return Pattern.compile(Pattern.quote(n.get("String").asText()));
        if (n.has("Regex")) {
            try {
                return Pattern.compile(n.get("Regex").asText(), Pattern.UNICODE_CHARACTER_CLASS);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new FormatException(file, where, "regex Java cannot compile: " + e.getDescription(), e);
            }
        }
        throw new FormatException(file, where, "pattern is neither {\"String\": ...} nor {\"Regex\": ...}");
    }
}
