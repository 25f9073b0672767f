#!/usr/bin/python3
"""Builds the tiny ONNX model folders the engine's tests load.

Run with Debian's interpreter (it has numpy and onnx):

    /usr/bin/python3 tools/make_test_models.py [output-dir]

The default output directory is src/engine/src/test/resources/models/ (relative to the repository root).
Every graph is built directly with onnx.helper (opset 17, IR version 8), checked with
onnx.checker and strict shape inference, and evaluated by the small numpy interpreter below
(no ONNX Runtime for Python here). Reference inputs/outputs of that evaluation are written to
reference-outputs.json for the Java tests to compare against ONNX Runtime. The analytic models
are additionally checked against their closed form computed independently in float64.
tiny-sd-fp16 wraps tiny-sd's networks with float16 inputs/outputs (Cast in, Cast out); its wrappers
are checked in numpy against the float32 networks on float16-rounded inputs (outputs rounded).
reference-engine.json holds whole seeded generations (initial noise from tools/seed_noise.py, as the
Java engine draws it) computed as diffusers' StableDiffusionPipeline + DDIMScheduler (eta 0) would.

All weights come from numpy.random.default_rng(0) (one fresh generator per folder), so the
output is byte-for-byte reproducible.
"""

import copy
import json
import math
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
DIFFUSERS_VERSION = "0.30.0"

# Schedule shared by every model: SD 1.5's scaled_linear betas.
NUM_TRAIN_TIMESTEPS = 1000
BETA_START = 0.00085
BETA_END = 0.012

GAUSS_MU = 0.5
GAUSS_SIGMA = 0.3

VOCAB = [
    "<pad>", "<unk>", "<bos>", "<eos>",
    "a", "an", "the", "and", "on", "in", "with", "of",
    "red", "green", "blue", "yellow", "black", "white", "orange", "purple",
    "circle", "square", "triangle", "star",
    "left", "right", "top", "bottom", "center",
    "small", "large", "background",
]
MAX_LENGTH = 8
HIDDEN = 16          # text encoder width
UNET_CH = 8          # UNet inner channels
ATTN_DIM = 16        # attention width
N_FREQ = 4           # timestep embedding: sin/cos of t * freqs
SCALING_FACTOR = 0.18215


def alphas_cumprod64():
    betas = np.linspace(BETA_START ** 0.5, BETA_END ** 0.5, NUM_TRAIN_TIMESTEPS, dtype=np.float64) ** 2
    return np.cumprod(1.0 - betas)


def sigma_table64():
    ac = alphas_cumprod64()
    return np.sqrt((1.0 - ac) / ac)


# --------------------------------------------------------------------------------------------
# Graph building
# --------------------------------------------------------------------------------------------

class GraphBuilder:
    """Collects nodes and initializers; op() returns the (single) output name."""

    def __init__(self, name):
        self.name = name
        self.nodes = []
        self.inits = []
        self.inputs = []
        self.outputs = []
        self._n = 0

    def _fresh(self, hint):
        self._n += 1
        return f"{hint}_{self._n}"

    def input(self, name, elem, shape):
        self.inputs.append(helper.make_tensor_value_info(name, elem, shape))
        return name

    def output(self, name, elem, shape):
        self.outputs.append(helper.make_tensor_value_info(name, elem, shape))

    def const(self, hint, array):
        name = self._fresh(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, out=None, **attrs):
        out = out or self._fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=self._fresh("n_" + op_type), **attrs))
        return out

    def model(self):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.inits)
        m = helper.make_model(graph, producer_name="diffusion-batch/tools/make_test_models.py",
                              opset_imports=[helper.make_opsetid("", OPSET)])
        m.ir_version = IR_VERSION
        onnx.checker.check_model(m, full_check=True)
        onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True, data_prop=True)
        return m


def f32(a):
    return np.asarray(a, dtype=np.float32)


# --------------------------------------------------------------------------------------------
# Numpy interpreter for the ops used here (an independent evaluation of the saved graph)
# --------------------------------------------------------------------------------------------

def _conv(x, w, b, pads):
    nd = w.ndim - 2
    k = w.shape[2:]
    pad_width = [(0, 0), (0, 0)] + [(pads[i], pads[i + nd]) for i in range(nd)]
    xp = np.pad(x, pad_width)
    out_sp = [xp.shape[2 + i] - k[i] + 1 for i in range(nd)]
    out = np.zeros((x.shape[0], w.shape[0], *out_sp), dtype=np.float64)
    for idx in np.ndindex(*k):
        sl = tuple(slice(idx[i], idx[i] + out_sp[i]) for i in range(nd))
        patch = xp[(slice(None), slice(None)) + sl].astype(np.float64)
        out += np.einsum("nc...,oc->no...", patch, w[(slice(None), slice(None)) + idx].astype(np.float64))
    out += b.reshape((1, -1) + (1,) * nd)
    return out.astype(np.float32)


def _reshape(x, shape):
    shape = [int(x.shape[i]) if s == 0 else int(s) for i, s in enumerate(shape)]
    return x.reshape(shape)


ONNX_TO_NP = {TensorProto.FLOAT: np.float32, TensorProto.FLOAT16: np.float16, TensorProto.INT64: np.int64}


def evaluate(model, feeds):
    env = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env.update(feeds)
    for node in model.graph.node:
        a = {at.name: helper.get_attribute_value(at) for at in node.attribute}
        x = [env[n] if n else None for n in node.input]
        t = node.op_type
        if t == "Add":
            r = x[0] + x[1]
        elif t == "Sub":
            r = x[0] - x[1]
        elif t == "Mul":
            r = x[0] * x[1]
        elif t == "Div":
            r = x[0] / x[1]
        elif t == "Sqrt":
            r = np.sqrt(x[0])
        elif t == "Reciprocal":
            r = (np.float32(1) / x[0]).astype(x[0].dtype)
        elif t == "Floor":
            r = np.floor(x[0])
        elif t == "Ceil":
            r = np.ceil(x[0])
        elif t == "Clip":
            r = np.clip(x[0], x[1], x[2])
        elif t == "Cast":
            r = x[0].astype(ONNX_TO_NP[a["to"]])
        elif t == "Gather":
            r = np.take(x[0], x[1], axis=a.get("axis", 0))
        elif t == "MatMul":
            r = np.matmul(x[0].astype(np.float64), x[1].astype(np.float64)).astype(np.float32)
        elif t == "Tanh":
            r = np.tanh(x[0])
        elif t == "Sigmoid":
            r = (1.0 / (1.0 + np.exp(-x[0].astype(np.float64)))).astype(np.float32)
        elif t == "Sin":
            r = np.sin(x[0])
        elif t == "Cos":
            r = np.cos(x[0])
        elif t == "Softmax":
            ax = a.get("axis", -1)
            z = x[0].astype(np.float64)
            z = np.exp(z - z.max(axis=ax, keepdims=True))
            r = (z / z.sum(axis=ax, keepdims=True)).astype(np.float32)
        elif t == "Transpose":
            r = np.transpose(x[0], a["perm"])
        elif t == "Reshape":
            r = _reshape(x[0], x[1])
        elif t == "Shape":
            r = np.array(x[0].shape, dtype=np.int64)
        elif t == "Unsqueeze":
            r = x[0]
            for ax in sorted(int(v) for v in x[1]):
                r = np.expand_dims(r, ax)
        elif t == "Concat":
            r = np.concatenate(x, axis=a["axis"])
        elif t == "Slice":
            data, starts, ends, axes = x[0], x[1], x[2], x[3]
            sl = [slice(None)] * data.ndim
            for s, e, ax in zip(starts, ends, axes):
                sl[int(ax)] = slice(int(s), int(e))
            r = data[tuple(sl)]
        elif t == "Conv":
            r = _conv(x[0], x[1], x[2], a["pads"])
        elif t == "Resize":
            assert a["mode"] == b"nearest" and a["coordinate_transformation_mode"] == b"asymmetric"
            assert a["nearest_mode"] == b"floor"
            r = x[0]
            for ax, s in enumerate(x[2]):
                if s != 1:
                    r = np.repeat(r, int(s), axis=ax)
        else:
            raise ValueError("no numpy evaluation for " + t)
        env[node.output[0]] = r
    return {o.name: env[o.name] for o in model.graph.output}


