"""Networks of the bundled latent text-to-image model (models/shapes-ldm).

Shared by tools/shapes/train_ldm.py (training) and tools/shapes/export_ldm.py (ONNX export).
Run with Debian's /usr/bin/python3 (torch 1.13 CPU).

- VAE: KL-regularised autoencoder, 32x32x3 <-> 8x8x4 latents (no attention, GroupNorm + SiLU).
- Text encoder: word-level token embedding + learned positions, pre-LN transformer, final LayerNorm;
  output = last_hidden_state [batch, 20, TEXT_WIDTH].
- UNet: two resolutions (8x8, 4x4), ResNet blocks with a timestep embedding, spatial transformers
  (self-attention, cross-attention to the text, feed-forward) at every level, epsilon prediction.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

MAX_LENGTH = 20
TEXT_WIDTH = 128
TEXT_LAYERS = 3
TEXT_HEADS = 4
LATENT_CHANNELS = 4
UNET_CHANNELS = (96, 128)
UNET_HEADS = 4
TEMB_DIM = 256
VAE_CHANNELS = (32, 64, 128)

# keyword arguments of UNet() for the bundled shapes-ldm (stored in the training checkpoint as "unet_config";
# checkpoints without it are the first model's: UNet() with no positional embedding)
UNET_CONFIG = {"pos_emb": True}

NUM_TRAIN_TIMESTEPS = 1000
BETA_START = 0.00085
BETA_END = 0.012


def alphas_cumprod():
    """SD's scaled_linear schedule, float64 -> float32 tensor of length 1000."""
    betas = torch.linspace(BETA_START ** 0.5, BETA_END ** 0.5, NUM_TRAIN_TIMESTEPS, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, 0).float()


class GroupNorm32(nn.GroupNorm):
    """GroupNorm computed in float32 (CPU autocast hands it bfloat16 activations)."""

    def forward(self, x):
        return super().forward(x.float())


class LayerNorm32(nn.LayerNorm):
    """LayerNorm computed in float32."""

    def forward(self, x):
        return super().forward(x.float())


def norm(c):
    return GroupNorm32(8 if c <= 64 else 16, c, eps=1e-5)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb=None):
        super().__init__()
        self.norm1 = norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(temb, cout) if temb else None
        self.norm2 = norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, t=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.temb is not None:
            h = h + self.temb(F.silu(t))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (x if self.skip is None else self.skip(x))


