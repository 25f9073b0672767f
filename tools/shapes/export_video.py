#!/usr/bin/python3
"""Exports the trained shapes-video model (EMA weights) to the Stable Diffusion ONNX folder layout
the engine's video path loads.

    /usr/bin/python3 tools/shapes/export_video.py [--ckpt target/shapes/video/video.pt] [--vae PATH]
        [--out models/shapes-video]

Run from the repository root after tools/shapes/train_video.py. Writes model_index.json,
scheduler/scheduler_config.json (PNDMScheduler, SD 1.5 settings), tokenizer/ (word-level,
model_max_length 20), text_encoder/model.onnx, unet/model.onnx, vae_decoder/model.onnx +
config.json (the shared shapes-ldm VAE the clips were encoded with; its scaling_factor) and
reference.json: PyTorch float32 outputs for fixed inputs per network, for a Java test to compare
ONNX Runtime against. ONNX opset 17, dynamic batch everywhere (frames fixed at 8 in the UNet); every
graph passes onnx.checker (full) and strict shape inference.

Graph signatures:
  text_encoder: input_ids int64 [batch, 20] -> last_hidden_state float [batch, 20, 128]
  unet: sample float [batch, 4, 8, 8, 8] (batch, channels, frames, h, w), timestep float [batch]
        (a [1] timestep also broadcasts), encoder_hidden_states float [batch, 20, 128]
        -> out_sample float [batch, 4, 8, 8, 8]
  vae_decoder: latent_sample float [batch, 4, 8, 8] -> sample float [batch, 3, 32, 32] in [-1, 1]
        (one frame per batch row: the engine decodes a clip frame by frame)
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ldm_nets as L  # noqa: E402
import video_nets as V  # noqa: E402
from diffusion_common import DIFFUSERS_VERSION, Tok, clear_model_dir, declare_output_dims, export_onnx as export, link_if_identical, reference_inputs, tensor_json, text_unet_reference_cases, write_json, write_sd_configs  # noqa: E402,E501
from export_ldm import Decode  # noqa: E402

PROMPTS = ["a red circle moving right on a black background",
           "a blue square moving up on a white background", ""]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="target/shapes/video/video.pt")
    ap.add_argument("--vae", default=None, help="VAE checkpoint (default: the one recorded in --ckpt)")
    ap.add_argument("--out", default="models/shapes-video")
    args = ap.parse_args()
    torch.manual_seed(0)
    st = torch.load(args.ckpt)
    vst = torch.load(args.vae or st["vae"])
    vocab = st["vocab"]
    sf = float(vst["scaling_factor"])
    assert abs(sf - float(st["scaling_factor"])) < 1e-9, "the VAE is not the one the UNet was trained with"
    text = V.text_encoder(len(vocab))
    text.load_state_dict(st["text_ema"])
    unet = V.VideoUNet()
    unet.load_state_dict(st["unet_ema"])
    vae = L.VAE()
    vae.load_state_dict(vst["ema"])
    dec = Decode(vae.decoder)
    for m in (text, unet, dec):
        m.eval()
    out = args.out
    clear_model_dir(out)

    write_sd_configs(out, vocab, with_vae=True)
    # the engine's video path: a 5-D UNet sample; the pipeline class names it a text-to-video model
    write_json(f"{out}/model_index.json", {
        "_class_name": "OnnxTextToVideoPipeline", "_diffusers_version": DIFFUSERS_VERSION,
        "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["diffusers", "OnnxRuntimeModel"],
        "tokenizer": ["diffusion-batch", "WordLevelTokenizer"], "unet": ["diffusers", "OnnxRuntimeModel"],
        "vae_decoder": ["diffusers", "OnnxRuntimeModel"]})
    write_json(f"{out}/vae_decoder/config.json", {
        "_class_name": "AutoencoderKL", "_diffusers_version": DIFFUSERS_VERSION, "latent_channels": 4,
        "out_channels": 3, "sample_size": 32, "scaling_factor": round(sf, 6)})

    f = V.FRAMES
    prompts, ids1, ids2, x1, x2, h1, h2, g = reference_inputs(Tok(vocab), text, (4, f, 8, 8), PROMPTS)
    export(text, (ids1,), f"{out}/text_encoder/model.onnx", ["input_ids"], ["last_hidden_state"],
           {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}})
    z1 = torch.randn(1, 4, 8, 8, generator=g)
    z2 = torch.randn(2, 4, 8, 8, generator=g)
    t1 = torch.tensor([981.0])
    t2 = torch.tensor([501.0, 21.0])
    t_bc = torch.tensor([261.0])
    export(unet, (x2, t2, h2), f"{out}/unet/model.onnx", ["sample", "timestep", "encoder_hidden_states"],
           ["out_sample"], {"sample": {0: "batch"}, "timestep": {0: "batch"},
                            "encoder_hidden_states": {0: "batch"}, "out_sample": {0: "batch"}})
    declare_output_dims(f"{out}/unet/model.onnx", "out_sample", ["batch", 4, f, 8, 8])
    export(dec, (z1,), f"{out}/vae_decoder/model.onnx", ["latent_sample"], ["sample"],
           {"latent_sample": {0: "batch"}, "sample": {0: "batch"}})

    with torch.no_grad():
        cases = text_unet_reference_cases(text, unet, ids1, ids2, prompts, (
            ("unet, 1 clip, t=981, prompt 1", x1, t1, h1),
            ("unet, 2 clips, t=[501, 21], prompt 2 and \"\"", x2, t2, h2),
            ("unet, 2 clips, one timestep [261] broadcast, prompt 2 and \"\"", x2, t_bc, h2)))
        # frames are not independent: the clip's frame 0 output changes when only frame 7 of the input does
        x3 = x1.clone()
        x3[:, :, 7] = 0.0
        moved = (unet(x3, t1, h1)[:, :, 0] - unet(x1, t1, h1)[:, :, 0]).abs().max().item()
        print(f"temporal mixing: frame 0 output moves by {moved:.3g} when frame 7's input is zeroed")
        assert moved > 1e-6
        for desc, z in (("vae decoder, 1 frame", z1), ("vae decoder, 2 frames", z2)):
            cases.append(dict(description=desc, component="vae_decoder", tolerance=1e-4,
                              inputs={"latent_sample": tensor_json(z.numpy())},
                              outputs={"sample": tensor_json(dec(z).numpy())}))
    # compact (no indentation): the folder must stay within 8 MB
    with open(f"{out}/reference.json", "w") as fh:
        json.dump({"generator": "tools/shapes/export_video.py (PyTorch float32, EMA weights)",
                   "note": "absolute tolerances; outputs of order 1; unet sample layout [batch, channels, frames, h, w]",
                   "cases": cases}, fh, separators=(",", ":"))
        fh.write("\n")
    total = 0
    for root, _, files in os.walk(out):
        for fn in files:
            total += os.path.getsize(os.path.join(root, fn))
    print(f"total {total} bytes ({total / 2**20:.2f} MiB)")
    print("params: text_encoder", L.count(text), "unet", L.count(unet), "vae_decoder", L.count(dec))
    sibling_ldm = os.path.join(os.path.dirname(os.path.normpath(out)), "shapes-ldm")  # models/shapes-ldm by default
    for rel in ("vae_decoder/model.onnx", "vae_decoder/config.json"):
        if link_if_identical(out, rel, sibling_ldm):
            print(f"{rel}: identical to shapes-ldm's, stored as a link")


if __name__ == "__main__":
    main()
