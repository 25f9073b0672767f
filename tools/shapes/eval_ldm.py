#!/usr/bin/python3
"""Measures how well shapes-ldm follows its prompts, judged by the shapes-eval classifier.

    /usr/bin/python3 tools/shapes/eval_ldm.py [--n 96] [--guidance 5] [--steps 20]
        [--ckpt-dir target/shapes/ldm] [--evaluator models/shapes-eval] [--eval-tools tools/shapes]
    /usr/bin/python3 tools/shapes/eval_ldm.py --png-dir target/look/run1 [--png-dir ...]

Mode 1 (default) samples with the PyTorch EMA weights of the training checkpoint (DDIM, eta 0,
leading spacing + steps_offset 1, classifier-free guidance, fixed seed), one image per prompt of
world.prompt_set(kind, n, seed=777, held_out) for kind single/pair and held_out False/True.
Mode 2 judges PNGs written by the Java engine (`generate`), reading each prompt from the sidecar JSON.

The evaluator (models/shapes-eval/image.onnx, run with the numpy interpreter onnx_numpy.py from
--eval-tools) classifies shape, colour, size, position, background, object count and, for two
objects, both objects in canonical order (left/top first) plus the orientation. Reported: per-head
accuracy and "all" (every head of the kind right at once).
"""

import argparse
import glob
import json
import os
import sys

import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ldm_nets as L  # noqa: E402
import world as W  # noqa: E402
from train_ldm import Tok, ddim_sample  # noqa: E402

SINGLE_HEADS = ["shape", "colour", "size", "position", "background", "count"]
PAIR_HEADS = ["count", "obj1_shape", "obj1_colour", "obj2_shape", "obj2_colour", "orientation", "background"]


def expected(attrs):
    """head -> expected class name, from world.parse_caption's attributes."""
    if attrs["kind"] == "single":
        return dict(shape=attrs["shape"], colour=attrs["colour"], size=attrs["size"],
                    position=attrs["position"], background=attrs["background"], count="1")
    a = (attrs["colour1"], attrs["shape1"])
    b = (attrs["colour2"], attrs["shape2"])
    rel = attrs["relation"]
    first, second = (a, b) if rel in ("left of", "above") else (b, a)
    return dict(count="2", obj1_colour=first[0], obj1_shape=first[1], obj2_colour=second[0],
                obj2_shape=second[1], orientation="horizontal" if rel in ("left of", "right of") else "vertical",
                background=attrs["background"])


def judge(images, prompts, evaluator, labels, onnx_numpy):
    """images float32 [N,3,32,32] in [-1,1]; returns {head: accuracy}, all, per-prompt results."""
    outs = {}
    for i in range(0, len(images), 64):
        r = onnx_numpy.run(evaluator, {"image": images[i:i + 64].astype(np.float32)})
        for k, v in r.items():
            outs.setdefault(k, []).append(v)
    outs = {k: np.concatenate(v) for k, v in outs.items()}
    heads = labels["image"]["heads"]
    rows = []
    for i, p in enumerate(prompts):
        exp = expected(W.parse_caption(p))
        got = {h: heads[h][int(np.argmax(outs[h][i]))] for h in exp}
        rows.append(dict(prompt=p, ok={h: got[h] == exp[h] for h in exp}, got=got))
    acc = {}
    for h in rows[0]["ok"]:
        acc[h] = float(np.mean([r["ok"][h] for r in rows]))
    acc["all"] = float(np.mean([all(r["ok"].values()) for r in rows]))
    return acc, rows


def load_png(path):
    from PIL import Image
    a = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)
    return a.transpose(2, 0, 1) / 127.5 - 1.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt-dir", default="target/shapes/ldm")
    ap.add_argument("--evaluator", default="models/shapes-eval")
    ap.add_argument("--eval-tools", default=HERE, help="folder holding onnx_numpy.py")
    ap.add_argument("--n", type=int, default=96)
    ap.add_argument("--guidance", type=float, nargs="+", default=[5.0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--png-dir", action="append", default=[])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--kinds", nargs="+", default=["single", "pair"], choices=["single", "pair"])
    ap.add_argument("--held-out", nargs="+", default=["no", "yes"], choices=["no", "yes"],
                    help="which prompt sets: training combinations (no), HELD_OUT combinations (yes)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    sys.path.insert(0, args.eval_tools)
    import onnx_numpy
    evaluator = onnx.load(os.path.join(args.evaluator, "image.onnx"))
    with open(os.path.join(args.evaluator, "labels.json")) as f:
        labels = json.load(f)

    if args.png_dir:
        for d in args.png_dir:
            pngs = sorted(glob.glob(os.path.join(d, "*.png")))
            prompts = []
            for p in pngs:
                with open(p[:-4] + ".json") as f:
                    prompts.append(json.load(f)["prompt"])
            imgs = np.stack([load_png(p) for p in pngs])
            acc, rows = judge(imgs, prompts, evaluator, labels, onnx_numpy)
            print(json.dumps(dict(dir=d, n=len(pngs), prompt=sorted(set(prompts)), accuracy=acc)))
        return

    st = torch.load(os.path.join(args.ckpt_dir, "unet.pt"))
    vst = torch.load(os.path.join(args.ckpt_dir, "vae.pt"))
    vocab = st["vocab"]
    tok = Tok(vocab)
    text = L.TextEncoder(len(vocab))
    text.load_state_dict(st["text_ema"])
    unet = L.UNet(**st.get("unet_config", {}))  # no unet_config: the first model (no positional embedding)
    unet.load_state_dict(st["unet_ema"])
    vae = L.VAE()
    vae.load_state_dict(vst["ema"])
    sf = vst["scaling_factor"]
    for m in (text, unet, vae):
        m.eval()
    print(f"checkpoint step {st['step']}")
    uncond = torch.tensor([tok("")])
    for g in args.guidance:
        for kind in args.kinds:
            for held in [h == "yes" for h in args.held_out]:
                prompts = [W.caption(s) for s in W.prompt_set(kind, args.n, seed=777, held_out=held)]
                ids = torch.tensor([tok(p) for p in prompts])
                gen = torch.Generator().manual_seed(args.seed)
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    lat = ddim_sample(unet, text, ids, uncond, args.steps, g, gen).float()
                with torch.no_grad():
                    img = vae.decoder(lat / sf).clamp(-1, 1).numpy()
                acc, _ = judge(img, prompts, evaluator, labels, onnx_numpy)
                print(json.dumps(dict(guidance=g, steps=args.steps, kind=kind, held_out=held, n=args.n,
                                      accuracy={k: round(v, 3) for k, v in acc.items()})), flush=True)


if __name__ == "__main__":
    main()
