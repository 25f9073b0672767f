#!/usr/bin/python3
"""Builds ONE benchmark-size model folder in tiny-sd's layout, for measuring the engine's per-step
overhead against a UNet that costs real work (about 0.4 GFLOPs per batch-1 evaluation).

Run with Debian's interpreter (it has numpy and onnx):

    /usr/bin/python3 tools/make_bench_model.py [output-dir]

The default output directory is target/bench-models/bench-sd/ (relative to the repository root);
the folder is build output and is not committed. Layout and conventions are tiny-sd's (see
make_test_models.py, whose helpers are imported here): model_index.json, the SD-1.5 PNDM
scheduler config, the same word-level tokenizer (model_max_length 8), text_encoder, unet with
sample [batch,4,16,16] (dynamic batch), timestep int64 [1], encoder_hidden_states [batch,8,64]
-> out_sample, and vae_decoder (latent_sample [batch,4,16,16] -> sample [batch,3,64,64]) with
config.json scaling_factor 0.18215.

UNet (C = 128 channels, 16x16 = 256 positions): conv_in 3x3 (4->C), + timestep embedding,
residual block (SiLU, conv 3x3, SiLU, conv 3x3), single-head self-attention over the 256
positions, single-head cross-attention (queries from the positions, keys/values from the 8
tokens), a second residual block, SiLU, conv_out 3x3 (C->4), tanh: a bounded "clean sample" m.
As in tiny-sd the output is the exact noise prediction for data ~ N(m, 0.5^2 I):
sqrt(1 - abar) (x - sqrt(abar) m) / (abar 0.25 + 1 - abar), so sampling stays bounded.

Weights come from numpy.random.default_rng(7), scaled by 1/sqrt(fan_in) so activations stay
O(1); the output is byte-for-byte reproducible. The graphs are checked with onnx.checker and
strict shape inference; parameter count and MACs per UNet evaluation are computed by hand from
the layer shapes and cross-checked against the saved graphs (shapes inferred at batch 1).
"""

import math
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_test_models as mt  # noqa: E402  (helpers: GraphBuilder, evaluate, folder writers)
from make_test_models import GraphBuilder, f32  # noqa: E402

LATENT_HW = 16        # latents [batch, 4, 16, 16]
IMAGE_HW = 64         # decoded image [batch, 3, 64, 64]
HIDDEN = 64           # text encoder width
CH = 128              # UNet channels
ATTN = 128            # attention width (single head)
N_FREQ = 16           # timestep embedding: sin/cos of t * 16 frequencies
VAE_CH = 64           # VAE decoder inner channels
TOKENS = mt.MAX_LENGTH
M_DATA_VAR = 0.25     # the "clean sample" is the mean of N(m, 0.5^2)
SEED = 7


class Params:
    """Wraps a GraphBuilder and records which initializers are learned weights (for counting)."""

    def __init__(self, g, rng):
        self.g, self.rng, self.names = g, rng, []

    def normal(self, hint, shape, std):
        name = self.g.const(hint, f32(std * self.rng.standard_normal(shape)))
        self.names.append(name)
        return name

    def count(self, model):
        return sum(int(np.prod(i.dims)) for i in model.graph.initializer if i.name in self.names)


def conv3(g, x, w, b):
    return g.op("Conv", [x, w, b], pads=[1, 1, 1, 1], kernel_shape=[3, 3])


def silu(g, h):
    return g.op("Mul", [h, g.op("Sigmoid", [h])])


