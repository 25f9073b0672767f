package io.diffusionbatch.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

class PngWriterTest {

    static final String JSON = "{\"prompt\":\"Katze 猫 🐱 naïve — «ünïcödé»\",\"seed\":42}";

    static RgbImage testImage(int w, int h, long seed) {
        // mix of smooth gradients (favours Sub/Up/Avg/Paeth) and noise (favours None)
        Random r = new Random(seed);
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                boolean noisy = (y / 4) % 3 == 2;
                rgb[i] = (byte) (noisy ? r.nextInt(256) : x * 7 + y);
                rgb[i + 1] = (byte) (noisy ? r.nextInt(256) : y * 5);
                rgb[i + 2] = (byte) (noisy ? r.nextInt(256) : (x * y) & 0xFF);
            }
        }
        return new RgbImage(w, h, rgb);
    }

    static List<PngText> texts() {
        String params = new A1111Parameters("a cat, photo", "blurry", 20, "DPM++ 2M", 7.5, 42, 37, 23,
                "0123456789abcdef", "sd15", null).format();
        return List.of(PngText.latin1("parameters", params), PngText.international("diffusion-batch", JSON));
    }

    @Test
    void pixelsReadBackIdenticallyByImageIo() throws IOException {
        RgbImage img = testImage(37, 23, 1);
        BufferedImage back = ImageIO.read(new ByteArrayInputStream(PngWriter.encode(img, texts())));
        assertThat(back).isNotNull();
        assertThat(back.getWidth()).isEqualTo(37);
        assertThat(back.getHeight()).isEqualTo(23);
        for (int y = 0; y < 23; y++) {
            for (int x = 0; x < 37; x++) {
                assertThat(back.getRGB(x, y) & 0xFFFFFF).as("pixel %d,%d", x, y).isEqualTo(img.rgbAt(x, y));
            }
        }
    }

    @Test
    void everyFilterTypeIsUsedAndDecodesCorrectly() throws IOException {
        RgbImage img = testImage(64, 48, 2);
        byte[] filtered = PngWriter.filter(img);
        boolean[] used = new boolean[5];
        for (int y = 0; y < 48; y++) {
            used[filtered[y * (64 * 3 + 1)]] = true;
        }
        assertThat(used).as("filter types used").contains(true);
        int count = 0;
        for (boolean u : used) {
            count += u ? 1 : 0;
        }
        assertThat(count).as("distinct filter types used").isGreaterThanOrEqualTo(2);
        BufferedImage back = ImageIO.read(new ByteArrayInputStream(PngWriter.encode(img, List.of())));
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                assertThat(back.getRGB(x, y) & 0xFFFFFF).isEqualTo(img.rgbAt(x, y));
            }
        }
    }

    @Test
    void paethPredictorFollowsTheSpec() {
        // PNG spec 9.4 examples worked by hand: p = a + b - c, choose nearest of a, b, c (ties a, then b)
        assertThat(PngWriter.paeth(10, 20, 10)).isEqualTo(20); // p=20
        assertThat(PngWriter.paeth(20, 10, 10)).isEqualTo(20); // p=20
        assertThat(PngWriter.paeth(10, 10, 20)).isEqualTo(10); // p=0, pa=10 pb=10 pc=20 -> a
        assertThat(PngWriter.paeth(5, 100, 50)).isEqualTo(50); // p=55: pa=50 pb=45 pc=5 -> c
        assertThat(PngWriter.paeth(1, 4, 3)).isEqualTo(1);     // p=2: pa=1 pb=2 pc=1 -> tie a/c goes to a
        assertThat(PngWriter.paeth(4, 1, 3)).isEqualTo(1);     // p=2: pa=2 pb=1 pc=1 -> tie b/c goes to b
    }

    @Test
    void textChunksAppearInImageIoMetadataWithExactContents() throws IOException {
        List<PngText> texts = new ArrayList<>(texts());
        texts.add(new PngText("compressed json", JSON, true, true));
        texts.add(PngText.latin1("auto", "no Latin-1: 日本語"));
        texts.add(PngText.latin1("Comment", "Latin-1 é ß ÿ"));
        Element root = readMetadata(PngWriter.encode(testImage(8, 8, 3), texts));

        Map<String, String> text = entries(root, "tEXtEntry", "value");
        assertThat(text).containsOnlyKeys("parameters", "Comment");
        assertThat(text.get("parameters")).isEqualTo(
                "a cat, photo\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M, CFG scale: 7.5, Seed: 42, "
                        + "Size: 37x23, Model hash: 0123456789, Model: sd15");
        assertThat(text.get("Comment")).isEqualTo("Latin-1 é ß ÿ");

        Map<String, String> itxt = entries(root, "iTXtEntry", "text");
        assertThat(itxt).containsOnlyKeys("diffusion-batch", "compressed json", "auto");
        assertThat(itxt.get("diffusion-batch")).isEqualTo(JSON);
        assertThat(itxt.get("compressed json")).isEqualTo(JSON);
        assertThat(itxt.get("auto")).isEqualTo("no Latin-1: 日本語");
        assertThat(entries(root, "iTXtEntry", "compressionFlag"))
                .containsEntry("diffusion-batch", "FALSE").containsEntry("compressed json", "TRUE");
    }

    @Test
    void sameInputGivesSameBytesAndFileMatchesEncode(@TempDir Path dir) throws IOException {
        RgbImage a = testImage(33, 17, 4);
        RgbImage b = new RgbImage(33, 17, a.rgb().clone());
        byte[] x = PngWriter.encode(a, texts());
        byte[] y = PngWriter.encode(b, texts());
        assertThat(y).isEqualTo(x);
        Path f = dir.resolve("sub/out.png");
        PngWriter.write(f, a, texts());
        assertThat(Files.readAllBytes(f)).isEqualTo(x);
        assertThat(dir.resolve("sub").toFile().list()).containsExactly("out.png");
        b.rgb()[0] ^= 1;
        assertThat(PngWriter.encode(b, texts())).isNotEqualTo(x);
    }

    @Test
    void chunkStructureAndCrcsAreValid() {
        byte[] png = PngWriter.encode(testImage(20, 10, 5), texts());
        assertThat(Arrays.copyOf(png, 8)).containsExactly(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A);
        List<String> types = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.wrap(png, 8, png.length - 8);
        while (buf.hasRemaining()) {
            int len = buf.getInt();
            byte[] typeAndData = new byte[4 + len];
            buf.get(typeAndData);
            int crc = buf.getInt();
            CRC32 c = new CRC32();
            c.update(typeAndData);
            String type = new String(typeAndData, 0, 4, StandardCharsets.US_ASCII);
            assertThat(crc).as("CRC of " + type).isEqualTo((int) c.getValue());
            types.add(type);
            if (type.equals("IHDR")) {
                ByteBuffer ihdr = ByteBuffer.wrap(typeAndData, 4, 13);
                assertThat(ihdr.getInt()).isEqualTo(20);
                assertThat(ihdr.getInt()).isEqualTo(10);
                assertThat(new byte[]{ihdr.get(), ihdr.get(), ihdr.get(), ihdr.get(), ihdr.get()})
                        .containsExactly(8, 2, 0, 0, 0);
            }
            if (type.equals("tEXt")) {
                String s = new String(typeAndData, 4, len, StandardCharsets.ISO_8859_1);
                assertThat(s).startsWith("parameters\0a cat, photo\n");
            }
            if (type.equals("iTXt")) {
                byte[] expected = ("diffusion-batch\0\0\0\0\0" + JSON).getBytes(StandardCharsets.UTF_8);
                assertThat(Arrays.copyOfRange(typeAndData, 4, typeAndData.length)).isEqualTo(expected);
            }
        }
        assertThat(types).containsExactly("IHDR", "tEXt", "iTXt", "IDAT", "IEND");
    }

    @Test
    void keywordsAreValidatedPerPngSpec() {
        assertThatThrownBy(() -> PngText.latin1("", "x")).hasMessageContaining("1..79");
        assertThatThrownBy(() -> PngText.latin1("k".repeat(80), "x")).hasMessageContaining("1..79");
        assertThatThrownBy(() -> PngText.latin1(" lead", "x")).hasMessageContaining("start or end");
        assertThatThrownBy(() -> PngText.latin1("trail ", "x")).hasMessageContaining("start or end");
        assertThatThrownBy(() -> PngText.latin1("two  spaces", "x")).hasMessageContaining("consecutive");
        assertThatThrownBy(() -> PngText.latin1("猫", "x")).hasMessageContaining("Latin-1");
        assertThatThrownBy(() -> PngText.latin1("tab\there", "x")).hasMessageContaining("Latin-1");
        assertThatThrownBy(() -> PngText.latin1("nbsp\u00A0", "x")).hasMessageContaining("Latin-1");
        assertThatThrownBy(() -> PngText.latin1("k", "nul\0")).hasMessageContaining("NUL");
        PngText ok = PngText.latin1("k".repeat(79), "x");
        assertThat(ok.keyword()).hasSize(79);
        assertThat(PngText.latin1("Größe ok", "x").writesAsItxt()).isFalse();
        assertThat(PngText.latin1("k", "€").writesAsItxt()).isTrue();
    }

    static Element readMetadata(byte[] png) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(png))) {
            ImageReader reader = ImageIO.getImageReadersByFormatName("png").next();
            try {
                reader.setInput(in, true, false);
                IIOMetadata meta = reader.getImageMetadata(0);
                return (Element) meta.getAsTree("javax_imageio_png_1.0");
            } finally {
                reader.dispose();
            }
        }
    }

    static Map<String, String> entries(Element root, String entry, String attribute) {
        Map<String, String> out = new LinkedHashMap<>();
        NodeList list = root.getElementsByTagName(entry);
        for (int i = 0; i < list.getLength(); i++) {
            Node n = list.item(i);
            Element e = (Element) n;
            out.put(e.getAttribute("keyword"), e.getAttribute(attribute));
        }
        return out;
    }
}
