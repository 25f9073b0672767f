#!/usr/bin/python3
"""Distils the bundled shapes-ldm into a Latent Consistency Model (models/shapes-lcm).

    [LCM_OUT=target/shapes/lcm] /usr/bin/python3 tools/shapes/train_lcm.py --steps N [--lr 5e-5] [--guidance 5]

Latent consistency distillation, Luo et al. 2023 (arXiv:2310.04378), algorithm 1, with diffusers'
train_lcm_distill_sd conventions:
- teacher: shapes-ldm's UNet and text encoder rebuilt from their ONNX files (onnx_to_torch.py; the training
  checkpoint is lost), frozen; classifier-free guidance with a FIXED scale w (--guidance, default 5 as
  shapes-ldm is run: eps = eps_u + w (eps_c - eps_u)), the DDIM step as the ODE solver;
- skipping schedule: original_inference_steps 50, k = 1000 // 50 = 20; the solver's timesteps
  t_{n+k} in {19, 39, ..., 999} (uniform index), t_n = t_{n+k} - 20 clipped at 0 (alpha of "-1" = alphas_cumprod[0]);
- consistency function f(x, t) = c_skip(t) x + c_out(t) x0_pred(x, t) with sigma_data 0.5 and timestep_scaling 10
  (c_skip = 0.25 / ((10 t)^2 + 0.25), c_out = 10 t / sqrt((10 t)^2 + 0.25)), exactly the Java LcmSampler's;
- student = copy of the teacher UNet (same architecture: the engine runs it unchanged, epsilon prediction),
  target network = EMA of the student (--target-ema, default 0.95); loss = pseudo-Huber with c = --huber-c
  between f_student(x_{t_{n+k}}, t_{n+k}) and f_target(x^phi_{t_n}, t_n) (x^phi = teacher's guided DDIM step);
- data: shapes-ldm's training mix (train_ldm.make_chunk: --pair-fraction 0.75 pair scenes, never a HELD_OUT
  combination, VAE-encoded latent means x scaling_factor with the shared VAE of train_ldm --stage vae, target/shapes/ldm/vae.pt),
  the full caption always (no empty prompts: the distilled model is run without guidance).
Seeded; resumable: a checkpoint under $LCM_OUT (default target/shapes/lcm) every --ckpt-minutes and at the end;
re-running the same command continues (raise --steps to train further; --steps-schedule fixes the learning-rate
schedule so that a resume with a larger --steps continues the same trajectory). The data of step s depends
only on (seed, s). At each checkpoint: a preview PNG (rows: prompts; columns: LCM 1, 2, 4 steps of the target
network, then the teacher's DDIM 4 and 20 steps) and a quick prompt-following check (shapes-eval classifier).
One CPU thread, bfloat16 autocast.
"""

import argparse
import copy
import json
import os
import sys
import time
from types import SimpleNamespace

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ldm_nets as L  # noqa: E402
import world as W  # noqa: E402
from diffusion_common import Tok, ema_update, log, lr_at, save, to_png  # noqa: E402
from diffusion_common import ddim_sample as common_ddim_sample  # noqa: E402
from onnx_to_torch import load_teacher  # noqa: E402
from train_ldm import PREVIEW_PROMPTS, make_chunk  # noqa: E402

OUT = os.environ.get("LCM_OUT", "target/shapes/lcm")
ORIGINAL_STEPS = 50
SKIP = L.NUM_TRAIN_TIMESTEPS // ORIGINAL_STEPS  # k = 20
SIGMA_DATA = 0.5
TIMESTEP_SCALING = 10.0
SOLVER_TIMESTEPS = torch.arange(1, ORIGINAL_STEPS + 1) * SKIP - 1  # 19, 39, ..., 999


def boundary_scalings(t):
    """c_skip, c_out of the consistency function at (integer-valued) timesteps t, as diffusers' LCMScheduler."""
    s = t.double() * TIMESTEP_SCALING
    c_skip = SIGMA_DATA ** 2 / (s ** 2 + SIGMA_DATA ** 2)
    c_out = s / (s ** 2 + SIGMA_DATA ** 2).sqrt()
    return c_skip.float(), c_out.float()


