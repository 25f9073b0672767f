#!/usr/bin/python3
"""Trains the bundled pixel-space text-to-image model models/shapes-pixel on the shapes world.

    /usr/bin/python3 tools/shapes/train_pixel.py [--steps 12500] [--steps-schedule N] [--batch 128] [--lr 5e-4]
        [--decay-fraction 0.2] [--pair-fraction 0.5] [--text-aux-weight 0.1] [--text-aux-start 0]
        [--high-t-fraction 0.5] [--high-t-min 600] [--offset-noise 0.1] [--unet-config JSON] [--threads 2]

The defaults are the recipe of the bundled model (models/shapes-pixel/README.md): 12,500 steps x 128, about
101 minutes on two threads of this project's 2-core machine.

Run from the repository root. Everything is seeded (--seed, default 0) and resumable: a checkpoint is
saved under $PIXEL_OUT (default target/shapes/pixel/) every --ckpt-minutes and at the end; re-running the
command continues from it (raise --steps to train further). The run stops at --steps (a step count, so
the result does not depend on the machine's speed). The batch of step s depends only on (seed, s): fresh scenes
are rendered for every step (rendering costs ~0.4 ms a scene), so a resumed run sees the same data.

The pixel counterpart of tools/shapes/train_ldm.py (the latent model), with the same recipe where it
applies: text encoder (ldm_nets.TextEncoder) + UNet (pixel_nets.PixelUNet: 2x2 pixel-unshuffle ->
ldm_nets.UNet body -> pixel-shuffle) trained jointly on 32x32x3 images in [-1, 1], epsilon prediction
with SD's scaled_linear schedule, min-SNR-5 loss weighting, 10% empty prompts for classifier-free
guidance, --pair-fraction two-object scenes (train_ldm.scenes_for), never a world.HELD_OUT combination
(world.sample_scene(train=True)). The UNet's keyword arguments come from --unet-config (default
pixel_nets.PIXEL_UNET_CONFIG: learned 2-D positional embeddings in the 8x8 transformers) and are stored in
the checkpoint. From --text-aux-start, shapes-ldm's auxiliary loss (--text-aux-weight, training only):
the text encoder's output at each object's size/colour/shape tokens must predict that object's centre
through a linear head (train_ldm.object_token_targets). EMA of the weights (decay 0.999) is what gets exported. Previews
(DDIM 20 steps, guidance 5) go to target/shapes/pixel/preview_*.png at each checkpoint.

--threads CPU threads (torch.set_num_threads), bfloat16 autocast for the networks.
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
from train_ldm import object_token_targets, scenes_for  # noqa: E402

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
    """The training batch of `step`: single / pair scenes (--pair-fraction; 0.5 alternates starting with a
    single), rendered and tokenized, with the auxiliary text targets and mask."""
    rng = np.random.default_rng([args.seed, 30, step])
    scenes = scenes_for(rng, args.batch, args.pair_fraction)
    assert not any(world.is_held_out(s) for s in scenes)
    x = torch.from_numpy(world.render_batch(scenes))
    ids = torch.tensor([tok(world.caption(s)) for s in scenes], dtype=torch.long)
    aux = [object_token_targets(s) for s in scenes]
    aux_tgt = torch.from_numpy(np.stack([a for a, _ in aux]))
    aux_mask = torch.from_numpy(np.stack([m for _, m in aux]))
    return x, ids, aux_tgt, aux_mask


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
    path = f"{OUT}/pixel.pt"
    st = torch.load(path) if os.path.exists(path) else None
    # the UNet's keyword arguments: the checkpoint's when resuming, else --unet-config
    unet_config = st.get("unet_config", {}) if st is not None else json.loads(args.unet_config)
    torch.manual_seed(args.seed + 1)
    unet = P.PixelUNet(**unet_config)
    text = L.TextEncoder(len(vocab))
    unet_ema = copy.deepcopy(unet)
    text_ema = copy.deepcopy(text)
    params = list(unet.parameters()) + list(text.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    # auxiliary head (training only, not exported), as in train_ldm.py
    torch.manual_seed(args.seed + 2)
    aux_head = torch.nn.Linear(L.TEXT_WIDTH, 2)
    opt_aux = torch.optim.AdamW(aux_head.parameters(), lr=args.lr, weight_decay=0.0)
    step = 0
    train_seconds = 0.0
    if st is not None:
        unet.load_state_dict(st["unet"])
        text.load_state_dict(st["text"])
        unet_ema.load_state_dict(st["unet_ema"])
        text_ema.load_state_dict(st["text_ema"])
        opt.load_state_dict(st["opt"])
        if "aux_head" in st:
            aux_head.load_state_dict(st["aux_head"])
            opt_aux.load_state_dict(st["opt_aux"])
        step = st["step"]
        train_seconds = st.get("train_seconds", 0.0)
        C.log(f"resumed at step {step}")
    C.log(f"params: unet {L.count(unet)} (config {json.dumps(unet_config)}), text encoder {L.count(text)}")
    ac = L.alphas_cumprod()
    snr = ac / (1 - ac)
    w_t = torch.clamp(snr, max=5.0) / snr  # min-SNR-5 weights for epsilon prediction
    B = args.batch
    empty = torch.tensor(tok(""))

    def checkpoint():
        C.save(path, dict(unet=unet.state_dict(), text=text.state_dict(), unet_ema=unet_ema.state_dict(),
                          text_ema=text_ema.state_dict(), opt=opt.state_dict(), step=step, vocab=vocab,
                          batch=B, train_seconds=train_seconds, unet_config=unet_config,
                          pair_fraction=args.pair_fraction, aux_head=aux_head.state_dict(),
                          opt_aux=opt_aux.state_dict()))

    last_ckpt = time.time()
    t_seg, s_seg = time.time(), step
    loss_acc, n_acc, aux_acc = 0.0, 0, 0.0
    while step < args.steps:
        t_step = time.time()
        x0, tid, aux_tgt, aux_mask = batch_for(args, step, tok)
        g = torch.Generator().manual_seed(args.seed * 1_000_003 + 500_000 + step)
        drop = torch.rand(B, generator=g) < 0.1
        tid[drop] = empty
        t = torch.randint(0, L.NUM_TRAIN_TIMESTEPS, (B,), generator=g)
        noise = torch.randn(x0.shape, generator=g)
        if step >= args.noise_recipe_start and (args.high_t_fraction > 0 or args.offset_noise > 0):
            # pixel-space high-noise recipe (see --high-t-fraction, --offset-noise); draws come after the
            # base ones, so the steps before --noise-recipe-start are those of a run without it
            hi = torch.rand(B, generator=g) < args.high_t_fraction
            t_hi = torch.randint(args.high_t_min, L.NUM_TRAIN_TIMESTEPS, (B,), generator=g)
            t = torch.where(hi, t_hi, t)
            offset = torch.randn(B, x0.shape[1], 1, 1, generator=g)
            noise = noise + args.offset_noise * offset
        a = ac[t][:, None, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        for o in (opt, opt_aux):
            for grp in o.param_groups:
                grp["lr"] = C.lr_at(step, args.lr, 200, args.steps_schedule or args.steps, args.decay_fraction)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            ctx = text(tid)
            pred = unet(xt, t.float(), ctx).float()
        loss = ((pred - noise).pow(2).mean(dim=(1, 2, 3)) * w_t[t]).mean()
        use_aux = args.text_aux_weight > 0 and step >= args.text_aux_start
        total = loss
        if use_aux:
            m = aux_mask * (~drop).float()[:, None]
            err = (aux_head(ctx.float()) - aux_tgt).pow(2).sum(dim=2)
            aux_loss = (err * m).sum() / m.sum().clamp(min=1.0)
            total = loss + args.text_aux_weight * aux_loss
            aux_acc += aux_loss.item()
        opt.zero_grad(set_to_none=True)
        opt_aux.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if use_aux:
            opt_aux.step()
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
                  f"{sps:.3f} steps/s ({sps * B:.0f} samples/s), train time {train_seconds / 60:.1f} min"
                  + (f", text aux loss {aux_acc / n_acc:.4f}" if use_aux else ""))
            loss_acc, n_acc, aux_acc = 0.0, 0, 0.0
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
    ap.add_argument("--steps", type=int, default=12500)
    ap.add_argument("--steps-schedule", type=int, default=0,
                    help="step count the learning-rate decay is planned for (default: --steps)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--decay-fraction", type=float, default=0.2,
                    help="fraction of the planned steps over which the learning rate decays linearly to 10%%")
    ap.add_argument("--pair-fraction", type=float, default=0.5, help="fraction of two-object training scenes")
    ap.add_argument("--text-aux-weight", type=float, default=0.1,
                    help="weight of the auxiliary object-position loss on the text encoder's output (0: off)")
    ap.add_argument("--text-aux-start", type=int, default=0, help="first step of the auxiliary loss")
    ap.add_argument("--unet-config", default=json.dumps(P.PIXEL_UNET_CONFIG),
                    help="PixelUNet keyword arguments as JSON for a new run (a resumed run keeps its checkpoint's)")
    ap.add_argument("--high-t-fraction", type=float, default=0.5,
                    help="fraction of samples whose timestep is drawn from [--high-t-min, 999] instead of [0, 999]: "
                         "more practice where the layout is decided (in pixel space the scaled_linear schedule "
                         "leaves readable low-frequency signal up to t=999, so the text matters only there)")
    ap.add_argument("--high-t-min", type=int, default=600)
    ap.add_argument("--offset-noise", type=float, default=0.1,
                    help="offset noise: adds this times a per-(image, channel) constant N(0,1) to the noise, so the "
                         "noisy input's mean colour no longer gives away the background")
    ap.add_argument("--noise-recipe-start", type=int, default=0,
                    help="first step of --high-t-fraction / --offset-noise")
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--ckpt-minutes", type=float, default=4.0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(OUT, exist_ok=True)
    C.log(f"args {json.dumps(vars(args))}")
    train(args)
    C.log("done")


if __name__ == "__main__":
    main()
