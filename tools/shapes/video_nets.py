"""Networks of the bundled text-to-video model (models/shapes-video).

Shared by tools/shapes/train_video.py (training), export_video.py (ONNX export) and eval_video.py.
Run with Debian's /usr/bin/python3 (torch 1.13 CPU).

Latents: 8 frames of the shapes-ldm VAE's 4x8x8 latents, as a 5-D tensor [batch, 4, frames, 8, 8]
(the layout the engine's video path uses; the VAE decodes frame by frame).

UNet with factorised space-time (Video Diffusion Models / AnimateDiff style):
- spatial layers run per frame on [batch*frames, C, H, W]: ResNet blocks with a timestep embedding,
  spatial transformers (self-attention within the frame, cross-attention to the text, MLP);
- temporal layers mix across frames at each spatial position: 1-D temporal convolutions (kernel 3,
  written as a 2-D convolution with a (3, 1) kernel over [batch, C, frames, H*W]) after every ResNet
  block, and temporal self-attention (8 tokens = the frames, with a learned frame-position embedding)
  at the 4x4 level;
- a pooled text embedding (mean of the text states, linear) is added to the timestep embedding that
  every ResNet block receives (added after the first 2,000 training steps, zero-initialised);
- a learned per-frame embedding is added after conv_in (each frame knows its index);
- epsilon prediction. The transformers' Linear layers stay Linear: under bf16 autocast they beat 1x1
  convolutions on this CPU (measured: 7 ms vs 26 ms forward+backward at [256, 64 tokens, 64])
The text encoder is shapes-ldm's architecture (ldm_nets.TextEncoder), trained jointly.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import ldm_nets as L

FRAMES = 8
LATENT_CHANNELS = L.LATENT_CHANNELS
UNET_CHANNELS = (64, 80)
UNET_HEADS = 4
TEMB_DIM = 128
TEXT_LAYERS = 1


class SpatialTransformer(nn.Module):
    """Per frame: GroupNorm, linear in, self-attention, cross-attention to the text, MLP, linear out
    (residual). Token-major Linear layers: under bf16 autocast they run faster here than 1x1 convolutions."""

    def __init__(self, c, ctx_dim, heads):
        super().__init__()
        self.norm = L.norm(c)
        self.proj_in = nn.Linear(c, c)
        self.ln1 = L.LayerNorm32(c)
        self.attn1 = L.Attention(c, c, heads)
        self.ln2 = L.LayerNorm32(c)
        self.attn2 = L.Attention(c, ctx_dim, heads)
        self.ln3 = L.LayerNorm32(c)
        self.ff = L.FeedForward(c, 2)
        self.proj_out = nn.Linear(c, c)

    def forward(self, x, ctx):
        # x [b*f, c, h, w]; ctx [b*f, S, D] (text states repeated per frame)
        bf, c, hh, ww = x.shape
        h = self.proj_in(self.norm(x).reshape(bf, c, hh * ww).transpose(1, 2))
        h = h + self.attn1(self.ln1(h))
        h = h + self.attn2(self.ln2(h), ctx)
        h = h + self.ff(self.ln3(h))
        return x + self.proj_out(h).transpose(1, 2).reshape(bf, c, hh, ww)


def to_time_major(x, frames):
    """[b*f, c, h, w] -> [b, c, f, h*w]."""
    bf, c, hh, ww = x.shape
    return x.reshape(-1, frames, c, hh * ww).transpose(1, 2)


def from_time_major(y, hh, ww):
    """[b, c, f, h*w] -> [b*f, c, h, w]."""
    b, c, f, _ = y.shape
    return y.transpose(1, 2).reshape(-1, c, hh, ww)


class TemporalConv(nn.Module):
    """Residual GroupNorm, SiLU, temporal convolution (kernel 3 over the frames, zero padding) at every position."""

    def __init__(self, c, frames=FRAMES):
        super().__init__()
        self.frames = frames
        self.norm = L.norm(c)
        self.conv = nn.Conv2d(c, c, (3, 1), padding=(1, 0))

    def forward(self, x):
        bf, c, hh, ww = x.shape
        h = F.silu(self.norm(x))
        h = self.conv(to_time_major(h, self.frames))
        return x + from_time_major(h, hh, ww)


class TemporalAttention(nn.Module):
    """Residual self-attention across the frames at each spatial position (tokens = frames), with a
    learned frame-position embedding added to its input, then an MLP."""

    def __init__(self, c, heads, frames=FRAMES):
        super().__init__()
        self.frames = frames
        self.norm = L.norm(c)
        self.pos = nn.Parameter(torch.zeros(1, c, frames, 1))
        self.ln1 = L.LayerNorm32(c)
        self.attn = L.Attention(c, c, heads)
        self.ln2 = L.LayerNorm32(c)
        self.ff = L.FeedForward(c, 2)

    def forward(self, x):
        bf, c, hh, ww = x.shape
        h = to_time_major(self.norm(x), self.frames) + self.pos  # [b, c, f, hw]
        b = h.shape[0]
        h = h.permute(0, 3, 2, 1).reshape(-1, self.frames, c)  # tokens [b*hw, f, c]
        h = h + self.attn(self.ln1(h))
        h = h + self.ff(self.ln2(h))
        h = h.reshape(b, hh * ww, self.frames, c).permute(0, 3, 2, 1)  # [b, c, f, hw]
        return x + from_time_major(h, hh, ww)


class VideoUNet(nn.Module):
    def __init__(self, ch=UNET_CHANNELS, ctx_dim=L.TEXT_WIDTH, heads=UNET_HEADS, temb=TEMB_DIM, frames=FRAMES):
        super().__init__()
        c0, c1 = ch
        self.frames = frames
        self.temb_in = 128
        self.time = nn.Sequential(nn.Linear(128, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.conv_in = nn.Conv2d(LATENT_CHANNELS, c0, 3, padding=1)
        self.frame_emb = nn.Parameter(torch.zeros(1, frames, c0, 1, 1))
        self.d0 = L.ResBlock(c0, c0, temb)
        self.d0t = TemporalConv(c0, frames)
        self.d0a = SpatialTransformer(c0, ctx_dim, heads)
        self.down = nn.Conv2d(c0, c0, 3, stride=2, padding=1)
        self.d1 = L.ResBlock(c0, c1, temb)
        self.d1t = TemporalConv(c1, frames)
        self.d1a = SpatialTransformer(c1, ctx_dim, heads)
        self.d1tt = TemporalAttention(c1, heads, frames)
        self.u1 = L.ResBlock(c1 + c1, c1, temb)
        self.u1t = TemporalConv(c1, frames)
        self.u1a = SpatialTransformer(c1, ctx_dim, heads)
        self.u1tt = TemporalAttention(c1, heads, frames)
        self.up = nn.Conv2d(c1, c0, 3, padding=1)
        self.u0 = L.ResBlock(c0 + c0, c0, temb)
        self.u0t = TemporalConv(c0, frames)
        self.u0a = SpatialTransformer(c0, ctx_dim, heads)
        self.norm_out = L.norm(c0)
        self.conv_out = nn.Conv2d(c0, LATENT_CHANNELS, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)
        # pooled text conditioning (as SDXL's pooled text embedding): the mean of the text states, projected
        # and added to the timestep embedding, so every ResBlock of every frame sees the whole prompt (the
        # motion direction is a property of the clip, not of a position). Zero-initialised; defined last so
        # that its parameters come last (train_video.py keeps them in their own optimizer group).
        self.pool = nn.Linear(ctx_dim, temb)
        nn.init.zeros_(self.pool.weight)
        nn.init.zeros_(self.pool.bias)

    def forward(self, sample, timestep, ctx):
        # sample [b, 4, f, h, w]; timestep [b] or [1] (float or int); ctx [b, S, D]
        b, cin, f, hh, ww = sample.shape
        x = sample.transpose(1, 2).reshape(-1, cin, hh, ww)  # [b*f, 4, h, w]
        te = self.time(L.timestep_embedding(timestep.float().reshape(-1), self.temb_in))  # [b or 1, temb]
        te = te + self.pool(ctx.mean(dim=1))  # a [1] timestep broadcasts over the batch here
        te = te[:, None, :].expand(-1, f, -1).reshape(-1, te.shape[1])  # [b*f, temb]
        c = ctx[:, None].expand(-1, f, -1, -1).reshape(-1, ctx.shape[1], ctx.shape[2])  # [b*f, S, D]
        h = self.conv_in(x)
        c0 = h.shape[1]
        h = (h.reshape(-1, f, c0, hh, ww) + self.frame_emb).reshape(-1, c0, hh, ww)
        h = self.d0a(self.d0t(self.d0(h, te)), c)
        s1 = h
        h = self.down(h)
        h = self.d1tt(self.d1a(self.d1t(self.d1(h, te)), c))
        s2 = h
        h = self.u1tt(self.u1a(self.u1t(self.u1(torch.cat([h, s2], 1), te)), c))
        h = self.up(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.u0a(self.u0t(self.u0(torch.cat([h, s1], 1), te)), c)
        out = self.conv_out(F.silu(self.norm_out(h)))  # [b*f, 4, h, w]
        return out.reshape(-1, f, cin, hh, ww).transpose(1, 2)


def text_encoder(vocab_size):
    return L.TextEncoder(vocab_size, layers=TEXT_LAYERS)


if __name__ == "__main__":
    import sys
    import time
    torch.set_num_threads(1)
    u = VideoUNet()
    te = text_encoder(40)
    print("unet", L.count(u), "text", L.count(te))
    B = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    x = torch.randn(B, 4, FRAMES, 8, 8)
    t = torch.randint(0, 1000, (B,)).float()
    ids = torch.randint(0, 40, (B, 20))
    opt = torch.optim.AdamW(list(u.parameters()) + list(te.parameters()), lr=1e-4)
    for i in range(6):
        t0 = time.time()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = u(x, t, te(ids)).float()
        loss = out.pow(2).mean() + (out - x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(f"batch {B}: {time.time() - t0:.3f}s/step, {B / (time.time() - t0):.1f} samples/s", flush=True)
