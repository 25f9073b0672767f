package io.diffusionbatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code generate} command end to end on the tiny models: files, summary, and bad options. */
class GenerateCommandTest {

    private static final String TINY_SD = "src/engine/src/test/resources/models/tiny-sd";

    @Test
    void writesOnePngPerItemWithSidecarsAndASummary(@TempDir Path dir) throws Exception {
        CliRun r = CliRun.of("generate", "--model", TINY_SD, "--prompt", "a red circle", "--seed", "40", "--steps", "4",
                "--count", "3", "--batch", "2", "--out", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("done: 3 images, NFE 8/image").contains("images/s").contains("batch 2, cpu");
        assertThat(r.err()).contains("100%").contains("12/12 steps");
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> names.add(p.getFileName().toString()));
        }
        assertThat(names).containsExactlyInAnyOrder("00000-40.png", "00000-40.json", "00001-41.png", "00001-41.json",
                "00002-42.png", "00002-42.json");
        assertThat(ImageIO.read(dir.resolve("00001-41.png").toFile()).getWidth()).isEqualTo(32);
        assertThat(Files.readString(dir.resolve("00001-41.json"))).contains("\"seed\" : 41").contains("\"batch_size\" : 2");
    }

    @Test
    void anSdxlTurboExportRunsWithItsDefaultsAndSaysSoInItsProvenance(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("turbo.png");
        CliRun r = CliRun.of("generate", "--model", "src/engine/src/test/resources/models/diffusers/sdxl-turbo",
                "--prompt", "a cat on a windowsill", "--seed", "5", "--out", png.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("done: 1 image, NFE 1/image");
        assertThat(ImageIO.read(png.toFile()).getWidth()).isEqualTo(32); // unet/config.json sample_size 16 × 2
        String text = new String(Files.readAllBytes(png), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(text).contains("Steps: 1, Sampler: Euler a, Schedule type: Uniform, CFG scale: 0.0, Seed: 5");
        assertThat(Files.readString(dir.resolve("turbo.json"))).contains("\"sampler\" : \"euler-a\"");
    }

    @Test
    void aSingleFileOutputAndItsLatent(@TempDir Path dir) {
        Path png = dir.resolve("one.png");
        CliRun r = CliRun.of("generate", "--model", TINY_SD, "--prompt", "a blue star", "--seed", "1", "--steps", "3",
                "--sampler", "ddim", "--save-latent", "--out", png.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(png).exists();
        assertThat(dir.resolve("one.json")).exists();
        assertThat(dir.resolve("one.latent.npy")).exists();
    }

    @Test
    void badValuesNameTheOptionAndTheRule(@TempDir Path dir) {
        String out = dir.toString();
        assertThat(CliRun.of("generate", "--model", TINY_SD, "--prompt", "x", "--sampler", "plms", "--out", out).err())
                .contains("--sampler: unknown 'plms'; one of ddpm, ddim, euler, euler-a, dpmpp-2m, dpmpp-2m-karras, lcm");
        assertThat(CliRun.of("generate", "--model", TINY_SD, "--prompt", "x", "--steps", "0", "--out", out).err())
                .contains("--steps: must be between 1 and 1000, was 0");
        assertThat(CliRun.of("generate", "--model", TINY_SD, "--prompt", "x", "--steps", "1001", "--out", out).err())
                .contains("--steps: must be between 1 and 1000, was 1001");
        assertThat(CliRun.of("generate", "--model", TINY_SD, "--prompt", "x", "--width", "30", "--out", out).err())
                .contains("--width: must be a multiple of 4");
        assertThat(CliRun.of("generate", "--model", TINY_SD, "--prompt", "x", "--guidance", "-2", "--out", out).err())
                .contains("--guidance: must be a finite number >= 0, was -2.0");
        assertThat(CliRun.of("generate", "--model", TINY_SD, "--prompt", "x", "--steps", "ten", "--out", out).err())
                .contains("--steps: must be an integer, was 'ten'");
        assertThat(CliRun.of("generate", "--model", TINY_SD, "--prompt", "x", "--format", "mp4", "--out", out).err())
                .contains("--format: mp4 cannot hold an image");
        assertThat(CliRun.of("generate", "--model", TINY_SD, "--out", out).err()).contains("--prompt: required");
        assertThat(CliRun.of("generate", "--model", dir.resolve("missing").toString(), "--prompt", "x", "--out", out).err())
                .contains("model: folder").contains("does not exist");
        assertThat(CliRun.of("generate", "--model", TINY_SD, "--prompt", "x", "--device", "tpu", "--out", out).err())
                .contains("--device: must be cpu or cuda");
        CliRun bad = CliRun.of("generate", "--model", TINY_SD, "--prompt", "x", "--bogus", "1", "--out", out);
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--bogus: unknown option");
    }

    @Test
    void everyRefusalExitsWithTwoBeforeAnyFileIsWritten(@TempDir Path dir) throws Exception {
        String out = dir.resolve("o").toString();
        String[][] cases = {
                {"--prompt", "x", "--steps", "0"},
                {"--prompt", "x", "--timestep-spacing", "sideways"},
                {"--prompt", "x", "--save-latent=false"},
                {"--prompt", "x", "--seed", "-5"},
                {"--prompt", "x", "--seed", String.valueOf(GenerateCommand.MAX_SEED), "--count", "2"},
                {"--prompt", "x", "--negative", "y", "--guidance", "1"},
        };
        String[] expected = {
                "--steps: must be between 1 and 1000, was 0",
                "--timestep-spacing: unknown 'sideways'; one of leading, trailing, linspace",
                "--save-latent: takes no value",
                "--seed: must be between 0 and 9007199254740991",
                "(with --count 2, at most 9007199254740990), was 9007199254740991",
                "--negative: has no effect with guidance 1.0",
        };
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new ArrayList<>(List.of("generate", "--model", TINY_SD, "--out", out));
            args.addAll(List.of(cases[i]));
            CliRun r = CliRun.of(args.toArray(String[]::new));
            assertThat(r.code()).as(String.join(" ", cases[i])).isEqualTo(2);
            assertThat(r.err()).as(String.join(" ", cases[i])).contains(expected[i]);
        }
        // a guidance-distilled LCM takes guidance as an embedding: no unconditional pass at any guidance
        CliRun lcm = CliRun.of("generate", "--model", "src/engine/src/test/resources/models/diffusers/lcm", "--out", out,
                "--prompt", "x", "--negative", "y", "--guidance", "8.5");
        assertThat(lcm.code()).isEqualTo(2);
        assertThat(lcm.err()).contains("--negative: has no effect on model lcm: it takes guidance as an embedding");
        assertThat(dir.resolve("o")).doesNotExist();

        Path file = dir.resolve("afile");
        Files.writeString(file, "x");
        CliRun r = CliRun.of("generate", "--model", TINY_SD, "--prompt", "x", "--count", "2", "--out", file.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--out: " + file + " is a file");

        CliRun uncond = CliRun.of("generate", "--model", "src/engine/src/test/resources/models/tiny-uncond", "--prompt", "a red circle",
                "--out", out);
        assertThat(uncond.code()).isEqualTo(2);
        assertThat(uncond.err()).contains("--prompt: model tiny-uncond is unconditional");
    }

    @Test
    void anUnconditionalModelAndAVideoModelRunFromTheCommandLine(@TempDir Path dir) {
        CliRun u = CliRun.of("generate", "--model", "src/engine/src/test/resources/models/tiny-uncond", "--seed", "3", "--steps", "3",
                "--out", dir.resolve("u.png").toString());
        assertThat(u.code()).as(u.err()).isZero();
        assertThat(u.out()).contains("NFE 3/image");
        CliRun v = CliRun.of("generate", "--model", "src/engine/src/test/resources/models/tiny-video", "--prompt", "a red circle moving right",
                "--seed", "3", "--steps", "3", "--fps", "4", "--format", "gif", "--out", dir.toString());
        assertThat(v.code()).as(v.err()).isZero();
        assertThat(v.out()).startsWith("done: 1 video, NFE 6/video");
        assertThat(dir.resolve("00000-3.gif")).exists();
    }
}
