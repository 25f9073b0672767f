#!/usr/bin/python3
"""Exports the trained shapes-ldm (EMA weights) to the Stable Diffusion ONNX folder layout.

    /usr/bin/python3 tools/shapes/export_ldm.py [--ckpt-dir target/shapes/ldm] [--out models/shapes-ldm]

Run from the repository root after tools/shapes/train_ldm.py. Writes model_index.json,
scheduler/scheduler_config.json (PNDMScheduler, SD 1.5 settings), tokenizer/vocab.txt +
tokenizer_config.json (word-level, model_max_length 20), text_encoder/model.onnx, unet/model.onnx,
vae_decoder/model.onnx + config.json (scaling_factor from training), and reference.json: PyTorch
float32 outputs for two fixed inputs per network (the second with batch 2), for a Java test to
compare ONNX Runtime against. ONNX opset 17, dynamic batch everywhere; every graph passes
onnx.checker (full) and strict shape inference.

Graph signatures:
  text_encoder: input_ids int64 [batch, 20] -> last_hidden_state float [batch, 20, 128]
  unet: sample float [batch, 4, 8, 8], timestep float [batch] (a [1] timestep also broadcasts),
        encoder_hidden_states float [batch, 20, 128] -> out_sample float [batch, 4, 8, 8]
  vae_decoder: latent_sample float [batch, 4, 8, 8] -> sample float [batch, 3, 32, 32], clipped to [-1, 1]
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ldm_nets as L  # noqa: E402
from diffusion_common import DIFFUSERS_VERSION, Tok, clear_model_dir, export_onnx as export, reference_inputs, tensor_json, text_unet_reference_cases, write_json, write_sd_configs  # noqa: E402,E501

class Decode(torch.nn.Module):
    def __init__(self, decoder):
        super().__init__()
        self.decoder = decoder

    def forward(self, latent_sample):
        return self.decoder(latent_sample).clamp(-1.0, 1.0)



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt-dir", default="target/shapes/ldm")
    ap.add_argument("--out", default="models/shapes-ldm")
    args = ap.parse_args()
    torch.manual_seed(0)
    st = torch.load(os.path.join(args.ckpt_dir, "unet.pt"))
    vst = torch.load(os.path.join(args.ckpt_dir, "vae.pt"))
    vocab = st["vocab"]
    sf = float(vst["scaling_factor"])
    text = L.TextEncoder(len(vocab))
    text.load_state_dict(st["text_ema"])
    unet = L.UNet(**st.get("unet_config", {}))  # no unet_config: the first model (no positional embedding)
    unet.load_state_dict(st["unet_ema"])
    vae = L.VAE()
    vae.load_state_dict(vst["ema"])
    dec = Decode(vae.decoder)
    for m in (text, unet, dec):
        m.eval()
    out = args.out
    clear_model_dir(out)

    write_sd_configs(out, vocab, with_vae=True)
    write_json(f"{out}/vae_decoder/config.json", {
        "_class_name": "AutoencoderKL", "_diffusers_version": DIFFUSERS_VERSION, "latent_channels": 4,
        "out_channels": 3, "sample_size": 32, "scaling_factor": round(sf, 6)})

    prompts, ids1, ids2, x1, x2, h1, h2, _ = reference_inputs(Tok(vocab), text, (4, 8, 8))
    export(text, (ids1,), f"{out}/text_encoder/model.onnx", ["input_ids"], ["last_hidden_state"],
           {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}})
    t1 = torch.tensor([981.0])
    t2 = torch.tensor([501.0, 21.0])
    export(unet, (x2, t2, h2), f"{out}/unet/model.onnx", ["sample", "timestep", "encoder_hidden_states"],
           ["out_sample"], {"sample": {0: "batch"}, "timestep": {0: "batch"},
                            "encoder_hidden_states": {0: "batch"}, "out_sample": {0: "batch"}})
    export(dec, (x1,), f"{out}/vae_decoder/model.onnx", ["latent_sample"], ["sample"],
           {"latent_sample": {0: "batch"}, "sample": {0: "batch"}})

    with torch.no_grad():
        cases = text_unet_reference_cases(text, unet, ids1, ids2, prompts, (
            ("unet, batch 1, t=981, prompt 1", x1, t1, h1),
            ("unet, batch 2, t=[501, 21], prompt 2 and \"\"", x2, t2, h2)))
        for desc, z in (("vae decoder, batch 1", x1), ("vae decoder, batch 2", x2)):
            cases.append(dict(description=desc, component="vae_decoder", tolerance=1e-4,
                              inputs={"latent_sample": tensor_json(z.numpy())},
                              outputs={"sample": tensor_json(dec(z).numpy())}))
    write_json(f"{out}/reference.json", {
        "generator": "tools/shapes/export_ldm.py (PyTorch float32, EMA weights)",
        "note": "absolute tolerances; outputs of order 1",
        "cases": cases})
    total = 0
    for root, _, files in os.walk(out):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    print(f"total {total} bytes ({total / 2**20:.2f} MiB)")
    print("params: text_encoder", L.count(text), "unet", L.count(unet), "vae_decoder", L.count(dec))


if __name__ == "__main__":
    main()
