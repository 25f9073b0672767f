package io.diffusionbatch.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The design's arrows hold in the product's classes of every module (engine, local, platform,
 * app), and each rule, run on the fixture classes of package {@code archfixture}, reports the
 * violation planted there: a rule that could not fail would prove nothing.
 */
class ArchitectureTest {

    private static final String ROOT = "io.diffusionbatch";
    private static final String FIXTURES = "archfixture";

    private static JavaClasses product;
    private static JavaClasses fixtures;

    @BeforeAll
    static void importClasses() {
        // the product's main classes only: test classes (directories and -tests.jar) are left out
        ImportOption mainOnly = location -> !location.contains("/test-classes/") && !location.contains("-tests.jar");
        product = new ClassFileImporter().withImportOption(mainOnly).importPackages(ROOT);
        fixtures = new ClassFileImporter().importPackages(FIXTURES);
        assertThat(product.stream().map(c -> c.getPackageName()).distinct())
                .as("every module's classes are on the test class path")
                .contains(ROOT + ".engine", ROOT + ".engine.model", ROOT + ".media", ROOT + ".quality", ROOT + ".ledger",
                        ROOT + ".job", ROOT + ".web", ROOT + ".cli", ROOT + ".local");
    }

    @Test
    void theEngineIsAPlainLibrary() {
        check(ArchitectureRules::engineIsAPlainLibrary, "SpringInEngine", "JdbcClient");
    }

    @Test
    void jdbcIsTheLedgersAlone() {
        check(ArchitectureRules::jdbcOnlyInLedger, "SqlInWeb", "JdbcClient");
        assertThat(ArchitectureRules.jdbcOnlyInLedger(FIXTURES).evaluate(fixtures).getFailureReport().getDetails())
                .as("the fixture ledger may use JDBC").noneMatch(d -> d.contains("archfixture.ledger."));
    }

    @Test
    void noPackageCycles() {
        check(ArchitectureRules::noPackageCycles, "cyc", "cyc");
    }

    @Test
    void thePlatformKnowsNothingOfTheCliOrTheLocalServices() {
        check(ArchitectureRules::platformKnowsNoCliOrLocal, "UsesLocal", "archfixture.local.");
        check(ArchitectureRules::localKnowsOnlyItself, "LocalUsesLedger", "archfixture.ledger.");
    }

    @Test
    void noSqlTextOutsideTheLedger() throws Exception {
        List<Path> mainRoots;
        try (Stream<Path> s = Files.list(Path.of("src"))) {
            mainRoots = s.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList();
        }
        assertThat(mainRoots).hasSizeGreaterThanOrEqualTo(4);
        for (Path r : mainRoots) {
            assertThat(ArchitectureRules.sqlOutsideLedger(r)).as("SQL outside the ledger in " + r).isEmpty();
        }
        List<String> planted = ArchitectureRules.sqlOutsideLedger(Path.of("src/app/src/test/java/archfixture"));
        assertThat(planted).as("the scan finds the fixture's queries, not the ledger fixture's")
                .anyMatch(l -> l.contains("SqlInWeb.java") && l.contains("SELECT id FROM requests"))
                .anyMatch(l -> l.contains("SqlInWeb.java") && l.contains("UPDATE requests SET"))
                .noneMatch(l -> l.contains("/ledger/"));
    }

    /** The rule holds on the product and reports the planted violation in the fixtures. */
    private static void check(Function<String, ArchRule> rule, String fixture, String detail) {
        EvaluationResult onProduct = rule.apply(ROOT).evaluate(product);
        assertThat(onProduct.getFailureReport().getDetails()).as(onProduct.getFailureReport().toString()).isEmpty();
        EvaluationResult onFixtures = rule.apply(FIXTURES).evaluate(fixtures);
        assertThat(onFixtures.hasViolation()).as("the rule catches the planted violation").isTrue();
        assertThat(onFixtures.getFailureReport().getDetails()).anyMatch(d -> d.contains(fixture) && d.contains(detail));
    }
}
