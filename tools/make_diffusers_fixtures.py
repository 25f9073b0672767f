#!/usr/bin/python3
"""Tiny random-weight Stable Diffusion exports built with diffusers' OWN classes, and reference runs.

Builds, under src/engine/src/test/resources/models/diffusers/:

  sd15       UNet2DConditionModel + AutoencoderKL (decoder) + tiny CLIP text encoder, exported fp32 the way
             diffusers' scripts/convert_stable_diffusion_checkpoint_to_onnx.py does (opset 14, constant
             folding, input/output names and dynamic axes of that script: text encoder input_ids int32
             [batch, sequence] -> last_hidden_state, pooler_output; UNet sample [batch, channels, height,
             width], timestep float [batch], encoder_hidden_states [batch, sequence, 32] -> out_sample, its
             weights in unet/weights.pb as the script collates them; VAE decoder latent_sample -> sample).
             Scheduler config: SD 1.5's (PNDMScheduler).
  sd15-fp16  the same weights exported the way the script's --fp16 does (model.half(): every float input,
             timestep included, and every float output is float16).  torch 1.13 has no float16 kernels on
             the CPU, so the graph is traced in bfloat16 (which has them: the trace records the same ops and
             the same casts model.half() does, e.g. the float32 timestep embedding) and then retyped to
             float16: every initializer is the float16 rounding of the matching float32 export's initializer
             (matched by name, else by value), other bfloat16 constants are converted (listed on stdout).
  sd2-v      v_prediction, upcast_attention True (SD 2.x style), PNDM config with prediction_type v_prediction.
  lcm        UNet with time_cond_proj_dim 32 exported as optimum exports it (sample, timestep int64 [batch],
             encoder_hidden_states, timestep_cond float [batch, 32] -> out_sample); LCMScheduler config.
  sdxl       SDXL layout as optimum exports it: text_encoder (CLIPTextModel-like, hidden 32) and
             text_encoder_2 (CLIPTextModelWithProjection-like, hidden 64, projection 32) with all hidden
             states as outputs (hidden_states.0 .. hidden_states.2), tokenizer_2 padding with "!", UNet with
             addition_embed_type text_time (inputs sample, timestep, encoder_hidden_states [.., 96],
             text_embeds [batch, 32], time_ids [batch, 6]); EulerDiscreteScheduler config of SDXL base.
  sdxl-turbo the same networks (byte copies) with SDXL-Turbo's EulerAncestralDiscreteScheduler config.

and reference.json: whole generations computed in torch with the diffusers MODULES (not the ONNX files) and
diffusers' SCHEDULER classes, following the pipelines' __call__ step by step (StableDiffusionPipeline,
LatentConsistencyModelPipeline, StableDiffusionXLPipeline): the initial latent is the project's seed noise
(tools/seed_noise.py gaussian(seed, 0, C*H*W), float32) given to the pipeline as `latents` (so scaled by
init_noise_sigma as the pipeline does), and the schedulers' own randomness (euler-a, lcm, ddpm) is the project's
step noise gaussian(seed, step + 1, C*H*W) at step index `step`: the `randn_tensor` each scheduler module
imported is replaced, for the run, by a function returning that noise.

The text encoders are NOT transformers' classes (transformers is not available here): `TinyClipText` below
reproduces HF CLIPTextModel / CLIPTextModelWithProjection semantics: token + position embedding, pre-LN
transformer layers (self-attention with causal mask, scale head_dim^-0.5, softmax in float32; MLP fc1 ->
quick_gelu -> fc2), final layer norm; pooled output = the final-LN hidden state at the position of the highest
token id (argmax of input_ids: the EOS token, as HF's legacy eos_token_id == 2 path does); WithProjection:
text_embeds = text_projection(pooled) without bias.  hidden_states[0] is the embedding output and
hidden_states[i] the output of layer i (before the final layer norm), as in HF.  The tokenizer is the repository's
clip-tiny CLIP BPE tokenizer (src/engine/src/test/resources/tokenizer/clip-tiny; token ids from
tools/clip_bpe_reference.py), model_max_length 77.

diffusers comes from the mirror (DIFFUSERS_SRC, default /tmp/diffusers-src/src, extracted with
`git -C /work/.mirror/huggingface+diffusers/repo archive HEAD src/diffusers | tar -x -C /tmp/diffusers-src`
when missing).  It does not import on torch 1.13 without its dependencies, so `install_import_stubs` adds
IMPORT-TIME stubs only (no numerical code is replaced):
  - fake modules huggingface_hub, safetensors, requests, filelock, regex, tqdm, transformers (any attribute is
    a dummy class; upper-case names are dummy path strings), a minimal packaging.version (release-tuple
    comparisons, used for diffusers' version checks);
  - diffusers.dependency_versions_check replaced by an empty module (it demands installed distributions);
  - torch attributes newer than 1.13: torch.xpu / mps / mtia / npu (is_available() False), torch.compiler
    (disable() is the identity), new dtypes (float8_*, uint16.., int1..; placeholders only named in
    module-level tables), torch.distributed.device_mesh / _functional_collectives / tensor / fsdp and
    torch.nn.attention(.flex_attention) as dummy modules (torch 1.13's own fsdp does not import on Python 3.11).
Attention runs through diffusers' AttnProcessor (torch 1.13 has no scaled_dot_product_attention).
LatentConsistencyModelPipeline.get_guidance_scale_embedding is taken from the pipeline's source file (its
module cannot be imported without transformers): the function's AST is compiled on its own.

Run from the repository root:  /usr/bin/python3 tools/make_diffusers_fixtures.py
Deterministic: torch.manual_seed per network, single-threaded torch.
"""
import ast
import copy
import json
import math
import os
import re
import shutil
import subprocess
import sys
import types

import numpy as np
import onnx
from onnx import numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import seed_noise  # noqa: E402
import clip_bpe_reference as bpe  # noqa: E402

