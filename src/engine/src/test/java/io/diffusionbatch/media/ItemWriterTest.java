package io.diffusionbatch.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.diffusionbatch.engine.Engine;
import io.diffusionbatch.engine.EngineOptions;
import io.diffusionbatch.engine.GeneratedItem;
import io.diffusionbatch.engine.GenerationSpec;
import io.diffusionbatch.engine.SamplingParams;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/** Generated items written to files and read back with independent readers. */
class ItemWriterTest {

    private static final Path TINY_SD = Path.of("src/engine/src/test/resources/models/tiny-sd");
    private static final Path TINY_VIDEO = Path.of("src/engine/src/test/resources/models/tiny-video");

    private static List<GeneratedItem> generate(Path model, int batch, String sampler, long... seeds) {
        try (Engine e = Engine.open(model, EngineOptions.cpu().withBatchSize(batch))) {
            SamplingParams p = e.defaultParams().withSteps(5).withSampler(sampler);
            List<GenerationSpec> specs = new ArrayList<>();
            for (long s : seeds) {
                specs.add(new GenerationSpec("a red circle on a white background", "blurry", s, p));
            }
            return e.generate(specs);
        }
    }

    private static io.diffusionbatch.engine.ModelIdentity identity(Path model) {
        try (Engine e = Engine.open(model, EngineOptions.cpu())) {
            return e.identity();
        }
    }

