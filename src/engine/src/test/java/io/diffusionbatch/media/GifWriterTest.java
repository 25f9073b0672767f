package io.diffusionbatch.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class GifWriterTest {

    static RgbImage solid(int w, int h, int rgb) {
        byte[] b = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++) {
            b[i * 3] = (byte) (rgb >> 16);
            b[i * 3 + 1] = (byte) (rgb >> 8);
            b[i * 3 + 2] = (byte) rgb;
        }
        return new RgbImage(w, h, b);
    }

    @Test
    void delayFromFps() {
        assertThat(GifWriter.delayCentiseconds(10)).isEqualTo(10);
        assertThat(GifWriter.delayCentiseconds(24)).isEqualTo(4);   // 100/24 = 4.17
        assertThat(GifWriter.delayCentiseconds(8)).isEqualTo(13);   // 12.5 rounds up
        assertThat(GifWriter.delayCentiseconds(1000)).isEqualTo(1); // at least 1
        assertThat(GifWriter.delayCentiseconds(0.5)).isEqualTo(200);
        assertThatThrownBy(() -> GifWriter.delayCentiseconds(0)).hasMessageContaining("fps");
    }

    @Test
    void framesDelayAndLoopReadBackWithImageIo(@TempDir Path dir) throws IOException {
        int[] colours = {0xFF0000, 0x00FF00, 0x0000FF, 0x123456};
        List<RgbImage> frames = new ArrayList<>();
        for (int c : colours) {
            frames.add(solid(9, 7, c));
        }
        Path f = dir.resolve("anim.gif");
        GifWriter.write(f, frames, 8);
        byte[] bytes = Files.readAllBytes(f);
        assertThat(new String(bytes, 0, 6, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("GIF89a");

        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader r = ImageIO.getImageReadersByFormatName("gif").next();
            try {
                r.setInput(in, false, false);
                assertThat(r.getNumImages(true)).isEqualTo(4);
                for (int i = 0; i < 4; i++) {
                    BufferedImage img = r.read(i);
                    assertThat(img.getWidth()).isEqualTo(9);
                    assertThat(img.getHeight()).isEqualTo(7);
                    assertThat(img.getRGB(4, 3) & 0xFFFFFF).as("frame %d colour", i).isEqualTo(colours[i]);
                    Element root = (Element) r.getImageMetadata(i).getAsTree("javax_imageio_gif_image_1.0");
                    Element gce = (Element) root.getElementsByTagName("GraphicControlExtension").item(0);
                    assertThat(gce.getAttribute("delayTime")).isEqualTo("13"); // round(100 / 8)
                    NodeList apps = root.getElementsByTagName("ApplicationExtension");
                    if (i == 0) {
                        assertThat(apps.getLength()).isEqualTo(1);
                        Element app = (Element) apps.item(0);
                        assertThat(app.getAttribute("applicationID")).isEqualTo("NETSCAPE");
                        assertThat(app.getAttribute("authenticationCode")).isEqualTo("2.0");
                        byte[] user = (byte[]) ((javax.imageio.metadata.IIOMetadataNode) app).getUserObject();
                        assertThat(user).containsExactly(1, 0, 0); // loop count 0 = forever
                    } else {
                        assertThat(apps.getLength()).isZero();
                    }
                }
            } finally {
                r.dispose();
            }
        }
    }

    @Test
    void rejectsEmptyOrMixedSizes() {
        assertThatThrownBy(() -> GifWriter.encode(List.of(), 10)).hasMessageContaining("empty");
        assertThatThrownBy(() -> GifWriter.encode(List.of(solid(2, 2, 0), solid(3, 2, 0)), 10))
                .hasMessageContaining("frame 1 is 3x2");
    }
}
