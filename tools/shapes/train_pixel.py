#!/usr/bin/python3
"""Trains the bundled pixel-space text-to-image model models/shapes-pixel on the shapes world.

    /usr/bin/python3 tools/shapes/train_pixel.py [--steps N] [--steps-schedule N] [--batch 128]

Run from the repository root. Everything is seeded (--seed, default 0) and resumable: a checkpoint is
saved under target/shapes/pixel/ every --ckpt-minutes and at the end; re-running the command continues
from it (raise --steps to train further). The batch of step s depends only on (seed, s): fresh scenes
are rendered for every step (rendering costs ~0.4 ms a scene), so a resumed run sees the same data.

The pixel counterpart of tools/shapes/train_ldm.py (the latent model), with the same recipe where it
applies: text encoder (ldm_nets.TextEncoder) + UNet (pixel_nets.PixelUNet: 2x2 pixel-unshuffle ->
ldm_nets.UNet body -> pixel-shuffle) trained jointly on 32x32x3 images in [-1, 1], epsilon prediction
with SD's scaled_linear schedule, min-SNR-5 loss weighting, 10% empty prompts for classifier-free
guidance, half single- and half two-object scenes, never a world.HELD_OUT combination
(world.sample_scene(train=True)). EMA of the weights (decay 0.999) is what gets exported. Previews
(DDIM 20 steps, guidance 5) go to target/shapes/pixel/preview_*.png at each checkpoint.

One CPU thread (another training shares this machine), bfloat16 autocast for the networks.
"""

import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import diffusion_common as C  # noqa: E402
import ldm_nets as L  # noqa: E402
import pixel_nets as P  # noqa: E402
import world  # noqa: E402

OUT = os.environ.get("PIXEL_OUT", "target/shapes/pixel")
SHAPE = (P.IMAGE_CHANNELS, P.IMAGE_SIZE, P.IMAGE_SIZE)

PREVIEW_PROMPTS = [
    "a small red circle at the top left on a white background",
    "a large blue square in the centre on a black background",
    "a small yellow star at the bottom right on a gray background",
    "a large green triangle on the left on a white background",
    "a red circle to the left of a blue square on a white background",
    "a yellow diamond above a purple cross on a black background",
    "a white ring below a orange star on a gray background",
    "a small blue star in the centre on a white background",  # held out
]


def batch_for(args, step, tok):
    """The training batch of `step`: alternating single / pair scenes, rendered and tokenized."""
    rng = np.random.default_rng([args.seed, 30, step])
    scenes = [world.sample_scene(rng, "single" if i % 2 == 0 else "pair", train=True) for i in range(args.batch)]
    assert not any(world.is_held_out(s) for s in scenes)
    x = torch.from_numpy(world.render_batch(scenes))
    ids = torch.tensor([tok(world.caption(s)) for s in scenes], dtype=torch.long)
    return x, ids


def preview(step, unet_ema, text_ema, tok):
    g = torch.Generator().manual_seed(1234)
    ids = torch.tensor([tok(p) for p in PREVIEW_PROMPTS for _ in range(4)])
    uncond = torch.tensor([tok("")])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        img = C.ddim_sample(unet_ema, text_ema, ids, uncond, 20, 5.0, g, SHAPE).float()
    C.to_png(f"{OUT}/preview_{step:06d}.png", img.clamp(-1, 1).numpy(), 4)


def train(args):
    vocab = C.build_vocab()
    tok = C.Tok(vocab)
    torch.manual_seed(args.seed + 1)
    unet = P.PixelUNet()
    text = L.TextEncoder(len(vocab))
    unet_ema = copy.deepcopy(unet)
    text_ema = copy.deepcopy(text)
    params = list(unet.parameters()) + list(text.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    step = 0
    path = f"{OUT}/pixel.pt"
    train_seconds = 0.0
    if os.path.exists(path):
        st = torch.load(path)
        unet.load_state_dict(st["unet"])
        text.load_state_dict(st["text"])
        unet_ema.load_state_dict(st["unet_ema"])
        text_ema.load_state_dict(st["text_ema"])
        opt.load_state_dict(st["opt"])
        step = st["step"]
        train_seconds = st.get("train_seconds", 0.0)
        C.log(f"resumed at step {step}")
    C.log(f"params: unet {L.count(unet)}, text encoder {L.count(text)}")
    ac = L.alphas_cumprod()
    snr = ac / (1 - ac)
    w_t = torch.clamp(snr, max=5.0) / snr  # min-SNR-5 weights for epsilon prediction
    B = args.batch
    empty = torch.tensor(tok(""))

    def checkpoint():
        C.save(path, dict(unet=unet.state_dict(), text=text.state_dict(), unet_ema=unet_ema.state_dict(),
                          text_ema=text_ema.state_dict(), opt=opt.state_dict(), step=step, vocab=vocab,
                          batch=B, train_seconds=train_seconds))

    last_ckpt = time.time()
    t_seg, s_seg = time.time(), step
    loss_acc, n_acc = 0.0, 0
    while step < args.steps:
        if args.stop_at and time.strftime("%H:%M") >= args.stop_at:
            C.log(f"--stop-at {args.stop_at}: stopping at step {step} of {args.steps}")
            break
        t_step = time.time()
        x0, tid = batch_for(args, step, tok)
        g = torch.Generator().manual_seed(args.seed * 1_000_003 + 500_000 + step)
        drop = torch.rand(B, generator=g) < 0.1
        tid[drop] = empty
        t = torch.randint(0, L.NUM_TRAIN_TIMESTEPS, (B,), generator=g)
        noise = torch.randn(x0.shape, generator=g)
        a = ac[t][:, None, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        for grp in opt.param_groups:
            grp["lr"] = C.lr_at(step, args.lr, 200, args.steps_schedule or args.steps)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            ctx = text(tid)
            pred = unet(xt, t.float(), ctx).float()
        loss = ((pred - noise).pow(2).mean(dim=(1, 2, 3)) * w_t[t]).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        d = min(args.ema, (1 + step) / (10 + step))
        C.ema_update(unet_ema, unet, d)
        C.ema_update(text_ema, text, d)
        train_seconds += time.time() - t_step
        loss_acc += loss.item()
        n_acc += 1
        if step % 25 == 0:
            sps = (step - s_seg) / (time.time() - t_seg)
            C.log(f"step {step}/{args.steps} loss {loss_acc / n_acc:.4f} lr {opt.param_groups[0]['lr']:.2e} "
                  f"{sps:.3f} steps/s ({sps * B:.0f} samples/s), train time {train_seconds / 60:.1f} min")
            loss_acc, n_acc = 0.0, 0
        if time.time() - last_ckpt > args.ckpt_minutes * 60 or step == args.steps:
            checkpoint()
            t0 = time.time()
            unet_ema.eval()
            text_ema.eval()
            preview(step, unet_ema, text_ema, tok)
            C.log(f"checkpoint + preview at step {step} (preview {time.time() - t0:.1f}s)")
            last_ckpt = time.time()
            t_seg, s_seg = time.time(), step
    checkpoint()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=2500)
    ap.add_argument("--steps-schedule", type=int, default=0,
                    help="step count the learning-rate decay is planned for (default: --steps)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--ckpt-minutes", type=float, default=4.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--stop-at", default="", help="HH:MM wall-clock time to checkpoint and stop at (a deadline)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(OUT, exist_ok=True)
    C.log(f"args {json.dumps(vars(args))}")
    train(args)
    C.log("done")


if __name__ == "__main__":
    main()