ROOT = os.path.join(HERE, "..", "src", "engine", "src", "test", "resources", "models", "diffusers")
CLIP_TINY = os.path.join(HERE, "..", "src", "engine", "src", "test", "resources", "tokenizer", "clip-tiny")
MIRROR = "/work/.mirror/huggingface+diffusers/repo"
DIFFUSERS_SRC = os.environ.get("DIFFUSERS_SRC", "/tmp/diffusers-src/src")
DIFFUSERS_VERSION = "0.30.0"
MAX_LENGTH = 77
SAMPLE_SIZE = 16          # latent cells: default size 32 px, distinguishable from the engine's 64-cell fallback
BLOCKS = (16, 32)
GROUPS = 8
VAE_BLOCKS = (8, 16)
VAE_GROUPS = 4
HEADS = (2, 4)            # diffusers' attention_head_dim = number of heads per block: head size 8


# ----------------------------------------------------------------------------------------------- import stubs

class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name.isupper():
            v = "/tmp/diffusers-stub-" + name.lower()
        else:
            base = Exception if name.endswith(("Error", "Exception", "Warning")) else object
            v = type(name, (base,), {"__init__": lambda self, *a, **k: None})
        setattr(self, name, v)
        return v


STUB_ROOTS = {"huggingface_hub", "safetensors", "requests", "filelock", "regex", "tqdm", "transformers"}


def install_import_stubs():
    import importlib.abc
    import importlib.machinery

    class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, fullname, path, target=None):
            if fullname.split(".")[0] in STUB_ROOTS:
                return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
            return None

        def create_module(self, spec):
            m = _StubModule(spec.name)
            m.__path__ = []
            m.__version__ = "99.0.0"
            return m

        def exec_module(self, module):
            pass

    sys.meta_path.insert(0, Finder())

    class Version:
        def __init__(self, s):
            self.public = str(s)
            self.release = tuple(int(x) for x in re.match(r"[0-9]+(\.[0-9]+)*", self.public).group(0).split("."))
            self.base_version = ".".join(map(str, self.release))
            r = self.release + (0, 0)
            self.major, self.minor, self.micro = r[0], r[1], r[2]
            self.is_prerelease = self.is_devrelease = False
            self.pre = self.dev = self.local = None

        def _k(self, o):
            o = o if isinstance(o, Version) else Version(o)
            n = max(len(self.release), len(o.release))
            return self.release + (0,) * (n - len(self.release)), o.release + (0,) * (n - len(o.release))

        def __lt__(self, o): a, b = self._k(o); return a < b
        def __le__(self, o): a, b = self._k(o); return a <= b
        def __gt__(self, o): a, b = self._k(o); return a > b
        def __ge__(self, o): a, b = self._k(o); return a >= b
        def __eq__(self, o): a, b = self._k(o); return a == b
        def __hash__(self): return hash(self.release)
        def __str__(self): return self.public

    if "packaging" not in sys.modules:
        pk, pv = types.ModuleType("packaging"), types.ModuleType("packaging.version")
        pv.parse, pv.Version, pv.InvalidVersion = Version, Version, ValueError
        pk.version = pv
        sys.modules["packaging"], sys.modules["packaging.version"] = pk, pv
    dvc = types.ModuleType("diffusers.dependency_versions_check")
    dvc.dep_version_check = lambda *a, **k: None
    sys.modules["diffusers.dependency_versions_check"] = dvc

    import torch
    for n in ("xpu", "mps", "mtia", "npu"):
        if not hasattr(torch, n):
            m = _StubModule("torch." + n)
            m.is_available = lambda: False
            m.device_count = lambda: 0
            setattr(torch, n, m)
    for n in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu",
              "float4_e2m1fn_x2", "uint16", "uint32", "uint64", "uint1", "uint2", "uint3", "uint4", "uint5", "uint6",
              "uint7", "int1", "int2", "int3", "int4", "int5", "int6", "int7"):
        if not hasattr(torch, n):
            setattr(torch, n, object())
    import torch.distributed as dist
    for n in ("device_mesh", "_functional_collectives", "tensor", "fsdp"):
        full = "torch.distributed." + n
        if full not in sys.modules:
            m = _StubModule(full)
            m.__path__ = []
            sys.modules[full] = m
            setattr(dist, n, m)
    if not hasattr(torch, "compiler"):
        c = types.ModuleType("torch.compiler")
        c.disable = lambda fn=None, *a, **k: fn if fn is not None else (lambda f: f)
        c.is_compiling = c.is_dynamo_compiling = lambda: False
        c.allow_in_graph = lambda fn: fn
        torch.compiler = sys.modules["torch.compiler"] = c
    for n in ("torch.nn.attention", "torch.nn.attention.flex_attention"):
        if n not in sys.modules:
            m = _StubModule(n)
            m.__path__ = []
            sys.modules[n] = m
    torch.nn.attention = sys.modules["torch.nn.attention"]


