#!/usr/bin/python3
"""Exports the trained shapes-pixel model (EMA weights) to the Stable Diffusion ONNX folder layout, no VAE.

    /usr/bin/python3 tools/shapes/export_pixel.py [--ckpt target/shapes/pixel/pixel.pt] [--out models/shapes-pixel]
        [--fp32]

Run from the repository root after tools/shapes/train_pixel.py. Writes model_index.json (no
vae_decoder entry), scheduler/scheduler_config.json (PNDMScheduler, SD 1.5 settings),
tokenizer/vocab.txt + tokenizer_config.json (word-level, model_max_length 20), text_encoder/model.onnx,
unet/model.onnx, and reference.json: PyTorch float32 outputs for two fixed inputs per network (the
second with batch 2), for a Java test to compare ONNX Runtime against.

Weights are stored in float16 (unless --fp32): the EMA weights are rounded to float16
(diffusion_common.round_to_fp16), exported, and each weight initializer is stored as float16 followed by
a Cast to float32 (diffusion_common.store_initializers_fp16); inputs, outputs and all computation stay
float32, and reference.json holds the PyTorch float32 outputs of the rounded weights. ONNX opset 17, dynamic batch
everywhere; every graph passes onnx.checker (full) and strict shape inference.

Graph signatures:
  text_encoder: input_ids int64 [batch, 20] -> last_hidden_state float [batch, 20, 128]
  unet: sample float [batch, 3, 32, 32] (pixels in [-1, 1] at t=0), timestep float [batch] (a [1]
        timestep also broadcasts), encoder_hidden_states float [batch, 20, 128]
        -> out_sample float [batch, 3, 32, 32] (predicted noise)
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import diffusion_common as C  # noqa: E402
import ldm_nets as L  # noqa: E402
import pixel_nets as P  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="target/shapes/pixel/pixel.pt")
    ap.add_argument("--out", default="models/shapes-pixel")
    ap.add_argument("--fp32", action="store_true", help="store the weights in float32 (default: float16)")
    args = ap.parse_args()
    torch.manual_seed(0)
    st = torch.load(args.ckpt)
    vocab = st["vocab"]
    text = L.TextEncoder(len(vocab))
    text.load_state_dict(st["text_ema"])
    unet = P.PixelUNet(**st.get("unet_config", {}))
    unet.load_state_dict(st["unet_ema"])
    for m in (text, unet):
        m.eval()
        if not args.fp32:
            C.round_to_fp16(m)
    out = args.out
    C.clear_model_dir(out)
    C.write_sd_configs(out, vocab, with_vae=False)

    prompts, ids1, ids2, x1, x2, h1, h2, _ = C.reference_inputs(C.Tok(vocab), text, (3, 32, 32))
    C.export_onnx(text, (ids1,), f"{out}/text_encoder/model.onnx", ["input_ids"], ["last_hidden_state"],
                  {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}})
    t1 = torch.tensor([981.0])
    t2 = torch.tensor([501.0, 21.0])
    C.export_onnx(unet, (x2, t2, h2), f"{out}/unet/model.onnx", ["sample", "timestep", "encoder_hidden_states"],
                  ["out_sample"], {"sample": {0: "batch"}, "timestep": {0: "batch"},
                                   "encoder_hidden_states": {0: "batch"}, "out_sample": {0: "batch"}})
    C.declare_output_dims(f"{out}/unet/model.onnx", "out_sample", ["batch", 3, 32, 32])
    print(f"{out}/unet/model.onnx: out_sample declared ['batch', 3, 32, 32]")
    if not args.fp32:
        for part in ("text_encoder", "unet"):
            C.store_initializers_fp16(f"{out}/{part}/model.onnx")

    with torch.no_grad():
        cases = C.text_unet_reference_cases(text, unet, ids1, ids2, prompts, (
            ("unet, batch 1, t=981, prompt 1", x1, t1, h1),
            ("unet, batch 2, t=[501, 21], prompt 2 and \"\"", x2, t2, h2)))
    C.write_json(f"{out}/reference.json", {
        "generator": "tools/shapes/export_pixel.py (PyTorch float32, EMA weights%s, step %d)"
                     % ("" if args.fp32 else " rounded to float16 as stored", st["step"]),
        "note": "absolute tolerances; outputs of order 1",
        "cases": cases}, flat_lists=True)
    total = 0
    for root, _, files in os.walk(out):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    print(f"total {total} bytes ({total / 2**20:.2f} MiB)")
    print("params: text_encoder", L.count(text), "unet", L.count(unet), "step", st["step"],
          "train_seconds", round(st.get("train_seconds", 0.0)))


if __name__ == "__main__":
    main()
