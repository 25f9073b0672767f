#!/usr/bin/python3
"""Trains the bundled text-to-video model models/shapes-video on the shapes world's video scenes.

    /usr/bin/python3 tools/shapes/train_video.py [--steps N] [--vae target/shapes/ldm/vae.pt]
        [--out target/shapes/video]

Run from the repository root. The VAE is not trained here: the frames are encoded with a trained
shapes-ldm VAE checkpoint (--vae, a train_ldm.py vae.pt holding "ema" and "scaling_factor"), so the
video model shares the image model's latent space and its vae_decoder. Text encoder (shapes-ldm's
architecture, 2 layers) and the space-time UNet (tools/shapes/video_nets.py) are trained jointly from
scratch.

Everything is seeded (--seed, default 0) and resumable: a checkpoint is written to --out/video.pt
every --ckpt-minutes and at the end; re-running the same command continues from it (raise --steps to
train further; --steps-schedule fixes the learning-rate plan independently of --steps). The data of
step s depends only on (seed, s).

Data: world.sample_scene(rng, "video", train=True) (never a HELD_OUT combination, asserted), rendered
(8 frames, 32x32) and encoded frame by frame (VAE EMA encoder means x scaling factor, batches of 64
frames) in chunks of --chunk clips, each chunk used for --chunk-epochs epochs. Latents are
[clip, 4, 8, 8, 8] (channels, frames, h, w). Augmentation: with probability 1/2 a clip is played
backwards and its caption's direction swapped (left<->right, up<->down); this is exact, since the
frames are encoded independently and a reversed clip of the world has the distribution of a clip
moving the other way (the start positions mirror the end positions).

Objective: epsilon prediction, SD's scaled_linear schedule (1000 steps), min-SNR-5 weighting,
10% empty prompts for classifier-free guidance, AdamW, EMA of the weights (exported). Optional, default off
(training-only, nothing exported): --dir-aux-weight adds the cross-entropy of a linear head that classifies the
clip's motion direction from the text encoder's output at the direction word; --dir-contrast-weight adds
softplus(err(true caption) - err(direction-flipped caption)) on --dir-contrast-n clips with t >= --dir-contrast-tmin
(errors summed over the clip, weighted like the diffusion loss). 2026-11-24, from the step-4,200 checkpoint: the
text head alone (plus contrast weight 0.002-0.005) left direction at chance up to step 5,178; contrast weight 0.05 on
16 clips with t >= 600 lifted it to 91 % by step 6,000 (models/shapes-video/README.md). At each
checkpoint a quick check samples --check-n clips of world.prompt_set("video", n, seed=777,
held_out=False) (DDIM 20 steps, guidance 5, EMA weights) and reports the shapes-eval video
classifier's accuracy; a preview strip goes to --out/preview_STEP.png.

One CPU thread (another training shares the machine), bfloat16 autocast for the networks.
"""

import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ldm_nets as L  # noqa: E402
import video_nets as V  # noqa: E402
import world  # noqa: E402
from diffusion_common import Tok, build_vocab, ema_update, log, lr_at, save, to_png  # noqa: E402

FLIP = {"left": "right", "right": "left", "up": "down", "down": "up"}


def load_vae(path):
    st = torch.load(path)
    vae = L.VAE()
    vae.load_state_dict(st["ema"])
    vae.eval()
    return vae, float(st["scaling_factor"])


def encode_frames(vae, frames, sf):
    """frames float32 [N, 3, 32, 32] -> latent means x sf [N, 4, 8, 8] (batches of 64, bf16 autocast)."""
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        return torch.cat([vae.encoder(frames[i:i + 64])[0].float() for i in range(0, len(frames), 64)]) * sf