def ensure_diffusers_source():
    if not os.path.isdir(os.path.join(DIFFUSERS_SRC, "diffusers")):
        dest = os.path.dirname(DIFFUSERS_SRC)
        os.makedirs(dest, exist_ok=True)
        archive = subprocess.run(["git", "-C", MIRROR, "archive", "HEAD", "src/diffusers"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)
    sys.path.insert(0, DIFFUSERS_SRC)
    rev = subprocess.run(["git", "-C", MIRROR, "rev-parse", "HEAD"], capture_output=True, text=True)
    return rev.stdout.strip() or "unknown"


DIFFUSERS_REV = ensure_diffusers_source()
install_import_stubs()

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel  # noqa: E402
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL  # noqa: E402
from diffusers.schedulers import scheduling_ddim, scheduling_euler_discrete, scheduling_euler_ancestral_discrete  # noqa: E402
from diffusers.schedulers import scheduling_dpmsolver_multistep, scheduling_lcm, scheduling_ddpm  # noqa: E402

torch.set_num_threads(1)

SAMPLERS = {  # the engine's names (sampler/Samplers.java) -> diffusers classes
    "ddim": scheduling_ddim.DDIMScheduler,
    "ddpm": scheduling_ddpm.DDPMScheduler,
    "euler": scheduling_euler_discrete.EulerDiscreteScheduler,
    "euler-a": scheduling_euler_ancestral_discrete.EulerAncestralDiscreteScheduler,
    "dpmpp-2m": scheduling_dpmsolver_multistep.DPMSolverMultistepScheduler,
    "lcm": scheduling_lcm.LCMScheduler,
}
SCHEDULER_MODULES = [scheduling_ddim, scheduling_ddpm, scheduling_euler_ancestral_discrete, scheduling_lcm,
                     scheduling_euler_discrete, scheduling_dpmsolver_multistep]


def _guidance_scale_embedding():
    """LatentConsistencyModelPipeline.get_guidance_scale_embedding, compiled from the pipeline's own source."""
    path = os.path.join(DIFFUSERS_SRC, "diffusers", "pipelines", "latent_consistency_models",
                        "pipeline_latent_consistency_text2img.py")
    tree = ast.parse(open(path).read())
    for cls in tree.body:
        if isinstance(cls, ast.ClassDef):
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and fn.name == "get_guidance_scale_embedding":
                    mod = ast.Module(body=[fn], type_ignores=[])
                    ns = {"torch": torch}
                    exec(compile(mod, path, "exec"), ns)
                    return ns["get_guidance_scale_embedding"]
    raise RuntimeError("get_guidance_scale_embedding not found in " + path)


GUIDANCE_EMBEDDING = _guidance_scale_embedding()


# ----------------------------------------------------------------------------------------------- text encoders

class TinyClipText(nn.Module):
    """HF CLIPTextModel(WithProjection) semantics, see the module docstring."""

    def __init__(self, vocab, hidden, layers, heads, intermediate, projection_dim=None, max_positions=MAX_LENGTH,
                 outputs=("last_hidden_state", "pooler_output")):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.scale = self.head_dim ** -0.5
        self.token_embedding = nn.Embedding(vocab, hidden)
        self.position_embedding = nn.Embedding(max_positions, hidden)
        self.layers = nn.ModuleList()
        for _ in range(layers):
            layer = nn.Module()
            layer.layer_norm1 = nn.LayerNorm(hidden, eps=1e-5)
            layer.q_proj, layer.k_proj = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
            layer.v_proj, layer.out_proj = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
            layer.layer_norm2 = nn.LayerNorm(hidden, eps=1e-5)
            layer.fc1, layer.fc2 = nn.Linear(hidden, intermediate), nn.Linear(intermediate, hidden)
            self.layers.append(layer)
        self.final_layer_norm = nn.LayerNorm(hidden, eps=1e-5)
        self.text_projection = nn.Linear(hidden, projection_dim, bias=False) if projection_dim else None
        self.outputs = outputs
        self.config = {"architectures": ["CLIPTextModelWithProjection" if projection_dim else "CLIPTextModel"],
                       "model_type": "clip_text_model", "vocab_size": vocab, "hidden_size": hidden,
                       "intermediate_size": intermediate, "num_hidden_layers": layers,
                       "num_attention_heads": heads, "max_position_embeddings": max_positions,
                       "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5, "bos_token_id": 0, "eos_token_id": 2,
                       "pad_token_id": 1, "note": "not transformers' class: tools/make_diffusers_fixtures.py TinyClipText"}
        if projection_dim:
            self.config["projection_dim"] = projection_dim

    def _attention(self, layer, h, mask):
        b, n, d = h.shape
        hd = self.head_dim
        q = (layer.q_proj(h) * self.scale).view(b, n, self.heads, hd).transpose(1, 2)
        k = layer.k_proj(h).view(b, n, self.heads, hd).transpose(1, 2)
        v = layer.v_proj(h).view(b, n, self.heads, hd).transpose(1, 2)
        w = torch.matmul(q, k.transpose(2, 3)) + mask
        w = torch.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
        o = torch.matmul(w, v).transpose(1, 2).reshape(b, n, d)
        return layer.out_proj(o)

    def forward(self, input_ids):
        n = input_ids.shape[-1]
        positions = torch.arange(n, device=input_ids.device)
        h = self.token_embedding(input_ids) + self.position_embedding(positions)[None]
        dtype = h.dtype
        mask = torch.full((n, n), torch.finfo(dtype).min, dtype=dtype).triu(1)[None, None]
        hidden_states = [h]
        for layer in self.layers:
            r = h
            h = r + self._attention(layer, layer.layer_norm1(h), mask)
            r = h
            x = layer.fc1(layer.layer_norm2(h))
            x = x * torch.sigmoid(1.702 * x)
            h = r + layer.fc2(x)
            hidden_states.append(h)
        last = self.final_layer_norm(h)
        pooled = last[torch.arange(last.shape[0]), input_ids.to(dtype=torch.int).argmax(dim=-1)]
        values = {"last_hidden_state": last, "pooler_output": pooled}
        if self.text_projection is not None:
            values["text_embeds"] = self.text_projection(pooled)
        for i, hs in enumerate(hidden_states):
            values["hidden_states.%d" % i] = hs
        return tuple(values[o] for o in self.outputs)

    def run(self, ids):
        """All outputs as a dict (references)."""
        out = self.forward(torch.tensor(ids, dtype=torch.int64))
        return dict(zip(self.outputs, out))


def text_encoder(seed, hidden, layers, heads, projection_dim=None, all_hidden=False):
    torch.manual_seed(seed)
    n = layers + 1
    if projection_dim:
        outputs = ("text_embeds", "last_hidden_state") + tuple("hidden_states.%d" % i for i in range(n))
    elif all_hidden:
        outputs = ("last_hidden_state", "pooler_output") + tuple("hidden_states.%d" % i for i in range(n))
    else:
        outputs = ("last_hidden_state", "pooler_output")
    vocab = len(json.load(open(os.path.join(CLIP_TINY, "vocab.json"))))
    return perturbed(TinyClipText(vocab, hidden, layers, heads, 2 * hidden, projection_dim, outputs=outputs).eval())


# ----------------------------------------------------------------------------------------------- tokenizer

def _bpe_tables():
    vocab = json.load(open(os.path.join(CLIP_TINY, "vocab.json"), encoding="utf-8"))
    ranks = {}
    with open(os.path.join(CLIP_TINY, "merges.txt"), encoding="utf-8") as f:
        lines = f.read().split("\n")[1:]
    for r, line in enumerate(l for l in lines if l):
        a, b = line.split(" ")
        ranks[(a, b)] = r
    return vocab, ranks


VOCAB, RANKS = _bpe_tables()


def token_ids(prompt, pad="<|endoftext|>"):
    return bpe.encode(prompt, VOCAB, RANKS, MAX_LENGTH, pad)[1]["ids"]


def write_tokenizer(folder, name="tokenizer", pad="<|endoftext|>"):
    d = os.path.join(folder, name)
    os.makedirs(d, exist_ok=True)
    shutil.copyfile(os.path.join(CLIP_TINY, "vocab.json"), os.path.join(d, "vocab.json"))
    shutil.copyfile(os.path.join(CLIP_TINY, "merges.txt"), os.path.join(d, "merges.txt"))
    cfg = {"add_prefix_space": False, "bos_token": "<|startoftext|>", "clean_up_tokenization_spaces": True,
           "do_lower_case": True, "eos_token": "<|endoftext|>", "errors": "replace", "model_max_length": MAX_LENGTH,
           "pad_token": pad, "tokenizer_class": "CLIPTokenizer", "unk_token": "<|endoftext|>"}
    write_json(os.path.join(d, "tokenizer_config.json"), cfg)
    write_json(os.path.join(d, "special_tokens_map.json"),
               {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": pad,
                "unk_token": "<|endoftext|>"})


# ----------------------------------------------------------------------------------------------- configs

def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def sd_scheduler_config(class_name, **extra):
    cfg = {"_class_name": class_name, "_diffusers_version": DIFFUSERS_VERSION, "beta_end": 0.012,
           "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False,
           "num_train_timesteps": 1000, "prediction_type": "epsilon", "set_alpha_to_one": False,
           "steps_offset": 1, "trained_betas": None}
    cfg.update(extra)
    return dict(sorted(cfg.items()))


SD15_SCHEDULER = sd_scheduler_config("PNDMScheduler", skip_prk_steps=True)
SD2V_SCHEDULER = sd_scheduler_config("PNDMScheduler", skip_prk_steps=True, prediction_type="v_prediction")
LCM_SCHEDULER = sd_scheduler_config("LCMScheduler", original_inference_steps=50, timestep_scaling=10.0,
                                    timestep_spacing="leading", clip_sample_range=1.0, dynamic_thresholding_ratio=0.995,
                                    rescale_betas_zero_snr=False, sample_max_value=1.0, thresholding=False)
SDXL_SCHEDULER = sd_scheduler_config("EulerDiscreteScheduler", interpolation_type="linear", sample_max_value=1.0,
                                     timestep_spacing="leading", use_karras_sigmas=False)
SDXL_TURBO_SCHEDULER = sd_scheduler_config("EulerAncestralDiscreteScheduler", timestep_spacing="trailing")
for c in (SDXL_SCHEDULER, SDXL_TURBO_SCHEDULER):
    c.pop("clip_sample")
    c.pop("set_alpha_to_one")


def unet_config(**extra):
    cfg = dict(sample_size=SAMPLE_SIZE, in_channels=4, out_channels=4, block_out_channels=BLOCKS, layers_per_block=1,
               down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
               up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32,
               attention_head_dim=HEADS, norm_num_groups=GROUPS)
    cfg.update(extra)
    return cfg


@torch.no_grad()
def perturbed(module, scale=0.02):
    """Adds N(0, scale^2) to every parameter. Freshly built modules start with norm weights of exactly 1 and many
    biases of exactly 0; torch's ONNX export merges initializers with identical values, so such a graph would
    hold fewer parameters than the module (trained checkpoints have no such twins)."""
    for p in module.parameters():
        p.add_(torch.randn_like(p) * scale)
    return module


def make_unet(seed, **extra):
    torch.manual_seed(seed)
    return perturbed(UNet2DConditionModel(**unet_config(**extra)).eval())


def make_vae(seed, **extra):
    torch.manual_seed(seed)
    kw = dict(in_channels=3, out_channels=3, block_out_channels=VAE_BLOCKS,
              down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
              latent_channels=4, layers_per_block=1, norm_num_groups=VAE_GROUPS, sample_size=2 * SAMPLE_SIZE)
    kw.update(extra)
    return perturbed(AutoencoderKL(**kw).eval())


def config_json(module):
    cfg = dict(module.config)
    cfg["_class_name"] = type(module).__name__
    cfg["_diffusers_version"] = DIFFUSERS_VERSION
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(cfg.items()) if not k.startswith("_use")}


