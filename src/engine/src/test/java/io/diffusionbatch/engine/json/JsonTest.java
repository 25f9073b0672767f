package io.diffusionbatch.engine.json;

import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one mapper reads strictly: a document that could mean two things is refused. */
class JsonTest {

    @Test
    void duplicateKeysAndTrailingTokensAreRefused() {
        assertThat(Json.MAPPER.readTree("{\"steps\": 20}").get("steps").asInt()).isEqualTo(20);
        assertThatThrownBy(() -> Json.MAPPER.readTree("{\"steps\": 20, \"steps\": 4}"))
                .isInstanceOf(JacksonException.class).hasMessageContaining("Duplicate Object property \"steps\"");
        assertThatThrownBy(() -> Json.MAPPER.readTree("{\"steps\": 20} {\"steps\": 4}"))
                .isInstanceOf(JacksonException.class).hasMessageContaining("Trailing token");
    }
}
