package io.diffusionbatch.request;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Checks and resolves a request's output location (and a prompt file, against the input root) so that it cannot
 * leave its root.
 *
 * <p>A location is relative, its segments separated by {@code /}: not empty, at most {@link #MAX_CHARS} characters,
 * no leading {@code /}, no {@code \}, no drive letter or other {@code :}, no NUL or other control character, no
 * empty, {@code .} or {@code ..} segment ({@link #checkSyntax}, also stated by the JSON Schema). On top of that,
 * {@link #resolve} refuses a location any existing component of which is a symbolic link, and checks that the real
 * path of the deepest existing component lies under the root's real path. The root itself may be a link.
 *
 * <p>The check is made when called: a link created later is not seen, so writers should also refuse to follow links
 * ({@link LinkOption#NOFOLLOW_LINKS}) or resolve again right before writing. Stateless and thread-safe.
 */
public final class OutputLocation {

    /** Longest location, in characters. */
    public static final int MAX_CHARS = 1024;

    private OutputLocation() {
    }

    /**
     * Checks a location's text alone (no file system access).
     *
     * @param field the JSON path to name in the violation, e.g. {@code output.location}
     * @return the first broken rule, or empty when the text is acceptable
     */
    public static Optional<Violation> checkSyntax(String field, String location) {
        Objects.requireNonNull(field, "field");
        if (location == null || location.isEmpty()) {
            return Optional.of(new Violation(field, Violation.Rules.REQUIRED, "must be a non-empty relative path"));
        }
        int chars = location.codePointCount(0, location.length());
        if (chars > MAX_CHARS) {
            return Optional.of(new Violation(field, Violation.Rules.TOO_LONG,
                    "must be at most " + MAX_CHARS + " characters, was " + chars));
        }
        if (location.startsWith("/") || location.startsWith("\\") || (location.length() > 1 && location.charAt(1) == ':')) {
            return Optional.of(new Violation(field, Violation.Rules.ESCAPES_OUTPUT_ROOT,
                    "must be relative to the root, '" + printable(location) + "' is absolute"));
        }
        for (String segment : location.split("/", -1)) {
            if (segment.equals("..")) {
                return Optional.of(new Violation(field, Violation.Rules.ESCAPES_OUTPUT_ROOT,
                        "must stay under the root: '" + printable(location) + "' has a '..' segment"));
            }
        }
        for (int i = 0; i < location.length(); i++) {
            char c = location.charAt(i);
            if (c == 0) {
                return Optional.of(new Violation(field, Violation.Rules.NUL, "must not contain NUL characters"));
            }
            if (c < 0x20 || c == 0x7f || c == '\\' || c == ':') {
                return Optional.of(new Violation(field, Violation.Rules.INVALID_PATH,
                        "must not contain control characters, '\\' or ':', found U+"
                                + String.format("%04X", (int) c) + " at " + i));
            }
        }
        for (String segment : location.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".")) {
                return Optional.of(new Violation(field, Violation.Rules.INVALID_PATH,
                        "'" + printable(location) + "' has an empty or '.' segment; write segments separated by"
                                + " single '/', with no trailing '/'"));
            }
        }
        return Optional.empty();
    }

    /**
     * Resolves an output location under the output root.
     *
     * @param root     the output root; must exist
     * @param location the request's {@code output.location}
     * @return the absolute, normalised path under the root's real path
     * @throws InvalidRequestException naming {@code output.location} and the rule broken
     * @throws IOException             when the root is missing or the file system cannot be read
     */
    public static Path resolve(Path root, String location) throws InvalidRequestException, IOException {
        return resolve(root, location, "output.location", Violation.Rules.ESCAPES_OUTPUT_ROOT);
    }

    /** As {@link #resolve(Path, String)}, naming another field and escape rule (used for prompt files). */
    static Path resolve(Path root, String location, String field, String escapeRule)
            throws InvalidRequestException, IOException {
        Objects.requireNonNull(root, "root");
        Optional<Violation> bad = checkSyntax(field, location);
        if (bad.isPresent()) {
            Violation v = bad.get();
            throw new InvalidRequestException(v.rule().equals(Violation.Rules.ESCAPES_OUTPUT_ROOT)
                    ? new Violation(v.field(), escapeRule, v.message()) : v);
        }
        Path realRoot = root.toRealPath();
        Path current = realRoot;
        for (String segment : location.split("/")) {
            current = current.resolve(segment);
            if (Files.isSymbolicLink(current)) {
                throw new InvalidRequestException(new Violation(field, escapeRule,
                        "must not pass through a symbolic link: '" + realRoot.relativize(current) + "' is one"));
            }
            if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
                break;
            }
            if (!current.toRealPath().startsWith(realRoot)) {
                throw new InvalidRequestException(new Violation(field, escapeRule,
                        "must stay under the root: '" + realRoot.relativize(current) + "' leads outside it"));
            }
        }
        Path resolved = realRoot.resolve(location).normalize();
        if (!resolved.startsWith(realRoot)) {
            throw new InvalidRequestException(new Violation(field, escapeRule,
                    "must stay under the root, '" + printable(location) + "' does not"));
        }
        return resolved;
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(200).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }
}