def model_index(class_name, components, **extra):
    idx = {"_class_name": class_name, "_diffusers_version": DIFFUSERS_VERSION}
    idx.update(extra)
    for c, v in sorted(components.items()):
        idx[c] = v
    return idx


def onnx_component(names):
    return {n: ["diffusers", "OnnxRuntimeModel"] for n in names}


# ----------------------------------------------------------------------------------------------- export

class VaeDecoder(nn.Module):
    """The converter sets vae.forward = vae.decode and passes return_dict=False: output = decode(z)[0]."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent_sample):
        return self.vae.decode(latent_sample, return_dict=False)[0]


class UnetWrapper(nn.Module):
    """optimum-style UNet signature: named extra inputs mapped to diffusers' keyword arguments."""

    def __init__(self, unet, extra):
        super().__init__()
        self.unet = unet
        self.extra = extra

    def forward(self, sample, timestep, encoder_hidden_states, *rest):
        kw = dict(zip(self.extra, rest))
        added = {k: kw.pop(k) for k in ("text_embeds", "time_ids") if k in kw}
        return self.unet(sample, timestep, encoder_hidden_states, added_cond_kwargs=added or None,
                         return_dict=False, **kw)[0]


def export(module, args, path, input_names, output_names, dynamic_axes, external=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, do_constant_folding=True, opset_version=14)
    model = onnx.load(path)
    if external:  # the converter collates the UNet's weights into one external file
        for f in os.listdir(os.path.dirname(path)):
            os.remove(os.path.join(os.path.dirname(path), f))
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="weights.pb", convert_attribute=False, size_threshold=1024)
    onnx.checker.check_model(path)
    return onnx.load(path)