# --------------------------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------------------------

def analytic_unet(float_timestep):
    """Exact epsilon prediction for data ~ N(mu, sigma^2 I)."""
    g = GraphBuilder("analytic_gaussian_unet")
    x = g.input("sample", TensorProto.FLOAT, ["batch", 3, 8, 8])
    if float_timestep:
        t = g.input("timestep", TensorProto.FLOAT, [1])
        table = g.const("sigma_table", f32(sigma_table64()))
        tc = g.op("Clip", [t, g.const("tmin", f32(0.0)), g.const("tmax", f32(NUM_TRAIN_TIMESTEPS - 1))])
        lo = g.op("Floor", [tc])
        hi = g.op("Ceil", [tc])
        w = g.op("Sub", [tc, lo])
        s_lo = g.op("Gather", [table, g.op("Cast", [lo], to=TensorProto.INT64)], axis=0)
        s_hi = g.op("Gather", [table, g.op("Cast", [hi], to=TensorProto.INT64)], axis=0)
        s = g.op("Add", [s_lo, g.op("Mul", [w, g.op("Sub", [s_hi, s_lo])])])
        s2 = g.op("Mul", [s, s])
        abar = g.op("Reciprocal", [g.op("Add", [s2, g.const("one", f32(1.0))])])
    else:
        t = g.input("timestep", TensorProto.INT64, [])
        table = g.const("alphas_cumprod", f32(alphas_cumprod64()))
        tc = g.op("Clip", [t, g.const("tmin", np.int64(0)), g.const("tmax", np.int64(NUM_TRAIN_TIMESTEPS - 1))])
        abar = g.op("Gather", [table, tc], axis=0)
    one_minus = g.op("Sub", [g.const("one", f32(1.0)), abar])
    centred = g.op("Sub", [x, g.op("Mul", [g.op("Sqrt", [abar]), g.const("mu", f32(GAUSS_MU))])])
    num = g.op("Mul", [g.op("Sqrt", [one_minus]), centred])
    den = g.op("Add", [g.op("Mul", [abar, g.const("var", f32(GAUSS_SIGMA ** 2))]), one_minus])
    g.op("Div", [num, den], out="out_sample")
    g.output("out_sample", TensorProto.FLOAT, ["batch", 3, 8, 8])
    return g.model()


def analytic_reference64(x, t):
    """Closed form in float64, written independently of the graph."""
    sig = np.interp(t, np.arange(NUM_TRAIN_TIMESTEPS), sigma_table64())
    abar = 1.0 / (1.0 + sig * sig)
    return np.sqrt(1 - abar) * (x - np.sqrt(abar) * GAUSS_MU) / (abar * GAUSS_SIGMA ** 2 + 1 - abar)


def text_encoder(rng):
    g = GraphBuilder("tiny_text_encoder")
    ids = g.input("input_ids", TensorProto.INT64, ["batch", "sequence"])
    emb = g.const("token_embedding", f32(0.8 * rng.standard_normal((len(VOCAB), HIDDEN))))
    pos = g.const("position_embedding", f32(0.3 * rng.standard_normal((MAX_LENGTH, HIDDEN))))
    proj = g.const("proj", f32(0.35 * rng.standard_normal((HIDDEN, HIDDEN))))
    seq_len = g.op("Slice", [g.op("Shape", [ids]), g.const("i1", np.array([1], np.int64)),
                             g.const("i2", np.array([2], np.int64)), g.const("ax0", np.array([0], np.int64))])
    pos_used = g.op("Slice", [pos, g.const("zero", np.array([0], np.int64)), seq_len,
                              g.const("ax0", np.array([0], np.int64))])
    h = g.op("Add", [g.op("Gather", [emb, ids], axis=0), pos_used])
    g.op("Tanh", [g.op("MatMul", [h, proj])], out="last_hidden_state")
    g.output("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", HIDDEN])
    return g.model()


