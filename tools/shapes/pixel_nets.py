"""Network of the bundled pixel-space text-to-image model (models/shapes-pixel).

Shared by tools/shapes/train_pixel.py (training) and tools/shapes/export_pixel.py (ONNX export).
Run with Debian's /usr/bin/python3 (torch 1.13 CPU).

The UNet works on 32x32x3 pixels (no VAE). Each 2x2 pixel block is folded into channels at the input
(pixel-unshuffle, 3x32x32 -> 12x16x16) and unfolded at the output (pixel-shuffle), so the network body
is ldm_nets.UNet (the latent model's UNet: ResNet blocks + spatial transformers with cross-attention
to the text) with 12 input/output channels and the spatial transformers only at 8x8: at 16x16 only
ResNet blocks (self-attention over 256 positions made a training step about 4x slower on this CPU). The text encoder
is ldm_nets.TextEncoder, unchanged. Epsilon prediction, SD's scaled_linear schedule (ldm_nets).

PIXEL_UNET_CONFIG holds the keyword arguments of PixelUNet() for the bundled model (stored in the training
checkpoint as "unet_config"; a checkpoint without it is the first shapes-pixel's: PixelUNet() with no
positional embedding). pos_emb=True: the 8x8 spatial transformers add shapes-ldm's learned factorised 2-D
positional embedding (row + column) to their tokens, so cross-attention queries know where they are.
"""

import torch
import torch.nn as nn

import ldm_nets as L

IMAGE_CHANNELS = 3
IMAGE_SIZE = 32
FOLD = 2  # 2x2 pixel blocks -> channels

# keyword arguments of PixelUNet() for the bundled shapes-pixel (see the module docstring)
PIXEL_UNET_CONFIG = {"pos_emb": True}


def pixel_unshuffle(x, r=FOLD):
    """[b, c, h, w] -> [b, c*r*r, h/r, w/r], channel order c*r*r + i*r + j (torch.pixel_unshuffle)."""
    b, c, h, w = x.shape
    x = x.reshape(-1, c, h // r, r, w // r, r)
    x = x.permute(0, 1, 3, 5, 2, 4)
    return x.reshape(-1, c * r * r, h // r, w // r)


def pixel_shuffle(x, r=FOLD):
    """Inverse of pixel_unshuffle: [b, c*r*r, h, w] -> [b, c, h*r, w*r] (torch.pixel_shuffle)."""
    b, cr, h, w = x.shape
    c = cr // (r * r)
    x = x.reshape(-1, c, r, r, h, w)
    x = x.permute(0, 1, 4, 2, 5, 3)
    return x.reshape(-1, c, h * r, w * r)


class PixelUNet(nn.Module):
    """sample [b, 3, 32, 32], timestep [b] or [1], ctx [b, 20, 128] -> epsilon [b, 3, 32, 32]."""

    def __init__(self, ch=L.UNET_CHANNELS, pos_emb=False):
        super().__init__()
        self.body = L.UNet(ch=ch, in_channels=IMAGE_CHANNELS * FOLD * FOLD, top_attention=False,
                           pos_emb=pos_emb, size=IMAGE_SIZE // FOLD)

    def forward(self, sample, timestep, ctx):
        return pixel_shuffle(self.body(pixel_unshuffle(sample), timestep, ctx))


if __name__ == "__main__":
    x = torch.randn(2, 3, 32, 32)
    assert torch.equal(pixel_unshuffle(x), torch.pixel_unshuffle(x, 2))
    assert torch.equal(pixel_shuffle(pixel_unshuffle(x)), x)
    print("pixel unet", L.count(PixelUNet()), "with positional embedding", L.count(PixelUNet(**PIXEL_UNET_CONFIG)),
          "text", L.count(L.TextEncoder(80)))
