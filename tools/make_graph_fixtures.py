#!/usr/bin/python3
"""Generates the ONNX test fixtures of io.diffusionbatch.engine.graph and their expected numbers.

Run with Debian's interpreter (torch 1.13, onnx 1.12):

    /usr/bin/python3 tools/make_graph_fixtures.py

Writes src/engine/src/test/resources/graph/*.onnx (each well under 200 KB), ext_data.bin and expected.json.

The expected FLOPs of the torch modules are computed independently of ONNX: forward hooks on
nn.Conv2d and nn.Linear, plus an explicit counter in the attention (QK^T and AV matmuls), all with
the convention FLOPs = 2 * multiply-adds, bias additions not counted. Parameters are
sum(p.numel()) over the module's parameters.
"""
import json
import math
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "engine", "src", "test", "resources", "graph")

torch.manual_seed(0)
np.random.seed(0)

# ---------------------------------------------------------------- torch UNet-like module

ATTN_FLOPS = [0]  # accumulated by Attention.forward during a counted run


class Attention(nn.Module):
    """Self- or cross-attention as in diffusers' CrossAttention (dynamic batch and token axes)."""

    def __init__(self, dim, context_dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(context_dim, dim, bias=False)
        self.to_v = nn.Linear(context_dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x, context=None):
        context = x if context is None else context
        b, n, c = x.shape
        h = self.heads
        q = self.to_q(x)
        k = self.to_k(context)
        v = self.to_v(context)
        # (b, n, c) -> (b*h, n, d) through reshape/permute, as diffusers' head_to_batch_dim
        q = q.reshape(b, n, h, c // h).permute(0, 2, 1, 3).reshape(b * h, n, c // h)
        m = k.shape[1]
        k = k.reshape(b, m, h, c // h).permute(0, 2, 1, 3).reshape(b * h, m, c // h)
        v = v.reshape(b, m, h, c // h).permute(0, 2, 1, 3).reshape(b * h, m, c // h)
        scores = torch.matmul(q, k.transpose(-1, -2)) * self.scale
        probs = scores.softmax(dim=-1)
        out = torch.matmul(probs, v)
        if not torch.jit.is_tracing():
            d = c // h
            ATTN_FLOPS[0] += 2 * (b * h) * n * m * d  # QK^T
            ATTN_FLOPS[0] += 2 * (b * h) * n * m * d  # probs @ V
        out = out.reshape(b, h, n, c // h).permute(0, 2, 1, 3).reshape(b, n, c)
        return self.to_out(out)


class GEGLU(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.proj = nn.Linear(dim, inner * 2)

    def forward(self, x):
        a, gate = self.proj(x).chunk(2, dim=-1)
        return a * F.gelu(gate)


class TransformerBlock(nn.Module):
    def __init__(self, ch, ctx_dim, heads):
        super().__init__()
        self.norm = nn.GroupNorm(4, ch, eps=1e-6)
        self.proj_in = nn.Conv2d(ch, ch, 1)
        self.norm1 = nn.LayerNorm(ch)
        self.attn1 = Attention(ch, ch, heads)
        self.norm2 = nn.LayerNorm(ch)
        self.attn2 = Attention(ch, ctx_dim, heads)
        self.norm3 = nn.LayerNorm(ch)
        self.ff = GEGLU(ch, ch * 2)
        self.ff_out = nn.Linear(ch * 2, ch)
        self.proj_out = nn.Conv2d(ch, ch, 1)

    def forward(self, x, context):
        b, c, hh, ww = x.shape
        res = x
        x = self.proj_in(self.norm(x))
        x = x.permute(0, 2, 3, 1).reshape(b, hh * ww, c)
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context) + x
        x = self.ff_out(self.ff(self.norm3(x))) + x
        x = x.reshape(b, hh, ww, c).permute(0, 3, 1, 2)
        return self.proj_out(x) + res


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb):
        super().__init__()
        self.norm1 = nn.GroupNorm(4, cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(4, cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, t):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(t))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class TinyUNet(nn.Module):
    def __init__(self):
        super().__init__()
        c = 8
        self.c = c
        self.time1 = nn.Linear(c, 2 * c)
        self.time2 = nn.Linear(2 * c, 2 * c)
        self.conv_in = nn.Conv2d(4, c, 3, padding=1)
        self.res1 = ResBlock(c, c, 2 * c)
        self.attn1 = TransformerBlock(c, 24, heads=2)
        self.down = nn.Conv2d(c, c, 3, stride=2, padding=1)
        self.res2 = ResBlock(c, 2 * c, 2 * c)
        self.attn2 = TransformerBlock(2 * c, 24, heads=4)
        self.up_conv = nn.Conv2d(2 * c, 2 * c, 3, padding=1)
        self.res3 = ResBlock(3 * c, c, 2 * c)
        self.depthwise = nn.Conv2d(c, c, 3, padding=1, groups=c)
        self.norm_out = nn.GroupNorm(4, c)
        self.conv_out = nn.Conv2d(c, 4, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states):
        half = self.c // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
        args = timestep[:, None].float() * freqs[None, :]
        temb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
        temb = self.time2(F.silu(self.time1(temb)))
        x = self.conv_in(sample)
        x = self.res1(x, temb)
        skip = self.attn1(x, encoder_hidden_states)
        x = self.down(skip)
        x = self.res2(x, temb)
        x = self.attn2(x, encoder_hidden_states)
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = self.up_conv(x)
        x = torch.cat([x, skip], dim=1)
        x = self.res3(x, temb)
        x = self.depthwise(x)
        return self.conv_out(F.silu(self.norm_out(x)))


class TinyClipText(nn.Module):
    """CLIP-like text encoder: embeddings, position ids from arange (Range), causal mask (Trilu),
    einsum attention scores, quick-GELU MLP, final LayerNorm."""

    def __init__(self, vocab=97, dim=16, heads=2, layers=2, max_len=16):
        super().__init__()
        self.heads = heads
        self.token_embedding = nn.Embedding(vocab, dim)
        self.position_embedding = nn.Embedding(max_len, dim)
        self.layers = nn.ModuleList()
        for _ in range(layers):
            self.layers.append(nn.ModuleDict({
                "ln1": nn.LayerNorm(dim), "q": nn.Linear(dim, dim), "k": nn.Linear(dim, dim),
                "v": nn.Linear(dim, dim), "o": nn.Linear(dim, dim), "ln2": nn.LayerNorm(dim),
                "fc1": nn.Linear(dim, 4 * dim), "fc2": nn.Linear(4 * dim, dim)}))
        self.final_ln = nn.LayerNorm(dim)

    def forward(self, input_ids):
        b, n = input_ids.shape
        pos = torch.arange(n, device=input_ids.device)[None, :]
        x = self.token_embedding(input_ids) + self.position_embedding(pos)
        mask = torch.full((n, n), float("-inf")).triu(1)
        h = self.heads
        for layer in self.layers:
            y = layer["ln1"](x)
            c = y.shape[-1]
            q = layer["q"](y).view(b, n, h, c // h).transpose(1, 2)
            k = layer["k"](y).view(b, n, h, c // h).transpose(1, 2)
            v = layer["v"](y).view(b, n, h, c // h).transpose(1, 2)
            scores = torch.einsum("bhid,bhjd->bhij", q, k) * (c // h) ** -0.5 + mask
            probs = scores.softmax(-1)
            out = torch.matmul(probs, v)
            if not torch.jit.is_tracing():
                ATTN_FLOPS[0] += 2 * 2 * b * h * n * n * (c // h)
            out = out.transpose(1, 2).reshape(b, n, c)
            x = x + layer["o"](out)
            y = layer["fc1"](layer["ln2"](x))
            y = y * torch.sigmoid(1.702 * y)
            x = x + layer["fc2"](y)
        return self.final_ln(x)


class TinyVaeDecoder(nn.Module):
    """VAE-decoder-like: conv, GroupNorm/SiLU resblock, single-head mid attention with baddbmm scores,
    interpolate to an explicit (dynamic) size, a transposed-conv upsampler and conv_out."""

    def __init__(self, c=16):
        super().__init__()
        self.conv_in = nn.Conv2d(4, c, 3, padding=1)
        self.norm1 = nn.GroupNorm(4, c)
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.attn_norm = nn.GroupNorm(4, c)
        self.q = nn.Linear(c, c)
        self.k = nn.Linear(c, c)
        self.v = nn.Linear(c, c)
        self.o = nn.Linear(c, c)
        self.up_conv = nn.Conv2d(c, c, 3, padding=1)
        self.up_t = nn.ConvTranspose2d(c, c // 2, 4, stride=2, padding=1)
        self.norm_out = nn.GroupNorm(4, c // 2)
        self.conv_out = nn.Conv2d(c // 2, 3, 3, padding=1)

    def forward(self, latent):
        x = self.conv_in(latent)
        x = x + self.conv1(F.silu(self.norm1(x)))
        b, c, hh, ww = x.shape
        y = self.attn_norm(x).view(b, c, hh * ww).transpose(1, 2)
        q, k, v = self.q(y), self.k(y), self.v(y)
        n = q.shape[1]
        scores = torch.baddbmm(torch.empty(b, n, n, dtype=q.dtype), q, k.transpose(1, 2), beta=0, alpha=c ** -0.5)
        out = torch.bmm(scores.softmax(-1), v)
        if not torch.jit.is_tracing():
            ATTN_FLOPS[0] += 2 * 2 * b * n * n * c
        x = x + self.o(out).transpose(1, 2).reshape(b, c, hh, ww)
        x = F.interpolate(x, size=(x.shape[2] * 2, x.shape[3] * 2), mode="nearest")
        x = self.up_conv(x)
        x = self.up_t(x)
        return self.conv_out(F.silu(self.norm_out(x)))


def count_flops(model, args):
    """2 * MACs of every nn.Conv2d and nn.Linear (bias ignored) plus the attention matmuls."""
    total = [0]

    def conv_hook(mod, inp, out):
        k = mod.kernel_size[0] * mod.kernel_size[1]
        total[0] += 2 * out.numel() * (mod.in_channels // mod.groups) * k

    def linear_hook(mod, inp, out):
        total[0] += 2 * out.numel() * mod.in_features

    def conv_t_hook(mod, inp, out):
        k = mod.kernel_size[0] * mod.kernel_size[1]
        total[0] += 2 * inp[0].numel() * (mod.out_channels // mod.groups) * k

    handles = []
    for m in model.modules():
        if isinstance(m, nn.ConvTranspose2d):
            handles.append(m.register_forward_hook(conv_t_hook))
        elif isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    ATTN_FLOPS[0] = 0
    with torch.no_grad():
        model(*args)
    for h in handles:
        h.remove()
    return total[0] + ATTN_FLOPS[0]


def unet_inputs(batch, tokens, hw=16):
    return (torch.randn(batch, 4, hw, hw), torch.full((batch,), 500.0), torch.randn(batch, tokens, 24))


def export_unet(expected):
    model = TinyUNet().eval()
    # Random values everywhere: torch.onnx.export de-duplicates initializers with identical values
    # (fresh GroupNorm weights are all ones) into Identity nodes, which a trained model never has.
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.2)
    params = sum(p.numel() for p in model.parameters())
    cases = []
    for batch, tokens in [(1, 7), (3, 7), (2, 5)]:
        cases.append({"batch": batch, "tokens": tokens, "height": 16, "width": 16,
                      "flops": count_flops(model, unet_inputs(batch, tokens))})
    for opset in (14, 17):
        name = "unet_like_opset%d.onnx" % opset
        torch.onnx.export(
            model, unet_inputs(2, 7), os.path.join(OUT, name), opset_version=opset,
            input_names=["sample", "timestep", "encoder_hidden_states"], output_names=["out_sample"],
            dynamic_axes={"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": {0: "batch"},
                          "encoder_hidden_states": {0: "batch", 1: "tokens"}, "out_sample": {0: "batch"}},
            do_constant_folding=True)
        expected[name] = {"parameters": params, "cases": cases}


# ---------------------------------------------------------------- hand-built graphs

def save(model, name):
    onnx.checker.check_model(onnx.shape_inference.infer_shapes(model))
    onnx.save(model, os.path.join(OUT, name))


def hand_graphs():
    # Conv with groups, stride and asymmetric padding; the batch is a dim_param.
    w = np.random.randn(12, 4, 3, 3).astype(np.float32)
    b = np.random.randn(12).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"], group=2, strides=[2, 2], pads=[1, 0, 2, 1],
                          dilations=[1, 2])],
        "conv_groups",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8, 17, 19])],
        [helper.make_empty_tensor_value_info("y")],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), "hand_conv.onnx")

    # Gemm with transB and a bias.
    bw = np.random.randn(11, 7).astype(np.float32)
    bc = np.random.randn(11).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Gemm", ["a", "bw", "bc"], ["y"], transB=1, alpha=0.5)],
        "gemm",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [5, 7])],
        [helper.make_empty_tensor_value_info("y")],
        [numpy_helper.from_array(bw, "bw"), numpy_helper.from_array(bc, "bc")])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), "hand_gemm.onnx")

    # Batched MatMul with broadcasting: [2,1,6,8] x [3,8,5] -> [2,3,6,5], then a 1-D MatMul.
    mb = np.random.randn(3, 8, 5).astype(np.float16)
    v = np.random.randn(5).astype(np.float16)
    g = helper.make_graph(
        [helper.make_node("MatMul", ["a", "mb"], ["y"]),
         helper.make_node("MatMul", ["y", "v"], ["z"])],
        "matmul",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT16, [2, 1, 6, 8])],
        [helper.make_empty_tensor_value_info("z")],
        [numpy_helper.from_array(mb, "mb"), numpy_helper.from_array(v, "v")])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), "hand_matmul.onnx")

    # Shape arithmetic that must be constant-folded: reshape x [B, 6, 4] to [B, 24] via
    # Shape -> Gather -> Unsqueeze -> Concat -> Reshape, then MatMul with a [24, 10] weight.
    # float_data (not raw_data) and a negative int64 (10-byte varint) exercise the wire format.
    wm = helper.make_tensor("wm", TensorProto.FLOAT, [24, 10], np.random.randn(240).astype(np.float32).tolist())
    neg = helper.make_tensor("neg_one", TensorProto.INT64, [1], [-1])
    g = helper.make_graph(
        [helper.make_node("Shape", ["x"], ["s"]),
         helper.make_node("Constant", [], ["zero"], value=helper.make_tensor("z", TensorProto.INT64, [], [0])),
         helper.make_node("Gather", ["s", "zero"], ["b"], axis=0),
         helper.make_node("Unsqueeze", ["b", "axes0"], ["b1"]),
         helper.make_node("Concat", ["b1", "neg_one"], ["newshape"], axis=0),
         helper.make_node("Reshape", ["x", "newshape"], ["flat"]),
         helper.make_node("MatMul", ["flat", "wm"], ["y"]),
         helper.make_node("Relu", ["y"], ["z"]),
         helper.make_node("NonZero", ["z"], ["nz"]),
         helper.make_node("MatMul", ["nz", "nz"], ["unknown"])],
        "shape_folding",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", 6, 4])],
        [helper.make_empty_tensor_value_info("z"),
         helper.make_tensor_value_info("unknown", TensorProto.INT64, None)],
        [wm, neg, helper.make_tensor("axes0", TensorProto.INT64, [1], [0])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    onnx.save(model, os.path.join(OUT, "shape_folding.onnx"))  # NonZero x NonZero is meaningless: no checker

    # External data: every initializer lives in ext_data.bin, the model only has dims and locations.
    w1 = np.random.randn(16, 3, 3, 3).astype(np.float32)
    w2 = np.random.randn(10, 16).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Conv", ["x", "w1"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("GlobalAveragePool", ["c"], ["p"]),
         helper.make_node("Flatten", ["p"], ["f"], axis=1),
         helper.make_node("Gemm", ["f", "w2"], ["y"], transB=1)],
        "external",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_empty_tensor_value_info("y")],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    if os.path.exists(os.path.join(OUT, "external_data.bin")):
        os.remove(os.path.join(OUT, "external_data.bin"))  # onnx appends to an existing data file
    onnx.save_model(model, os.path.join(OUT, "external.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="external_data.bin", size_threshold=0)


def hand_more_ops():
    """More contractions and the pre-opset-13 attribute forms; FLOPs are closed forms in the Java test."""
    rnd = lambda *shape: np.random.randn(*shape).astype(np.float32)
    f32 = TensorProto.FLOAT

    # ConvTranspose with groups, stride, pads and output_padding.
    g = helper.make_graph(
        [helper.make_node("ConvTranspose", ["x", "w"], ["y"], group=3, strides=[2, 2], pads=[1, 1, 1, 1],
                          output_padding=[1, 0])],
        "convtranspose", [helper.make_tensor_value_info("x", f32, [1, 6, 5, 7])],
        [helper.make_empty_tensor_value_info("y")], [numpy_helper.from_array(rnd(6, 2, 3, 3), "w")])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), "hand_convtranspose.onnx")

    # 1-D conv with stride, 3-D conv with pads, 3-D conv with auto_pad SAME_UPPER and stride 2.
    g = helper.make_graph(
        [helper.make_node("Conv", ["x1", "w1"], ["y1"], strides=[3], pads=[2, 2]),
         helper.make_node("Conv", ["x3", "w3"], ["y3"], pads=[1, 1, 1, 1, 1, 1]),
         helper.make_node("Conv", ["y3", "w3b"], ["y3b"], strides=[2, 2, 2], auto_pad="SAME_UPPER")],
        "conv1d3d",
        [helper.make_tensor_value_info("x1", f32, [2, 4, 20]), helper.make_tensor_value_info("x3", f32, [1, 2, 6, 6, 6])],
        [helper.make_empty_tensor_value_info("y1"), helper.make_empty_tensor_value_info("y3b")],
        [numpy_helper.from_array(rnd(8, 4, 5), "w1"), numpy_helper.from_array(rnd(4, 2, 3, 3, 3), "w3"),
         numpy_helper.from_array(rnd(5, 4, 3, 3, 3), "w3b")])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), "hand_conv1d3d.onnx")

    # Einsum with an ellipsis, and with an implicit output; then a MatMul that needs the einsum's shape.
    g = helper.make_graph(
        [helper.make_node("Einsum", ["a", "b"], ["c"], equation="...ij,...jk->...ik"),
         helper.make_node("Einsum", ["a2", "b2"], ["c2"], equation="ij,jk"),
         helper.make_node("MatMul", ["c2", "w"], ["d2"])],
        "einsum",
        [helper.make_tensor_value_info("a", f32, [2, 3, 4, 5]), helper.make_tensor_value_info("b", f32, [3, 5, 6]),
         helper.make_tensor_value_info("a2", f32, [4, 5]), helper.make_tensor_value_info("b2", f32, [5, 7])],
        [helper.make_empty_tensor_value_info("c"), helper.make_empty_tensor_value_info("d2")],
        [numpy_helper.from_array(rnd(7, 2), "w")])
    # (no checker: onnx 1.12's shape inference leaves the ellipsis output untyped and the checker rejects that)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), os.path.join(OUT, "hand_einsum.onnx"))

    # com.microsoft fused attention ops (ONNX Runtime contrib ops), followed by a MatMul on MHA's output.
    g = helper.make_graph(
        [helper.make_node("Attention", ["x", "wqkv", "bqkv"], ["att"], domain="com.microsoft", num_heads=4),
         helper.make_node("MultiHeadAttention", ["q", "k", "v"], ["mha"], domain="com.microsoft", num_heads=4),
         helper.make_node("MatMul", ["mha", "wo"], ["y"])],
        "ms_attention",
        [helper.make_tensor_value_info("x", f32, ["B", "S", 16]), helper.make_tensor_value_info("q", f32, ["B", 10, 16]),
         helper.make_tensor_value_info("k", f32, ["B", 7, 16]), helper.make_tensor_value_info("v", f32, ["B", 7, 24])],
        [helper.make_empty_tensor_value_info("att"), helper.make_empty_tensor_value_info("y")],
        [numpy_helper.from_array(rnd(16, 48), "wqkv"), numpy_helper.from_array(rnd(48), "bqkv"),
         numpy_helper.from_array(rnd(24, 3), "wo")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14), helper.make_opsetid("com.microsoft", 1)]),
              os.path.join(OUT, "hand_ms_attention.onnx"))

    # Opset 11: Squeeze/Unsqueeze/Split/ReduceMean take axes/split as attributes; Slice with a negative step.
    g = helper.make_graph(
        [helper.make_node("Squeeze", ["x"], ["sq"], axes=[1]),
         helper.make_node("Unsqueeze", ["sq"], ["us"], axes=[0]),
         helper.make_node("Split", ["us"], ["p1", "p2"], axis=2, split=[3, 5]),
         helper.make_node("ReduceMean", ["p2"], ["rm"], axes=[1], keepdims=0),
         helper.make_node("MatMul", ["rm", "w"], ["y1"]),
         helper.make_node("Slice", ["p1", "starts", "ends", "axes", "steps"], ["rev"]),
         helper.make_node("MatMul", ["rev", "w2"], ["y2"])],
        "opset11",
        [helper.make_tensor_value_info("x", f32, [2, 1, 8])],
        [helper.make_empty_tensor_value_info("y1"), helper.make_empty_tensor_value_info("y2")],
        [numpy_helper.from_array(rnd(5, 4), "w"), numpy_helper.from_array(rnd(2, 2), "w2"),
         numpy_helper.from_array(np.array([-1], dtype=np.int64), "starts"),
         numpy_helper.from_array(np.array([0], dtype=np.int64), "ends"),
         numpy_helper.from_array(np.array([2], dtype=np.int64), "axes"),
         numpy_helper.from_array(np.array([-1], dtype=np.int64), "steps")])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)]), "hand_opset11.onnx")

    # An op no inference knows (custom domain) whose output shape is only known from value_info
    # (with a symbolic dim bound from the input), followed by a MatMul.
    g = helper.make_graph(
        [helper.make_node("Mystery", ["x"], ["m"], domain="example.custom"),
         helper.make_node("MatMul", ["m", "w"], ["y"])],
        "value_info",
        [helper.make_tensor_value_info("x", f32, ["B", 6])],
        [helper.make_empty_tensor_value_info("y")],
        [numpy_helper.from_array(rnd(6, 3), "w")],
        value_info=[helper.make_tensor_value_info("m", f32, ["B", 6])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14),
                                                  helper.make_opsetid("example.custom", 1)]),
              os.path.join(OUT, "hand_value_info.onnx"))