def make_chunk(args, c, vae, sf, tok):
    """Chunk c: (latents [n, 4, 8, 8, 8], ids [n, 20], reversed-caption ids [n, 20])."""
    rng = np.random.default_rng([args.seed, 30, c])
    scenes = [world.sample_scene(rng, "video", train=True) for _ in range(args.chunk)]
    assert not any(world.is_held_out(s) for s in scenes)
    x = torch.from_numpy(world.render_batch(scenes))  # [n, 8, 3, 32, 32]
    n, f = x.shape[:2]
    lat = encode_frames(vae, x.reshape(n * f, 3, 32, 32), sf)
    lat = lat.reshape(n, f, 4, 8, 8).transpose(1, 2).contiguous()  # [n, 4, f, 8, 8]
    caps = [world.caption(s) for s in scenes]
    rev = [cap.replace(f"moving {s.direction}", f"moving {FLIP[s.direction]}") for cap, s in zip(caps, scenes)]
    for r, s in zip(rev[:50], scenes):
        assert world.parse_caption(r)["direction"] == FLIP[s.direction]
    ids = torch.tensor([tok(cp) for cp in caps], dtype=torch.long)
    rids = torch.tensor([tok(cp) for cp in rev], dtype=torch.long)
    return lat, ids, rids


def ddim_sample(unet, text, ids, uncond, steps, guidance, g, frames=V.FRAMES):
    """DDIM (eta 0), leading spacing + steps_offset 1, set_alpha_to_one false, CFG; [n, 4, frames, 8, 8]."""
    ac = L.alphas_cumprod()
    n = ids.shape[0]
    x = torch.randn((n, L.LATENT_CHANNELS, frames, 8, 8), generator=g)
    ratio = L.NUM_TRAIN_TIMESTEPS // steps
    ts = (np.arange(0, steps) * ratio)[::-1] + 1
    with torch.no_grad():
        ctx = text(torch.cat([uncond.expand(n, -1), ids]))
        for t in ts:
            e = unet(torch.cat([x, x]), torch.full((2 * n,), float(t)), ctx).float()
            eu, ec = e[:n], e[n:]
            eps = eu + guidance * (ec - eu)
            a = ac[t]
            prev = t - ratio
            ap = ac[prev] if prev >= 0 else ac[0]
            x0 = (x - (1 - a).sqrt() * eps) / a.sqrt()
            x = ap.sqrt() * x0 + (1 - ap).sqrt() * eps
    return x


def decode_clips(vae, lat, sf):
    """[n, 4, f, 8, 8] -> videos [n, f, 3, 32, 32] in [-1, 1] (frame by frame, like the engine)."""
    n, c, f, h, w = lat.shape
    z = lat.transpose(1, 2).reshape(n * f, c, h, w) / sf
    with torch.no_grad():
        img = torch.cat([vae.decoder(z[i:i + 256]).float() for i in range(0, len(z), 256)]).clamp(-1, 1)
    return img.reshape(n, f, 3, 32, 32)


VIDEO_HEADS = ("direction", "shape", "colour", "background")


def judge_videos(videos, prompts, evaluator, labels, onnx_numpy):
    """videos float32 [N, 8, 3, 32, 32]; returns {head: accuracy, "all": ...} from the shapes-eval video net."""
    outs = {}
    for i in range(0, len(videos), 32):
        r = onnx_numpy.run(evaluator, {"video": np.ascontiguousarray(videos[i:i + 32], dtype=np.float32)})
        for k, v in r.items():
            outs.setdefault(k, []).append(v)
    outs = {k: np.concatenate(v) for k, v in outs.items()}
    heads = labels["video"]["heads"]
    ok = {h: [] for h in VIDEO_HEADS}
    for i, p in enumerate(prompts):
        exp = world.parse_caption(p)
        for h in VIDEO_HEADS:
            ok[h].append(heads[h][int(np.argmax(outs[h][i]))] == exp[h])
    acc = {h: float(np.mean(v)) for h, v in ok.items()}
    acc["all"] = float(np.mean([all(ok[h][i] for h in VIDEO_HEADS) for i in range(len(prompts))]))
    return acc