def consistency(unet, x, t, ctx, ac):
    """f(x, t) = c_skip x + c_out x0_pred, epsilon-prediction UNet; t integer tensor [B] (>= 0)."""
    eps = unet(x, t.float(), ctx).float()
    a = ac[t][:, None, None, None]
    x0 = (x - (1 - a).sqrt() * eps) / a.sqrt()
    c_skip, c_out = boundary_scalings(t)
    return c_skip[:, None, None, None] * x + c_out[:, None, None, None] * x0


def lcm_timesteps(steps):
    """The Java LcmSampler's timesteps (diffusers LCMScheduler with original_inference_steps 50)."""
    stride = ORIGINAL_STEPS / steps
    return [int((ORIGINAL_STEPS - int(np.floor(i * stride))) * SKIP - 1) for i in range(steps)]


def lcm_sample(unet, ctx, steps, g, ac):
    """Multistep consistency sampling (LCM algorithm 3, LCMScheduler semantics), no guidance."""
    n = ctx.shape[0]
    x = torch.randn((n, L.LATENT_CHANNELS, 8, 8), generator=g)
    ts = lcm_timesteps(steps)
    with torch.no_grad():
        for i, t in enumerate(ts):
            d = consistency(unet, x, torch.full((n,), t, dtype=torch.long), ctx, ac)
            if i + 1 < len(ts):
                ap = ac[ts[i + 1]]
                x = ap.sqrt() * d + (1 - ap).sqrt() * torch.randn(x.shape, generator=g)
            else:
                x = d
    return x


class Judge:
    """The shapes-eval classifier (numpy ONNX interpreter) on decoded samples; see eval_ldm.py."""

    def __init__(self, evaluator="models/shapes-eval"):
        import onnx_numpy
        import eval_ldm
        self.onnx_numpy, self.eval_ldm = onnx_numpy, eval_ldm
        self.model = onnx.load(os.path.join(evaluator, "image.onnx"))
        with open(os.path.join(evaluator, "labels.json")) as f:
            self.labels = json.load(f)

    def __call__(self, images, prompts):
        return self.eval_ldm.judge(images, prompts, self.model, self.labels, self.onnx_numpy)[0]["all"]


def quick_eval(judge, unet, text, vae, sf, tok, ac, n, steps_list):
    """'all heads right' rate of LCM samples (target network, no guidance) on world.prompt_set(kind, n, seed 777)."""
    res = {}
    for kind in ("single", "pair"):
        prompts = [W.caption(s) for s in W.prompt_set(kind, n, seed=777, held_out=False)]
        with torch.no_grad():
            ctx = text(torch.tensor([tok(p) for p in prompts]))
        for steps in steps_list:
            g = torch.Generator().manual_seed(1)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                lat = lcm_sample(unet, ctx, steps, g, ac)
            with torch.no_grad():
                img = vae.decoder(lat.float() / sf).clamp(-1, 1).numpy()
            res[f"{kind}_{steps}"] = round(judge(img, prompts), 3)
    return res


def preview(path, unet, teacher, text, vae, sf, tok, ac):
    prompts = PREVIEW_PROMPTS
    ids = torch.tensor([tok(p) for p in prompts])
    uncond = torch.tensor([tok("")])
    with torch.no_grad():
        ctx = text(ids)
    cols = []
    with torch.autocast("cpu", dtype=torch.bfloat16):
        for steps in (1, 2, 4):
            cols.append(lcm_sample(unet, ctx, steps, torch.Generator().manual_seed(1234), ac).float())
        for steps in (4, 20):
            cols.append(common_ddim_sample(teacher, text, ids, uncond, steps, 5.0, torch.Generator().manual_seed(1234),
                                           (L.LATENT_CHANNELS, 8, 8)).float())
    lat = torch.stack(cols, 1).reshape(-1, L.LATENT_CHANNELS, 8, 8)
    with torch.no_grad():
        img = vae.decoder(lat / sf).clamp(-1, 1)
    to_png(path, img.numpy(), len(cols))


