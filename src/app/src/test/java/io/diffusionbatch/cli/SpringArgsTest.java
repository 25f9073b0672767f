package io.diffusionbatch.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpringArgsTest {

    @Test
    void springSettingsAndDataDirAreSeparatedFromTheCommandsOwnOptions() {
        SpringArgs a = SpringArgs.split(new String[]{"req.json", "--wait", "--data-dir", "/d", "--diffusion.job.batch-size=4",
                "--spring.profiles.active=external", "--timeout", "5"});
        assertThat(a.own()).containsExactly("req.json", "--wait", "--timeout", "5");
        assertThat(a.spring()).containsExactly("--diffusion.data-dir=/d", "--diffusion.job.batch-size=4",
                "--spring.profiles.active=external");
        assertThat(SpringArgs.split(new String[]{"--data-dir=x"}).spring()).containsExactly("--diffusion.data-dir=x");
        assertThatThrownBy(() -> SpringArgs.split(new String[]{"--data-dir"})).hasMessage("--data-dir: needs a value");
    }
}
