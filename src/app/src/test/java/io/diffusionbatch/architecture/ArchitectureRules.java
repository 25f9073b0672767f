package io.diffusionbatch.architecture;

import com.tngtech.archunit.lang.ArchRule;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The arrows of the design (shared/DESIGN.md, "Parts"), as rules over the packages under a root:
 * {@code io.diffusionbatch} for the product, another root for the fixtures that show each rule
 * catching a violation. Stateless.
 */
final class ArchitectureRules {

    /** The generation library's packages (the engine module). */
    static final List<String> ENGINE = List.of("engine", "media", "quality");
    /** The batch platform's packages (the platform module). */
    static final List<String> PLATFORM = List.of("request", "ledger", "job", "intake", "energy", "audit", "sweep",
            "web", "platform", "chart", "metrics", "output");

    private ArchitectureRules() {
    }

    /**
     * The engine depends on the JDK (java.*, and javax.imageio with its DOM for GIF metadata), ONNX
     * Runtime, Jackson, commons-math and jcodec only: no Spring, Kafka, JDBC, logging framework or
     * platform package.
     */
    static ArchRule engineIsAPlainLibrary(String root) {
        return classes().that().resideInAnyPackage(packages(root, ENGINE))
                .should().onlyDependOnClassesThat().resideInAnyPackage(concat(packages(root, ENGINE),
                        "java..", "javax.imageio..", "org.w3c.dom..", "ai.onnxruntime..", "tools.jackson..", "com.fasterxml.jackson.annotation..",
                        "org.apache.commons.math3..", "org.jcodec.."))
                .because("the engine is a plain Java library (no Spring, no Kafka, no JDBC in its API)");
    }

    /** JDBC (Spring's JDBC support, connections, statements, result sets, data sources) is the ledger's alone. */
    static ArchRule jdbcOnlyInLedger(String root) {
        return noClasses().that().resideOutsideOfPackage(root + ".ledger..")
                .and().resideInAPackage(root + "..")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework.jdbc..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.sql.Connection")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.sql.Statement")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.sql.PreparedStatement")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.sql.ResultSet")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("javax.sql.DataSource")
                .because("all SQL lives in the ledger");
    }

    /** No package depends on itself through others (sub-packages are packages of their own). */
    static ArchRule noPackageCycles(String root) {
        return slices().matching(root + ".(**)").should().beFreeOfCycles();
    }

    /**
     * The platform never reaches into the CLI or the local services (the server distribution
     * has no local module), and the local services know nothing of the platform or the engine.
     */
    static ArchRule platformKnowsNoCliOrLocal(String root) {
        return noClasses().that().resideInAnyPackage(packages(root, PLATFORM))
                .should().dependOnClassesThat().resideInAnyPackage(root + ".cli..", root + ".local..");
    }

    static ArchRule localKnowsOnlyItself(String root) {
        return noClasses().that().resideInAPackage(root + ".local..")
                .should().dependOnClassesThat().resideInAnyPackage(concat(packages(root, ENGINE),
                        packages(root, PLATFORM)));
    }

    private static final Pattern SQL = Pattern.compile(
            "\\b(SELECT\\s+[\\w*(]|INSERT\\s+INTO|UPDATE\\s+\\w+\\s+SET|DELETE\\s+FROM|CREATE\\s+(TABLE|INDEX)|ALTER\\s+TABLE"
                    + "|ON\\s+CONFLICT|COPY\\s+\\w+\\s*(\\(|FROM\\b|TO\\b))");
    private static final Pattern STRING = Pattern.compile("\"\"\"(.*?)\"\"\"|\"((?:\\\\.|[^\"\\\\])*)\"", Pattern.DOTALL);

    /**
     * SQL text in string literals of Java sources outside a {@code ledger} package, as
     * {@code file: literal} lines; empty when there is none. Catches what ArchUnit cannot see (a
     * query built as a string and handed over to the ledger).
     */
    static List<String> sqlOutsideLedger(Path sourceRoot) {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sourceRoot)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                if (f.toString().replace('\\', '/').contains("/ledger/")) {
                    continue;
                }
                String text = Files.readString(f);
                Matcher m = STRING.matcher(text);
                while (m.find()) {
                    String literal = m.group(1) != null ? m.group(1) : m.group(2);
                    if (SQL.matcher(literal).find()) {
                        found.add(f + ": " + literal.strip().replaceAll("\\s+", " "));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    private static String[] packages(String root, List<String> names) {
        return names.stream().map(n -> root + "." + n + "..").toArray(String[]::new);
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = new String[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