SD_TEXT_AXES = {"input_ids": {0: "batch", 1: "sequence"}}


def export_sd_text(te, folder, ids_dtype=torch.int32, name="text_encoder", axes=None):
    ids = torch.tensor([token_ids("A sample prompt")], dtype=ids_dtype)
    export(te, (ids,), os.path.join(folder, name, "model.onnx"), ["input_ids"], list(te.outputs),
           axes or SD_TEXT_AXES)
    write_json(os.path.join(folder, name, "config.json"), te.config)


def export_sd_unet(unet, folder, dtype=torch.float32, seq=MAX_LENGTH):
    s = unet.config.sample_size
    args = (torch.randn(2, unet.config.in_channels, s, s).to(dtype), torch.randn(2).to(dtype),
            torch.randn(2, seq, unet.config.cross_attention_dim).to(dtype))
    export(UnetWrapper(unet, ()), args, os.path.join(folder, "unet", "model.onnx"),
           ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
           {"sample": {0: "batch", 1: "channels", 2: "height", 3: "width"}, "timestep": {0: "batch"},
            "encoder_hidden_states": {0: "batch", 1: "sequence"}}, external=True)
    write_json(os.path.join(folder, "unet", "config.json"), config_json(unet))


def export_vae_decoder(vae, folder, dtype=torch.float32):
    s = SAMPLE_SIZE
    export(VaeDecoder(vae), (torch.randn(1, vae.config.latent_channels, s, s).to(dtype),),
           os.path.join(folder, "vae_decoder", "model.onnx"), ["latent_sample"], ["sample"],
           {"latent_sample": {0: "batch", 1: "channels", 2: "height", 3: "width"}})
    write_json(os.path.join(folder, "vae_decoder", "config.json"), config_json(vae))