def train(args):
    vst = torch.load(args.vae)
    vae = L.VAE()
    vae.load_state_dict(vst["ema"])
    vae.eval()
    sf = vst["scaling_factor"]
    teacher, text, vocab = load_teacher(args.teacher)
    for p in list(teacher.parameters()) + list(text.parameters()):
        p.requires_grad_(False)
    tok = Tok(vocab)
    student = copy.deepcopy(teacher)
    student.train()
    for p in student.parameters():
        p.requires_grad_(True)
    target = copy.deepcopy(student)
    target.eval()
    for p in target.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(student.parameters(), lr=args.lr, weight_decay=0.0)
    path = f"{OUT}/lcm.pt"
    step = 0
    train_seconds = 0.0
    history = []
    if os.path.exists(path):
        st = torch.load(path)
        student.load_state_dict(st["student"])
        target.load_state_dict(st["target"])
        opt.load_state_dict(st["opt"])
        step, train_seconds, history = st["step"], st["train_seconds"], st.get("history", [])
        log(f"lcm: resumed at step {step}")
    ac = L.alphas_cumprod()
    ac_prev_of = torch.cat([ac[:1], ac[SOLVER_TIMESTEPS[:-1]]])  # alpha at t_n for each solver index
    B = args.batch
    steps_per_chunk = args.chunk * args.chunk_epochs // B
    with torch.no_grad():
        uncond_ctx = text(torch.tensor([tok("")]))
    judge = Judge(args.evaluator) if args.eval_n > 0 else None
    chunk_args = SimpleNamespace(seed=args.seed, chunk=args.chunk, pair_fraction=args.pair_fraction)
    chunk_id, lat, ids = -1, None, None
    meta = dict(guidance=args.guidance, target_ema=args.target_ema, huber_c=args.huber_c, lr=args.lr,
                original_inference_steps=ORIGINAL_STEPS, timestep_scaling=TIMESTEP_SCALING,
                scaling_factor=sf, vocab=vocab, pair_fraction=args.pair_fraction, batch=B)

    def checkpoint():
        save(path, dict(student=student.state_dict(), target=target.state_dict(), opt=opt.state_dict(),
                        step=step, train_seconds=train_seconds, history=history, meta=meta))

    def report():
        preview(f"{OUT}/preview_{step:06d}.png", target, teacher, text, vae, sf, tok, ac)
        if judge is not None:
            t0 = time.time()
            r = quick_eval(judge, target, text, vae, sf, tok, ac, args.eval_n, (1, 2, 4))
            history.append(dict(step=step, **r))
            log(f"lcm: step {step} quick eval (target net, n={args.eval_n}, all heads right) {json.dumps(r)} "
                f"({time.time() - t0:.0f}s)")

    if step == 0 and judge is not None and not history:
        report()  # the teacher's weights used as an LCM (before distillation)
    last_ckpt = time.time()
    t_seg, s_seg = time.time(), step
    loss_acc, n_acc = 0.0, 0
    while step < args.steps:
        c = step // steps_per_chunk
        if c != chunk_id:
            t0 = time.time()
            lat, ids, _, _ = make_chunk(chunk_args, c, vae, sf, tok)
            uniq, inv = torch.unique(ids, dim=0, return_inverse=True)
            with torch.no_grad():  # float32, as the engine runs the text encoder
                ctx_all = torch.cat([text(uniq[i:i + 512]) for i in range(0, len(uniq), 512)])[inv]
            chunk_id = c
            log(f"lcm: chunk {c} ({args.chunk} scenes, {len(uniq)} distinct captions) rendered+encoded in {time.time() - t0:.1f}s")
            t_seg, s_seg = time.time(), step
        t_step = time.time()
        k = step % steps_per_chunk
        epoch, pos = divmod(k * B, args.chunk)
        perm = torch.randperm(args.chunk, generator=torch.Generator().manual_seed(args.seed * 7919 + c * 101 + epoch))
        idx = perm[pos:pos + B]
        g = torch.Generator().manual_seed(args.seed * 1_000_003 + 700_000 + step)
        x0 = lat[idx]
        ctx = ctx_all[idx]
        n_idx = torch.randint(0, ORIGINAL_STEPS, (B,), generator=g)
        t_start = SOLVER_TIMESTEPS[n_idx]
        t_end = (t_start - SKIP).clamp(min=0)
        noise = torch.randn(x0.shape, generator=g)
        a = ac[t_start][:, None, None, None]
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
        for grp in opt.param_groups:
            grp["lr"] = lr_at(step, args.lr, args.warmup, args.steps_schedule or args.steps)
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            e = teacher(torch.cat([x_t, x_t]), torch.cat([t_start, t_start]).float(),
                        torch.cat([uncond_ctx.expand(B, -1, -1), ctx])).float()
            eps = e[:B] + args.guidance * (e[B:] - e[:B])
            x0_t = (x_t - (1 - a).sqrt() * eps) / a.sqrt()
            ap = ac_prev_of[n_idx][:, None, None, None]
            x_prev = ap.sqrt() * x0_t + (1 - ap).sqrt() * eps  # DDIM step t_{n+k} -> t_n
            tgt = consistency(target, x_prev, t_end, ctx, ac)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            pred = consistency(student, x_t, t_start, ctx, ac)
        if args.huber_c > 0:
            loss = ((pred - tgt).pow(2) + args.huber_c ** 2).sqrt().sub(args.huber_c).mean()
        else:
            loss = (pred - tgt).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
        opt.step()
        step += 1
        ema_update(target, student, args.target_ema)
        train_seconds += time.time() - t_step
        loss_acc += loss.item()
        n_acc += 1
        if step % 50 == 0:
            sps = (step - s_seg) / (time.time() - t_seg)
            log(f"lcm step {step}/{args.steps} loss {loss_acc / n_acc:.5f} lr {opt.param_groups[0]['lr']:.2e} "
                f"{sps:.3f} steps/s, train time {train_seconds / 60:.1f} min")
            loss_acc, n_acc = 0.0, 0
        if time.time() - last_ckpt > args.ckpt_minutes * 60 or step == args.steps:
            checkpoint()
            log(f"lcm: checkpoint at step {step}")
            if step % args.eval_every == 0 or step == args.steps:
                report()
                checkpoint()
            last_ckpt = time.time()
    checkpoint()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, required=True, help="stop after this many optimizer steps")
    ap.add_argument("--steps-schedule", type=int, default=0,
                    help="step count the learning-rate decay is planned for (default: --steps)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--guidance", type=float, default=5.0, help="teacher's classifier-free guidance scale w")
    ap.add_argument("--target-ema", type=float, default=0.95)
    ap.add_argument("--huber-c", type=float, default=0.001, help="pseudo-Huber c; 0: L2")
    ap.add_argument("--pair-fraction", type=float, default=0.75)
    ap.add_argument("--chunk", type=int, default=16384)
    ap.add_argument("--chunk-epochs", type=int, default=2)
    ap.add_argument("--ckpt-minutes", type=float, default=4.0)
    ap.add_argument("--eval-every", type=int, default=1, help="quick eval only at checkpoints whose step is a multiple")
    ap.add_argument("--eval-n", type=int, default=48, help="prompts per kind of the quick eval (0: off)")
    ap.add_argument("--teacher", default="models/shapes-ldm")
    ap.add_argument("--vae", default="target/shapes/ldm/vae.pt")
    ap.add_argument("--evaluator", default="models/shapes-eval")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(OUT, exist_ok=True)
    log(f"args {json.dumps(vars(args))}")
    train(args)
    log("done")


if __name__ == "__main__":
    main()
