package io.diffusionbatch.platform;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** External mode refuses to start without an output root; local mode has one under its data folder. */
class OutputRootRequiredTest {

    /** Nothing at all: what fails must fail before any bean is made. */
    @SpringBootConfiguration
    static class Nothing {
    }

    private static StandardEnvironment env(Map<String, Object> settings) {
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new MapPropertySource("test", settings));
        return env;
    }

    @Test
    void anUnsetOrBlankRootIsRefusedNamingTheSetting() {
        for (Map<String, Object> settings : List.<Map<String, Object>>of(Map.of(), Map.of(OutputRootRequired.KEY, " "))) {
            assertThatThrownBy(() -> OutputRootRequired.check(env(settings))).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("diffusion.output-root (environment DIFFUSION_OUTPUT_ROOT) is not set: with"
                            + " external Kafka and PostgreSQL every instance")
                    .hasMessageNotContaining("\n");
        }
        assertThatCode(() -> OutputRootRequired.check(env(Map.of(OutputRootRequired.KEY, "/mnt/outputs"))))
                .doesNotThrowAnyException();
    }

    @Test
    void externalModeWithoutARootDoesNotStart() {
        // no database, no broker is named: the refusal comes first
        assertThatThrownBy(() -> DiffusionBatchApplication.application("client", Nothing.class)
                .run("--diffusion.local.mode=off")).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("diffusion.output-root (environment DIFFUSION_OUTPUT_ROOT) is not set");
        assertThatCode(() -> DiffusionBatchApplication.application("client", Nothing.class)
                .run("--diffusion.local.mode=off", "--diffusion.output-root=/mnt/outputs").close())
                .doesNotThrowAnyException();
    }

    @Test
    void localModeKeepsTheOutputsInItsDataFolder() {
        TestServer server = TestServer.get(); // local mode, no diffusion.output-root given
        assertThat(server.outputRoot()).isEqualTo(server.dataDir().toAbsolutePath().resolve("outputs"));
    }
}
