"""Helpers shared by the shapes diffusion tools (train_ldm.py, export_ldm.py, train_pixel.py,
export_pixel.py): the word-level tokenizer in Python, the vocabulary, EMA,
learning-rate schedule, checkpoint writing, PNG grids, DDIM sampling with classifier-free guidance,
ONNX export with checks, float16 weight storage (round_to_fp16 + store_initializers_fp16),
reference.json tensors and the SD folder's JSON files.
Run with Debian's /usr/bin/python3 (torch 1.13 CPU, onnx 1.12).
"""

import json
import os
import time
from typing import NamedTuple

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

def write_json(path, obj, flat_lists=False):
    """Writes obj as indented JSON. flat_lists: lists of numbers go on one line each (reference.json tensors:
    a number per indented line roughly doubles the file)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = json.dumps(obj, indent=2)
    if flat_lists:
        flat = []

        def hide(o):
            if isinstance(o, dict):
                return {k: hide(v) for k, v in o.items()}
            if isinstance(o, list):
                if o and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in o):
                    flat.append(json.dumps(o, separators=(",", ":")))
                    return "@@FLAT%d@@" % (len(flat) - 1)
                return [hide(v) for v in o]
            return o

        text = json.dumps(hide(obj), indent=2)
        for i, f in enumerate(flat):
            text = text.replace('"@@FLAT%d@@"' % i, f, 1)
        assert json.loads(text) == obj
    with open(path, "w") as f:
        f.write(text)
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


def round_to_fp16(module):
    """Rounds every floating-point parameter and buffer of `module` to the nearest float16 value, in place
    (they stay float32 tensors). Call it before export and before computing reference outputs: the
    PyTorch float32 outputs of the rounded module are then exactly what an ONNX graph whose weights are
    stored in float16 and cast to float32 (store_initializers_fp16) computes. Returns the module."""
    with torch.no_grad():
        for t in list(module.parameters()) + list(module.buffers()):
            if t.is_floating_point():
                t.copy_(t.half().float())
    return module


def store_initializers_fp16(path, min_elements=16):
    """Rewrites the ONNX file at `path` so that its float32 weights are stored as float16, halving its size,
    while inputs, outputs and all computation stay float32: each float32 initializer with at least
    `min_elements` elements whose values are all exactly representable in float16 (true for every weight of
    a module passed through round_to_fp16) is replaced by a float16 initializer NAME_fp16 and a
    Cast(to=FLOAT) node producing NAME at the start of the graph. Other initializers (small constants,
    values float16 cannot hold exactly) stay float32, so the graph computes exactly what it did before.
    Runs onnx.checker (full) and strict shape inference on the result. Returns (converted, kept) counts."""
    import onnx
    from onnx import helper, numpy_helper
    m = onnx.load(path)
    g = m.graph
    input_names = {i.name for i in g.input}
    casts, keep, converted, kept = [], [], 0, 0
    for init in g.initializer:
        if init.data_type == onnx.TensorProto.FLOAT and init.name not in input_names:
            a = numpy_helper.to_array(init)
            h = a.astype(np.float16)
            if a.size >= min_elements and np.array_equal(h.astype(np.float32), a):
                keep.append(numpy_helper.from_array(h, init.name + "_fp16"))
                casts.append(helper.make_node("Cast", [init.name + "_fp16"], [init.name],
                                              name=init.name + "_cast", to=onnx.TensorProto.FLOAT))
                converted += 1
                continue
            kept += 1
        keep.append(init)
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m, full_check=True)
    onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    onnx.save(m, path)
    print(f"{path}: {converted} initializers stored as float16, {kept} float32 kept; {os.path.getsize(path)} bytes")
    return converted, kept


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


REFERENCE_PROMPTS = ("a small red circle at the top left on a white background",
                     "a red circle to the left of a blue square on a white background", "")


class ReferenceInputs(NamedTuple):
    """The fixed inputs of an export's reference.json (see reference_inputs)."""
    prompts: list
    ids1: torch.Tensor
    ids2: torch.Tensor
    x1: torch.Tensor
    x2: torch.Tensor
    h1: torch.Tensor
    h2: torch.Tensor
    generator: torch.Generator


def reference_inputs(tok, text, sample_shape, prompts=REFERENCE_PROMPTS):
    """The fixed inputs every export replays in reference.json: token ids of prompt 1 (batch 1) and of
    prompt 2 and prompt 3 (batch 2), their text-encoder outputs h1, h2, and UNet samples x1 [1, *sample_shape]
    and x2 [2, *sample_shape] drawn in that order from torch.Generator().manual_seed(7), which is returned
    for further draws. The same seed and order in every export, so the fixtures do not change with refactoring."""
    ids1 = torch.tensor([tok(prompts[0])])
    ids2 = torch.tensor([tok(prompts[1]), tok(prompts[2])])
    g = torch.Generator().manual_seed(7)
    x1 = torch.randn(1, *sample_shape, generator=g)
    x2 = torch.randn(2, *sample_shape, generator=g)
    with torch.no_grad():
        h1 = text(ids1)
        h2 = text(ids2)
    return ReferenceInputs(list(prompts), ids1, ids2, x1, x2, h1, h2, g)


def text_unet_reference_cases(text, unet, ids1, ids2, prompts, unet_cases):
    """reference.json cases of a text encoder (prompt 1 at batch 1, prompt 2 and "" at batch 2) and a
    UNet (unet_cases: (description, sample, timestep, encoder_hidden_states) tuples), with the
    tolerances the Java model tests replay them at. Call under torch.no_grad()."""
    cases = []
    for desc, ids, ps in (("text encoder, prompt 1 (batch 1)", ids1, prompts[:1]),
                          ("text encoder, prompt 2 and \"\" (batch 2)", ids2, prompts[1:])):
        cases.append(dict(description=desc, component="text_encoder", tolerance=1e-4, prompts=ps,
                          inputs={"input_ids": tensor_json(ids.numpy())},
                          outputs={"last_hidden_state": tensor_json(text(ids).numpy())}))
    for desc, x, t, h in unet_cases:
        cases.append(dict(description=desc, component="unet", tolerance=1e-3,
                          inputs={"sample": tensor_json(x.numpy()), "timestep": tensor_json(t.numpy()),
                                  "encoder_hidden_states": tensor_json(h.numpy())},
                          outputs={"out_sample": tensor_json(unet(x, t, h).numpy())}))
    return cases


def link_if_identical(out, rel, other_model):
    """Replaces out/rel by a relative file-level symlink to other_model/rel when both files hold the same
    bytes (the video model exports shapes-ldm's VAE decoder unchanged): the repository stores it once.
    Returns whether it linked."""
    mine, theirs = os.path.join(out, rel), os.path.join(other_model, rel)
    if not os.path.isfile(theirs) or os.path.islink(mine):
        return False
    with open(mine, "rb") as a, open(theirs, "rb") as b:
        if a.read() != b.read():
            return False
    os.remove(mine)
    os.symlink(os.path.relpath(theirs, os.path.dirname(mine)), mine)
    assert os.path.isfile(mine), mine
    return True


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