def export_optimum_unet(unet, folder, extra_inputs):
    s = unet.config.sample_size
    b = 2
    args = [torch.randn(b, 4, s, s), torch.tensor([999, 999], dtype=torch.int64),
            torch.randn(b, MAX_LENGTH, unet.config.cross_attention_dim)]
    axes = {"sample": {0: "batch_size", 2: "height", 3: "width"}, "timestep": {0: "steps"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"}}
    for name, shape in extra_inputs:
        args.append(torch.randn(b, *shape))
        axes[name] = {0: "batch_size"}
    export(UnetWrapper(unet, [n for n, _ in extra_inputs]), tuple(args), os.path.join(folder, "unet", "model.onnx"),
           ["sample", "timestep", "encoder_hidden_states"] + [n for n, _ in extra_inputs], ["out_sample"], axes,
           external=False)
    write_json(os.path.join(folder, "unet", "config.json"), config_json(unet))


def fresh(folder):
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    return folder


# ----------------------------------------------------------------------------------------------- references

class StepNoise:
    """Replaces the schedulers' randn_tensor by the project's step noise for the current step."""

    def __init__(self):
        self.current = None

    def __call__(self, shape, generator=None, device=None, dtype=None, layout=None, **kw):
        if self.current is None:
            raise RuntimeError("scheduler asked for noise outside a step")
        assert tuple(shape) == tuple(self.current.shape), (shape, self.current.shape)
        return self.current.to(dtype or torch.float32)

    def __enter__(self):
        self.saved = [(m, m.randn_tensor) for m in SCHEDULER_MODULES if hasattr(m, "randn_tensor")]
        for m, _ in self.saved:
            m.randn_tensor = self
        return self

    def __exit__(self, *exc):
        for m, f in self.saved:
            m.randn_tensor = f


def noise(seed, stream, shape):
    n = int(np.prod(shape))
    return torch.from_numpy(np.asarray(seed_noise.gaussian(seed, stream, n), dtype=np.float32).reshape(shape))


def flat(t):
    return [float("%.9g" % v) for v in t.detach().double().reshape(-1).tolist()]


class Fixture:
    def __init__(self, name, unet, vae, scheduler_config, kind, te=None, te2=None):
        self.name, self.unet, self.vae, self.scheduler_config, self.kind = name, unet, vae, scheduler_config, kind
        self.te, self.te2 = te, te2
        self.vae_scale = 2 ** (len(vae.config.block_out_channels) - 1)
        self.default_size = unet.config.sample_size * self.vae_scale

    def encode_sd(self, prompt):
        return self.te.run([token_ids(prompt)])["last_hidden_state"]

    def encode_sdxl(self, prompt):
        """StableDiffusionXLPipeline.encode_prompt: hidden_states[-2] of both encoders, pooled from encoder 2."""
        o1 = self.te.run([token_ids(prompt)])
        o2 = self.te2.run([token_ids(prompt, pad="!")])
        n1 = len([k for k in o1 if k.startswith("hidden_states.")])
        n2 = len([k for k in o2 if k.startswith("hidden_states.")])
        embeds = torch.cat([o1["hidden_states.%d" % (n1 - 2)], o2["hidden_states.%d" % (n2 - 2)]], dim=-1)
        return embeds, o2["text_embeds"]


@torch.no_grad()
def reference_run(fx, description, prompt, negative, seed, sampler, steps, guidance, eta=0.0, width=None,
                  height=None):
    sched = SAMPLERS[sampler].from_config(fx.scheduler_config)
    h = height or fx.default_size
    w = width or fx.default_size
    latent_shape = (fx.unet.config.in_channels, h // fx.vae_scale, w // fx.vae_scale)
    lcm = fx.kind == "lcm"
    cfg = guidance > 1 and not lcm
    added = None
    timestep_cond = None
    if fx.kind == "sdxl":
        embeds, pooled = fx.encode_sdxl(prompt)
        time_ids = torch.tensor([[h, w, 0, 0, h, w]], dtype=torch.float32)
        if cfg:
            if negative == "":  # the engine's "" is the pipeline's negative_prompt=None: force_zeros_for_empty_prompt
                neg, neg_pooled = torch.zeros_like(embeds), torch.zeros_like(pooled)
            else:
                neg, neg_pooled = fx.encode_sdxl(negative)
            embeds = torch.cat([neg, embeds])
            pooled = torch.cat([neg_pooled, pooled])
            time_ids = torch.cat([time_ids, time_ids])
        added = {"text_embeds": pooled, "time_ids": time_ids}
    else:
        embeds = fx.encode_sd(prompt)
        if cfg:
            embeds = torch.cat([fx.encode_sd(negative), embeds])
    if lcm:
        w_embedding = GUIDANCE_EMBEDDING(None, torch.tensor(guidance - 1).repeat(1),
                                         embedding_dim=fx.unet.config.time_cond_proj_dim)
        timestep_cond = w_embedding
    sched.set_timesteps(steps)
    latents = noise(seed, 0, (1,) + latent_shape) * sched.init_noise_sigma
    kwargs = {"eta": eta} if sampler == "ddim" else {}
    denoised = None
    nfe = 0
    with StepNoise() as step_noise:
        for i, t in enumerate(sched.timesteps):
            x = torch.cat([latents] * 2) if cfg else latents
            x = sched.scale_model_input(x, t)
            pred = fx.unet(x, t, encoder_hidden_states=embeds, timestep_cond=timestep_cond,
                           added_cond_kwargs=added, return_dict=False)[0]
            nfe += x.shape[0]
            if cfg:
                uncond, cond = pred.chunk(2)
                pred = uncond + guidance * (cond - uncond)
            step_noise.current = noise(seed, i + 1, (1,) + latent_shape)
            out = sched.step(pred, t, latents, **kwargs, return_dict=False)
            latents = out[0]
            if lcm:
                denoised = out[1]
    final = denoised if lcm else latents
    image = fx.vae.decode(final / fx.vae.config.scaling_factor, return_dict=False)[0]
    run = {"description": description, "model": "diffusers/" + fx.name, "prompt": prompt, "negative_prompt": negative,
           "seed": seed, "sampler": sampler, "diffusers_scheduler": type(sched).__name__, "steps": steps,
           "guidance_scale": guidance, "eta": eta, "width": w, "height": h,
           "classifier_free_guidance": cfg, "nfe": nfe, "unet_batch": 2 if cfg else 1,
           "timesteps": [float(t) for t in sched.timesteps], "init_noise_sigma": float(sched.init_noise_sigma),
           "cond_input_ids": token_ids(prompt)}
    if fx.kind == "sdxl":
        run["cond_input_ids_2"] = token_ids(prompt, pad="!")
        run["time_ids"] = [h, w, 0, 0, h, w]
        run["negative_embeddings"] = "zeros (negative_prompt None, force_zeros_for_empty_prompt)" if negative == "" \
            else "encoded"
    if lcm:
        run["w_embedding"] = flat(timestep_cond)
    run.update({"latent_shape": list(latent_shape), "final_latent": flat(final[0]),
                "pixel_shape": list(image.shape[1:]), "pixels": flat(image[0]),
                "latent_range": [float(final.min()), float(final.max())]})
    print("  %-55s nfe %2d latent [%.3g, %.3g]" % (description, nfe, final.min(), final.max()))
    return run


# ----------------------------------------------------------------------------------------------- float16

def _bf16_to_fp16_model(bf16_path, fp32_model, out_path):
    """Retypes a bfloat16-traced export to float16 (see the module docstring); returns converted constant names."""
    m = onnx.load(bf16_path)
    ref = {i.name: numpy_helper.to_array(i) for i in fp32_model.graph.initializer}
    for node in fp32_model.graph.node:  # same scoped names in both traces: the constant's float32 value
        if node.op_type in ("Constant", "ConstantOfShape"):
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.TENSOR:
                    ref.setdefault(node.output[0], numpy_helper.to_array(attr.t))
    by_value = {}
    for name, a in ref.items():
        if a.dtype == np.float32:
            key = (a.shape, _bf16_round(a).tobytes())
            by_value.setdefault(key, a)
    converted = []

    def to_fp16(name, arr32_from_bf16):
        src = ref.get(name)
        if src is not None and src.dtype == np.float32 and src.shape == arr32_from_bf16.shape \
                and np.array_equal(_bf16_round(src), arr32_from_bf16):
            return src.astype(np.float16)
        src = by_value.get((arr32_from_bf16.shape, arr32_from_bf16.tobytes()))
        if src is not None:
            return src.astype(np.float16)
        a = arr32_from_bf16.copy()
        bmin = float(torch.finfo(torch.bfloat16).min)
        a[a == bmin] = np.finfo(np.float16).min  # torch.finfo(dtype).min masks: float16's in a model.half() trace
        a[a == -bmin] = np.finfo(np.float16).max
        converted.append((name, a.reshape(-1)[:4].tolist(), a.size))
        return a.astype(np.float16)

    for i, init in enumerate(m.graph.initializer):
        if init.data_type == TensorProto.BFLOAT16:
            a = _bf16_tensor_to_f32(init)
            t = numpy_helper.from_array(to_fp16(init.name, a), init.name)
            m.graph.initializer[i].CopyFrom(t)
    for node in m.graph.node:
        for attr in node.attribute:
            if node.op_type == "Cast" and attr.name == "to" and attr.i == TensorProto.BFLOAT16:
                attr.i = TensorProto.FLOAT16
            if attr.type == onnx.AttributeProto.TENSOR and attr.t.data_type == TensorProto.BFLOAT16:
                a = _bf16_tensor_to_f32(attr.t)
                attr.t.CopyFrom(numpy_helper.from_array(to_fp16(node.output[0], a), attr.t.name))
    for vi in list(m.graph.input) + list(m.graph.output) + list(m.graph.value_info):
        if vi.type.tensor_type.elem_type == TensorProto.BFLOAT16:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT16
    onnx.save(m, out_path)
    onnx.checker.check_model(out_path, full_check=True)
    return converted


def _bf16_round(a):
    b = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)
    r = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) << 16
    return r.astype(np.uint32).view(np.float32)


def _bf16_tensor_to_f32(t):
    if t.raw_data:
        u16 = np.frombuffer(t.raw_data, dtype=np.uint16)
    else:
        u16 = np.asarray(t.int32_data, dtype=np.uint16)
    return (u16.astype(np.uint32) << 16).view(np.float32).reshape(tuple(t.dims))


def export_fp16(module_factory, fp32_path, out_path, args_fn, input_names, output_names, axes, external=False):
    """module_factory() gives a float32 module; it is exported in bfloat16 and retyped to float16."""
    tmp = out_path + ".bf16.onnx"
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    module = module_factory().to(torch.bfloat16)
    with torch.no_grad():
        torch.onnx.export(module, args_fn(torch.bfloat16), tmp, input_names=input_names, output_names=output_names,
                          dynamic_axes=axes, do_constant_folding=True, opset_version=14)
    converted = _bf16_to_fp16_model(tmp, onnx.load(fp32_path), out_path)
    os.remove(tmp)
    if external:
        model = onnx.load(out_path)
        onnx.save_model(model, out_path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="weights.pb", convert_attribute=False, size_threshold=1024)
    return converted


# ----------------------------------------------------------------------------------------------- main

def build_sd(name, scheduler, unet, vae, te, fp16_of=None):
    folder = fresh(os.path.join(ROOT, name))
    write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), scheduler)
    write_tokenizer(folder)
    comps = onnx_component(["text_encoder", "unet", "vae_decoder", "vae_encoder"])
    del comps["vae_encoder"]
    comps.update({"scheduler": ["diffusers", scheduler["_class_name"]], "tokenizer": ["transformers", "CLIPTokenizer"],
                  "safety_checker": [None, None], "feature_extractor": [None, None]})
    write_json(os.path.join(folder, "model_index.json"),
               model_index("OnnxStableDiffusionPipeline", comps, requires_safety_checker=False))
    if fp16_of is None:
        export_sd_text(te, folder)
        export_sd_unet(unet, folder)
        export_vae_decoder(vae, folder)
        return folder
    src = os.path.join(ROOT, fp16_of)
    s = unet.config.sample_size
    for comp in ("text_encoder", "unet", "vae_decoder"):
        os.makedirs(os.path.join(folder, comp))
        shutil.copyfile(os.path.join(src, comp, "config.json"), os.path.join(folder, comp, "config.json"))
    conv = export_fp16(lambda: copy.deepcopy(te), os.path.join(src, "text_encoder", "model.onnx"),
                       os.path.join(folder, "text_encoder", "model.onnx"),
                       lambda dt: (torch.tensor([token_ids("A sample prompt")], dtype=torch.int32),),
                       ["input_ids"], list(te.outputs), SD_TEXT_AXES)
    conv += export_fp16(lambda: UnetWrapper(copy.deepcopy(unet), ()), os.path.join(src, "unet", "model.onnx"),
                        os.path.join(folder, "unet", "model.onnx"),
                        lambda dt: (torch.randn(2, 4, s, s).to(dt), torch.randn(2).to(dt),
                                    torch.randn(2, MAX_LENGTH, unet.config.cross_attention_dim).to(dt)),
                        ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
                        {"sample": {0: "batch", 1: "channels", 2: "height", 3: "width"}, "timestep": {0: "batch"},
                         "encoder_hidden_states": {0: "batch", 1: "sequence"}}, external=True)
    conv += export_fp16(lambda: VaeDecoder(copy.deepcopy(vae)), os.path.join(src, "vae_decoder", "model.onnx"),
                        os.path.join(folder, "vae_decoder", "model.onnx"),
                        lambda dt: (torch.randn(1, 4, s, s).to(dt),), ["latent_sample"], ["sample"],
                        {"latent_sample": {0: "batch", 1: "channels", 2: "height", 3: "width"}})
    print("  %s: bfloat16 constants without a float32 counterpart (converted as they are): %d" % (name, len(conv)))
    for c in conv:
        print("    ", c)
    return folder


