package io.diffusionbatch.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RgbImageTest {

    @Test
    void mapsMinusOneToOneOntoBytesWithRoundHalfUpAndClamp() {
        // one channel, 1x9: expected u = round(clamp((v+1)/2, 0, 1) * 255), computed by hand
        float[] v = {-1f, 1f, 0f, -0.5f, 0.5f, 2f, -3f, Float.NaN, 0.003921569f};
        int[] expected = {0, 255, 128 /* 127.5 rounds up */, 64 /* 63.75 */, 191 /* 191.25 */, 255, 0, 0,
                128 /* (1.003921569/2)*255 = 128.0000 */};
        RgbImage img = RgbImage.fromChw(v, 0, 1, 1, v.length);
        for (int x = 0; x < v.length; x++) {
            for (int c = 0; c < 3; c++) {
                assertThat(img.sample(x, 0, c)).as("x=%d c=%d", x, c).isEqualTo(expected[x]);
            }
        }
    }

    @Test
    void fromChw01MapsUnitRange() {
        float[] v = {0f, 1f, 0.5f, 0.2f, 1.5f, -0.1f};
        int[] expected = {0, 255, 128, 51, 255, 0};
        RgbImage img = RgbImage.fromChw01(v, 0, 1, 2, 3);
        for (int i = 0; i < v.length; i++) {
            assertThat(img.sample(i % 3, i / 3, 0)).isEqualTo(expected[i]);
        }
    }

    @Test
    void threeAndFourChannelsArePlanarWithOffset() {
        // offset 2 junk values, then 4 planes of a 2x1 image (C, H=1, W=2)
        float[] data = {9f, 9f,
                -1f, 1f,     // R
                0f, -1f,     // G
                1f, 0f,      // B
                -1f, -1f};   // alpha, ignored
        RgbImage four = RgbImage.fromChw(data, 2, 4, 1, 2);
        assertThat(four.rgbAt(0, 0)).isEqualTo(0x0080FF);
        assertThat(four.rgbAt(1, 0)).isEqualTo(0xFF0080);
        RgbImage three = RgbImage.fromChw(data, 2, 3, 1, 2);
        assertThat(three).isEqualTo(four);
        assertThat(three.rgb()).containsExactly(0, (byte) 128, (byte) 255, (byte) 255, 0, (byte) 128);
    }

    @Test
    void rejectsBadInput() {
        assertThatThrownBy(() -> RgbImage.fromChw(new float[6], 0, 2, 1, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("channels");
        assertThatThrownBy(() -> RgbImage.fromChw(new float[8], 0, 3, 1, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("data too short");
        assertThatThrownBy(() -> new RgbImage(2, 2, new byte[11]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rgb length");
        assertThatThrownBy(() -> new RgbImage(0, 2, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("width");
    }
}