def text_encoder(rng):
    g = GraphBuilder("bench_text_encoder")
    p = Params(g, rng)
    ids = g.input("input_ids", TensorProto.INT64, ["batch", "sequence"])
    emb = p.normal("token_embedding", (len(mt.VOCAB), HIDDEN), 0.8)
    pos = p.normal("position_embedding", (mt.MAX_LENGTH, HIDDEN), 0.3)
    proj = p.normal("proj", (HIDDEN, HIDDEN), 1.4 / math.sqrt(HIDDEN))
    seq_len = g.op("Slice", [g.op("Shape", [ids]), g.const("i1", np.array([1], np.int64)),
                             g.const("i2", np.array([2], np.int64)), g.const("ax0", np.array([0], np.int64))])
    pos_used = g.op("Slice", [pos, g.const("zero", np.array([0], np.int64)), seq_len,
                              g.const("ax0", np.array([0], np.int64))])
    h = g.op("Add", [g.op("Gather", [emb, ids], axis=0), pos_used])
    g.op("Tanh", [g.op("MatMul", [h, proj])], out="last_hidden_state")
    g.output("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", HIDDEN])
    return g.model(), p


def unet(rng):
    g = GraphBuilder("bench_sd_unet")
    p = Params(g, rng)
    shape = ["batch", 4, LATENT_HW, LATENT_HW]
    x = g.input("sample", TensorProto.FLOAT, shape)
    t = g.input("timestep", TensorProto.INT64, [1])
    ehs = g.input("encoder_hidden_states", TensorProto.FLOAT, ["batch", TOKENS, HIDDEN])

    def conv_w(hint, cout, cin, gain):
        return p.normal(hint + "_w", (cout, cin, 3, 3), gain / math.sqrt(9 * cin))

    def bias(hint, n, std=0.02):
        return p.normal(hint + "_b", (n,), std)

    h = conv3(g, x, conv_w("conv_in", CH, 4, 1.0), bias("conv_in", CH))

    # timestep embedding: [sin(t f), cos(t f)] @ W, added per channel
    tf = g.op("Cast", [t], to=TensorProto.FLOAT)
    freqs = g.const("freqs", f32(np.exp(-math.log(1000.0) * np.arange(N_FREQ) / (N_FREQ - 1))))
    arg = g.op("Mul", [g.op("Unsqueeze", [tf, g.const("ax1", np.array([1], np.int64))]), freqs])
    temb = g.op("Concat", [g.op("Sin", [arg]), g.op("Cos", [arg])], axis=1)
    temb = g.op("MatMul", [temb, p.normal("time_w", (2 * N_FREQ, CH), 0.5 / math.sqrt(2 * N_FREQ))])
    temb = g.op("Unsqueeze", [temb, g.const("sp_axes", np.array([2, 3], np.int64))])
    h = g.op("Add", [h, temb])

    def res_block(h, name):
        r = conv3(g, silu(g, h), conv_w(name + "_conv1", CH, CH, 1.4), bias(name + "_conv1", CH))
        r = conv3(g, silu(g, r), conv_w(name + "_conv2", CH, CH, 0.7), bias(name + "_conv2", CH))
        return g.op("Add", [h, r])

    h = res_block(h, "res1")

    flat = g.op("Reshape", [h, g.const("flat_shape", np.array([0, CH, -1], np.int64))])
    seq = g.op("Transpose", [flat], perm=[0, 2, 1])                           # [b, P, C]
    scale = g.const("attn_scale", f32(1.0 / math.sqrt(ATTN)))

    def attention(q_in, kv_in, kv_width, name, qk_gain, out_gain):
        q = g.op("MatMul", [q_in, p.normal(name + "_wq", (CH, ATTN), qk_gain / math.sqrt(CH))])
        k = g.op("MatMul", [kv_in, p.normal(name + "_wk", (kv_width, ATTN), qk_gain / math.sqrt(kv_width))])
        v = g.op("MatMul", [kv_in, p.normal(name + "_wv", (kv_width, ATTN), 1.0 / math.sqrt(kv_width))])
        scores = g.op("Mul", [g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 2, 1])]), scale])
        a = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
        o = g.op("MatMul", [a, p.normal(name + "_wo", (ATTN, CH), out_gain / math.sqrt(ATTN))])
        return g.op("Add", [q_in, o])

    seq = attention(seq, seq, CH, "self_attn", 1.0, 0.7)                                # [b, P, P] scores
    seq = attention(seq, ehs, HIDDEN, "cross_attn", 1.6, 0.8)                           # [b, P, 8] scores
    h = g.op("Reshape", [g.op("Transpose", [seq], perm=[0, 2, 1]), g.op("Shape", [h])])

    h = res_block(h, "res2")
    m = conv3(g, silu(g, h), conv_w("conv_out", 4, CH, 1.0), bias("conv_out", 4))
    m = g.op("Tanh", [m])                                                     # bounded clean sample

    idx = g.op("Clip", [t, g.const("tmin", np.int64(0)), g.const("tmax", np.int64(mt.NUM_TRAIN_TIMESTEPS - 1))])
    abar = g.op("Gather", [g.const("alphas_cumprod", f32(mt.alphas_cumprod64())), idx], axis=0)
    abar = g.op("Unsqueeze", [abar, g.const("bc_axes", np.array([1, 2, 3], np.int64))])
    one_minus = g.op("Sub", [g.const("one", f32(1.0)), abar])
    num = g.op("Mul", [g.op("Sqrt", [one_minus]), g.op("Sub", [x, g.op("Mul", [g.op("Sqrt", [abar]), m])])])
    den = g.op("Add", [g.op("Mul", [abar, g.const("data_var", f32(M_DATA_VAR))]), one_minus])
    g.op("Div", [num, den], out="out_sample")
    g.output("out_sample", TensorProto.FLOAT, shape)
    return g.model(), p


