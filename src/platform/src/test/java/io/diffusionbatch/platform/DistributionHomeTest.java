package io.diffusionbatch.platform;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The distribution's folder found from the running jar, and the catalog's relative folders resolved against it. */
class DistributionHomeTest {

    @Test
    void theFolderAboveOrBesideTheJarWithAConfigFileIsHome(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("config"));
        Files.writeString(dir.resolve("config/application.yaml"), "diffusion: {}\n");
        Files.createDirectories(dir.resolve("target"));
        assertThat(DiffusionBatchApplication.home(dir.resolve("target/diffusion-batch.jar").toString()))
                .contains(dir.toAbsolutePath());
        assertThat(DiffusionBatchApplication.home(dir.resolve("diffusion-batch.jar") + File.pathSeparator + "other.jar"))
                .contains(dir.toAbsolutePath());
        assertThat(DiffusionBatchApplication.home(dir.resolve("target/classes").toString())).as("not a jar").isEmpty();
        assertThat(DiffusionBatchApplication.home(dir.resolve("a/b/c/x.jar").toString())).as("two levels up").isEmpty();
    }

    @Test
    void relativeModelFoldersMissingHereAreLookedForUnderHome(@TempDir Path home) throws Exception {
        Files.createDirectories(home.resolve("models/elsewhere-only"));
        Path here = Path.of("src/engine/src/test/resources/models/tiny-sd"); // exists in the working directory
        Map<String, DiffusionProperties.Model> resolved = ModelPaths.resolve(Map.of(
                "far", new DiffusionProperties.Model(Path.of("models/elsewhere-only"), "image", null),
                "near", new DiffusionProperties.Model(here, "image", null),
                "gone", new DiffusionProperties.Model(Path.of("models/nowhere"), "image", null)), home.toString());
        assertThat(resolved.get("far").path()).isEqualTo(home.resolve("models/elsewhere-only"));
        assertThat(resolved.get("near").path()).as("the working directory wins").isEqualTo(here);
        assertThat(resolved.get("gone").path()).as("left as given: the catalog reports it missing")
                .isEqualTo(Path.of("models/nowhere"));
        assertThat(ModelPaths.resolve(null, home.toString())).isEmpty();
    }
}
