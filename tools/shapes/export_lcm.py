#!/usr/bin/python3
"""Exports the distilled shapes-lcm (target network of train_lcm.py) to the SD ONNX folder layout.

    /usr/bin/python3 tools/shapes/export_lcm.py [--ckpt target/shapes/lcm/lcm.pt] [--which target|student]
        [--out models/shapes-lcm] [--teacher models/shapes-ldm]

Writes, under --out:
- unet/model.onnx: the student architecture (= shapes-ldm's UNet), weights STORED IN FLOAT16: every float
  initializer that float16 represents exactly (the weights are rounded to float16 first, in PyTorch) is stored
  as float16 and followed by a Cast to float; constant-folded values that float16 does not represent
  (the timestep embedding's frequencies) stay float32. Inputs/outputs and compute stay float32.
  Same signature as shapes-ldm's: sample [batch,4,8,8], timestep float [batch], encoder_hidden_states
  [batch,20,128] -> out_sample [batch,4,8,8] (epsilon).
- scheduler/scheduler_config.json: LCMScheduler (scaled_linear 0.00085-0.012, original_inference_steps 50,
  timestep_scaling 10, set_alpha_to_one true as diffusers' LCMScheduler default; unused by 1-50 steps), epsilon.
- model_index.json (OnnxStableDiffusionPipeline with an LCMScheduler).
- text_encoder/model.onnx, tokenizer/vocab.txt, tokenizer/tokenizer_config.json, vae_decoder/model.onnx,
  vae_decoder/config.json: relative file-level symlinks to the teacher's files (identical networks).
- reference.json: PyTorch float32 outputs of the float16-rounded UNet for two fixed inputs (batch 1 at t=999,
  batch 2 at t=[759, 259], the engine's 4-step LCM timesteps) plus the teacher's text-encoder cases.
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ldm_nets as L  # noqa: E402
from diffusion_common import (DIFFUSERS_VERSION, Tok, export_onnx, reference_inputs, round_to_fp16,  # noqa: E402
                              store_initializers_fp16, text_unet_reference_cases, write_json)
from onnx_to_torch import load_teacher  # noqa: E402

LINKED = ["text_encoder/model.onnx", "tokenizer/vocab.txt", "tokenizer/tokenizer_config.json",
          "vae_decoder/model.onnx", "vae_decoder/config.json"]

SCHEDULER = {
    "_class_name": "LCMScheduler", "_diffusers_version": DIFFUSERS_VERSION,
    "num_train_timesteps": L.NUM_TRAIN_TIMESTEPS, "beta_start": L.BETA_START, "beta_end": L.BETA_END,
    "beta_schedule": "scaled_linear", "trained_betas": None, "prediction_type": "epsilon",
    "original_inference_steps": 50, "timestep_scaling": 10.0, "clip_sample": False,
    "set_alpha_to_one": True, "steps_offset": 1, "timestep_spacing": "leading", "thresholding": False,
    "rescale_betas_zero_snr": False}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="target/shapes/lcm/lcm.pt")
    ap.add_argument("--which", default="target", choices=["target", "student"])
    ap.add_argument("--out", default="models/shapes-lcm")
    ap.add_argument("--teacher", default="models/shapes-ldm")
    args = ap.parse_args()
    torch.set_num_threads(1)
    st = torch.load(args.ckpt)
    _, text, vocab = load_teacher(args.teacher)
    unet = L.UNet(**L.UNET_CONFIG)
    unet.load_state_dict(st[args.which])
    round_to_fp16(unet)  # the stored weights: what the engine will run
    unet.eval()
    out = args.out
    os.makedirs(out, exist_ok=True)
    for sub in ("unet", "scheduler", "text_encoder", "tokenizer", "vae_decoder"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    rel_teacher = os.path.relpath(args.teacher, out)
    for f in LINKED:
        link = os.path.join(out, f)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.join("..", rel_teacher, f), link)
        assert os.path.isfile(link), link
    write_json(f"{out}/model_index.json", {
        "_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": DIFFUSERS_VERSION,
        "scheduler": ["diffusers", "LCMScheduler"], "text_encoder": ["diffusers", "OnnxRuntimeModel"],
        "tokenizer": ["diffusion-batch", "WordLevelTokenizer"], "unet": ["diffusers", "OnnxRuntimeModel"],
        "vae_decoder": ["diffusers", "OnnxRuntimeModel"]})
    write_json(f"{out}/scheduler/scheduler_config.json", SCHEDULER)

    prompts, ids1, ids2, x1, x2, h1, h2, _ = reference_inputs(Tok(vocab), text, (4, 8, 8))
    t1 = torch.tensor([999.0])
    t2 = torch.tensor([759.0, 259.0])
    path = f"{out}/unet/model.onnx"
    export_onnx(unet, (x2, t2, h2), path, ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
                {"sample": {0: "batch"}, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch"},
                 "out_sample": {0: "batch"}})
    store_initializers_fp16(path)
    with torch.no_grad():
        cases = text_unet_reference_cases(text, unet, ids1, ids2, prompts, (
            ("unet (float16 weights), batch 1, t=999, prompt 1", x1, t1, h1),
            ("unet (float16 weights), batch 2, t=[759, 259], prompt 2 and \"\"", x2, t2, h2)))
    meta = {k: v for k, v in st.get("meta", {}).items() if k != "vocab"}
    write_json(f"{out}/reference.json", {
        "generator": f"tools/shapes/export_lcm.py (PyTorch float32 with the float16-rounded {args.which} weights "
                     f"of step {st['step']}; text encoder = shapes-ldm's)",
        "note": "absolute tolerances; outputs of order 1",
        "training": meta,
        "cases": cases})
    total = 0
    for root, _, files in os.walk(out):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))  # follows the links
    own = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(out) for f in fs
              if not os.path.islink(os.path.join(r, f)))
    print(f"folder {total} bytes with the linked files, {own} bytes of its own; step {st['step']}, "
          f"params unet {L.count(unet)}")


if __name__ == "__main__":
    main()