def unet(rng, name, sample_shape, timestep, cond, input_names=("sample", "timestep", "encoder_hidden_states")):
    """Conv -> +timestep embedding -> [cross-attention] -> SiLU -> Conv gives a bounded "clean
    sample" guess m(x, t, c); the output is the exact noise prediction for data ~ N(m, s^2 I):
    sqrt(1 - abar) (x - sqrt(abar) m) / (abar s^2 + 1 - abar), with abar = alphas_cumprod[floor(t)].
    That keeps sampling stable (latents stay of the order of m) while the prompt still matters.

    sample_shape: full shape with the batch entry (str for dynamic, int for fixed).
    timestep: (elem_type, shape).
    """
    g = GraphBuilder(name)
    channels = sample_shape[1]
    nd = len(sample_shape) - 2
    x = g.input(input_names[0], TensorProto.FLOAT, sample_shape)
    t = g.input(input_names[1], timestep[0], timestep[1])
    if cond:
        ehs = g.input(input_names[2], TensorProto.FLOAT, [sample_shape[0], MAX_LENGTH, HIDDEN])

    k = (3,) * nd
    w1 = g.const("conv_in_w", f32(0.1 * rng.standard_normal((UNET_CH, channels) + k)))
    b1 = g.const("conv_in_b", f32(0.1 * rng.standard_normal(UNET_CH)))
    h = g.op("Conv", [x, w1, b1], pads=[1] * (2 * nd), kernel_shape=list(k))

    # timestep embedding: [sin(t f), cos(t f)] @ W, added per channel
    tf = t if timestep[0] == TensorProto.FLOAT else g.op("Cast", [t], to=TensorProto.FLOAT)
    freqs = g.const("freqs", f32(np.exp(-math.log(1000.0) * np.arange(N_FREQ) / (N_FREQ - 1))))
    arg = g.op("Mul", [g.op("Unsqueeze", [tf, g.const("ax1", np.array([1], np.int64))]), freqs])
    temb = g.op("Concat", [g.op("Sin", [arg]), g.op("Cos", [arg])], axis=1)
    temb = g.op("MatMul", [temb, g.const("time_w", f32(0.3 * rng.standard_normal((2 * N_FREQ, UNET_CH))))])
    temb = g.op("Unsqueeze", [temb, g.const("sp_axes", np.arange(2, 2 + nd, dtype=np.int64))])
    h = g.op("Add", [h, temb])

    if cond:
        # single-head cross-attention: queries from the positions, keys/values from the tokens
        flat = g.op("Reshape", [h, g.const("flat_shape", np.array([0, UNET_CH, -1], np.int64))])
        q_in = g.op("Transpose", [flat], perm=[0, 2, 1])                      # [b, P, C]
        q = g.op("MatMul", [q_in, g.const("wq", f32(0.4 * rng.standard_normal((UNET_CH, ATTN_DIM))))])
        kk = g.op("MatMul", [ehs, g.const("wk", f32(0.4 * rng.standard_normal((HIDDEN, ATTN_DIM))))])
        v = g.op("MatMul", [ehs, g.const("wv", f32(0.5 * rng.standard_normal((HIDDEN, ATTN_DIM))))])
        scores = g.op("MatMul", [q, g.op("Transpose", [kk], perm=[0, 2, 1])])  # [b, P, T]
        scores = g.op("Mul", [scores, g.const("attn_scale", f32(1.0 / math.sqrt(ATTN_DIM)))])
        attn = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])        # [b, P, D]
        o = g.op("MatMul", [attn, g.const("wo", f32(0.3 * rng.standard_normal((ATTN_DIM, UNET_CH))))])
        o = g.op("Reshape", [g.op("Transpose", [o], perm=[0, 2, 1]), g.op("Shape", [h])])
        h = g.op("Add", [h, o])

    h = g.op("Mul", [h, g.op("Sigmoid", [h])])                                 # SiLU
    w2 = g.const("conv_out_w", f32(0.15 * rng.standard_normal((channels, UNET_CH) + k)))
    b2 = g.const("conv_out_b", f32(0.02 * rng.standard_normal(channels)))
    h = g.op("Conv", [h, w2, b2], pads=[1] * (2 * nd), kernel_shape=list(k))
    # abar by the (floored, clipped) timestep, broadcast per sample
    if timestep[0] == TensorProto.FLOAT:
        idx = g.op("Cast", [g.op("Clip", [tf, g.const("tmin", f32(0.0)), g.const("tmax", f32(NUM_TRAIN_TIMESTEPS - 1))])],
                   to=TensorProto.INT64)
    else:
        idx = g.op("Clip", [t, g.const("tmin", np.int64(0)), g.const("tmax", np.int64(NUM_TRAIN_TIMESTEPS - 1))])
    abar = g.op("Gather", [g.const("alphas_cumprod", f32(alphas_cumprod64())), idx], axis=0)
    abar = g.op("Unsqueeze", [abar, g.const("bc_axes", np.arange(1, 2 + nd, dtype=np.int64))])
    one_minus = g.op("Sub", [g.const("one", f32(1.0)), abar])
    num = g.op("Mul", [g.op("Sqrt", [one_minus]), g.op("Sub", [x, g.op("Mul", [g.op("Sqrt", [abar]), h])])])
    den = g.op("Add", [g.op("Mul", [abar, g.const("data_var", f32(0.25))]), one_minus])
    g.op("Div", [num, den], out="out_sample")
    g.output("out_sample", TensorProto.FLOAT, sample_shape)
    return g.model()


def with_fp16_io(model):
    """The same network with float16 graph inputs/outputs, as real float16 SD exports have them:
    each float32 input is declared FLOAT16 and Cast to float32 before the original nodes, each
    float32 output is Cast to FLOAT16 at the end. Names, shapes, weights and the inner float32
    graph are unchanged; int64 inputs/outputs stay as they are."""
    g = model.graph
    is_float = lambda vi: vi.type.tensor_type.elem_type == TensorProto.FLOAT
    f_in = [vi.name for vi in g.input if is_float(vi)]
    f_out = [vi.name for vi in g.output if is_float(vi)]
    inner = {n: n + "_fp32" for n in f_in + f_out}
    used = {n for node in g.node for n in list(node.input) + list(node.output)}
    used |= {i.name for i in g.initializer} | {vi.name for vi in list(g.input) + list(g.output)}
    assert not used & set(inner.values()), "fp16 wrapper: inner names collide"

    nodes = [helper.make_node("Cast", [n], [inner[n]], name=f"fp16_in_{n}", to=TensorProto.FLOAT) for n in f_in]
    for node in g.node:
        node = copy.deepcopy(node)
        for i, n in enumerate(node.input):
            node.input[i] = inner.get(n, n)
        for i, n in enumerate(node.output):
            node.output[i] = inner.get(n, n)
        nodes.append(node)
    nodes += [helper.make_node("Cast", [inner[n]], [n], name=f"fp16_out_{n}", to=TensorProto.FLOAT16) for n in f_out]

    def retype(vis):
        out = []
        for vi in vis:
            vi = copy.deepcopy(vi)
            if is_float(vi):
                vi.type.tensor_type.elem_type = TensorProto.FLOAT16
            out.append(vi)
        return out

    graph = helper.make_graph(nodes, g.name + "_fp16_io", retype(g.input), retype(g.output),
                              [copy.deepcopy(i) for i in g.initializer])
    m = helper.make_model(graph, producer_name=model.producer_name,
                          opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = IR_VERSION
    onnx.checker.check_model(m, full_check=True)
    onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True, data_prop=True)
    return m


