package io.diffusionbatch.media;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Writes an animated GIF with ImageIO's built-in GIF writer: every frame gets a Graphic Control Extension
 * with delay {@code round(100 / fps)} hundredths of a second (at least 1; note that many viewers show delays
 * below 2 as 10) and disposal "none"; the first frame carries the {@code NETSCAPE2.0} application extension
 * with loop count 0 (loop forever).
 *
 * <p>GIF holds at most 256 colours per frame: ImageIO's writer builds a palette per frame from the RGB
 * pixels, so frames with more colours are quantised (lossy). All frames must have the same size.
 * Stateless and thread-safe; null arguments are rejected with {@link NullPointerException}.
 */
public final class GifWriter {

    private GifWriter() {
    }

    /** The frame delay in hundredths of a second used for {@code fps}. */
    public static int delayCentiseconds(double fps) {
        if (!(fps > 0) || Double.isInfinite(fps)) {
            throw new IllegalArgumentException("fps must be a finite number > 0, got " + fps);
        }
        long d = Math.round(100.0 / fps);
        return (int) Math.max(1, Math.min(0xFFFF, d));
    }

    /** Encodes the frames as an animated GIF. */
    public static byte[] encode(List<RgbImage> frames, double fps) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            write(out, frames, fps);
        }
        return bytes.toByteArray();
    }

    /** Writes the frames as an animated GIF to {@code file} (temporary sibling, then atomic move). */
    public static void write(Path file, List<RgbImage> frames, double fps) throws IOException {
        Objects.requireNonNull(file, "file must not be null");
        AtomicFiles.write(file, encode(frames, fps));
    }

    private static void write(ImageOutputStream out, List<RgbImage> frames, double fps) throws IOException {
        Objects.requireNonNull(frames, "frames must not be null");
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("frames must not be empty");
        }
        int delay = delayCentiseconds(fps);
        RgbImage first = Objects.requireNonNull(frames.get(0), "frames must not contain null");
        Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("gif");
        if (!it.hasNext()) {
            throw new IllegalStateException("no ImageIO GIF writer available");
        }
        ImageWriter writer = it.next();
        try {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (int i = 0; i < frames.size(); i++) {
                RgbImage f = Objects.requireNonNull(frames.get(i), "frames must not contain null");
                if (f.width() != first.width() || f.height() != first.height()) {
                    throw new IllegalArgumentException("all frames must be " + first.width() + "x" + first.height()
                            + ", frame " + i + " is " + f.width() + "x" + f.height());
                }
                BufferedImage img = toBufferedImage(f);
                ImageWriteParam param = writer.getDefaultWriteParam();
                IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img), param);
                configure(meta, delay, i == 0);
                writer.writeToSequence(new IIOImage(img, null, meta), param);
            }
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
    }

    private static void configure(IIOMetadata meta, int delay, boolean first) throws IIOInvalidTreeException {
        String format = meta.getNativeMetadataFormatName(); // javax_imageio_gif_image_1.0
        IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(format);

        IIOMetadataNode gce = child(root, "GraphicControlExtension");
        gce.setAttribute("disposalMethod", "none");
        gce.setAttribute("userInputFlag", "FALSE");
        gce.setAttribute("transparentColorFlag", "FALSE");
        gce.setAttribute("delayTime", Integer.toString(delay));
        gce.setAttribute("transparentColorIndex", "0");

        if (first) {
            IIOMetadataNode apps = child(root, "ApplicationExtensions");
            IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
            app.setAttribute("applicationID", "NETSCAPE");
            app.setAttribute("authenticationCode", "2.0");
            app.setUserObject(new byte[]{1, 0, 0}); // sub-block 1: loop count 0 (little-endian) = forever
            apps.appendChild(app);
        }
        meta.setFromTree(format, root);
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) {
                return (IIOMetadataNode) root.item(i);
            }
        }
        IIOMetadataNode n = new IIOMetadataNode(name);
        root.appendChild(n);
        return n;
    }

    static BufferedImage toBufferedImage(RgbImage f) {
        BufferedImage img = new BufferedImage(f.width(), f.height(), BufferedImage.TYPE_INT_RGB);
        int[] row = new int[f.width()];
        for (int y = 0; y < f.height(); y++) {
            for (int x = 0; x < f.width(); x++) {
                row[x] = f.rgbAt(x, y);
            }
            img.setRGB(0, y, f.width(), 1, row, 0, f.width());
        }
        return img;
    }
}