def build_lcm(unet, vae, te):
    folder = fresh(os.path.join(ROOT, "lcm"))
    write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), LCM_SCHEDULER)
    write_tokenizer(folder)
    comps = onnx_component(["text_encoder", "unet", "vae_decoder"])
    comps.update({"scheduler": ["diffusers", "LCMScheduler"], "tokenizer": ["transformers", "CLIPTokenizer"]})
    write_json(os.path.join(folder, "model_index.json"), model_index("ORTLatentConsistencyModelPipeline", comps,
                                                                     requires_safety_checker=False))
    export_sd_text(te, folder, ids_dtype=torch.int64,
                   axes={"input_ids": {0: "batch_size", 1: "sequence_length"}})
    export_optimum_unet(unet, folder, [("timestep_cond", (unet.config.time_cond_proj_dim,))])
    export_vae_decoder(vae, folder)
    return folder


def build_sdxl(name, scheduler, unet, vae, te, te2, copy_of=None):
    folder = fresh(os.path.join(ROOT, name))
    write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), scheduler)
    write_tokenizer(folder)
    write_tokenizer(folder, "tokenizer_2", pad="!")
    comps = onnx_component(["text_encoder", "text_encoder_2", "unet", "vae_decoder"])
    comps.update({"scheduler": ["diffusers", scheduler["_class_name"]],
                  "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "CLIPTokenizer"]})
    write_json(os.path.join(folder, "model_index.json"),
               model_index("StableDiffusionXLPipeline", comps, force_zeros_for_empty_prompt=True))
    if copy_of is not None:
        for comp in ("text_encoder", "text_encoder_2", "unet", "vae_decoder"):
            shutil.copytree(os.path.join(ROOT, copy_of, comp), os.path.join(folder, comp))
        return folder
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"}}
    export_sd_text(te, folder, ids_dtype=torch.int64, axes=axes)
    export_sd_text(te2, folder, ids_dtype=torch.int64, name="text_encoder_2", axes=axes)
    export_optimum_unet(unet, folder, [("text_embeds", (te2.config["projection_dim"],)), ("time_ids", (6,))])
    export_vae_decoder(vae, folder)
    return folder


def torch_parameters(fx):
    """Parameters of the torch modules each network was exported from, counted by torch (numel of
    .parameters()): the text encoder(s) (both for SDXL), the UNet, and the VAE's decoder path the ONNX decoder
    holds (post_quant_conv + decoder)."""
    def count(*modules):
        return sum(p.numel() for m in modules for p in m.parameters())
    text = count(fx.te) + (count(fx.te2) if fx.te2 is not None else 0)
    vae = count(fx.vae.decoder) + (count(fx.vae.post_quant_conv) if fx.vae.post_quant_conv is not None else 0)
    return {"text_encoder": text, "unet": count(fx.unet), "vae_decoder": vae}


def main():
    os.makedirs(ROOT, exist_ok=True)
    runs = []
    fixtures = {}

    print("sd15")
    te = text_encoder(1, hidden=32, layers=2, heads=2)
    sd15 = Fixture("sd15", make_unet(2), make_vae(3), SD15_SCHEDULER, "sd", te=te)
    build_sd("sd15", SD15_SCHEDULER, sd15.unet, sd15.vae, te)
    fixtures["sd15"] = sd15
    print("sd15-fp16")
    build_sd("sd15-fp16", SD15_SCHEDULER, sd15.unet, sd15.vae, te, fp16_of="sd15")
    fixtures["sd15-fp16"] = Fixture("sd15-fp16", sd15.unet, sd15.vae, SD15_SCHEDULER, "sd", te=te)

    print("sd2-v")
    sd2 = Fixture("sd2-v", make_unet(4, upcast_attention=True, use_linear_projection=True), make_vae(3),
                  SD2V_SCHEDULER, "sd", te=te)
    build_sd("sd2-v", SD2V_SCHEDULER, sd2.unet, sd2.vae, te)
    fixtures["sd2-v"] = sd2

    print("lcm")
    lcm = Fixture("lcm", make_unet(5, time_cond_proj_dim=32), make_vae(3), LCM_SCHEDULER, "lcm", te=te)
    build_lcm(lcm.unet, lcm.vae, te)
    fixtures["lcm"] = lcm

    print("sdxl")
    te1 = text_encoder(6, hidden=32, layers=2, heads=2, all_hidden=True)
    te2 = text_encoder(7, hidden=64, layers=2, heads=4, projection_dim=32)
    xl_unet = make_unet(8, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), transformer_layers_per_block=(1, 1),
                        use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=8,
                        projection_class_embeddings_input_dim=6 * 8 + 32, cross_attention_dim=96)
    xl_vae = make_vae(9, scaling_factor=0.13025, force_upcast=True)
    sdxl = Fixture("sdxl", xl_unet, xl_vae, SDXL_SCHEDULER, "sdxl", te=te1, te2=te2)
    build_sdxl("sdxl", SDXL_SCHEDULER, xl_unet, xl_vae, te1, te2)
    fixtures["sdxl"] = sdxl
    turbo = Fixture("sdxl-turbo", xl_unet, xl_vae, SDXL_TURBO_SCHEDULER, "sdxl", te=te1, te2=te2)
    build_sdxl("sdxl-turbo", SDXL_TURBO_SCHEDULER, xl_unet, xl_vae, te1, te2, copy_of="sdxl")
    fixtures["sdxl-turbo"] = turbo

    print("references")
    p = "a photo of a cat sitting on a windowsill, highly detailed"
    runs.append(reference_run(sd15, "sd15 ddim eta 0, guidance 7.5", p, "", 7, "ddim", 10, 7.5))
    runs.append(reference_run(sd15, "sd15 euler, guidance 7.5, negative prompt", p, "blurry", 8, "euler", 8, 7.5))
    runs.append(reference_run(sd15, "sd15 dpmpp-2m, guidance 7.5", "a red car parked on a street in tokyo", "", 9,
                              "dpmpp-2m", 12, 7.5))
    runs.append(reference_run(sd15, "sd15 euler-a, guidance 7.5", p, "", 10, "euler-a", 6, 7.5))
    runs.append(reference_run(sd15, "sd15 ddim, guidance 1 (no unconditional pass)", p, "", 11, "ddim", 5, 1.0))
    runs.append(reference_run(sd2, "sd2-v euler, v_prediction, upcast_attention", p, "", 12, "euler", 8, 7.5))
    runs.append(reference_run(sd2, "sd2-v ddim, v_prediction", p, "", 13, "ddim", 6, 7.5))
    runs.append(reference_run(lcm, "lcm 4 steps, w 8.5 (embedded, no unconditional pass)", p, "", 14, "lcm", 4, 8.5))
    runs.append(reference_run(sdxl, "sdxl euler, guidance 5, empty negative (zeros)", p, "", 15, "euler", 6, 5.0))
    runs.append(reference_run(sdxl, "sdxl euler, guidance 5, negative prompt", p, "blurry, low quality", 16,
                              "euler", 6, 5.0))
    runs.append(reference_run(sdxl, "sdxl euler 48x32 (width 48, height 32: time_ids and latent order)", p, "blurry",
                              19, "euler", 4, 5.0, width=48, height=32))
    runs.append(reference_run(sd15, "sd15 ddim 48x32 (width 48, height 32)", p, "", 20, "ddim", 4, 7.5, width=48,
                              height=32))
    runs.append(reference_run(turbo, "sdxl-turbo euler-a 1 step, guidance 0", p, "", 17, "euler-a", 1, 0.0))
    runs.append(reference_run(turbo, "sdxl-turbo euler-a 4 steps, guidance 0", p, "", 18, "euler-a", 4, 0.0))

    defaults = {n: {"width": f.default_size, "height": f.default_size,
                    "rule": "unet.config.sample_size * 2 ** (len(vae.config.block_out_channels) - 1)",
                    "parameters": torch_parameters(f)}
                for n, f in fixtures.items()}
    out = {"generator": "tools/make_diffusers_fixtures.py", "diffusers_commit": DIFFUSERS_REV,
           "torch": torch.__version__, "defaults": defaults, "runs": runs,
           "fp16": {"model": "diffusers/sd15-fp16", "reference_of": "diffusers/sd15",
                    "note": "same weights as sd15 exported in float16: compare with the sd15 runs"}}
    with open(os.path.join(ROOT, "reference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
