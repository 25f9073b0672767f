"""Train the shapes-world evaluator (classifiers + feature extractor) and export it to models/shapes-eval/.

    /usr/bin/python3 tools/shapes/train_eval.py            # train (resumes), evaluate, export
    /usr/bin/python3 tools/shapes/train_eval.py --export   # only evaluate + export from the checkpoints
        [--ckpt-dir target/shapes] [--out models/shapes-eval] [--threads 1]
        [--image-steps 2000] [--video-steps 1500] [--accuracy-n 2000] [--feature-n 10000]

The defaults are the bundled model's run; the step and sample counts exist for train_all.sh's rehearsal.

Two networks, trained on fresh rendered samples every step (all combinations, HELD_OUT included):
  image: single-object heads (shape, colour, size, position, background), count (1 vs 2) and
         two-object heads in canonical order (obj1 = left one / top one), plus `features`.
  video: (N, 8, 3, 32, 32) with the 8 frames stacked as 24 channels: direction, shape, colour,
         background, plus `features`.
Deterministic: the batch of step k is drawn from numpy default_rng([SEED, net, k]) and torch is seeded,
so a resumed run draws the same data as an uninterrupted one. Checkpoints: {--ckpt-dir}/eval_{net}.pt.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world as W  # noqa: E402

SEED = 20261124

ORIENTATIONS = ("horizontal", "vertical")
COUNTS = ("1", "2")
IMAGE_HEADS = {
    "shape": W.SHAPES, "colour": W.OBJECT_COLOURS, "size": W.SIZES, "position": W.POSITIONS,
    "background": tuple(W.BACKGROUNDS), "count": COUNTS,
    "obj1_shape": W.SHAPES, "obj1_colour": W.OBJECT_COLOURS,
    "obj2_shape": W.SHAPES, "obj2_colour": W.OBJECT_COLOURS, "orientation": ORIENTATIONS,
}
# which image kinds train / are judged by each head
IMAGE_HEAD_KINDS = {
    "shape": ("single",), "colour": ("single",), "size": ("single",), "position": ("single",),
    "background": ("single", "pair"), "count": ("single", "pair"),
    "obj1_shape": ("pair",), "obj1_colour": ("pair",), "obj2_shape": ("pair",),
    "obj2_colour": ("pair",), "orientation": ("pair",),
}
VIDEO_HEADS = {"direction": W.DIRECTIONS, "shape": W.SHAPES, "colour": W.OBJECT_COLOURS,
               "background": tuple(W.BACKGROUNDS)}
FEATURES = 128


# ----------------------------------------------------------------------------- labels

def canonical_pair(scene: W.Scene):
    """(first, second, orientation): first = the left object (horizontal) or the top one (vertical)."""
    a, b = scene.objects
    horizontal = scene.relation in ("left of", "right of")
    first_is_a = scene.relation in ("left of", "above")
    return (a, b) if first_is_a else (b, a), ("horizontal" if horizontal else "vertical")


def image_labels(scene: W.Scene) -> dict:
    """head -> class index (-1 = not applicable)."""
    y = {h: -1 for h in IMAGE_HEADS}
    y["background"] = tuple(W.BACKGROUNDS).index(scene.background)
    if scene.kind == "single":
        o = scene.objects[0]
        y.update(shape=W.SHAPES.index(o.shape), colour=W.OBJECT_COLOURS.index(o.colour),
                 size=W.SIZES.index(o.size), position=W.POSITIONS.index(o.position), count=0)
    else:
        (p, q), orient = canonical_pair(scene)
        y.update(count=1, obj1_shape=W.SHAPES.index(p.shape), obj1_colour=W.OBJECT_COLOURS.index(p.colour),
                 obj2_shape=W.SHAPES.index(q.shape), obj2_colour=W.OBJECT_COLOURS.index(q.colour),
                 orientation=ORIENTATIONS.index(orient))
    return y


def video_labels(scene: W.Scene) -> dict:
    o = scene.objects[0]
    return {"direction": W.DIRECTIONS.index(scene.direction), "shape": W.SHAPES.index(o.shape),
            "colour": W.OBJECT_COLOURS.index(o.colour),
            "background": tuple(W.BACKGROUNDS).index(scene.background)}


def batch_from(scenes, labeler, heads):
    x = torch.from_numpy(W.render_batch(scenes))
    ys = [labeler(s) for s in scenes]
    y = {h: torch.tensor([d[h] for d in ys], dtype=torch.long) for h in heads}
    return x, y


def train_batch(net: str, step: int, bs: int):
    rng = np.random.default_rng([SEED, 0 if net == "image" else 1, step])
    if net == "image":
        scenes = [W.sample_scene(rng, "single" if i < bs // 2 else "pair") for i in range(bs)]
        x, y = batch_from(scenes, image_labels, IMAGE_HEADS)
        x = x[:, None]  # treat as a 1-frame video for the shared augmentation below
    else:
        scenes = [W.sample_scene(rng, "video") for _ in range(bs)]
        x, y = batch_from(scenes, video_labels, VIDEO_HEADS)
    # robustness to generated images: half the batch gets gaussian noise of a random level
    sig = rng.uniform(0.0, 0.15, size=(bs, 1, 1, 1, 1)) * (rng.random((bs, 1, 1, 1, 1)) < 0.5)
    noise = rng.standard_normal(x.shape).astype(np.float32) * sig.astype(np.float32)
    x = (x + torch.from_numpy(noise)).clamp(-1, 1)
    if net == "image":
        x = x[:, 0]
    return x, y


# ----------------------------------------------------------------------------- networks

def conv(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class Net(nn.Module):
    """3x3-conv trunk 32->16->8->4, a 4x4 'dense' conv to FEATURES, linear heads (as 1x1 convs)."""

    def __init__(self, cin: int, heads: dict, video: bool = False):
        super().__init__()
        self.video = video
        self.head_names = list(heads)
        self.trunk = nn.Sequential(
            conv(cin, 32), conv(32, 32), nn.MaxPool2d(2),
            conv(32, 64), conv(64, 64), nn.MaxPool2d(2),
            conv(64, 96), conv(96, 96), nn.MaxPool2d(2),
            nn.Conv2d(96, FEATURES, 4), nn.BatchNorm2d(FEATURES), nn.ReLU(),
        )
        self.heads = nn.ModuleDict({h: nn.Conv2d(FEATURES, len(c), 1) for h, c in heads.items()})

    def forward(self, x):
        if self.video:
            x = x.flatten(1, 2)  # (N, 8, 3, H, W) -> (N, 24, H, W)
        f = self.trunk(x)  # (N, F, 1, 1)
        outs = [self.heads[h](f).flatten(1) for h in self.head_names]
        return tuple(outs) + (f.flatten(1),)


def make_net(net: str) -> Net:
    torch.manual_seed(SEED)
    if net == "image":
        return Net(3, IMAGE_HEADS)
    return Net(3 * W.FRAMES, VIDEO_HEADS, video=True)


def count_flops(model: Net, x) -> int:
    """Multiply-adds x 2 of the convolutions for one input (the rest is negligible)."""
    total = [0]

    def hook(m, inp, out):
        k = m.kernel_size[0] * m.kernel_size[1] * m.in_channels // m.groups
        total[0] += 2 * k * out.numel() // out.shape[0]
    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    was = model.training
    model.eval()
    with torch.no_grad():
        model(x)
    model.train(was)
    for h in hs:
        h.remove()
    return total[0]


# ----------------------------------------------------------------------------- training

CONFIG = {"image": {"steps": 2000, "bs": 128, "lr": 2e-3},
          "video": {"steps": 1500, "bs": 64, "lr": 2e-3}}


def lr_at(step, steps, lr):
    warm = 100
    if step < warm:
        return lr * (step + 1) / warm
    return lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))


def train(net: str, ckpt_dir: str, steps: int):
    cfg = dict(CONFIG[net], steps=steps)
    os.makedirs(ckpt_dir, exist_ok=True)
    path = os.path.join(ckpt_dir, f"eval_{net}.pt")
    model = make_net(net)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=1e-4)
    step, elapsed = 0, 0.0
    if os.path.exists(path):
        ck = torch.load(path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, elapsed = ck["step"], ck["elapsed"]
        print(f"[{net}] resumed at step {step}")
    heads = model.head_names
    model.train()
    t0 = time.time() - elapsed
    run_loss = None
    while step < cfg["steps"]:
        torch.manual_seed(SEED + step)
        x, y = train_batch(net, step, cfg["bs"])
        for g in opt.param_groups:
            g["lr"] = lr_at(step, cfg["steps"], cfg["lr"])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            outs = model(x)
        loss = 0.0
        for h, o in zip(heads, outs):
            loss = loss + F.cross_entropy(o.float(), y[h], ignore_index=-1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        run_loss = loss.item() if run_loss is None else 0.98 * run_loss + 0.02 * loss.item()
        if step % 100 == 0 or step == cfg["steps"]:
            elapsed = time.time() - t0
            print(f"[{net}] step {step}/{cfg['steps']} loss {run_loss:.4f} {elapsed:.0f}s", flush=True)
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                        "elapsed": elapsed}, path)
    return model


def load(net: str, ckpt_dir: str) -> tuple:
    ck = torch.load(os.path.join(ckpt_dir, f"eval_{net}.pt"))
    model = make_net(net)
    model.load_state_dict(ck["model"])
    model.eval()
    return model, ck


# ----------------------------------------------------------------------------- evaluation

@torch.no_grad()
def predict(model, x, bs=250):
    outs = None
    for i in range(0, len(x), bs):
        o = [t.numpy() for t in model(torch.from_numpy(x[i:i + bs]))]
        outs = o if outs is None else [np.concatenate([a, b]) for a, b in zip(outs, o)]
    return dict(zip(model.head_names + ["features"], outs))


def accuracy(model, net, kind, n, held_out, seed=777):
    scenes = W.prompt_set(kind, n, seed, held_out)
    x = W.render_batch(scenes)
    pred = predict(model, x)
    labeler = image_labels if net == "image" else video_labels
    ys = [labeler(s) for s in scenes]
    acc = {}
    for h in model.head_names:
        if net == "image" and kind not in IMAGE_HEAD_KINDS[h]:
            continue
        y = np.array([d[h] for d in ys])
        acc[h] = float((pred[h].argmax(1) == y).mean())
    if net == "image" and kind == "pair":
        p = pred
        joint = np.ones(n, bool)
        for h in ("count", "obj1_shape", "obj1_colour", "obj2_shape", "obj2_colour", "orientation"):
            joint &= p[h].argmax(1) == np.array([d[h] for d in ys])
        acc["all_pair_heads"] = float(joint.mean())
    if kind == "single":
        joint = np.ones(n, bool)
        for h in ("shape", "colour", "size", "position", "background"):
            joint &= pred[h].argmax(1) == np.array([d[h] for d in ys])
        acc["all_single_heads"] = float(joint.mean())
    return acc


def feature_stats(model, n=10000, seed=4242):
    """Features of n real images of prompt_set('single', n, seed, held_out=False)."""
    scenes = W.prompt_set("single", n, seed, False)
    feats = predict(model, W.render_batch(scenes))["features"].astype(np.float64)
    return feats.mean(0), np.cov(feats, rowvar=False)


# ----------------------------------------------------------------------------- export

def export(model, net, path):
    names = model.head_names + ["features"]
    if net == "image":
        dummy, in_name = torch.zeros(2, 3, 32, 32), "image"
    else:
        dummy, in_name = torch.zeros(2, W.FRAMES, 3, 32, 32), "video"
    torch.onnx.export(model, dummy, path, input_names=[in_name], output_names=names,
                      dynamic_axes={in_name: {0: "batch"}, **{n: {0: "batch"} for n in names}},
                      opset_version=17, do_constant_folding=True)
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    return m


def reference_json(img_model, vid_model, path):
    """4 fixed inputs per network (as data) and the PyTorch outputs, for the Java ORT cross-check."""
    rng = np.random.default_rng(99)
    scenes = [W.sample_scene(rng, "single"), W.sample_scene(rng, "single"),
              W.sample_scene(rng, "pair"), W.sample_scene(rng, "pair")]
    x = W.render_batch(scenes)
    x[3] = np.clip(x[3] + 0.1 * rng.standard_normal(x[3].shape).astype(np.float32), -1, 1)
    vs = [W.sample_scene(rng, "video") for _ in range(4)]
    v = W.render_batch(vs)

    def tensor(a):
        a = np.asarray(a, np.float32)
        return {"dtype": "float32", "shape": list(a.shape), "data": [float(f"{f:.9g}") for f in a.ravel().tolist()]}

    cases = []
    for name, model, inp, inname, sc in (("image", img_model, x, "image", scenes),
                                         ("video", vid_model, v, "video", vs)):
        out = predict(model, inp)
        cases.append({"model": f"{name}.onnx", "captions": [W.caption(s) for s in sc],
                      "note": "image 3 has gaussian noise (sigma 0.1) added, clipped to [-1, 1]"
                      if name == "image" else "",
                      "tolerance": 1e-3,
                      "inputs": {inname: tensor(inp)},
                      "outputs": {k: tensor(val) for k, val in out.items()}})
    with open(path, "w") as f:
        json.dump({"generator": "tools/shapes/train_eval.py", "cases": cases}, f)


def check_onnx(out_dir):
    """Run the exported graphs with the numpy interpreter on reference.json's inputs; max |diff| per graph."""
    import onnx
    import onnx_numpy
    with open(os.path.join(out_dir, "reference.json")) as f:
        ref = json.load(f)
    diffs = {}
    for case in ref["cases"]:
        m = onnx.load(os.path.join(out_dir, case["model"]))
        feeds = {k: np.array(v["data"], np.float32).reshape(v["shape"]) for k, v in case["inputs"].items()}
        out = onnx_numpy.run(m, feeds)
        d = max(float(np.abs(out[k] - np.array(v["data"]).reshape(v["shape"])).max())
                for k, v in case["outputs"].items())
        assert d < 1e-3, f"{case['model']}: ONNX (numpy) vs PyTorch differ by {d}"
        diffs[case["model"]] = d
    return diffs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--export", action="store_true", help="skip training, evaluate/export checkpoints")
    ap.add_argument("--only", choices=("image", "video"), help="train only this network")
    ap.add_argument("--ckpt-dir", default="target/shapes", help="checkpoints eval_{image,video}.pt and eval_results.json")
    ap.add_argument("--out", default="models/shapes-eval", help="the exported model folder")
    ap.add_argument("--image-steps", type=int, default=CONFIG["image"]["steps"])
    ap.add_argument("--video-steps", type=int, default=CONFIG["video"]["steps"])
    ap.add_argument("--accuracy-n", type=int, default=2000, help="real samples per accuracy set")
    ap.add_argument("--feature-n", type=int, default=10000, help="real images behind features_mean/cov")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    steps = {"image": args.image_steps, "video": args.video_steps}
    if not args.export:
        for net in ("image", "video"):
            if args.only in (None, net):
                train(net, args.ckpt_dir, steps[net])
        if args.only:
            return
    out = args.out
    os.makedirs(out, exist_ok=True)
    img, ck_i = load("image", args.ckpt_dir)
    vid, ck_v = load("video", args.ckpt_dir)
    n = args.accuracy_n
    results = {"image": {}, "video": {}}
    for kind in ("single", "pair"):
        for ho in (False, True):
            results["image"][f"{kind}{'_held_out' if ho else ''}"] = accuracy(img, "image", kind, n, ho)
    for ho in (False, True):
        results["video"][f"video{'_held_out' if ho else ''}"] = accuracy(vid, "video", "video", n, ho)
    mean, cov = feature_stats(img, args.feature_n)
    np.save(os.path.join(out, "features_mean.npy"), mean)
    np.save(os.path.join(out, "features_cov.npy"), cov)
    export(img, "image", os.path.join(out, "image.onnx"))
    export(vid, "video", os.path.join(out, "video.onnx"))
    labels = {
        "image": {"input": "image [N,3,32,32] float32 in [-1,1]",
                  "heads": {h: list(c) for h, c in IMAGE_HEADS.items()},
                  "head_kinds": {h: list(k) for h, k in IMAGE_HEAD_KINDS.items()},
                  "features": FEATURES},
        "video": {"input": "video [N,8,3,32,32] float32 in [-1,1]",
                  "heads": {h: list(c) for h, c in VIDEO_HEADS.items()}, "features": FEATURES},
        "held_out": [list(p) for p in W.HELD_OUT],
        "pair_order": "obj1 = the left object (horizontal pairs) or the top object (vertical pairs)",
    }
    with open(os.path.join(out, "labels.json"), "w") as f:
        json.dump(labels, f, indent=1)
    reference_json(img, vid, os.path.join(out, "reference.json"))
    onnx_diff = check_onnx(out)
    info = {
        "image": {"params": sum(p.numel() for p in img.parameters()),
                  "flops_per_input": count_flops(img, torch.zeros(1, 3, 32, 32)),
                  "train_seconds": round(ck_i["elapsed"]), **CONFIG["image"], "steps": ck_i["step"]},
        "video": {"params": sum(p.numel() for p in vid.parameters()),
                  "flops_per_input": count_flops(vid, torch.zeros(1, 8, 3, 32, 32)),
                  "train_seconds": round(ck_v["elapsed"]), **CONFIG["video"], "steps": ck_v["step"]},
        "accuracy": results,
        "onnx_numpy_vs_torch_max_abs_diff": onnx_diff,
        "features_reference": f"prompt_set('single', {args.feature_n}, seed=4242, held_out=False), no noise",
    }
    with open(os.path.join(args.ckpt_dir, "eval_results.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
