package io.diffusionbatch.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class SidecarJsonTest {

    @Test
    void sidecarPathReplacesTheExtension() {
        assertThat(SidecarJson.sidecarPath(Path.of("out/img_0001.mp4"))).isEqualTo(Path.of("out/img_0001.json"));
        assertThat(SidecarJson.sidecarPath(Path.of("a.b.gif"))).isEqualTo(Path.of("a.b.json"));
        assertThat(SidecarJson.sidecarPath(Path.of("noext"))).isEqualTo(Path.of("noext.json"));
        assertThat(SidecarJson.sidecarPath(Path.of(".hidden"))).isEqualTo(Path.of(".hidden.json"));
        assertThatThrownBy(() -> SidecarJson.sidecarPath(Path.of("x.json"))).hasMessageContaining(".json");
    }

    @Test
    void writesStringUnchangedAndNodePretty(@TempDir Path dir) throws IOException {
        String json = "{\"prompt\":\"猫\",\"seed\":42}";
        Path p = SidecarJson.write(dir.resolve("v.mp4"), json);
        assertThat(p).isEqualTo(dir.resolve("v.json"));
        assertThat(Files.readString(p, StandardCharsets.UTF_8)).isEqualTo(json + "\n");

        JsonMapper m = JsonMapper.builder().build();
        ObjectNode node = m.createObjectNode().put("prompt", "猫").put("seed", 42);
        Path q = SidecarJson.write(dir.resolve("w.gif"), node);
        String text = Files.readString(q, StandardCharsets.UTF_8);
        assertThat(text).contains("\n").endsWith("}\n");
        JsonNode back = m.readTree(text);
        assertThat(back).isEqualTo(node);
    }

    @Test
    void rejectsMalformedJson(@TempDir Path dir) {
        assertThatThrownBy(() -> SidecarJson.write(dir.resolve("v.mp4"), "{\"a\":"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not well-formed");
        assertThatThrownBy(() -> SidecarJson.write(dir.resolve("v.mp4"), "{} {}"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(dir.resolve("v.json")).doesNotExist();
    }
}