class Attention(nn.Module):
    def __init__(self, dim, ctx_dim, heads):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(ctx_dim, dim, bias=False)
        self.v = nn.Linear(ctx_dim, dim, bias=False)
        self.o = nn.Linear(dim, dim)

    def forward(self, x, ctx=None):
        ctx = x if ctx is None else ctx
        b, n, d = x.shape
        m = ctx.shape[1]
        h = self.heads
        q = self.q(x).reshape(b, n, h, d // h).transpose(1, 2)
        k = self.k(ctx).reshape(b, m, h, d // h).transpose(1, 2)
        v = self.v(ctx).reshape(b, m, h, d // h).transpose(1, 2)
        w = torch.softmax(torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(d // h)), dim=-1)
        out = torch.matmul(w, v).transpose(1, 2).reshape(b, n, d)
        return self.o(out)


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4):
        super().__init__()
        self.a = nn.Linear(dim, dim * mult)
        self.b = nn.Linear(dim * mult, dim)

    def forward(self, x):
        return self.b(F.gelu(self.a(x)))


class SpatialTransformer(nn.Module):
    def __init__(self, c, ctx_dim, heads, size=None):
        # size: spatial side (8 or 4) -> a learned factorised 2-D positional embedding (row + column,
        # 2 * size * c parameters) added to the tokens after proj_in, so the queries of self- and
        # cross-attention know where they are; None: no positional embedding (the first shapes-ldm, pixel model).
        super().__init__()
        self.norm = norm(c)
        self.proj_in = nn.Conv2d(c, c, 1)
        if size is not None:
            self.pos_row = nn.Parameter(torch.randn(1, c, size, 1) * 0.1)
            self.pos_col = nn.Parameter(torch.randn(1, c, 1, size) * 0.1)
        else:
            self.pos_row = self.pos_col = None
        self.ln1 = LayerNorm32(c)
        self.attn1 = Attention(c, c, heads)
        self.ln2 = LayerNorm32(c)
        self.attn2 = Attention(c, ctx_dim, heads)
        self.ln3 = LayerNorm32(c)
        self.ff = FeedForward(c, 2)
        self.proj_out = nn.Conv2d(c, c, 1)

    def forward(self, x, ctx):
        b, c, hh, ww = x.shape
        h = self.proj_in(self.norm(x))
        if self.pos_row is not None:
            h = h + self.pos_row + self.pos_col
        h = h.reshape(b, c, hh * ww).transpose(1, 2)
        h = h + self.attn1(self.ln1(h))
        h = h + self.attn2(self.ln2(h), ctx)
        h = h + self.ff(self.ln3(h))
        h = h.transpose(1, 2).reshape(b, c, hh, ww)
        return x + self.proj_out(h)


def timestep_embedding(t, dim):
    """Sinusoidal embedding of (float) timesteps t [batch] -> [batch, dim] (cos, sin like SD)."""
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32) * (-math.log(10000.0) / half))
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class UNet(nn.Module):
    def __init__(self, ch=UNET_CHANNELS, ctx_dim=TEXT_WIDTH, heads=UNET_HEADS, temb=TEMB_DIM,
                 in_channels=LATENT_CHANNELS, top_attention=True, pos_emb=False, size=8):
        # in_channels and top_attention were added for the pixel model (tools/shapes/pixel_nets.py); the
        # defaults give the latent model's network, with the same parameter names.
        # top_attention=False: no spatial transformer at the full resolution (d0a, u0a), only ResNet blocks.
        # pos_emb=True: every spatial transformer adds a learned 2-D positional embedding (for a size x size
        # input; the second shapes-ldm, see UNET_CONFIG); False: none (the first shapes-ldm, the pixel model).
        super().__init__()
        c0, c1 = ch
        s0, s1 = (size, size // 2) if pos_emb else (None, None)
        self.temb_in = 128
        self.time = nn.Sequential(nn.Linear(128, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.conv_in = nn.Conv2d(in_channels, c0, 3, padding=1)
        self.d0 = ResBlock(c0, c0, temb)
        self.d0a = SpatialTransformer(c0, ctx_dim, heads, s0) if top_attention else None
        self.down = nn.Conv2d(c0, c0, 3, stride=2, padding=1)
        self.d1 = ResBlock(c0, c1, temb)
        self.d1a = SpatialTransformer(c1, ctx_dim, heads, s1)
        self.ma = SpatialTransformer(c1, ctx_dim, heads, s1)
        self.u1 = ResBlock(c1 + c1, c1, temb)
        self.u1a = SpatialTransformer(c1, ctx_dim, heads, s1)
        self.up = nn.Conv2d(c1, c1, 3, padding=1)
        self.u0 = ResBlock(c1 + c0, c0, temb)
        self.u0a = SpatialTransformer(c0, ctx_dim, heads, s0) if top_attention else None
        self.norm_out = norm(c0)
        self.conv_out = nn.Conv2d(c0, in_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, sample, timestep, ctx):
        # timestep: [batch] or [1] (broadcast over the batch); float or integer
        te = self.time(timestep_embedding(timestep.float().reshape(-1), self.temb_in))
        h = self.conv_in(sample)
        h = self.d0(h, te)
        if self.d0a is not None:
            h = self.d0a(h, ctx)
        s1 = h
        h = self.down(h)
        h = self.d1a(self.d1(h, te), ctx)
        s2 = h
        h = self.ma(h, ctx)
        h = self.u1a(self.u1(torch.cat([h, s2], 1), te), ctx)
        h = self.up(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.u0(torch.cat([h, s1], 1), te)
        if self.u0a is not None:
            h = self.u0a(h, ctx)
        return self.conv_out(F.silu(self.norm_out(h)))


class TextEncoder(nn.Module):
    def __init__(self, vocab_size, width=TEXT_WIDTH, layers=TEXT_LAYERS, heads=TEXT_HEADS, max_len=MAX_LENGTH):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, width)
        self.pos = nn.Parameter(torch.randn(max_len, width) * 0.02)
        nn.init.normal_(self.tok.weight, std=0.02)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            self.blocks.append(nn.ModuleDict(dict(
                ln1=LayerNorm32(width), attn=Attention(width, width, heads),
                ln2=LayerNorm32(width), ff=FeedForward(width, 2))))
        self.ln_final = LayerNorm32(width)

    def forward(self, input_ids):
        x = self.tok(input_ids) + self.pos[: input_ids.shape[1]][None]
        for blk in self.blocks:
            x = x + blk["attn"](blk["ln1"](x))
            x = x + blk["ff"](blk["ln2"](x))
        return self.ln_final(x)


class Encoder(nn.Module):
    def __init__(self, ch=VAE_CHANNELS):
        super().__init__()
        c0, c1, c2 = ch
        self.net = nn.Sequential(
            nn.Conv2d(3, c0, 3, padding=1), ResBlock(c0, c0),
            nn.Conv2d(c0, c1, 3, stride=2, padding=1), ResBlock(c1, c1),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), ResBlock(c2, c2),
            norm(c2), nn.SiLU(), nn.Conv2d(c2, 2 * LATENT_CHANNELS, 3, padding=1))

    def forward(self, x):
        mean, logvar = self.net(x).chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)


class Decoder(nn.Module):
    def __init__(self, ch=VAE_CHANNELS):
        super().__init__()
        c0, c1, c2 = ch
        self.net = nn.Sequential(
            nn.Conv2d(LATENT_CHANNELS, c2, 3, padding=1), ResBlock(c2, c2),
            nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(c2, c1, 3, padding=1), ResBlock(c1, c1),
            nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(c1, c0, 3, padding=1), ResBlock(c0, c0),
            norm(c0), nn.SiLU(), nn.Conv2d(c0, 3, 3, padding=1))

    def forward(self, z):
        return self.net(z)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder()


def count(m):
    return sum(p.numel() for p in m.parameters())


if __name__ == "__main__":
    v = VAE()
    print("vae encoder", count(v.encoder), "decoder", count(v.decoder))
    print("text", count(TextEncoder(80)))
    print("unet", count(UNet()), "with positional embedding", count(UNet(**UNET_CONFIG)))
