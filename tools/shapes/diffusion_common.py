"""Helpers shared by the shapes diffusion tools (train_ldm.py, export_ldm.py, train_pixel.py,
export_pixel.py): the word-level tokenizer in Python, the vocabulary, EMA,
learning-rate schedule, checkpoint writing, PNG grids, DDIM sampling with classifier-free guidance,
ONNX export with checks, reference.json tensors and the SD folder's JSON files.
Run with Debian's /usr/bin/python3 (torch 1.13 CPU, onnx 1.12).
"""

import json
import os
import time

import numpy as np
import torch

import ldm_nets as L
import world

SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>"]
OPSET = 17
DIFFUSERS_VERSION = "0.30.0"


def build_vocab():
    """<pad> <unk> <bos> <eos>, then the world's words (id = index)."""
    return SPECIALS + [w for w in world.vocabulary() if w not in SPECIALS]


class Tok:
    """The Java word-level tokenizer, in Python: <bos> words <eos> <pad>..., length 20."""

    def __init__(self, vocab):
        self.ids = {w: i for i, w in enumerate(vocab)}

    def __call__(self, text):
        words = world.tokens(text)
        ids = [2] + [self.ids.get(w, 1) for w in words][: L.MAX_LENGTH - 2] + [3]
        return ids + [0] * (L.MAX_LENGTH - len(ids))


def log(msg):
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def save(path, obj):
    """torch.save via a temporary file and an atomic rename (a killed run leaves the last checkpoint)."""
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def ema_update(ema, model, decay):
    with torch.no_grad():
        for pe, p in zip(ema.parameters(), model.parameters()):
            pe.mul_(decay).add_(p.detach(), alpha=1.0 - decay)
        for be, b in zip(ema.buffers(), model.buffers()):
            be.copy_(b)


def lr_at(step, base, warmup, total, decay_fraction=0.2):
    """Linear warm-up, constant, then linear decay to 10% over the last `decay_fraction` of `total` steps."""
    if step < warmup:
        return base * (step + 1) / warmup
    tail = int(total * (1.0 - decay_fraction))
    if step < tail:
        return base
    return base * max(0.1, 1.0 - 0.9 * (step - tail) / max(1, total - tail))


def to_png(path, imgs, ncol):
    """imgs: (N, 3, 32, 32) in [-1, 1] -> grid PNG scaled 3x."""
    n = imgs.shape[0]
    nrow = (n + ncol - 1) // ncol
    sheet = np.full((nrow * 34, ncol * 34, 3), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, ncol)
        sheet[r * 34 + 1: r * 34 + 33, c * 34 + 1: c * 34 + 33] = world.to_uint8(imgs[i])
    sheet = sheet.repeat(3, 0).repeat(3, 1)
    world.write_png(path, sheet)


def ddim_sample(unet, text, ids, uncond, steps, guidance, g, shape):
    """DDIM (eta 0), leading spacing + steps_offset 1, set_alpha_to_one false; CFG. shape: per-sample shape."""
    ac = L.alphas_cumprod()
    n = ids.shape[0]
    x = torch.randn((n,) + tuple(shape), generator=g)
    ratio = L.NUM_TRAIN_TIMESTEPS // steps
    ts = (np.arange(0, steps) * ratio)[::-1] + 1
    with torch.no_grad():
        ctx = text(torch.cat([uncond.expand(n, -1), ids]))
        for t in ts:
            tt = torch.full((2 * n,), float(t))
            e = unet(torch.cat([x, x]), tt, ctx)
            eu, ec = e[:n], e[n:]
            eps = eu + guidance * (ec - eu)
            a = ac[t]
            prev = t - ratio
            ap = ac[prev] if prev >= 0 else ac[0]
            x0 = (x - (1 - a).sqrt() * eps) / a.sqrt()
            x = ap.sqrt() * x0 + (1 - ap).sqrt() * eps
    return x


# ----------------------------------------------------------------------------- export

def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def export_onnx(module, args, path, input_names, output_names, dynamic_axes):
    """torch.onnx.export (opset 17), then onnx.checker (full) and strict shape inference."""
    import onnx
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(module, args, path, opset_version=OPSET, input_names=input_names,
                      output_names=output_names, dynamic_axes=dynamic_axes, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    print(f"{path}: {os.path.getsize(path)} bytes, {len(m.graph.node)} nodes")


def tensor_json(a):
    a = np.asarray(a)
    if a.dtype == np.int64:
        return {"dtype": "int64", "shape": list(a.shape), "data": [int(v) for v in a.reshape(-1)]}
    a = a.astype(np.float32)
    return {"dtype": "float32", "shape": list(a.shape), "data": [float("%.6g" % v) for v in a.reshape(-1)]}


def write_sd_configs(out, vocab, with_vae):
    """model_index.json, scheduler/scheduler_config.json (PNDM, SD 1.5 settings), tokenizer files."""
    index = {
        "_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": DIFFUSERS_VERSION,
        "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["diffusers", "OnnxRuntimeModel"],
        "tokenizer": ["diffusion-batch", "WordLevelTokenizer"], "unet": ["diffusers", "OnnxRuntimeModel"]}
    if with_vae:
        index["vae_decoder"] = ["diffusers", "OnnxRuntimeModel"]
    write_json(f"{out}/model_index.json", index)
    write_json(f"{out}/scheduler/scheduler_config.json", {
        "_class_name": "PNDMScheduler", "_diffusers_version": DIFFUSERS_VERSION,
        "num_train_timesteps": L.NUM_TRAIN_TIMESTEPS, "beta_start": L.BETA_START, "beta_end": L.BETA_END,
        "beta_schedule": "scaled_linear", "trained_betas": None, "prediction_type": "epsilon",
        "timestep_spacing": "leading", "steps_offset": 1, "set_alpha_to_one": False, "clip_sample": False,
        "skip_prk_steps": True})
    os.makedirs(f"{out}/tokenizer", exist_ok=True)
    with open(f"{out}/tokenizer/vocab.txt", "w") as f:
        f.write("\n".join(vocab) + "\n")
    write_json(f"{out}/tokenizer/tokenizer_config.json",
               {"tokenizer_type": "word-level", "model_max_length": L.MAX_LENGTH})


MODEL_DIR_PARTS = ("text_encoder", "unet", "vae_decoder", "tokenizer", "scheduler")


def clear_model_dir(out):
    """Removes the network/config sub-folders an earlier export left in `out` (the card stays)."""
    import shutil
    for sub in MODEL_DIR_PARTS:
        if os.path.isdir(os.path.join(out, sub)):
            shutil.rmtree(os.path.join(out, sub))
    os.makedirs(out, exist_ok=True)


def declare_output_dims(path, name, dims):
    """torch.onnx leaves an output's dims symbolic after reshapes (pixel shuffle, frame folding):
    declare them (ints or symbolic names), then re-run the full check and strict shape inference,
    which checks the declaration against the graph."""
    import onnx
    m = onnx.load(path)
    (o,) = [o for o in m.graph.output if o.name == name]
    shape = o.type.tensor_type.shape
    del shape.dim[:]
    for d in dims:
        dim = shape.dim.add()
        if isinstance(d, str):
            dim.dim_param = d
        else:
            dim.dim_value = d
    onnx.checker.check_model(m, full_check=True)
    onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    onnx.save(m, path)
