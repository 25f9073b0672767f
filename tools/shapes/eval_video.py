#!/usr/bin/python3
"""Measures how well shapes-video follows its prompts, judged by the shapes-eval video classifier.

    /usr/bin/python3 tools/shapes/eval_video.py [--ckpt target/shapes/video/video.pt] [--n 64]
        [--guidance 3 5 7] [--steps 20] [--held-out] [--evaluator models/shapes-eval]

Samples with the PyTorch EMA weights of the training checkpoint (DDIM, eta 0, leading spacing +
steps_offset 1, classifier-free guidance, seed --seed), one clip per prompt of
world.prompt_set("video", n, seed=777, held_out), decodes every frame with the VAE the model was
trained with, and runs models/shapes-eval/video.onnx (numpy interpreter onnx_numpy.py) on the clips.
Reports the accuracy of each head (direction, shape, colour, background) and "all" (every head right).
"""

import argparse
import json
import os
import sys

import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import video_nets as V  # noqa: E402
import world  # noqa: E402
from diffusion_common import Tok  # noqa: E402
from train_video import ddim_sample, decode_clips, judge_videos, load_vae  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="target/shapes/video/video.pt")
    ap.add_argument("--evaluator", default="models/shapes-eval")
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--guidance", type=float, nargs="+", default=[5.0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--held-out", action="store_true", help="prompts with a HELD_OUT (colour, shape)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    import onnx_numpy
    evaluator = onnx.load(os.path.join(args.evaluator, "video.onnx"))
    with open(os.path.join(args.evaluator, "labels.json")) as f:
        labels = json.load(f)
    st = torch.load(args.ckpt)
    vae, sf = load_vae(st["vae"])
    tok = Tok(st["vocab"])
    text = V.text_encoder(len(st["vocab"]))
    text.load_state_dict(st["text_ema"])
    unet = V.VideoUNet()
    unet.load_state_dict(st["unet_ema"])
    text.eval()
    unet.eval()
    print(f"checkpoint step {st['step']}", flush=True)
    prompts = [world.caption(s) for s in world.prompt_set("video", args.n, seed=777, held_out=args.held_out)]
    ids = torch.tensor([tok(p) for p in prompts])
    for g in args.guidance:
        gen = torch.Generator().manual_seed(args.seed)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            lat = ddim_sample(unet, text, ids, torch.tensor([tok("")]), args.steps, g, gen).float()
        vids = decode_clips(vae, lat, sf).numpy()
        acc = judge_videos(vids, prompts, evaluator, labels, onnx_numpy)
        print(json.dumps(dict(step=st["step"], guidance=g, steps=args.steps, held_out=args.held_out, n=args.n,
                              accuracy={k: round(v, 3) for k, v in acc.items()})), flush=True)


if __name__ == "__main__":
    main()