def vae_decoder(rng):
    g = GraphBuilder("bench_vae_decoder")
    p = Params(g, rng)
    z = g.input("latent_sample", TensorProto.FLOAT, ["batch", 4, LATENT_HW, LATENT_HW])
    # latents arrive divided by 0.18215 (~ +-5.5), hence the small first layer
    h = conv3(g, z, p.normal("w1", (VAE_CH, 4, 3, 3), 0.2 / math.sqrt(36)), p.normal("b1", (VAE_CH,), 0.05))
    h = g.op("Resize", [h, "", g.const("scales", f32([1, 1, IMAGE_HW // LATENT_HW, IMAGE_HW // LATENT_HW]))],
             mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    h = conv3(g, h, p.normal("w2", (3, VAE_CH, 3, 3), 1.0 / math.sqrt(9 * VAE_CH)), p.normal("b2", (3,), 0.05))
    g.op("Tanh", [h], out="sample")
    g.output("sample", TensorProto.FLOAT, ["batch", 3, IMAGE_HW, IMAGE_HW])
    return g.model(), p


# --------------------------------------------------------------------------------------------
# Counting: by hand from the layer shapes, and independently from the saved graphs
# --------------------------------------------------------------------------------------------

def hand_counts():
    P, C, D, T, H, F = LATENT_HW * LATENT_HW, CH, ATTN, TOKENS, HIDDEN, N_FREQ
    unet_macs = {
        "conv_in 3x3 4->C": P * C * 4 * 9,
        "timestep embedding 2F->C": 2 * F * C,
        "res blocks: 4 x conv 3x3 C->C": 4 * P * C * C * 9,
        "self-attn q,k,v,o projections": 3 * P * C * D + P * D * C,
        "self-attn QK^T and AV": 2 * P * P * D,
        "cross-attn q,o projections": P * C * D + P * D * C,
        "cross-attn k,v projections": 2 * T * H * D,
        "cross-attn QK^T and AV": 2 * P * T * D,
        "conv_out 3x3 C->4": P * 4 * C * 9,
    }
    unet_params = ((C * 4 * 9 + C) + 2 * F * C + 4 * (C * C * 9 + C) + 4 * C * D
                   + (C * D + 2 * H * D + D * C) + (4 * C * 9 + 4))
    te_params = len(mt.VOCAB) * H + mt.MAX_LENGTH * H + H * H
    te_macs = T * H * H
    vae_params = (VAE_CH * 4 * 9 + VAE_CH) + (3 * VAE_CH * 9 + 3)
    vae_macs = P * VAE_CH * 4 * 9 + IMAGE_HW * IMAGE_HW * 3 * VAE_CH * 9
    return unet_macs, unet_params, te_params, te_macs, vae_params, vae_macs


def with_all_outputs(model):
    """A copy of model whose graph outputs include every node output (for numpy inspection)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    for node in m.graph.node:
        if node.output[0] not in have:
            m.graph.output.append(onnx.helper.make_tensor_value_info(node.output[0], TensorProto.UNDEFINED, None))
    return m


def graph_macs(model, feeds):
    """Conv and MatMul multiply-adds read off the saved graph, with the operand shapes taken from
    a numpy evaluation of it on feeds (batch 1)."""
    env = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    env.update(feeds)
    env.update(mt.evaluate(with_all_outputs(model), feeds))
    total = 0
    for node in model.graph.node:
        out = env[node.output[0]]
        if node.op_type == "Conv":
            total += out.size * int(np.prod(env[node.input[1]].shape[1:]))
        elif node.op_type == "MatMul":
            total += out.size * env[node.input[0]].shape[-1]
    return total


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "target", "bench-models", "bench-sd")
    d = os.path.normpath(root)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)

    rng = np.random.default_rng(SEED)
    te, te_p = text_encoder(rng)
    un, un_p = unet(rng)
    vae, vae_p = vae_decoder(rng)
    mt.save_model(d, "text_encoder", te)
    mt.save_model(d, "unet", un)
    mt.save_model(d, "vae_decoder", vae)
    mt.write_json(os.path.join(d, "vae_decoder", "config.json"),
                  {"_class_name": "AutoencoderKL", "_diffusers_version": mt.DIFFUSERS_VERSION,
                   "latent_channels": 4, "out_channels": 3, "sample_size": IMAGE_HW,
                   "scaling_factor": mt.SCALING_FACTOR})
    mt.write_tokenizer(d)
    mt.write_json(os.path.join(d, "scheduler", "scheduler_config.json"), mt.PNDM_CONFIG)
    mt.write_json(os.path.join(d, "model_index.json"),
                  mt.model_index("OnnxStableDiffusionPipeline",
                                 {"text_encoder": 1, "tokenizer": 1, "unet": 1, "vae_decoder": 1,
                                  "scheduler": "PNDMScheduler"}))
    # re-load what was written and check it again (checker + strict shape inference)
    for comp in ["text_encoder", "unet", "vae_decoder"]:
        m = onnx.load(os.path.join(d, comp, "model.onnx"))
        onnx.checker.check_model(m, full_check=True)
        onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True, data_prop=True)

    # ---- counts
    unet_macs, unet_params, te_params, te_macs, vae_params, vae_macs = hand_counts()
    total_macs = sum(unet_macs.values())
    assert un_p.count(un) == unet_params, (un_p.count(un), unet_params)
    assert te_p.count(te) == te_params and vae_p.count(vae) == vae_params
    one = np.random.default_rng(3)
    te_feed = {"input_ids": np.array([mt.ids_for("a red circle")], np.int64)}
    un_feed = {"sample": one.standard_normal((1, 4, LATENT_HW, LATENT_HW)).astype(np.float32),
               "timestep": np.array([501], np.int64),
               "encoder_hidden_states": one.standard_normal((1, TOKENS, HIDDEN)).astype(np.float32)}
    vae_feed = {"latent_sample": one.standard_normal((1, 4, LATENT_HW, LATENT_HW)).astype(np.float32)}
    counted = (graph_macs(un, un_feed), graph_macs(te, te_feed), graph_macs(vae, vae_feed))
    assert counted == (total_macs, te_macs, vae_macs), (counted, total_macs, te_macs, vae_macs)
    print("UNet MACs per evaluation at batch 1 (Conv + MatMul only; elementwise ops, Softmax, "
          "bias adds not counted):")
    for k, v in unet_macs.items():
        print(f"  {k:34s} {v:>12,d}")
    print(f"  {'total':34s} {total_macs:>12,d} MACs = {2 * total_macs / 1e9:.4f} GFLOPs "
          f"(matches the graph's Conv/MatMul shapes)")
    print(f"parameters: unet {unet_params:,d}, text_encoder {te_params:,d}, vae_decoder {vae_params:,d}, "
          f"total {unet_params + te_params + vae_params:,d} (float32; schedule table and constants excluded)")
    print(f"text encoder MACs per prompt {te_macs:,d}; VAE decoder MACs per image {vae_macs:,d} "
          f"= {2 * vae_macs / 1e9:.4f} GFLOPs")

    # ---- behaviour: activations O(1), prompt matters, DDIM + CFG stays bounded (numpy evaluation)
    prompts = ["a red circle on a blue background", "a blue circle on a red background"]
    ehs = mt.evaluate(te, {"input_ids": np.array([mt.ids_for(p) for p in prompts], np.int64)})["last_hidden_state"]
    print(f"text encoder output std {ehs.std():.3f}")
    lat = np.random.default_rng(1).standard_normal((1, 4, LATENT_HW, LATENT_HW)).astype(np.float32)
    pair = np.concatenate([lat, lat])
    for t in [981, 501, 1]:
        eps = mt.evaluate(un, {"sample": pair, "timestep": np.array([t], np.int64), "encoder_hidden_states": ehs})
        eps = eps["out_sample"]
        assert np.all(np.isfinite(eps))
        print(f"unet t={t}: eps std {eps.std():.3f}, mean |eps(prompt A) - eps(prompt B)| {np.mean(np.abs(eps[0] - eps[1])):.4f}")
    # internal activation scale: evaluate with every intermediate kept
    env_model = with_all_outputs(un)
    outs = mt.evaluate(env_model, {"sample": pair, "timestep": np.array([501], np.int64), "encoder_hidden_states": ehs})
    ops = {n.output[0]: n.op_type for n in un.graph.node}
    stats = []
    for name, v in outs.items():
        if ops.get(name) in ("Conv", "Add", "Tanh") and name != "out_sample" and v.size >= LATENT_HW * LATENT_HW:
            stats.append(float(v.std()))
    print(f"unet intermediate Conv/Add/Tanh outputs: std between {min(stats):.3f} and {max(stats):.3f}")
    assert 0.05 < min(stats) and max(stats) < 5.0, stats

    ehs_u = mt.evaluate(te, {"input_ids": np.array([mt.ids_for("")], np.int64)})["last_hidden_state"]
    imgs = []
    for p in prompts:
        x = mt.ddim(un, lat, 10, mt.int1, ehs_u, ehs[prompts.index(p)][None], 7.5)
        img = mt.evaluate(vae, {"latent_sample": x / np.float32(mt.SCALING_FACTOR)})["sample"]
        imgs.append(img)
        print(f"DDIM(10)+CFG 7.5 '{p}': latent range [{x.min():.2f}, {x.max():.2f}], image range "
              f"[{img.min():.3f}, {img.max():.3f}], saturated (|v|>0.98) {np.mean(np.abs(img) > 0.98):.2f}")
        assert np.all(np.abs(x) < 10)
    dp = np.mean(np.abs(imgs[0] - imgs[1])) / 2
    print(f"mean |img(promptA) - img(promptB)| (0..1 pixels) = {dp:.4f}")
    assert dp > 0.01, dp

    sizes = []
    total = 0
    for dirpath, _, files in sorted(os.walk(d)):
        for f in sorted(files):
            path = os.path.join(dirpath, f)
            total += os.path.getsize(path)
            sizes.append(f"  {os.path.relpath(path, d):40s} {os.path.getsize(path):>10,d} bytes")
    print(f"wrote {d}:")
    print("\n".join(sizes))
    print(f"  total {total:,d} bytes")


if __name__ == "__main__":
    main()
