package io.diffusionbatch.media;

import java.util.Locale;

/** File formats an item can be written as. */
public enum OutputFormat {
    /** 8-bit RGB PNG with A1111 parameters and JSON provenance chunks (images). */
    PNG("png", "image/png", false),
    /** The decoded output as float32 .npy in [-1, 1], channel-major (images and videos). */
    NPY("npy", "application/x-npy", true),
    /** Animated GIF (videos). */
    GIF("gif", "image/gif", true),
    /** H.264 in MP4 (videos). */
    MP4("mp4", "video/mp4", true);

    private final String extension;
    private final String mediaType;
    private final boolean video;

    OutputFormat(String extension, String mediaType, boolean video) {
        this.extension = extension;
        this.mediaType = mediaType;
        this.video = video;
    }

    public String extension() {
        return extension;
    }

    public String mediaType() {
        return mediaType;
    }

    /** Whether the format can hold a video (npy holds both). */
    public boolean holdsVideo() {
        return video;
    }

    /** Whether the format can hold a still image. */
    public boolean holdsImage() {
        return this == PNG || this == NPY;
    }

    /** Parses a format name such as {@code png}; the error names the field. */
    public static OutputFormat parse(String name) {
        for (OutputFormat f : values()) {
            if (f.extension.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new IllegalArgumentException("format: unknown '" + name + "'; one of png, npy, gif, mp4");
    }
}
