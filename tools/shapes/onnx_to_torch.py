#!/usr/bin/python3
"""Rebuilds PyTorch modules of tools/shapes/ldm_nets.py from exported ONNX graphs (the bundled shapes-ldm's
training checkpoint is lost; its ONNX initializers hold every weight).

    /usr/bin/python3 tools/shapes/onnx_to_torch.py [--model models/shapes-ldm]   # checks reference.json

Mapping: initializers whose name is a state-dict key are copied as they are. torch.onnx's constant folding
renames the rest: GroupNorm's weight/bias become `onnx::Mul_N` / `onnx::Add_N` of shape [C, 1, 1] and a
bias-free Linear's weight becomes `onnx::MatMul_N` (transposed, [in, out]). N grows in the order of first use
while tracing, which is the order of the state dict for these networks (every module is used once, in
definition order), so the renamed initializers, sorted by N, are zipped with the state-dict keys that have no
initializer of their own, checking every shape. A wrong pairing with equal shapes (e.g. q and k) would not be
caught by the shapes; it is caught by replaying reference.json (run this file), which must agree to ~1e-5.

Used by tools/shapes/train_lcm.py (the teacher and the student's initialisation) and export_lcm.py.
"""

import argparse
import json
import os
import re
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ldm_nets as L  # noqa: E402


def load_state_dict(onnx_path, module):
    """State dict for `module` (an ldm_nets network of the exported architecture) from the ONNX file's
    initializers; raises ValueError naming the key on any count or shape mismatch."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(onnx_path)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    sd = module.state_dict()
    out = {}
    missing = []
    for k, v in sd.items():
        if k in inits:
            a = inits[k]
            if tuple(a.shape) != tuple(v.shape):
                raise ValueError(f"{k}: shape {a.shape} in ONNX, {tuple(v.shape)} in the module")
            out[k] = torch.from_numpy(a.astype(np.float32).copy())
        else:
            missing.append(k)
    renamed = [n for n in inits if n not in sd and re.fullmatch(r"onnx::(Mul|Add|MatMul)_\d+", n)]
    renamed.sort(key=lambda n: int(n.rsplit("_", 1)[1]))
    if len(renamed) != len(missing):
        raise ValueError(f"{onnx_path}: {len(missing)} state-dict keys without an initializer, "
                         f"{len(renamed)} renamed initializers")
    for k, n in zip(missing, renamed):
        a = inits[n]
        want = tuple(sd[k].shape)
        kind = n.split("::")[1].split("_")[0]
        if kind == "MatMul":
            a = a.T
        else:
            a = a.reshape(-1)
            if (kind == "Mul") != k.endswith(".weight"):
                raise ValueError(f"{k}: paired with {n}, a {kind} (weight <-> Mul, bias <-> Add)")
        if tuple(a.shape) != want:
            raise ValueError(f"{k}: paired with {n} of shape {a.shape}, the module wants {want}")
        out[k] = torch.from_numpy(np.array(a, dtype=np.float32, copy=True))
    return out


def load_teacher(model_dir="models/shapes-ldm"):
    """(unet, text_encoder, vocab) of a bundled shapes-ldm-layout folder, float32, eval mode."""
    with open(os.path.join(model_dir, "tokenizer", "vocab.txt")) as f:
        vocab = [w for w in f.read().split("\n") if w]
    text = L.TextEncoder(len(vocab))
    text.load_state_dict(load_state_dict(os.path.join(model_dir, "text_encoder", "model.onnx"), text))
    unet = L.UNet(**L.UNET_CONFIG)
    unet.load_state_dict(load_state_dict(os.path.join(model_dir, "unet", "model.onnx"), unet))
    text.eval()
    unet.eval()
    return unet, text, vocab


def reference_errors(model_dir, unet, text):
    """Max absolute error of the rebuilt networks on the folder's reference.json text_encoder/unet cases."""
    with open(os.path.join(model_dir, "reference.json")) as f:
        ref = json.load(f)

    def t(j, dtype=torch.float32):
        return torch.tensor(j["data"], dtype=dtype).reshape(j["shape"])

    errs = []
    with torch.no_grad():
        for c in ref["cases"]:
            i, o = c["inputs"], c["outputs"]
            if c["component"] == "text_encoder":
                y = text(t(i["input_ids"], torch.long))
                ref_y = t(o["last_hidden_state"])
            elif c["component"] == "unet":
                y = unet(t(i["sample"]), t(i["timestep"]), t(i["encoder_hidden_states"]))
                ref_y = t(o["out_sample"])
            else:
                continue
            errs.append((c["description"], float((y - ref_y).abs().max()), float(ref_y.abs().max())))
    return errs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/shapes-ldm")
    args = ap.parse_args()
    torch.set_num_threads(1)
    unet, text, vocab = load_teacher(args.model)
    worst = 0.0
    for desc, err, scale in reference_errors(args.model, unet, text):
        print(f"{desc}: max |error| {err:.2e} (max |output| {scale:.2f})")
        worst = max(worst, err)
    print(f"worst {worst:.2e}")
    if worst > 1e-4:
        sys.exit("reference.json NOT reproduced")


if __name__ == "__main__":
    main()