    /**
     * Every file the writer makes (output, sidecar, latent; through its temporary sibling) has the mode the process
     * umask gives, the mode of a file made with plain {@link Files#createFile}, not the owner-only mode of a
     * temporary file. POSIX file systems only.
     */
    @Test
    void filesGetTheModeTheUmaskGivesNotATemporaryFilesMode(@TempDir Path dir) throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"),
                "POSIX permissions only");
        Path plain = Files.createFile(dir.resolve("plain"));
        var expected = Files.getPosixFilePermissions(plain);
        assertThat(expected).as("a umask that makes owner-only files shows nothing")
                .contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
        GeneratedItem image = generate(TINY_SD, 1, "ddim", 3).get(0);
        ItemWriter.Written png = ItemWriter.write(image, identity(TINY_SD), dir.resolve("i.png"), OutputFormat.PNG, 8, true);
        GeneratedItem clip = generate(TINY_VIDEO, 1, "ddim", 4).get(0);
        var video = identity(TINY_VIDEO);
        ItemWriter.Written mp4 = ItemWriter.write(clip, video, dir.resolve("v.mp4"), OutputFormat.MP4, 4, false);
        ItemWriter.Written gif = ItemWriter.write(clip, video, dir.resolve("g.gif"), OutputFormat.GIF, 4, false);
        for (Path f : List.of(png.file(), png.sidecar(), png.latent(), mp4.file(), mp4.sidecar(), gif.file())) {
            assertThat(Files.getPosixFilePermissions(f)).as(f.getFileName().toString()).isEqualTo(expected);
        }
        try (var left = Files.list(dir)) {
            assertThat(left.map(f -> f.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void theSameSeedGivesIdenticalPngBytesAcrossRunsAndBatchSizes(@TempDir Path dir) throws IOException {
        var id = identity(TINY_SD);
        List<GeneratedItem> b1 = generate(TINY_SD, 1, "euler-a", 5, 6, 7, 8);
        List<GeneratedItem> b1again = generate(TINY_SD, 1, "euler-a", 5, 6, 7, 8);
        List<GeneratedItem> b4 = generate(TINY_SD, 4, "euler-a", 5, 6, 7, 8);
        for (int i = 0; i < 4; i++) {
            ItemWriter.Written a = ItemWriter.write(b1.get(i), id, dir.resolve("a" + i + ".png"), OutputFormat.PNG, 8, false);
            ItemWriter.Written b = ItemWriter.write(b1again.get(i), id, dir.resolve("b" + i + ".png"), OutputFormat.PNG, 8, false);
            ItemWriter.Written c = ItemWriter.write(b4.get(i), id, dir.resolve("c" + i + ".png"), OutputFormat.PNG, 8, false);
            assertThat(Files.readAllBytes(a.file())).isEqualTo(Files.readAllBytes(b.file())).isEqualTo(Files.readAllBytes(c.file()));
            assertThat(a.sha256()).isEqualTo(c.sha256()).hasSize(64);
            // the sidecars differ (batch size, times) but the images do not
            assertThat(Files.readString(c.sidecar())).contains("\"batch_size\" : 4");
        }
    }

    @Test
    void pngCarriesA1111ParametersAndJsonProvenance(@TempDir Path dir) throws IOException {
        var id = identity(TINY_SD);
        GeneratedItem item = generate(TINY_SD, 1, "dpmpp-2m", 123).get(0);
        Path file = dir.resolve("x.png");
        ItemWriter.write(item, id, file, OutputFormat.PNG, 8, false);
        BufferedImage img = ImageIO.read(file.toFile());
        assertThat(img.getWidth()).isEqualTo(32);
        assertThat(img.getHeight()).isEqualTo(32);
        // pixel (0,0) red channel matches the decoded tensor's mapping [-1,1] -> [0,255]
        int expected = (int) Math.round(Math.min(1, Math.max(0, (item.pixels()[0] + 1) / 2.0)) * 255);
        assertThat((img.getRGB(0, 0) >> 16) & 0xff).isEqualTo(expected);

        java.util.Map<String, String> texts = pngTexts(file);
        assertThat(texts.get("parameters")).isEqualTo("a red circle on a white background\n"
                + "Negative prompt: blurry\n"
                + "Steps: 5, Sampler: DPM++ 2M, Schedule type: Uniform, CFG scale: 7.5, Seed: 123, Size: 32x32, Model hash: "
                + id.shortHash() + ", Model: tiny-sd, Version: diffusion-batch " + Engine.VERSION);
        String json = texts.get(ItemWriter.PROVENANCE_KEYWORD);
        assertThat(json).contains("\"sha256\":\"" + id.sha256() + "\"").contains("\"seed\":123")
                .contains("\"sampler\":\"dpmpp-2m\"").contains("\"nfe\":10").contains("\"flops_per_sample\":")
                .doesNotContain("seconds").doesNotContain("batch_size");
    }

    @Test
    void videoAsMp4AndGifWithSidecar(@TempDir Path dir) throws Exception {
        var id = identity(TINY_VIDEO);
        GeneratedItem item = generate(TINY_VIDEO, 1, "ddim", 9).get(0);
        ItemWriter.Written mp4 = ItemWriter.write(item, id, dir.resolve("v.mp4"), OutputFormat.MP4, 4, false);
        ItemWriter.Written gif = ItemWriter.write(item, id, dir.resolve("g.gif"), OutputFormat.GIF, 4, false);
        assertThat(mp4.mediaType()).isEqualTo("video/mp4");
        assertThat(Files.readString(mp4.sidecar())).contains("\"fps\" : 4").contains("\"frames\" : 8");
        try (ImageInputStream in = ImageIO.createImageInputStream(gif.file().toFile())) {
            ImageReader r = ImageIO.getImageReadersByFormatName("gif").next();
            r.setInput(in);
            assertThat(r.getNumImages(true)).isEqualTo(8);
            assertThat(r.read(0).getWidth()).isEqualTo(32);
        }
        Path ffprobe = Path.of("/usr/bin/ffprobe");
        if (!Files.isExecutable(ffprobe)) {
            assertThat(System.getenv("CI")).as("CI must have ffprobe (.ci/run installs ffmpeg)").isNotEqualTo("true");
            org.junit.jupiter.api.Assumptions.abort("ffprobe not installed");
        }
        Process p = new ProcessBuilder(ffprobe.toString(), "-v", "error", "-select_streams", "v:0", "-count_frames",
                "-show_entries", "stream=codec_name,width,height,nb_read_frames,r_frame_rate", "-of", "csv=p=0",
                mp4.file().toString()).redirectErrorStream(true).start();
        String probe = new String(p.getInputStream().readAllBytes()).trim();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(probe).isEqualTo("h264,32,32,4/1,8");
    }

    @Test
    void aFormatThatCannotHoldTheItemIsRefused(@TempDir Path dir) {
        var id = identity(TINY_SD);
        GeneratedItem item = generate(TINY_SD, 1, "ddim", 1).get(0);
        assertThatThrownBy(() -> ItemWriter.write(item, id, dir.resolve("x.mp4"), OutputFormat.MP4, 8, false))
                .hasMessage("format: mp4 cannot hold an image; use png or npy");
    }

    static java.util.Map<String, String> pngTexts(Path file) throws IOException {
        java.util.Map<String, String> out = new java.util.HashMap<>();
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            ImageReader r = ImageIO.getImageReadersByFormatName("png").next();
            r.setInput(in);
            IIOMetadata meta = r.getImageMetadata(0);
            Node root = meta.getAsTree("javax_imageio_png_1.0");
            for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
                for (Node e = n.getFirstChild(); e != null; e = e.getNextSibling()) {
                    NamedNodeMap a = e.getAttributes();
                    if (e.getNodeName().equals("tEXtEntry")) {
                        out.put(a.getNamedItem("keyword").getNodeValue(), a.getNamedItem("value").getNodeValue());
                    } else if (e.getNodeName().equals("iTXtEntry")) {
                        out.put(a.getNamedItem("keyword").getNodeValue(), a.getNamedItem("text").getNodeValue());
                    }
                }
            }
        }
        return out;
    }
}