def randomize(model):
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.2)
    return model


def export_text_and_vae(expected):
    text = randomize(TinyClipText().eval())
    params = sum(p.numel() for p in text.parameters())
    cases = []
    for batch, tokens in [(1, 16), (3, 16), (2, 5)]:
        ids = torch.randint(0, 97, (batch, tokens))
        cases.append({"batch": batch, "tokens": tokens, "flops": count_flops(text, (ids,))})
    for opset in (14, 17):
        name = "text_like_opset%d.onnx" % opset
        torch.onnx.export(text, (torch.randint(0, 97, (2, 9)),), os.path.join(OUT, name), opset_version=opset,
                          input_names=["input_ids"], output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}}, do_constant_folding=True)
        expected[name] = {"parameters": params, "cases": cases}

    vae = randomize(TinyVaeDecoder().eval())
    params = sum(p.numel() for p in vae.parameters())
    cases = []
    for batch, hw in [(1, 8), (3, 8), (1, 6)]:
        cases.append({"batch": batch, "height": hw, "width": hw,
                      "flops": count_flops(vae, (torch.randn(batch, 4, hw, hw),))})
    name = "vae_like_opset15.onnx"
    torch.onnx.export(vae, (torch.randn(1, 4, 8, 8),), os.path.join(OUT, name), opset_version=15,
                      input_names=["latent_sample"], output_names=["sample"],
                      dynamic_axes={"latent_sample": {0: "batch", 2: "height", 3: "width"}}, do_constant_folding=True)
    expected[name] = {"parameters": params, "cases": cases}


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    hand_graphs()
    hand_more_ops()
    export_unet(expected)
    export_text_and_vae(expected)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write("\n")
    for n in sorted(os.listdir(OUT)):
        print(n, os.path.getsize(os.path.join(OUT, n)))


if __name__ == "__main__":
    main()