def quick_check(args, step, unet, text, vae, sf, tok):
    import onnx
    import onnx_numpy
    ev = onnx.load(os.path.join(args.evaluator, "video.onnx"))
    with open(os.path.join(args.evaluator, "labels.json")) as f:
        labels = json.load(f)
    prompts = [world.caption(s) for s in world.prompt_set("video", args.check_n, seed=777, held_out=False)]
    ids = torch.tensor([tok(p) for p in prompts])
    g = torch.Generator().manual_seed(1)
    t0 = time.time()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        lat = ddim_sample(unet, text, ids, torch.tensor([tok("")]), 20, 5.0, g).float()
    vids = decode_clips(vae, lat, sf)
    acc = judge_videos(vids.numpy(), prompts, ev, labels, onnx_numpy)
    log(f"check step {step}: n={len(prompts)} DDIM 20 g5 " + " ".join(f"{k} {v:.3f}" for k, v in acc.items())
        + f" ({time.time() - t0:.0f}s)")
    # preview: 8 clips x 8 frames
    to_png(f"{args.out}/preview_{step:06d}.png", vids[:8].reshape(64, 3, 32, 32).numpy(), 8)
    return acc


def train(args):
    vae, sf = load_vae(args.vae)
    vocab = build_vocab()
    tok = Tok(vocab)
    torch.manual_seed(args.seed + 1)
    unet = V.VideoUNet()
    text = V.text_encoder(len(vocab))
    unet_ema = copy.deepcopy(unet)
    text_ema = copy.deepcopy(text)
    pool = [p for n, p in unet.named_parameters() if n.startswith("pool.")]
    params = [p for n, p in unet.named_parameters() if not n.startswith("pool.")] + list(text.parameters())
    opt = torch.optim.AdamW([{"params": params}, {"params": pool}], lr=args.lr, weight_decay=0.01)
    params = params + pool
    # auxiliary direction losses (training only, not exported; default off):
    # --dir-aux-weight: a linear head on the text encoder's output at the direction word classifies the clip's
    #   motion direction (cross-entropy), so that "left"/"right"/"up"/"down" stay distinct vectors;
    # --dir-contrast-weight: on --dir-contrast-n clips of the batch the UNet also predicts epsilon with the
    #   direction word flipped (left<->right, up<->down); a logistic loss on (true-caption error - flipped-caption
    #   error), summed over the clip's elements and weighted like the diffusion loss at high noise (x0-space where
    #   SNR < 1, capped at --high-noise-weight), makes the prediction depend on the word; only on clips with
    #   t >= --dir-contrast-tmin.
    torch.manual_seed(args.seed + 2)
    dir_head = torch.nn.Linear(L.TEXT_WIDTH, len(world.DIRECTIONS))
    opt_aux = torch.optim.AdamW(dir_head.parameters(), lr=args.lr, weight_decay=0.0)
    dir_tok = torch.tensor([vocab.index(d) for d in world.DIRECTIONS])
    flip_map = torch.arange(len(vocab))
    for a_, b_ in FLIP.items():
        flip_map[vocab.index(a_)] = vocab.index(b_)
    step = 0
    path = f"{args.out}/video.pt"
    train_seconds = 0.0
    checks = []
    if os.path.exists(path):
        st = torch.load(path)
        if "pool.weight" not in st["unet"]:
            # a checkpoint from before the pooled text conditioning: keep its zero-initialised layer
            # (the network computes exactly what it did) and give it a fresh optimizer group
            log("checkpoint without the pooled text layer: adding it (zero-initialised)")
            for k in ("unet", "unet_ema"):
                st[k]["pool.weight"] = unet.pool.weight.detach().clone()
                st[k]["pool.bias"] = unet.pool.bias.detach().clone()
            o = st["opt"]
            o["param_groups"].append(dict(o["param_groups"][0], params=[len(params) - 2, len(params) - 1]))
        unet.load_state_dict(st["unet"])
        text.load_state_dict(st["text"])
        unet_ema.load_state_dict(st["unet_ema"])
        text_ema.load_state_dict(st["text_ema"])
        opt.load_state_dict(st["opt"])
        if "dir_head" in st:
            dir_head.load_state_dict(st["dir_head"])
            opt_aux.load_state_dict(st["opt_aux"])
        step = st["step"]
        train_seconds = st.get("train_seconds", 0.0)
        checks = st.get("checks", [])
        log(f"resumed at step {step}")
    log(f"unet {L.count(unet)} params, text encoder {L.count(text)}, scaling_factor {sf:.5f}")
    ac = L.alphas_cumprod()
    snr = ac / (1 - ac)
    w_t = torch.clamp(snr, max=5.0) / snr  # min-SNR-5 weights for epsilon prediction
    w_high = w_t.clone()
    if args.high_noise_weight > 0:
        # x0-space weighting where the SNR is below 1 (eps-MSE / SNR = x0-MSE), capped: the motion direction is
        # decided at high noise, where the plain eps-MSE barely depends on it
        w_high = torch.where(snr < 1.0, torch.clamp(1.0 / snr, max=args.high_noise_weight), w_t)
    B = args.batch
    steps_per_chunk = args.chunk * args.chunk_epochs // B
    empty = torch.tensor(tok(""))
    chunk_id, lat, ids, rids = -1, None, None, None

    def checkpoint():
        save(path, dict(unet=unet.state_dict(), text=text.state_dict(), unet_ema=unet_ema.state_dict(),
                        text_ema=text_ema.state_dict(), opt=opt.state_dict(), step=step, vocab=vocab,
                        scaling_factor=sf, vae=os.path.abspath(args.vae), train_seconds=train_seconds,
                        checks=checks, args=vars(args), dir_head=dir_head.state_dict(),
                        opt_aux=opt_aux.state_dict()))

    last_ckpt = time.time()
    t_seg, s_seg = time.time(), step
    loss_acc, n_acc, aux_acc, aux_ok, aux_n, con_acc = 0.0, 0, 0.0, 0.0, 0, 0.0
    while step < args.steps:
        c = step // steps_per_chunk
        if c != chunk_id:
            t0 = time.time()
            lat, ids, rids = make_chunk(args, c, vae, sf, tok)
            chunk_id = c
            log(f"chunk {c} ({args.chunk} clips) rendered+encoded in {time.time() - t0:.1f}s, "
                f"latent std {lat.std():.3f}")
            t_seg, s_seg = time.time(), step
        t_step = time.time()
        k = step % steps_per_chunk
        epoch, pos = divmod(k * B, args.chunk)
        perm = torch.randperm(args.chunk, generator=torch.Generator().manual_seed(args.seed * 7919 + c * 101 + epoch))
        idx = perm[pos:pos + B]
        g = torch.Generator().manual_seed(args.seed * 1_000_003 + 700_000 + step)
        rev = torch.rand(B, generator=g) < 0.5
        x0 = lat[idx].clone()
        x0[rev] = x0[rev].flip(2)
        tid = torch.where(rev[:, None], rids[idx], ids[idx])
        drop = torch.rand(B, generator=g) < 0.1
        tid[drop] = empty
        t = torch.randint(0, 1000, (B,), generator=g)
        if args.high_noise_frac > 0 and step >= args.high_noise_frac_from:
            # this fraction of the batch draws t from [700, 1000): where the motion direction is decided
            hi = torch.rand(B, generator=g) < args.high_noise_frac
            t = torch.where(hi, torch.randint(700, 1000, (B,), generator=g), t)
        noise = torch.randn(x0.shape, generator=g)
        a = ac[t][:, None, None, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        for grp in opt.param_groups + opt_aux.param_groups:
            grp["lr"] = lr_at(step, args.lr, 200, args.steps_schedule or args.steps)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            ctx = text(tid)
            pred = unet(xt, t.float(), ctx).float()
        w = w_high if step >= args.high_noise_from else w_t
        loss = ((pred - noise).pow(2).mean(dim=(1, 2, 3, 4)) * w[t]).mean()
        total = loss
        use_aux = args.dir_aux_weight > 0 and step >= args.dir_aux_start
        if use_aux:
            is_dir = tid[:, :, None] == dir_tok  # [B, S, 4]
            pos_mask = is_dir.any(dim=2)  # the direction word's position (none for empty prompts)
            label = is_dir.float().argmax(dim=2)[pos_mask]
            logits = dir_head(ctx.float()[pos_mask])
            aux_loss = F.cross_entropy(logits, label)
            total = total + args.dir_aux_weight * aux_loss
            aux_acc += aux_loss.item()
            aux_ok += (logits.argmax(1) == label).float().sum().item()
            aux_n += len(label)
        if args.dir_contrast_weight > 0 and step >= args.dir_aux_start:
            sel = torch.nonzero(~drop & (t >= args.dir_contrast_tmin)).flatten()[:args.dir_contrast_n]
            ftid = flip_map[tid[sel]]
            with torch.autocast("cpu", dtype=torch.bfloat16):
                pflip = unet(xt[sel], t[sel].float(), text(ftid)).float()
            e_true = (pred[sel] - noise[sel]).pow(2).sum(dim=(1, 2, 3, 4))
            e_flip = (pflip - noise[sel]).pow(2).sum(dim=(1, 2, 3, 4))
            con = F.softplus((e_true - e_flip) * w_high[t[sel]]).mean()
            total = total + args.dir_contrast_weight * con
            con_acc += con.item()
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
            log(f"step {step}/{args.steps} loss {loss_acc / n_acc:.4f} lr {opt.param_groups[0]['lr']:.2e} "
                f"{sps:.3f} steps/s ({sps * B:.0f} clips/s), train time {train_seconds / 60:.1f} min"
                + (f", dir-aux CE {aux_acc / n_acc:.4f} acc {aux_ok / max(1, aux_n):.3f}" if aux_n else "")
                + (f", dir-contrast {con_acc / n_acc:.4f}" if args.dir_contrast_weight > 0 else ""))
            loss_acc, n_acc, aux_acc, aux_ok, aux_n, con_acc = 0.0, 0, 0.0, 0.0, 0, 0.0
        if time.time() - last_ckpt > args.ckpt_minutes * 60 or step == args.steps:
            checkpoint()
            if args.check_n > 0:
                acc = quick_check(args, step, unet_ema, text_ema, vae, sf, tok)
                checks.append(dict(step=step, n=args.check_n, accuracy=acc))
                checkpoint()
            last_ckpt = time.time()
    checkpoint()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vae", default="target/shapes/ldm/vae.pt")
    ap.add_argument("--out", default="target/shapes/video")
    ap.add_argument("--evaluator", default="models/shapes-eval")
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--steps-schedule", type=int, default=0,
                    help="step count the learning-rate decay is planned for (default: --steps)")
    ap.add_argument("--high-noise-weight", type=float, default=0.0,
                    help="if > 0: where SNR < 1 weight the eps-MSE by min(1/SNR, this) (x0-space, capped)")
    ap.add_argument("--high-noise-frac", type=float, default=0.0,
                    help="fraction of each batch with t drawn from [700, 1000) (from --high-noise-frac-from on)")
    ap.add_argument("--high-noise-frac-from", type=int, default=0)
    ap.add_argument("--high-noise-from", type=int, default=0, help="first step that uses --high-noise-weight")
    ap.add_argument("--dir-aux-weight", type=float, default=0.0,
                    help="weight of the auxiliary cross-entropy: a training-only linear head on the text encoder's "
                         "output at the direction word classifies the clip's motion direction (0: off)")
    ap.add_argument("--dir-aux-start", type=int, default=0, help="first step of the direction auxiliary losses")
    ap.add_argument("--dir-contrast-weight", type=float, default=0.0,
                    help="weight of the logistic loss softplus(err(true caption) - err(direction-flipped caption)), "
                         "errors = summed squared eps errors of the clip (0: off)")
    ap.add_argument("--dir-contrast-tmin", type=int, default=0,
                    help="--dir-contrast-weight only on clips with t >= this (where x_t no longer shows the motion)")
    ap.add_argument("--dir-contrast-n", type=int, default=8, help="clips per batch for --dir-contrast-weight")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--chunk", type=int, default=8192)
    ap.add_argument("--chunk-epochs", type=int, default=4)
    ap.add_argument("--ckpt-minutes", type=float, default=8.0)
    ap.add_argument("--check-n", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    log(f"args {json.dumps(vars(args))}")
    train(args)
    log("done")


if __name__ == "__main__":
    main()