def vae_decoder(rng):
    g = GraphBuilder("tiny_vae_decoder")
    z = g.input("latent_sample", TensorProto.FLOAT, ["batch", 4, 8, 8])
    h = g.op("Conv", [z, g.const("w1", f32(0.03 * rng.standard_normal((8, 4, 3, 3)))),
                      g.const("b1", f32(0.05 * rng.standard_normal(8)))], pads=[1, 1, 1, 1], kernel_shape=[3, 3])
    h = g.op("Resize", [h, "", g.const("scales", f32([1, 1, 4, 4]))], mode="nearest",
             coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    h = g.op("Conv", [h, g.const("w2", f32(0.12 * rng.standard_normal((3, 8, 3, 3)))),
                      g.const("b2", f32(0.05 * rng.standard_normal(3)))], pads=[1, 1, 1, 1], kernel_shape=[3, 3])
    g.op("Tanh", [h], out="sample")
    g.output("sample", TensorProto.FLOAT, ["batch", 3, 32, 32])
    return g.model()


# --------------------------------------------------------------------------------------------
# Folder writing
# --------------------------------------------------------------------------------------------

def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


SAVED = {}  # (folder name, component) -> model, for the pipeline references


def save_model(folder, component, model):
    SAVED[(os.path.basename(folder), component)] = model
    os.makedirs(os.path.join(folder, component), exist_ok=True)
    onnx.save(model, os.path.join(folder, component, "model.onnx"))


def scheduler_config(class_name, **extra):
    cfg = {
        "_class_name": class_name,
        "_diffusers_version": DIFFUSERS_VERSION,
        "num_train_timesteps": NUM_TRAIN_TIMESTEPS,
        "beta_start": BETA_START,
        "beta_end": BETA_END,
        "beta_schedule": "scaled_linear",
        "trained_betas": None,
        "prediction_type": "epsilon",
        "timestep_spacing": "leading",
        "steps_offset": 1,
        "set_alpha_to_one": False,
        "clip_sample": False,
    }
    cfg.update(extra)
    return cfg


PNDM_CONFIG = scheduler_config("PNDMScheduler", skip_prk_steps=True)


def model_index(class_name, components):
    idx = {"_class_name": class_name, "_diffusers_version": DIFFUSERS_VERSION}
    for c in sorted(components):
        if c == "scheduler":
            idx[c] = ["diffusers", components[c]]
        elif c == "tokenizer":
            idx[c] = ["diffusion-batch", "WordLevelTokenizer"]
        else:
            idx[c] = ["diffusers", "OnnxRuntimeModel"]
    return idx


def write_tokenizer(folder):
    os.makedirs(os.path.join(folder, "tokenizer"), exist_ok=True)
    with open(os.path.join(folder, "tokenizer", "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    write_json(os.path.join(folder, "tokenizer", "tokenizer_config.json"),
               {"tokenizer_type": "word-level", "model_max_length": MAX_LENGTH})


def ids_for(prompt):
    """Reference word-level encoding: <bos> words <eos> <pad>... (unknown words -> <unk>)."""
    words = [VOCAB.index(w) if w in VOCAB else VOCAB.index("<unk>") for w in prompt.lower().split()]
    ids = [VOCAB.index("<bos>")] + words[: MAX_LENGTH - 2] + [VOCAB.index("<eos>")]
    return ids + [VOCAB.index("<pad>")] * (MAX_LENGTH - len(ids))


# --------------------------------------------------------------------------------------------
# Reference output recording
# --------------------------------------------------------------------------------------------

def tensor_json(a):
    a = np.asarray(a)
    if a.dtype == np.int64:
        data = [int(v) for v in a.ravel()]
        dtype = "int64"
    else:
        data = [float(f"{float(v):.9g}") for v in a.astype(np.float32).ravel()]
        dtype = "float32"
    return {"dtype": dtype, "shape": list(a.shape), "data": data}


class References:
    def __init__(self):
        self.cases = []

    def add(self, description, model_dir, component, model, feeds, tolerance):
        outs = evaluate(model, feeds)
        for name, v in outs.items():
            assert np.all(np.isfinite(v)), (model_dir, component, name)
        self.cases.append({
            "description": description,
            "model": model_dir,
            "component": component,
            "tolerance": tolerance,
            "inputs": {k: tensor_json(v) for k, v in feeds.items()},
            "outputs": {k: tensor_json(v) for k, v in outs.items()},
        })
        return outs


def check_fp16_wrapper(m32, m16, feeds):
    """Numpy check of a with_fp16_io() wrapper: float inputs rounded to float16, the float32
    network run on them, outputs rounded to float16 must equal the wrapper's outputs exactly.
    Returns the wrapper's outputs (float16 arrays)."""
    types = lambda vis: {vi.name: vi.type.tensor_type.elem_type for vi in vis}
    t32, t16 = types(m32.graph.input), types(m16.graph.input)
    assert list(t32) == list(t16), (list(t32), list(t16))
    o32, o16 = types(m32.graph.output), types(m16.graph.output)
    assert list(o32) == list(o16), (list(o32), list(o16))
    for name, t in list(t32.items()) + list(o32.items()):
        want = TensorProto.FLOAT16 if t == TensorProto.FLOAT else t
        assert {**t16, **o16}[name] == want, (name, t, {**t16, **o16}[name])
    half = {k: v.astype(np.float16) if t32[k] == TensorProto.FLOAT else v for k, v in feeds.items()}
    out16 = evaluate(m16, half)
    out32 = evaluate(m32, {k: v.astype(np.float32) if v.dtype == np.float16 else v for k, v in half.items()})
    for name, v in out16.items():
        if o32[name] == TensorProto.FLOAT:
            assert v.dtype == np.float16, (name, v.dtype)
            assert np.all(np.isfinite(v)), name
            assert np.array_equal(v, out32[name].astype(np.float16)), name
        else:
            assert np.array_equal(v, out32[name]), name
    return out16


# --------------------------------------------------------------------------------------------
# Checks on behaviour (printed and asserted)
# --------------------------------------------------------------------------------------------

def ddim_timesteps(steps):
    """diffusers' DDIMScheduler timesteps for "leading" spacing and steps_offset 1."""
    ratio = NUM_TRAIN_TIMESTEPS // steps
    return [int(t) for t in (np.arange(steps) * ratio)[::-1] + 1]


def ddim(unet_model, x, steps, timestep_feed, ehs_uncond=None, ehs_cond=None, guidance=None):
    """Deterministic DDIM (eta 0, set_alpha_to_one false, no clipping) as diffusers computes it,
    with classifier-free guidance when ehs_* are given: the UNet batch is [uncond..., cond...]
    and eps = eps_u + guidance (eps_c - eps_u)."""
    ac = alphas_cumprod64()
    ts = ddim_timesteps(steps)
    ratio = NUM_TRAIN_TIMESTEPS // steps
    x = x.astype(np.float32)
    for t in ts:
        feeds = {"sample": x, "timestep": timestep_feed(t)}
        if ehs_cond is not None:
            feeds["sample"] = np.concatenate([x, x])
            feeds["encoder_hidden_states"] = np.concatenate([ehs_uncond, ehs_cond])
        eps = evaluate(unet_model, feeds)["out_sample"].astype(np.float64)
        if ehs_cond is not None:
            eu, ec = eps[: x.shape[0]], eps[x.shape[0]:]
            eps = eu + guidance * (ec - eu)
        prev = t - ratio
        a_t = ac[t]
        a_prev = ac[prev] if prev >= 0 else ac[0]
        x0 = (x - np.sqrt(1 - a_t) * eps) / np.sqrt(a_t)
        x = (np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps).astype(np.float32)
    return x


def int1(t):
    return np.array([t], np.int64)


def ddim_sample(unet_model, te_model, vae_model, prompt_ids, seed, steps=10, guidance=7.5, cond=True):
    """10-step DDIM (+ CFG) from seeded latents; returns (latent, decoded image)."""
    lat = np.random.default_rng(seed).standard_normal((1, 4, 8, 8)).astype(np.float32)
    if cond:
        ehs = evaluate(te_model, {"input_ids": np.array([ids_for(""), prompt_ids], np.int64)})["last_hidden_state"]
        lat = ddim(unet_model, lat, steps, int1, ehs[:1], ehs[1:], guidance)
    else:
        lat = ddim(unet_model, lat, steps, int1)
    img = evaluate(vae_model, {"latent_sample": lat / np.float32(SCALING_FACTOR)})["sample"]
    return lat, img


def write_pipeline_references(root):
    """Whole DDIM runs (initial noise given explicitly, so no RNG is involved) for end-to-end tests."""
    rng = np.random.default_rng(2024)
    runs = []

    def decode(folder, lat):
        return evaluate(SAVED[(folder, "vae_decoder")], {"latent_sample": lat / np.float32(SCALING_FACTOR)})["sample"]

    def encode(folder, ids):
        return evaluate(SAVED[(folder, "text_encoder")], {"input_ids": np.array(ids, np.int64)})["last_hidden_state"]

    def run(description, folder, steps, x, feed_kind, outputs, prompt=None, guidance=None):
        runs.append({
            "description": description, "model": folder, "sampler": "ddim", "eta": 0.0,
            "num_inference_steps": steps, "timesteps": ddim_timesteps(steps),
            "timestep_input": feed_kind, "guidance_scale": guidance, "prompt": prompt,
            "uncond_input_ids": [ids_for("")] if prompt is not None else None,
            "cond_input_ids": [ids_for(prompt)] if prompt is not None else None,
            "initial_sample": tensor_json(x),
            "outputs": {k: tensor_json(v) for k, v in outputs.items()},
        })

    feeds = {"int64[1]": int1,
             "int64[]": lambda t: np.array(t, np.int64),
             "float32[batch]": None}

    # analytic-gaussian-int, 50 steps: an exact epsilon, so the samples end near N(0.5, 0.3^2)
    x = rng.standard_normal((4, 3, 8, 8)).astype(np.float32)
    out = ddim(SAVED[("analytic-gaussian-int", "unet")], x, 50, feeds["int64[]"])
    # The exact probability-flow ODE maps x_t affinely: z = (x - sqrt(abar) mu) / sqrt(abar s^2 + 1 - abar)
    # is preserved. Started from N(0, 1) at t_start and ended at abar_end = alphas_cumprod[0]:
    ac = alphas_cumprod64()
    a0, a1 = ac[ddim_timesteps(50)[0]], ac[0]
    sd0, sd1 = np.sqrt(a0 * GAUSS_SIGMA ** 2 + 1 - a0), np.sqrt(a1 * GAUSS_SIGMA ** 2 + 1 - a1)
    ode_mean = np.sqrt(a1) * GAUSS_MU - sd1 * np.sqrt(a0) * GAUSS_MU / sd0
    ode_std = sd1 / sd0
    print(f"analytic-gaussian-int DDIM(50): mean {out.mean():.4f}, std {out.std():.4f}; "
          f"exact ODE from N(0,1) at t={ddim_timesteps(50)[0]}: mean {ode_mean:.4f}, std {ode_std:.4f}")
    assert abs(out.mean() - ode_mean) < 0.02 and abs(out.std() - ode_std) < 0.03
    run("analytic-gaussian-int, DDIM 50 steps", "analytic-gaussian-int", 50, x, "int64[]", {"final_sample": out})

    # tiny-uncond, 10 steps, decoded
    x = rng.standard_normal((1, 4, 8, 8)).astype(np.float32)
    lat = ddim(SAVED[("tiny-uncond", "unet")], x, 10, int1)
    run("tiny-uncond, DDIM 10 steps", "tiny-uncond", 10, x, "int64[1]",
        {"final_latent": lat, "image": decode("tiny-uncond", lat)})

    # tiny-sd, 10 steps, CFG 7.5, decoded
    prompt = "a red circle on a blue background"
    x = rng.standard_normal((1, 4, 8, 8)).astype(np.float32)
    lat = ddim(SAVED[("tiny-sd", "unet")], x, 10, int1,
               encode("tiny-sd", [ids_for("")]), encode("tiny-sd", [ids_for(prompt)]), 7.5)
    run("tiny-sd, DDIM 10 steps, CFG 7.5", "tiny-sd", 10, x, "int64[1]",
        {"final_latent": lat, "image": decode("tiny-sd", lat)}, prompt, 7.5)

    # tiny-pixel, 10 steps, CFG 5, per-sample float timesteps
    prompt = "a green square on the left"
    x = rng.standard_normal((1, 3, 16, 16)).astype(np.float32)
    out = ddim(SAVED[("tiny-pixel", "unet")], x, 10, lambda t: np.full(2, t, np.float32),
               encode("tiny-pixel", [ids_for("")]), encode("tiny-pixel", [ids_for(prompt)]), 5.0)
    run("tiny-pixel, DDIM 10 steps, CFG 5", "tiny-pixel", 10, x, "float32[batch]", {"final_sample": out}, prompt, 5.0)

    # tiny-video, 5 steps, CFG 7.5; frames 0 and 7 decoded after (B, C, F, H, W) -> (B*F, C, H, W)
    prompt = "a yellow star on a black background"
    x = rng.standard_normal((1, 4, 8, 8, 8)).astype(np.float32)
    lat = ddim(SAVED[("tiny-video", "unet")], x, 5, int1,
               encode("tiny-video", [ids_for("")]), encode("tiny-video", [ids_for(prompt)]), 7.5)
    frames = np.transpose(lat, (0, 2, 1, 3, 4)).reshape(8, 4, 8, 8)
    run("tiny-video, DDIM 5 steps, CFG 7.5", "tiny-video", 5, x, "int64[1]",
        {"final_latent": lat, "frame0_image": decode("tiny-video", frames[0:1]),
         "frame7_image": decode("tiny-video", frames[7:8])}, prompt, 7.5)

    with open(os.path.join(root, "reference-pipelines.json"), "w") as f:
        f.write('{"generator": "tools/make_test_models.py (numpy DDIM, as diffusers DDIMScheduler with eta 0)",\n')
        f.write(' "runs": [\n')
        f.write(",\n".join(json.dumps(r, separators=(",", ":")) for r in runs))
        f.write("\n]}\n")


# --------------------------------------------------------------------------------------------
# reference-engine.json: whole runs the Java Engine can be driven against (seeded noise)
# --------------------------------------------------------------------------------------------

ENGINE_REFERENCES = "reference-engine.json"


def _engine_tokenize(folder_path, prompt):
    """Word-level tokenizer read from the folder's own files: <bos> words <eos> (words truncated so
    that <eos> stays last), then <pad> to model_max_length; words = lower-case runs of letters or
    digits; unknown words -> <unk>."""
    import re
    with open(os.path.join(folder_path, "tokenizer", "vocab.txt")) as f:
        vocab = {w: i for i, w in enumerate(f.read().split("\n")[:-1])}
    with open(os.path.join(folder_path, "tokenizer", "tokenizer_config.json")) as f:
        max_len = json.load(f)["model_max_length"]
    words = [vocab.get(w, vocab["<unk>"]) for w in re.findall(r"[^\W_]+", prompt.lower())]
    ids = [vocab["<bos>"]] + words[: max_len - 2] + [vocab["<eos>"]]
    return ids + [vocab["<pad>"]] * (max_len - len(ids))


def _engine_schedule(folder_path):
    """DDIM (eta 0) timesteps and alphas_cumprod in float64 from the folder's scheduler config."""
    with open(os.path.join(folder_path, "scheduler", "scheduler_config.json")) as f:
        cfg = json.load(f)
    assert cfg["beta_schedule"] == "scaled_linear" and cfg["prediction_type"] == "epsilon", cfg
    assert cfg["timestep_spacing"] == "leading" and cfg["set_alpha_to_one"] is False, cfg
    assert cfg.get("clip_sample", False) is False and cfg.get("trained_betas") is None, cfg
    n = cfg["num_train_timesteps"]
    betas = np.linspace(cfg["beta_start"] ** 0.5, cfg["beta_end"] ** 0.5, n, dtype=np.float64) ** 2
    alphas_cumprod = np.cumprod(1.0 - betas)
    final_alpha = alphas_cumprod[0]  # set_alpha_to_one false
    return cfg, n, alphas_cumprod, final_alpha


def _engine_run(root, folder, prompt, negative, seed, steps, guidance, rescale, cond_first=True):
    """One diffusers-StableDiffusionPipeline-style run: seeded noise, CFG (+ rescale), DDIM eta 0,
    VAE decode. Latents are float32 between steps (as the engine feeds them); the scheduler and
    guidance arithmetic is float64. Returns the fixture entry plus the raw arrays."""
    import seed_noise
    path = os.path.join(root, folder)
    te = onnx.load(os.path.join(path, "text_encoder", "model.onnx"))
    un = onnx.load(os.path.join(path, "unet", "model.onnx"))
    vae_path = os.path.join(path, "vae_decoder", "model.onnx")
    vae = onnx.load(vae_path) if os.path.exists(vae_path) else None
    cfg, n_train, ac, final_alpha = _engine_schedule(path)

    sample_in = un.graph.input[0]
    dims = [d.dim_value for d in sample_in.type.tensor_type.shape.dim][1:]   # (C,H,W) or (C,F,H,W)
    ts_in = un.graph.input[1].type.tensor_type
    ts_float = ts_in.elem_type == TensorProto.FLOAT
    ts_rank = len(ts_in.shape.dim)

    init_noise_sigma = 1.0  # DDIM
    noise = np.array(seed_noise.gaussian(seed, 0, int(np.prod(dims))), dtype=np.float32).reshape(dims)
    x = (noise.astype(np.float64) * init_noise_sigma).astype(np.float32)

    do_cfg = guidance > 1.0
    cond_ids = _engine_tokenize(path, prompt)
    uncond_ids = _engine_tokenize(path, negative)
    rows = [cond_ids, uncond_ids] if do_cfg else [cond_ids]
    if do_cfg and not cond_first:
        rows = rows[::-1]
    ehs = evaluate(te, {"input_ids": np.array(rows, np.int64)})["last_hidden_state"]
    batch = len(rows)

    ratio = n_train // steps
    timesteps = [int(t) for t in (np.arange(0, steps) * ratio)[::-1] + cfg["steps_offset"]]
    for t in timesteps:
        if ts_float:
            tfeed = np.full(batch, t, np.float32)
        else:
            tfeed = np.array([t] if ts_rank == 1 else t, np.int64)
        eps = evaluate(un, {"sample": np.stack([x] * batch), "timestep": tfeed,
                            "encoder_hidden_states": ehs})["out_sample"].astype(np.float64)
        if do_cfg:
            ec, eu = (eps[0], eps[1]) if cond_first else (eps[1], eps[0])
            guided = eu + guidance * (ec - eu)
            if rescale > 0:
                std_c = np.std(ec, ddof=1)
                std_g = np.std(guided, ddof=1)
                guided = rescale * (guided * (std_c / std_g)) + (1.0 - rescale) * guided
        else:
            guided = eps[0]
        # DDIMScheduler.step, eta 0, epsilon prediction, no clipping
        prev_t = t - ratio
        a_t = ac[t]
        a_prev = ac[prev_t] if prev_t >= 0 else final_alpha
        x64 = x.astype(np.float64)
        x0 = (x64 - np.sqrt(1.0 - a_t) * guided) / np.sqrt(a_t)
        x = (np.sqrt(a_prev) * x0 + np.sqrt(1.0 - a_prev) * guided).astype(np.float32)

    if vae is None:
        out = x.copy()
    else:
        with open(os.path.join(path, "vae_decoder", "config.json")) as f:
            sf = json.load(f)["scaling_factor"]
        z = (x.astype(np.float64) / sf).astype(np.float32)
        if z.ndim == 4:   # video latent (C,F,H,W): each frame (C,H,W) separately -> (F,3,H',W')
            out = np.stack([evaluate(vae, {"latent_sample": z[:, f][None]})["sample"][0] for f in range(z.shape[1])])
        else:
            out = evaluate(vae, {"latent_sample": z[None]})["sample"][0]
    for a in (x, out):
        assert np.all(np.isfinite(a)), folder

    def flat(a):
        return [float(f"{float(v):.9g}") for v in np.asarray(a, np.float32).ravel()]

    entry = {
        "model": folder, "prompt": prompt, "negative_prompt": negative, "seed": seed,
        "sampler": "ddim", "eta": 0.0, "steps": steps, "guidance_scale": guidance,
        "guidance_rescale": rescale, "classifier_free_guidance": do_cfg,
        "timesteps": timesteps,
        "timestep_input": ("float32[batch]" if ts_float else ("int64[1]" if ts_rank == 1 else "int64[]")),
        "unet_batch": batch,
        "cond_input_ids": cond_ids, "uncond_input_ids": uncond_ids if do_cfg else None,
        "initial_noise_head": flat(noise.ravel()[:8]),
        "latent_shape": list(x.shape), "final_latent": flat(x),
        "output_shape": list(out.shape), "output": flat(out),
    }
    return entry, noise, x, out


def write_engine_references(root):
    """reference-engine.json (see the README): the initial noise is SeedNoise's, from the seed."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import seed_noise
    red = "a red circle on a blue background"
    cases = [
        ("tiny-sd, CFG 7.5", "tiny-sd", red, "", 7, 10, 7.5, 0.0),
        ("tiny-sd, negative 'green', CFG 4, guidance rescale 0.7", "tiny-sd", red, "green", 8, 10, 4.0, 0.7),
        ("tiny-pixel (float timestep [batch], no VAE), CFG 5", "tiny-pixel", "a blue star", "", 3, 8, 5.0, 0.0),
        ("tiny-video, CFG 7.5, every frame decoded", "tiny-video", "a red circle moving right", "", 5, 4, 7.5, 0.0),
        ("tiny-sd, guidance 1 (no unconditional pass)", "tiny-sd", red, "", 9, 6, 1.0, 0.0),
    ]
    runs = []
    for desc, folder, prompt, negative, seed, steps, g, phi in cases:
        entry, noise, lat, out = _engine_run(root, folder, prompt, negative, seed, steps, g, phi)
        # checks: the noise is SeedNoise's; the UNet batch order does not matter; guidance/rescale
        # really change the result
        assert np.array_equal(noise.ravel(), np.array(seed_noise.gaussian(seed, 0, noise.size), np.float32))
        if entry["classifier_free_guidance"]:
            _, _, lat2, out2 = _engine_run(root, folder, prompt, negative, seed, steps, g, phi, cond_first=False)
            d_order = float(np.max(np.abs(lat2 - lat)))
            assert d_order < 1e-5, d_order
        else:
            d_order = 0.0
        msg = (f"engine ref {desc}: latent range [{lat.min():.3f}, {lat.max():.3f}], output range "
               f"[{out.min():.3f}, {out.max():.3f}], max |[uncond,cond] - [cond,uncond]| = {d_order:.1e}")
        if phi > 0:
            _, _, lat0, _ = _engine_run(root, folder, prompt, negative, seed, steps, g, 0.0)
            d_phi = float(np.max(np.abs(lat0 - lat)))
            msg += f", max |latent(rescale {phi}) - latent(rescale 0)| = {d_phi:.3f}"
            assert d_phi > 1e-2, d_phi
        print(msg)
        runs.append({"description": desc, **entry})

    path = os.path.join(root, ENGINE_REFERENCES)
    with open(path, "w") as f:
        f.write('{"generator": "tools/make_test_models.py (numpy, diffusers StableDiffusionPipeline + DDIMScheduler '
                'eta 0, initial noise = tools/seed_noise.py gaussian(seed, 0, n))",\n "runs": [\n')
        f.write(",\n".join(json.dumps(r, separators=(",", ":")) for r in runs))
        f.write("\n]}\n")
    size = os.path.getsize(path)
    print(f"wrote {path}: {len(runs)} runs, {size} bytes")
    assert size < 1_500_000, size


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "src", "engine", "src", "test", "resources", "models")
    root = os.path.normpath(root)
    refs = References()
    data_rng = np.random.default_rng(12345)  # reference inputs (not weights)

    def fresh(folder):
        path = os.path.join(root, folder)
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.makedirs(path)
        return path

    # 1. analytic-gaussian (float timestep [1], sigma interpolation)
    d = fresh("analytic-gaussian")
    m = analytic_unet(float_timestep=True)
    save_model(d, "unet", m)
    write_json(os.path.join(d, "scheduler", "scheduler_config.json"),
               scheduler_config("EulerDiscreteScheduler", interpolation_type="linear", skip_prk_steps=True))
    write_json(os.path.join(d, "model_index.json"),
               model_index("OnnxAnalyticGaussianPipeline", {"unet": 1, "scheduler": "EulerDiscreteScheduler"}))
    x = data_rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    for t in [999.0, 500.5, 250.25, 1.0, 0.0]:
        out = refs.add(f"analytic-gaussian unet at t={t}", "analytic-gaussian", "unet", m,
                       {"sample": x, "timestep": f32([t])}, 1e-4)["out_sample"]
        exact = analytic_reference64(x.astype(np.float64), t)
        err = np.max(np.abs(out - exact))
        assert err < 1e-4, (t, err)
        print(f"analytic-gaussian t={t}: max |graph - closed form| = {err:.2e}")

    # 2. analytic-gaussian-int (int64 scalar timestep)
    d = fresh("analytic-gaussian-int")
    m = analytic_unet(float_timestep=False)
    save_model(d, "unet", m)
    write_json(os.path.join(d, "scheduler", "scheduler_config.json"), scheduler_config("DDIMScheduler"))
    write_json(os.path.join(d, "model_index.json"),
               model_index("OnnxAnalyticGaussianPipeline", {"unet": 1, "scheduler": "DDIMScheduler"}))
    for t in [981, 500, 1]:
        out = refs.add(f"analytic-gaussian-int unet at t={t}", "analytic-gaussian-int", "unet", m,
                       {"sample": x, "timestep": np.array(t, np.int64)}, 1e-4)["out_sample"]
        err = np.max(np.abs(out - analytic_reference64(x.astype(np.float64), float(t))))
        assert err < 1e-4, (t, err)
        print(f"analytic-gaussian-int t={t}: max |graph - closed form| = {err:.2e}")

    sd_components = {"text_encoder": 1, "tokenizer": 1, "unet": 1, "vae_decoder": 1, "scheduler": "PNDMScheduler"}
    prompts = ["a red circle on a blue background", "a blue circle on a red background"]
    prompt_ids = np.array([ids_for(p) for p in prompts], np.int64)

    # 3. tiny-sd and 7. tiny-sd-fixed-batch (same weights; only the UNet batch differs)
    for folder, batch in [("tiny-sd", "batch"), ("tiny-sd-fixed-batch", 2)]:
        d = fresh(folder)
        rng = np.random.default_rng(0)
        te = text_encoder(rng)
        un = unet(rng, "tiny_sd_unet", [batch, 4, 8, 8], (TensorProto.INT64, [1]), cond=True)
        vae = vae_decoder(rng)
        save_model(d, "text_encoder", te)
        save_model(d, "unet", un)
        save_model(d, "vae_decoder", vae)
        write_json(os.path.join(d, "vae_decoder", "config.json"),
                   {"_class_name": "AutoencoderKL", "_diffusers_version": DIFFUSERS_VERSION,
                    "latent_channels": 4, "out_channels": 3, "sample_size": 32,
                    "scaling_factor": SCALING_FACTOR})
        write_tokenizer(d)
        write_json(os.path.join(d, "scheduler", "scheduler_config.json"), PNDM_CONFIG)
        write_json(os.path.join(d, "model_index.json"), model_index("OnnxStableDiffusionPipeline", sd_components))
        ehs = refs.add(f"{folder} text encoder, prompts {prompts}", folder, "text_encoder", te,
                       {"input_ids": prompt_ids}, 1e-5)["last_hidden_state"]
        lat = data_rng.standard_normal((2, 4, 8, 8)).astype(np.float32) if folder == "tiny-sd" else lat
        eps = refs.add(f"{folder} unet, CFG-like pair at t=501", folder, "unet", un,
                       {"sample": lat, "timestep": np.array([501], np.int64), "encoder_hidden_states": ehs},
                       1e-4)["out_sample"]
        if folder == "tiny-sd":
            tiny_sd = (te, un, vae)
            diff = np.mean(np.abs(eps[0] - eps[1] - 0.0 * (lat[0] - lat[1])))
            refs.add("tiny-sd vae decoder", folder, "vae_decoder", vae,
                     {"latent_sample": (lat[:1] / np.float32(SCALING_FACTOR)).astype(np.float32)}, 1e-4)
            # prompt dependence for the same latent
            same = np.stack([lat[0], lat[0]])
            e2 = evaluate(un, {"sample": same, "timestep": np.array([501], np.int64), "encoder_hidden_states": ehs})
            pd = np.mean(np.abs(e2["out_sample"][0] - e2["out_sample"][1]))
            print(f"tiny-sd unet: mean |eps(prompt A) - eps(prompt B)| same latent = {pd:.4f}")
            assert pd > 0.02, pd

    # full DDIM + CFG runs in numpy: different prompts must change the image clearly
    te, un, vae = tiny_sd
    lat_a, img_a = ddim_sample(un, te, vae, ids_for(prompts[0]), seed=42)
    _, img_b = ddim_sample(un, te, vae, ids_for(prompts[1]), seed=42)
    _, img_c = ddim_sample(un, te, vae, ids_for(prompts[0]), seed=43)
    pix = lambda im: np.clip(im / 2 + 0.5, 0, 1)
    dp = np.mean(np.abs(pix(img_a) - pix(img_b)))
    ds = np.mean(np.abs(pix(img_a) - pix(img_c)))
    print(f"tiny-sd DDIM(10)+CFG 7.5: latent range [{lat_a.min():.2f}, {lat_a.max():.2f}], image range [{img_a.min():.3f}, {img_a.max():.3f}], "
          f"saturated {np.mean(np.abs(img_a) > 0.98):.2f}, mean |img(promptA) - img(promptB)| (0..1 pixels) = {dp:.4f}, other seed = {ds:.4f}")
    assert dp > 0.05, dp

    # 4. tiny-pixel: conditional pixel model with float timestep [batch]
    d = fresh("tiny-pixel")
    rng = np.random.default_rng(0)
    te = text_encoder(rng)
    un = unet(rng, "tiny_pixel_unet", ["batch", 3, 16, 16], (TensorProto.FLOAT, ["batch"]), cond=True)
    save_model(d, "text_encoder", te)
    save_model(d, "unet", un)
    write_tokenizer(d)
    write_json(os.path.join(d, "scheduler", "scheduler_config.json"), PNDM_CONFIG)
    write_json(os.path.join(d, "model_index.json"),
               model_index("OnnxPixelDiffusionPipeline",
                           {"text_encoder": 1, "tokenizer": 1, "unet": 1, "scheduler": "PNDMScheduler"}))
    ehs = evaluate(te, {"input_ids": prompt_ids})["last_hidden_state"]
    refs.add("tiny-pixel unet, per-sample float timesteps", "tiny-pixel", "unet", un,
             {"sample": data_rng.standard_normal((2, 3, 16, 16)).astype(np.float32),
              "timestep": f32([801.0, 20.5]), "encoder_hidden_states": ehs}, 1e-4)

    # 5. tiny-uncond and 8. bad-unet-inputs
    for folder, names in [("tiny-uncond", ("sample", "timestep")), ("bad-unet-inputs", ("x", "t"))]:
        d = fresh(folder)
        rng = np.random.default_rng(0)
        un = unet(rng, "tiny_uncond_unet", ["batch", 4, 8, 8], (TensorProto.INT64, [1]), cond=False,
                  input_names=names)
        vae = vae_decoder(rng)
        save_model(d, "unet", un)
        save_model(d, "vae_decoder", vae)
        write_json(os.path.join(d, "vae_decoder", "config.json"),
                   {"_class_name": "AutoencoderKL", "_diffusers_version": DIFFUSERS_VERSION,
                    "latent_channels": 4, "out_channels": 3, "sample_size": 32,
                    "scaling_factor": SCALING_FACTOR})
        write_json(os.path.join(d, "scheduler", "scheduler_config.json"), PNDM_CONFIG)
        write_json(os.path.join(d, "model_index.json"),
                   model_index("OnnxLatentDiffusionPipeline",
                               {"unet": 1, "vae_decoder": 1, "scheduler": "PNDMScheduler"}))
        if folder == "tiny-uncond":
            refs.add("tiny-uncond unet", folder, "unet", un,
                     {"sample": data_rng.standard_normal((1, 4, 8, 8)).astype(np.float32),
                      "timestep": np.array([1], np.int64)}, 1e-4)
            lat_u, img_u = ddim_sample(un, None, vae, None, seed=42, cond=False)
            print(f"tiny-uncond DDIM(10): latent range [{lat_u.min():.3f}, {lat_u.max():.3f}], "
                  f"image range [{img_u.min():.3f}, {img_u.max():.3f}], saturated (|v|>0.98) {np.mean(np.abs(img_u) > 0.98):.2f}")

    # 6. tiny-video: 5-D UNet (batch, channels, frames, h, w), 3-D convolutions, cross-attention
    d = fresh("tiny-video")
    rng = np.random.default_rng(0)
    te = text_encoder(rng)
    un = unet(rng, "tiny_video_unet", ["batch", 4, 8, 8, 8], (TensorProto.INT64, [1]), cond=True)
    vae = vae_decoder(rng)
    save_model(d, "text_encoder", te)
    save_model(d, "unet", un)
    save_model(d, "vae_decoder", vae)
    write_json(os.path.join(d, "vae_decoder", "config.json"),
               {"_class_name": "AutoencoderKL", "_diffusers_version": DIFFUSERS_VERSION,
                "latent_channels": 4, "out_channels": 3, "sample_size": 32, "scaling_factor": SCALING_FACTOR})
    write_tokenizer(d)
    write_json(os.path.join(d, "scheduler", "scheduler_config.json"), PNDM_CONFIG)
    write_json(os.path.join(d, "model_index.json"), model_index("OnnxTextToVideoPipeline", sd_components))
    ehs = evaluate(te, {"input_ids": prompt_ids[:1]})["last_hidden_state"]
    refs.add("tiny-video unet (1 video, 8 frames)", "tiny-video", "unet", un,
             {"sample": data_rng.standard_normal((1, 4, 8, 8, 8)).astype(np.float32),
              "timestep": np.array([300], np.int64), "encoder_hidden_states": ehs}, 1e-4)

    # 9. tiny-sd-fp16: tiny-sd's networks (same weights) with float16 graph inputs/outputs
    d = fresh("tiny-sd-fp16")
    te, un, vae = tiny_sd
    te16, un16, vae16 = with_fp16_io(te), with_fp16_io(un), with_fp16_io(vae)
    save_model(d, "text_encoder", te16)
    save_model(d, "unet", un16)
    save_model(d, "vae_decoder", vae16)
    write_json(os.path.join(d, "vae_decoder", "config.json"),
               {"_class_name": "AutoencoderKL", "_diffusers_version": DIFFUSERS_VERSION,
                "latent_channels": 4, "out_channels": 3, "sample_size": 32, "scaling_factor": SCALING_FACTOR})
    write_tokenizer(d)
    write_json(os.path.join(d, "scheduler", "scheduler_config.json"), PNDM_CONFIG)
    write_json(os.path.join(d, "model_index.json"), model_index("OnnxStableDiffusionPipeline", sd_components))
    fp16_rng = np.random.default_rng(16)  # its own inputs: the other folders' references stay as they are
    ehs16 = check_fp16_wrapper(te, te16, {"input_ids": prompt_ids})["last_hidden_state"]
    ehs32 = evaluate(te, {"input_ids": prompt_ids})["last_hidden_state"]
    lat = fp16_rng.standard_normal((2, 4, 8, 8)).astype(np.float32)
    unet_feeds = {"sample": lat, "timestep": np.array([501], np.int64), "encoder_hidden_states": ehs32}
    eps16 = check_fp16_wrapper(un, un16, unet_feeds)["out_sample"]
    eps32 = evaluate(un, unet_feeds)["out_sample"]
    img16 = check_fp16_wrapper(vae, vae16, {"latent_sample": (lat[:1] / np.float32(SCALING_FACTOR)).astype(np.float32)})["sample"]
    d_te = np.max(np.abs(ehs16.astype(np.float32) - ehs32))
    d_un = np.max(np.abs(eps16.astype(np.float32) - eps32))
    print(f"tiny-sd-fp16: wrappers == float32 networks on float16-rounded inputs, outputs rounded (exact); "
          f"vs tiny-sd on float32 inputs (rng 16 latents [2,4,8,8], t=501, ehs of the two prompts): "
          f"max |unet fp16 - fp32| = {d_un:.3e} (|eps| max {np.max(np.abs(eps32)):.3f}), "
          f"max |text encoder fp16 - fp32| = {d_te:.3e}, vae image range [{img16.min():.3f}, {img16.max():.3f}]")
    assert d_un < 1e-2 and d_te < 1e-3, (d_un, d_te)

    write_pipeline_references(root)

    with open(os.path.join(root, "reference-outputs.json"), "w") as f:
        # one case per line keeps the file small and its diffs readable
        f.write('{"generator": "tools/make_test_models.py (numpy evaluation of each saved graph)",\n')
        f.write(' "vocab": ' + json.dumps(VOCAB) + ',\n "cases": [\n')
        f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in refs.cases))
        f.write("\n]}\n")
    total = 0
    for dirpath, _, files in os.walk(root):
        for f in files:
            if not (dirpath == root and f == ENGINE_REFERENCES):
                total += os.path.getsize(os.path.join(dirpath, f))
    print(f"wrote {len(refs.cases)} reference cases; total size under {root} (without {ENGINE_REFERENCES}): "
          f"{total} bytes")
    assert total < 1_000_000, total

    write_engine_references(root)


if __name__ == "__main__":
    main()
