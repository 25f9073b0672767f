#!/usr/bin/python3
"""Trains the bundled latent text-to-image model models/shapes-ldm on the shapes world.

    /usr/bin/python3 tools/shapes/train_ldm.py [--stage vae|unet|all] [--vae-steps N] [--unet-steps N]

Run from the repository root. Everything is seeded (--seed, default 0) and resumable: each stage
saves a checkpoint under target/shapes/ldm/ every --ckpt-minutes and at its end; re-running the
same command continues from the last checkpoint (raise --unet-steps to train further). The data
of step s depends only on (seed, s), so a resumed run sees the same batches as an uninterrupted one.

Stage 1 (vae): KL-regularised autoencoder 32x32x3 -> 8x8x4 on fresh single and pair scenes;
afterwards the latent scaling factor = 1 / std of the (EMA) encoder's latent means over 4096
training scenes is stored in the checkpoint (exported to vae_decoder/config.json scaling_factor).
Stage 2 (unet): text encoder + latent UNet jointly, epsilon prediction with SD's scaled_linear
schedule, min-SNR-5 loss weighting, 10% empty prompts for classifier-free guidance, --pair-fraction
pair scenes (the rest single), never a HELD_OUT combination (world.sample_scene(train=True)). Scenes are
rendered and VAE-encoded in chunks of --chunk scenes, each chunk used for --chunk-epochs epochs.
Optional: a learned 2-D positional embedding in the UNet's transformers (--unet-config, default
ldm_nets.UNET_CONFIG) and, from --text-aux-start, an auxiliary loss (--text-aux-weight) making the text
encoder's output at each object's size/colour/shape tokens predict that object's centre through a
training-only linear head. The bundled model's exact command line is in models/shapes-ldm/README.md.
EMA of the weights (decay 0.999) is what gets exported. Previews (DDIM 20 steps, guidance 5) are
written to target/shapes/ldm/preview_*.png at each checkpoint.

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
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ldm_nets as L  # noqa: E402
import world  # noqa: E402
from diffusion_common import Tok, build_vocab, ema_update, log, lr_at, save, to_png  # noqa: E402
from diffusion_common import ddim_sample as common_ddim_sample  # noqa: E402

OUT = os.environ.get("LDM_OUT", "target/shapes/ldm")



def scenes_for(rng, n, pair_fraction=0.5):
    """n training scenes; scene i is a pair iff floor((i + 1) * f) > floor(i * f) (f = pair_fraction),
    so f = 0.5 alternates single / pair starting with a single, f = 0.75 repeats single, pair, pair, pair."""
    out = []
    for i in range(n):
        pair = int((i + 1) * pair_fraction + 1e-9) > int(i * pair_fraction + 1e-9)
        out.append(world.sample_scene(rng, "pair" if pair else "single", train=True))
    return out



# ----------------------------------------------------------------------------- VAE

def train_vae(args):
    path = f"{OUT}/vae.pt"
    vae = L.VAE()
    torch.manual_seed(args.seed)
    vae = L.VAE()
    ema = copy.deepcopy(vae)
    opt = torch.optim.AdamW(vae.parameters(), lr=args.vae_lr, weight_decay=0.0)
    step = 0
    state = {}
    if os.path.exists(path):
        state = torch.load(path)
        vae.load_state_dict(state["vae"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        log(f"vae: resumed at step {step}")
    if step >= args.vae_steps and "scaling_factor" in state:
        return
    pool_n = args.vae_pool
    rng = np.random.default_rng([args.seed, 10])
    t0 = time.time()
    pool = torch.from_numpy(world.render_batch(scenes_for(rng, pool_n)))
    log(f"vae: rendered pool of {pool_n} scenes in {time.time() - t0:.1f}s")
    last_ckpt = time.time()
    t_start = time.time()
    s_start = step
    B = args.vae_batch
    while step < args.vae_steps:
        g = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
        idx = torch.randint(0, pool_n, (B,), generator=g)
        x = pool[idx]
        for grp in opt.param_groups:
            grp["lr"] = lr_at(step, args.vae_lr, 100, args.vae_steps)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            mean, logvar = vae.encoder(x)
            z = mean + torch.exp(0.5 * logvar.float()) * torch.randn(mean.shape, generator=g)
            rec = vae.decoder(z).float()
        mse = F.mse_loss(rec, x)
        l1 = (rec - x).abs().mean()
        mean = mean.float()
        logvar = logvar.float()
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=(1, 2, 3)).mean()
        loss = mse + 0.5 * l1 + args.kl_weight * kl / 3072.0
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        step += 1
        ema_update(ema, vae, min(0.999, (1 + step) / (10 + step)))
        if step % 50 == 0:
            sps = (step - s_start) / (time.time() - t_start)
            log(f"vae step {step}/{args.vae_steps} mse {mse.item():.5f} l1 {l1.item():.4f} kl {kl.item():.1f} "
                f"zstd {mean.std().item():.3f} {sps:.2f} steps/s")
        if time.time() - last_ckpt > args.ckpt_minutes * 60 or step == args.vae_steps:
            save(path, dict(vae=vae.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(), step=step))
            last_ckpt = time.time()
    # scaling factor and a reconstruction preview from the EMA weights
    rng = np.random.default_rng([args.seed, 11])
    x = torch.from_numpy(world.render_batch(scenes_for(rng, 4096)))
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        means = torch.cat([ema.encoder(x[i:i + 512])[0].float() for i in range(0, len(x), 512)])
        rec = ema.decoder(means[:1024]).float().clamp(-1, 1)
    mse = F.mse_loss(rec, x[:1024]).item()
    sf = float(1.0 / means.std())
    log(f"vae: held-out reconstruction mse {mse:.5f} (EMA, fresh scenes), latent std {means.std():.4f}, "
        f"per-channel mean {means.mean(dim=(0, 2, 3)).tolist()} std {means.std(dim=(0, 2, 3)).tolist()}, "
        f"scaling_factor {sf:.5f}")
    to_png(f"{OUT}/vae_recon.png", torch.cat([x[:16], rec[:16]]).numpy(), 16)
    save(path, dict(vae=vae.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(), step=step,
                    scaling_factor=sf, recon_mse=mse))


# ----------------------------------------------------------------------------- UNet

def object_token_targets(scene):
    """Auxiliary text targets of one scene: float32 [MAX_LENGTH, 2] normalised centre ((c - 16) / 16, x then y)
    of the object each colour/shape/size token describes, and a float32 [MAX_LENGTH] mask (1 on those tokens).
    Token positions follow Tok: <bos> = 0, word i of the caption = i + 1."""
    words = world.tokens(world.caption(scene))
    tgt = np.zeros((L.MAX_LENGTH, 2), np.float32)
    mask = np.zeros(L.MAX_LENGTH, np.float32)
    if scene.kind == "single":
        slots = [(1, 0), (2, 0), (3, 0)]  # size, colour, shape -> the object
    else:
        n = len(words)
        slots = [(1, 0), (2, 0), (n - 6, 1), (n - 5, 1)]  # colour1, shape1, colour2, shape2
    for i, o in slots:
        ob = scene.objects[o]
        assert words[i] in world.OBJECT_COLOURS or words[i] in world.SHAPES or words[i] in world.SIZES
        tgt[i + 1] = ((ob.cx - world.SIZE / 2) / (world.SIZE / 2), (ob.cy - world.SIZE / 2) / (world.SIZE / 2))
        mask[i + 1] = 1.0
    return tgt, mask


def make_chunk(args, c, vae_ema, sf, tok):
    rng = np.random.default_rng([args.seed, 20, c])
    scenes = scenes_for(rng, args.chunk, args.pair_fraction)
    assert not any(world.is_held_out(s) for s in scenes)
    x = torch.from_numpy(world.render_batch(scenes))
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        # batches of 64: bigger ones run ~5x slower on this CPU (memory-bound)
        lat = torch.cat([vae_ema.encoder(x[i:i + 64])[0].float() for i in range(0, len(x), 64)])
    ids = torch.tensor([tok(world.caption(s)) for s in scenes], dtype=torch.long)
    aux = [object_token_targets(s) for s in scenes]
    aux_tgt = torch.from_numpy(np.stack([a for a, _ in aux]))
    aux_mask = torch.from_numpy(np.stack([m for _, m in aux]))
    return lat * sf, ids, aux_tgt, aux_mask


def ddim_sample(unet, text, ids, uncond, steps, guidance, g):
    """DDIM (eta 0) with leading spacing + steps_offset 1, set_alpha_to_one false; CFG; on 4x8x8 latents."""
    return common_ddim_sample(unet, text, ids, uncond, steps, guidance, g, (L.LATENT_CHANNELS, 8, 8))


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


def preview(args, step, unet_ema, text_ema, vae_ema, sf, tok):
    g = torch.Generator().manual_seed(1234)
    ids = torch.tensor([tok(p) for p in PREVIEW_PROMPTS for _ in range(4)])
    uncond = torch.tensor([tok("")])
    lat = ddim_sample(unet_ema, text_ema, ids, uncond, 20, 5.0, g)
    with torch.no_grad():
        img = vae_ema.decoder(lat / sf).clamp(-1, 1)
    # 8 rows (prompts) x 4 samples -> transpose into 4 columns per prompt row
    to_png(f"{OUT}/preview_{step:06d}.png", img.numpy(), 4)


def train_unet(args):
    vstate = torch.load(f"{OUT}/vae.pt")
    vae_ema = L.VAE()
    vae_ema.load_state_dict(vstate["ema"])
    vae_ema.eval()
    sf = vstate["scaling_factor"]
    vocab = build_vocab()
    tok = Tok(vocab)
    path = f"{OUT}/unet.pt"
    st = torch.load(path) if os.path.exists(path) else None
    # the UNet's keyword arguments: the checkpoint's when resuming, else --unet-config (default L.UNET_CONFIG)
    unet_config = st.get("unet_config", {}) if st is not None else json.loads(args.unet_config)
    torch.manual_seed(args.seed + 1)
    unet = L.UNet(**unet_config)
    text = L.TextEncoder(len(vocab))
    unet_ema = copy.deepcopy(unet)
    text_ema = copy.deepcopy(text)
    params = list(unet.parameters()) + list(text.parameters())
    opt = torch.optim.AdamW(params, lr=args.unet_lr, weight_decay=0.01)
    # auxiliary head (training only, not exported): from step --text-aux-start on, the text encoder's output at
    # each object's colour/shape/size tokens must predict that object's centre linearly (weight --text-aux-weight),
    # so that its tokens say where their object is and the UNet's position-aware queries can bind to them.
    torch.manual_seed(args.seed + 2)
    aux_head = torch.nn.Linear(L.TEXT_WIDTH, 2)
    opt_aux = torch.optim.AdamW(aux_head.parameters(), lr=args.unet_lr, weight_decay=0.0)
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
        log(f"unet: resumed at step {step}")
    ac = L.alphas_cumprod()
    snr = ac / (1 - ac)
    w_t = torch.clamp(snr, max=5.0) / snr  # min-SNR-5 weights for epsilon prediction
    B = args.unet_batch
    steps_per_chunk = args.chunk * args.chunk_epochs // B
    empty = torch.tensor(tok(""))
    chunk_id, lat, ids, aux_tgt, aux_mask = -1, None, None, None, None

    def checkpoint():
        save(path, dict(unet=unet.state_dict(), text=text.state_dict(), unet_ema=unet_ema.state_dict(),
                        text_ema=text_ema.state_dict(), opt=opt.state_dict(), step=step, vocab=vocab,
                        scaling_factor=sf, train_seconds=train_seconds, unet_config=unet_config,
                        pair_fraction=args.pair_fraction, aux_head=aux_head.state_dict(),
                        opt_aux=opt_aux.state_dict()))

    last_ckpt = time.time()
    t_seg, s_seg = time.time(), step
    loss_acc, n_acc, aux_acc = 0.0, 0, 0.0
    while step < args.unet_steps:
        c = step // steps_per_chunk
        if c != chunk_id:
            t0 = time.time()
            lat, ids, aux_tgt, aux_mask = make_chunk(args, c, vae_ema, sf, tok)
            chunk_id = c
            log(f"unet: chunk {c} ({args.chunk} scenes) rendered+encoded in {time.time() - t0:.1f}s, "
                f"latent std {lat.std():.3f}")
            t_seg, s_seg = time.time(), step
        t_step = time.time()
        k = step % steps_per_chunk
        epoch, pos = divmod(k * B, args.chunk)
        perm = torch.randperm(args.chunk, generator=torch.Generator().manual_seed(args.seed * 7919 + c * 101 + epoch))
        idx = perm[pos:pos + B]
        g = torch.Generator().manual_seed(args.seed * 1_000_003 + 500_000 + step)
        x0 = lat[idx]
        tid = ids[idx].clone()
        drop = torch.rand(B, generator=g) < 0.1
        tid[drop] = empty
        t = torch.randint(0, 1000, (B,), generator=g)
        noise = torch.randn(x0.shape, generator=g)
        a = ac[t][:, None, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        for o in (opt, opt_aux):
            for grp in o.param_groups:
                grp["lr"] = lr_at(step, args.unet_lr, 200, args.unet_steps_schedule or args.unet_steps)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            ctx = text(tid)
            pred = unet(xt, t.float(), ctx).float()
        loss = ((pred - noise).pow(2).mean(dim=(1, 2, 3)) * w_t[t]).mean()
        use_aux = args.text_aux_weight > 0 and step >= args.text_aux_start
        total = loss
        if use_aux:
            m = aux_mask[idx] * (~drop).float()[:, None]
            err = (aux_head(ctx.float()) - aux_tgt[idx]).pow(2).sum(dim=2)
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
        ema_update(unet_ema, unet, d)
        ema_update(text_ema, text, d)
        train_seconds += time.time() - t_step
        loss_acc += loss.item()
        n_acc += 1
        if step % 50 == 0:
            sps = (step - s_seg) / (time.time() - t_seg)
            log(f"unet step {step}/{args.unet_steps} loss {loss_acc / n_acc:.4f} lr {opt.param_groups[0]['lr']:.2e} "
                f"{sps:.3f} steps/s ({sps * B:.0f} samples/s), train time {train_seconds / 60:.1f} min"
                + (f", text aux loss {aux_acc / n_acc:.4f}" if use_aux else ""))
            loss_acc, n_acc, aux_acc = 0.0, 0, 0.0
        if time.time() - last_ckpt > args.ckpt_minutes * 60 or step == args.unet_steps:
            checkpoint()
            preview(args, step, unet_ema, text_ema, vae_ema, sf, tok)
            log(f"unet: checkpoint + preview at step {step}")
            last_ckpt = time.time()
    checkpoint()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stage", choices=["vae", "unet", "all"], default="all")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vae-steps", type=int, default=1000)
    ap.add_argument("--vae-batch", type=int, default=64)
    ap.add_argument("--vae-lr", type=float, default=1e-3)
    ap.add_argument("--vae-pool", type=int, default=30000)
    ap.add_argument("--kl-weight", type=float, default=1e-5)
    ap.add_argument("--unet-steps", type=int, default=4000)
    ap.add_argument("--unet-steps-schedule", type=int, default=0,
                    help="step count the learning-rate decay is planned for (default: --unet-steps)")
    ap.add_argument("--unet-batch", type=int, default=128)
    ap.add_argument("--unet-lr", type=float, default=5e-4)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--pair-fraction", type=float, default=0.5,
                    help="share of two-object scenes in the UNet's training chunks (the first model: 0.5)")
    ap.add_argument("--unet-config", default=json.dumps(L.UNET_CONFIG),
                    help="JSON keyword arguments of ldm_nets.UNet for a fresh run (the first model: {})")
    ap.add_argument("--text-aux-weight", type=float, default=0.0,
                    help="weight of the auxiliary object-position loss on the text encoder's output (0: off)")
    ap.add_argument("--text-aux-start", type=int, default=0, help="first step of the auxiliary loss")
    ap.add_argument("--chunk", type=int, default=16384)
    ap.add_argument("--chunk-epochs", type=int, default=4)
    ap.add_argument("--ckpt-minutes", type=float, default=4.0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(OUT, exist_ok=True)
    log(f"args {json.dumps(vars(args))}")
    if args.stage in ("vae", "all"):
        train_vae(args)
    if args.stage in ("unet", "all"):
        train_unet(args)
    log("done")


if __name__ == "__main__":
    main()
