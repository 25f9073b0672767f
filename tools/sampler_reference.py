#!/usr/bin/python3
"""Independent numpy reference for the diffusion samplers of diffusion-batch.

Run with Debian's interpreter (numpy only):

    /usr/bin/python3 tools/sampler_reference.py            # writes the fixture
    /usr/bin/python3 tools/sampler_reference.py --check    # self-checks only
    /usr/bin/python3 tools/sampler_reference.py --out F    # write elsewhere

Writes ``src/engine/src/test/resources/fixtures/samplers/reference.json`` (format: see the
"Sampler fixture format" contract).  Everything is computed in float64; the
diffusers library computes its tables in float32, so its numbers differ from
these in about the 7th significant digit -- the *conventions* (which timesteps,
which sigmas, which update) are the ones of diffusers' schedulers (main,
checked against commit 58eb52c of huggingface/diffusers):

* beta schedules: ``linear`` = linspace(beta_start, beta_end, T);
  ``scaled_linear`` = linspace(sqrt(beta_start), sqrt(beta_end), T)**2;
  ``squaredcos_cap_v2`` = Nichol & Dhariwal (2021) cosine alpha-bar with
  s=0.008, betas capped at 0.999; ``trained_betas`` overrides all three;
  ``rescale_betas_zero_snr`` = Lin et al. (2023) Algorithm 1.  Euler, Euler-a
  and DPM++ then replace the terminal alpha-bar 0 by 2**-24 (DDIM, DDPM and
  LCM keep the exact 0).
* timestep spacing for DDPM/DDIM: leading = arange(N) * (T // N) reversed +
  steps_offset; trailing = round(arange(T, 0, -T/N)) - 1; linspace =
  round(linspace(0, T-1, N)) reversed.  Euler / Euler-a use the same three
  rules but as floats and *without rounding* for linspace (fractional
  timesteps), sigma = linear interpolation of the training sigma table at the
  (fractional) timestep.  DPM++ uses N+1 points and drops the last for
  leading/linspace (leading ratio T // (N+1)).  LCM ignores spacing and
  steps_offset entirely (its own "skipping step" selection).
* all "round" above is numpy's round-half-to-even (Math.rint in Java, not
  Math.round).
* DDIM's previous timestep is always ``t - T // N`` (even for linspace /
  trailing spacing, where that is not the next timestep of the list -- a
  diffusers quirk reproduced here on purpose); DDPM's is the next entry of the
  list (-1 after the last).

Cross-check done when this file was written (not part of the repository): the
six diffusers scheduler modules of that commit, run with torch 1.13 after
switching their float32 tables to float64, replayed every case of the fixture
(same x_init and noise rows) and reproduced timesteps, sigmas,
init_noise_sigma, input scales and trajectories to within 4e-15 relative.

Magnitudes: with the toy model the trajectories are not "images"; most stay
below ~30 in absolute value, but the sigma-space cases with large sigma_max
reach 1e2 (linear betas, sigma_max 157) and 3e4 (squaredcos_cap_v2, sigma_max
2.0e4), so compare with a relative tolerance, e.g. |a - b| <= tol (1 + |b|).

Model used for the fixture (elementwise, dimension 8):
``out = 0.1 * x_in + 0.05 * cos(0.01 * t)`` with ``t`` the model timestep as
passed (possibly fractional for Euler).  The replay loop is

    x = x_init                       # already multiplied by init_noise_sigma
    for i, t in enumerate(timesteps):
        out = model(x * input_scales[i], t)
        x = step(i, out, x, noise[i])

Every case carries one standard-normal noise row per step (numpy
``default_rng(seed)``) even for deterministic samplers, which must ignore it.

Cases written (name: what it pins down):

* ``ddpm-sd15-leading-10``, ``ddim-sd15-leading-eta0-10``,
  ``euler-sd15-leading-10``, ``euler-a-sd15-leading-10``,
  ``dpmpp-2m-sd15-leading-10``, ``dpmpp-2m-karras-sd15-leading-10``: the
  Stable Diffusion 1.5 scheduler config
  (scaled_linear 0.00085..0.012, leading, steps_offset 1, set_alpha_to_one
  false, clip_sample false, epsilon) at 10 steps.  Euler's init_noise_sigma is
  sqrt(sigma_max^2 + 1) for leading spacing.  DPM++ leading uses
  T // (N+1) = 90 spacing: 901, 811, ..., 91.
* ``dpmpp-2m-sd15-leading-20`` / ``dpmpp-2m-sd15-leading-4`` and
  ``dpmpp-2m-karras-sd15-leading-20``: step counts around the 15-step
  lower_order_final threshold (for order 2 with final sigma 0 the last step is
  always first order; the first step is first order because there is no
  history).
* ``lcm-sd15-4`` / ``lcm-sd15-2``: LCM with original_inference_steps 50 and
  timestep_scaling 10 (timesteps 999, 759, 499, 259 and 999, 499); noise is
  injected at every step but the last.
* ``ddim-sd15-leading-eta0.5-10``: DDIM with eta 0.5 (stochastic, sigma_t of
  Song et al. eq. 16 times eta).
* ``ddim-sd15-clip-10``: DDIM with clip_sample true, clip_sample_range 0.5 --
  the x0 prediction is clamped before the update.
* ``ddim-linear-trailing-10``, ``euler-linear-trailing-10``,
  ``euler-a-linear-trailing-10``, ``dpmpp-2m-linear-trailing-10``: the
  diffusers default linear 0.0001..0.02 betas with trailing spacing
  (999, 899, ..., 99); DDIM with set_alpha_to_one true (defaults).
* ``ddim-cosine-linspace-10``, ``euler-cosine-linspace-12``,
  ``dpmpp-2m-cosine-linspace-10``: squaredcos_cap_v2 betas with linspace
  spacing; Euler at 12 steps has fractional timesteps (999/11 spacing).
* ``ddim-sd15-vpred-10``, ``euler-sd15-vpred-10``, ``dpmpp-2m-sd15-vpred-10``:
  prediction_type v_prediction (Salimans & Ho 2022) with the SD-1.5 betas.
* ``ddim-zerosnr-trailing-vpred-10``: rescale_betas_zero_snr with trailing
  spacing and v_prediction (epsilon is undefined at zero terminal SNR); the
  first step has alpha-bar exactly 0.
* ``ddpm-sd15-leading-50``, ``ddpm-linear-defaults-10``: DDPM at 50 steps, and
  DDPM with an empty config (class defaults: linear betas, leading spacing,
  steps_offset 0 so the last timestep is 0 and no noise is added there,
  clip_sample true).
* ``euler-sd15-defaultspacing-10``: the SD-1.5 config *without*
  timestep_spacing: Euler's class default is linspace (float timesteps
  999, 888, ..., 0, init_noise_sigma = sigma_max).
* ``ddim-trainedbetas-100-8``: trained_betas (100 values) with
  num_train_timesteps 100, 8 steps, leading.
* ``euler-a-sd15-leading-20``: Euler ancestral at 20 steps.

Extensions:

* ``ddim-sd15-sample-10``, ``euler-sd15-sample-10``, ``dpmpp-2m-sd15-sample-10``:
  prediction_type sample (the output is x0 itself).  Euler-a rejects it, as
  diffusers does.
* ``euler-a-sd15-vpred-10``: Euler ancestral with v_prediction.
* ``ddpm-sd15-vpred-clip-10``: DDPM with v_prediction and clip_sample true
  (range 1.0).
* ``lcm-sd15-vpred-orig20-scaling5-4``: LCM with original_inference_steps 20
  (skip schedule 999, 949, ..., 49 -> 999, 749, 499, 249) and
  timestep_scaling 5, v_prediction.
* ``dpmpp-2m-karras-linear-trailing-10``: Karras sigmas on the linear betas
  (spacing is irrelevant for Karras; timesteps from log-sigma interpolation,
  rounded).
* ``euler-zerosnr-trailing-vpred-10``, ``dpmpp-2m-zerosnr-trailing-vpred-10``:
  zero-SNR rescale in the sigma samplers, where the terminal alpha-bar becomes
  2**-24 (sigma_max = sqrt(2**24 - 1) ~ 4096).
* ``ddim-sd15-linspace-eta1-7``: DDIM with eta 1 and linspace spacing at 7
  steps (timesteps 999, 832, 666, 500, 333, 166, 0 -- numpy rounds halves to
  even, 832.5 -> 832 and 166.5 -> 166, unlike Java's Math.round; prev =
  t - 142, so the step does not land on the next listed timestep).
* ``dpmpp-2m-karras-cosine-linspace-10``: Karras sigmas on squaredcos_cap_v2
  betas.  diffusers' DPMSolverMultistepScheduler.set_timesteps (commit 58eb52c,
  src/diffusers/schedulers/scheduling_dpmsolver_multistep.py, the
  ``use_karras_sigmas`` branch and the last lines) computes
  ``timesteps = np.array([self._sigma_to_t(sigma, log_sigmas) ...])``, skips
  ``timesteps.round()`` only for this beta schedule, keeps ``sigmas`` as the
  Karras values, and ends with ``self.timesteps =
  torch.from_numpy(timesteps).to(device=device, dtype=torch.int64)``: the
  model sees the log-sigma timesteps truncated toward zero (e.g. 998.97 ->
  998) while the update still uses the untruncated Karras sigmas.
"""

import argparse
import json
import math
import os
import sys

import numpy as np

DIM = 8
MODEL_DESCRIPTION = "out = 0.1 * x_in + 0.05 * cos(0.01 * t)"
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                           "src", "engine", "src", "test", "resources", "fixtures", "samplers", "reference.json")


def fixture_model(x_in, t):
    """The toy 'network' of the fixture: affine in x, smooth in t."""
    return 0.1 * x_in + 0.05 * math.cos(0.01 * float(t))


# ---------------------------------------------------------------------------
# Configuration: diffusers class defaults per sampler
# ---------------------------------------------------------------------------

_COMMON = dict(num_train_timesteps=1000, beta_start=0.0001, beta_end=0.02, beta_schedule="linear",
               trained_betas=None, prediction_type="epsilon", steps_offset=0, rescale_betas_zero_snr=False)

DEFAULTS = {
    "ddpm": dict(_COMMON, clip_sample=True, clip_sample_range=1.0, timestep_spacing="leading"),
    "ddim": dict(_COMMON, clip_sample=True, clip_sample_range=1.0, set_alpha_to_one=True,
                 timestep_spacing="leading"),
    "euler": dict(_COMMON, timestep_spacing="linspace"),
    "euler-a": dict(_COMMON, timestep_spacing="linspace"),
    "dpmpp-2m": dict(_COMMON, timestep_spacing="linspace"),
    "dpmpp-2m-karras": dict(_COMMON, timestep_spacing="linspace"),
    "lcm": dict(_COMMON, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                original_inference_steps=50, clip_sample=False, clip_sample_range=1.0,
                set_alpha_to_one=True, timestep_spacing="leading", timestep_scaling=10.0),
}


def resolve_config(sampler, config):
    """Config keys over the diffusers class defaults of `sampler` (unknown keys are ignored)."""
    cfg = dict(DEFAULTS[sampler])
    for k, v in config.items():
        if k in cfg:
            cfg[k] = v
    return cfg


# ---------------------------------------------------------------------------
# Noise schedules
# ---------------------------------------------------------------------------

def cosine_betas(num_train_timesteps, max_beta=0.999, s=0.008):
    """Nichol & Dhariwal 2021, "Improved DDPM", eq. 17: alpha_bar(t) = cos^2(((t/T + s)/(1 + s)) * pi/2),
    beta_i = min(1 - alpha_bar((i+1)/T) / alpha_bar(i/T), max_beta)."""
    def alpha_bar(u):
        return math.cos((u + s) / (1.0 + s) * math.pi / 2.0) ** 2
    T = num_train_timesteps
    return np.array([min(1.0 - alpha_bar((i + 1) / T) / alpha_bar(i / T), max_beta) for i in range(T)],
                    dtype=np.float64)


def rescale_zero_terminal_snr(betas):
    """Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1:
    shift and scale sqrt(alpha_bar) so that its last value is 0 and its first value is unchanged."""
    sqrt_ab = np.sqrt(np.cumprod(1.0 - betas))
    first, last = sqrt_ab[0], sqrt_ab[-1]
    sqrt_ab = (sqrt_ab - last) * (first / (first - last))
    ab = sqrt_ab ** 2
    alphas = np.concatenate([ab[:1], ab[1:] / ab[:-1]])
    return 1.0 - alphas


def make_betas(cfg):
    """Ho et al. 2020 (linear), Rombach et al. 2022 / LDM (scaled_linear), Nichol & Dhariwal 2021 (cosine)."""
    T = int(cfg["num_train_timesteps"])
    if cfg.get("trained_betas") is not None:
        betas = np.asarray(cfg["trained_betas"], dtype=np.float64)
    elif cfg["beta_schedule"] == "linear":
        betas = np.linspace(cfg["beta_start"], cfg["beta_end"], T, dtype=np.float64)
    elif cfg["beta_schedule"] == "scaled_linear":
        betas = np.linspace(cfg["beta_start"] ** 0.5, cfg["beta_end"] ** 0.5, T, dtype=np.float64) ** 2
    elif cfg["beta_schedule"] == "squaredcos_cap_v2":
        betas = cosine_betas(T)
    else:
        raise ValueError("beta_schedule must be linear, scaled_linear or squaredcos_cap_v2, got %r"
                         % cfg["beta_schedule"])
    if cfg.get("rescale_betas_zero_snr"):
        betas = rescale_zero_terminal_snr(betas)
    return betas


def make_alphas_cumprod(cfg, clamp_terminal=False):
    """alpha_bar_t = prod_{s<=t} (1 - beta_s).  `clamp_terminal`: the sigma-based schedulers (Euler, Euler-a,
    DPM++) replace a zero terminal alpha_bar (zero-SNR rescale) by 2**-24 so that sigma stays finite."""
    ac = np.cumprod(1.0 - make_betas(cfg))
    if clamp_terminal and cfg.get("rescale_betas_zero_snr"):
        ac[-1] = 2.0 ** -24
    return ac


def train_sigmas(alphas_cumprod):
    """Karras et al. 2022 (EDM), sec. 2 / appendix C.3: the VP process x = sqrt(ab) (x0 + sigma eps) seen in
    variance-exploding coordinates, sigma_t = sqrt((1 - ab_t) / ab_t), indexed by training timestep."""
    return np.sqrt((1.0 - alphas_cumprod) / alphas_cumprod)


# ---------------------------------------------------------------------------
# Timestep spacings (Lin et al. 2023, Table 2, as implemented per scheduler class in diffusers)
# ---------------------------------------------------------------------------

def discrete_timesteps(T, n, spacing, steps_offset):
    """Integer timesteps of DDPMScheduler / DDIMScheduler."""
    if n > T:
        raise ValueError("steps %d cannot exceed num_train_timesteps %d" % (n, T))
    if spacing == "linspace":
        return np.round(np.linspace(0, T - 1, n))[::-1].astype(np.int64)
    if spacing == "leading":
        return (np.arange(n) * (T // n))[::-1].astype(np.int64) + int(steps_offset)
    if spacing == "trailing":
        return np.round(np.arange(T, 0, -T / n)).astype(np.int64) - 1
    raise ValueError("timestep_spacing must be leading, trailing or linspace, got %r" % spacing)


def float_timesteps(T, n, spacing, steps_offset):
    """Float timesteps of Euler / Euler ancestral: linspace is NOT rounded (fractional timesteps)."""
    if spacing == "linspace":
        return np.linspace(0, T - 1, n, dtype=np.float64)[::-1].copy()
    if spacing == "leading":
        return (np.arange(n) * (T // n))[::-1].astype(np.float64) + steps_offset
    if spacing == "trailing":
        return np.round(np.arange(T, 0, -T / n)).astype(np.float64) - 1.0
    raise ValueError("timestep_spacing must be leading, trailing or linspace, got %r" % spacing)


def dpm_timesteps(T, n, spacing, steps_offset):
    """DPMSolverMultistepScheduler: n+1 points, the last (0) dropped, for linspace and leading."""
    if spacing == "linspace":
        return np.round(np.linspace(0, T - 1, n + 1))[::-1][:-1].astype(np.int64)
    if spacing == "leading":
        ratio = T // (n + 1)
        return (np.arange(n + 1) * ratio)[::-1][:-1].astype(np.int64) + int(steps_offset)
    if spacing == "trailing":
        return np.round(np.arange(T, 0, -T / n)).astype(np.int64) - 1
    raise ValueError("timestep_spacing must be leading, trailing or linspace, got %r" % spacing)


def interp_sigma(timesteps, sigma_table):
    """Sigma at (possibly fractional) timesteps by linear interpolation in t."""
    return np.interp(np.asarray(timesteps, dtype=np.float64), np.arange(len(sigma_table)), sigma_table)


def karras_sigmas(sigma_min, sigma_max, n, rho=7.0):
    """Karras et al. 2022 (EDM), eq. 5: sigma_i = (smax^(1/rho) + i/(n-1) (smin^(1/rho) - smax^(1/rho)))^rho."""
    ramp = np.linspace(0.0, 1.0, n)
    lo, hi = sigma_min ** (1.0 / rho), sigma_max ** (1.0 / rho)
    return (hi + ramp * (lo - hi)) ** rho


def sigma_to_timestep(sigma, sigma_table):
    """Fractional training timestep whose sigma equals `sigma`, interpolating linearly in log sigma
    (the log-sigma table is increasing in t; values outside it clamp to 0 / T-1)."""
    log_table = np.log(sigma_table)
    return np.interp(np.log(np.maximum(sigma, 1e-10)), log_table, np.arange(len(sigma_table), dtype=np.float64))


# ---------------------------------------------------------------------------
# Prediction-type conversion (Ho et al. 2020 eq. 4 / Salimans & Ho 2022 "v")
# ---------------------------------------------------------------------------

def vp_predict(prediction_type, out, x, ab):
    """(x0, eps) from a model output on the VP sample x = sqrt(ab) x0 + sqrt(1-ab) eps."""
    a, b = math.sqrt(ab), math.sqrt(1.0 - ab)
    if prediction_type == "epsilon":
        return (x - b * out) / a, out
    if prediction_type == "sample":
        return out, (x - a * out) / b
    if prediction_type == "v_prediction":
        return a * x - b * out, a * out + b * x
    raise ValueError("prediction_type must be epsilon, sample or v_prediction, got %r" % prediction_type)


# ---------------------------------------------------------------------------
# Samplers.  Each has: timesteps, sigmas, init_noise_sigma, input_scales, step(i, out, x, noise)
# ---------------------------------------------------------------------------

class DDPM:
    """Ho et al. 2020, "Denoising Diffusion Probabilistic Models", eq. 6-7 (posterior q(x_{t-1}|x_t,x0),
    variance beta~_t = 'fixed_small'), evaluated between the strided timesteps t -> prev (next list entry)."""

    def __init__(self, cfg, steps, eta=0.0):
        self.cfg = cfg
        self.ac = make_alphas_cumprod(cfg)
        self.timesteps = discrete_timesteps(int(cfg["num_train_timesteps"]), steps, cfg["timestep_spacing"],
                                            cfg["steps_offset"])
        self.sigmas = []
        self.init_noise_sigma = 1.0
        self.input_scales = [1.0] * steps

    def step(self, i, out, x, noise):
        t = int(self.timesteps[i])
        prev = int(self.timesteps[i + 1]) if i + 1 < len(self.timesteps) else -1
        ab_t = self.ac[t]
        ab_prev = self.ac[prev] if prev >= 0 else 1.0
        beta_t = 1.0 - ab_t / ab_prev            # effective beta of the strided step
        x0, _ = vp_predict(self.cfg["prediction_type"], out, x, ab_t)
        if self.cfg["clip_sample"]:
            r = self.cfg["clip_sample_range"]
            x0 = np.clip(x0, -r, r)
        # posterior mean, Ho et al. eq. 7
        mean = (math.sqrt(ab_prev) * beta_t / (1.0 - ab_t)) * x0 \
            + (math.sqrt(1.0 - beta_t) * (1.0 - ab_prev) / (1.0 - ab_t)) * x
        if t > 0:
            var = max((1.0 - ab_prev) / (1.0 - ab_t) * beta_t, 1e-20)
            mean = mean + math.sqrt(var) * noise
        return mean


class DDIM:
    """Song, Meng & Ermon 2021, "Denoising Diffusion Implicit Models", eq. 12 with sigma_t(eta) of eq. 16.
    prev timestep = t - T // N; past the start it uses the 'final' alpha_bar (1 or alpha_bar_0)."""

    def __init__(self, cfg, steps, eta=0.0):
        self.cfg = cfg
        self.eta = float(eta)
        self.ac = make_alphas_cumprod(cfg)
        self.T = int(cfg["num_train_timesteps"])
        self.n = steps
        self.final_ab = 1.0 if cfg["set_alpha_to_one"] else self.ac[0]
        self.timesteps = discrete_timesteps(self.T, steps, cfg["timestep_spacing"], cfg["steps_offset"])
        self.sigmas = []
        self.init_noise_sigma = 1.0
        self.input_scales = [1.0] * steps

    def step(self, i, out, x, noise):
        t = int(self.timesteps[i])
        prev = t - self.T // self.n
        ab_t = self.ac[t]
        ab_prev = self.ac[prev] if prev >= 0 else self.final_ab
        x0, eps = vp_predict(self.cfg["prediction_type"], out, x, ab_t)
        if self.cfg["clip_sample"]:
            r = self.cfg["clip_sample_range"]
            x0 = np.clip(x0, -r, r)           # eps is NOT recomputed (use_clipped_model_output=False)
        var = (1.0 - ab_prev) / (1.0 - ab_t) * (1.0 - ab_t / ab_prev)   # eq. 16 with eta = 1
        std = self.eta * math.sqrt(var)
        x_prev = math.sqrt(ab_prev) * x0 + math.sqrt(1.0 - ab_prev - std ** 2) * eps
        if self.eta > 0:
            x_prev = x_prev + std * noise
        return x_prev


class Euler:
    """Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based Generative Models", Algorithm 1
    with the Euler step only (no Heun correction, s_churn = 0): dx/dsigma = (x - D(x)) / sigma in VE
    coordinates, model input scaled by 1/sqrt(sigma^2 + 1)."""

    def __init__(self, cfg, steps, eta=0.0):
        self.cfg = cfg
        ac = make_alphas_cumprod(cfg, clamp_terminal=True)
        table = train_sigmas(ac)
        self.timesteps = float_timesteps(int(cfg["num_train_timesteps"]), steps, cfg["timestep_spacing"],
                                         cfg["steps_offset"])
        self.sigmas = np.concatenate([interp_sigma(self.timesteps, table), [0.0]])
        smax = float(np.max(self.sigmas))
        self.init_noise_sigma = smax if cfg["timestep_spacing"] in ("linspace", "trailing") \
            else math.sqrt(smax ** 2 + 1.0)
        self.input_scales = [1.0 / math.sqrt(s ** 2 + 1.0) for s in self.sigmas[:-1]]

    def denoised(self, out, x, sigma):
        """D(x; sigma): the x0 estimate in VE coordinates (Karras et al. Table 1, VP column)."""
        pt = self.cfg["prediction_type"]
        if pt == "epsilon":
            return x - sigma * out
        if pt == "v_prediction":
            return out * (-sigma / math.sqrt(sigma ** 2 + 1.0)) + x / (sigma ** 2 + 1.0)
        if pt == "sample":
            return out
        raise ValueError("prediction_type must be epsilon, sample or v_prediction, got %r" % pt)

    def step(self, i, out, x, noise):
        s, s_next = self.sigmas[i], self.sigmas[i + 1]
        d = (x - self.denoised(out, x, s)) / s
        return x + d * (s_next - s)


class EulerAncestral(Euler):
    """Euler ancestral sampling (Karras et al. 2022 sec. 4 / k-diffusion sample_euler_ancestral): Euler step
    to sigma_down, then fresh noise of std sigma_up, with sigma_up^2 = s_next^2 (s^2 - s_next^2) / s^2 and
    sigma_down^2 = s_next^2 - sigma_up^2 (Song et al. 2021 ancestral DDPM step, eta = 1)."""

    def denoised(self, out, x, sigma):
        if self.cfg["prediction_type"] == "sample":   # as in diffusers: not supported by Euler ancestral
            raise ValueError("prediction_type 'sample' is not supported by euler-a")
        return Euler.denoised(self, out, x, sigma)

    def step(self, i, out, x, noise):
        s, s_next = self.sigmas[i], self.sigmas[i + 1]
        x0 = self.denoised(out, x, s)
        s_up = math.sqrt(s_next ** 2 * (s ** 2 - s_next ** 2) / s ** 2)
        s_down = math.sqrt(s_next ** 2 - s_up ** 2)
        d = (x - x0) / s
        return x + d * (s_down - s) + noise * s_up


class DPMpp2M:
    """Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic Models",
    Algorithm 2 (multistep second order, data prediction, 'midpoint' D1 weight 1/2), in VP coordinates with
    alpha = 1/sqrt(sigma^2+1), sigma_vp = sigma * alpha, lambda = log(alpha / sigma_vp).  First step and,
    because the final sigma is 0, the last step are first order (DPM-Solver++1 = DDIM).
    `karras`: sigmas of Karras et al. 2022 eq. 5 (rho 7) between the training table's ends, model timesteps
    = rounded log-sigma interpolation (not rounded for squaredcos_cap_v2, then truncated to int)."""

    def __init__(self, cfg, steps, eta=0.0, karras=False, order=2):
        self.cfg = cfg
        self.order = order
        ac = make_alphas_cumprod(cfg, clamp_terminal=True)
        table = train_sigmas(ac)
        T = int(cfg["num_train_timesteps"])
        ts = dpm_timesteps(T, steps, cfg["timestep_spacing"], cfg["steps_offset"])
        if karras:
            sig = karras_sigmas(table[0], table[-1], steps)
            ts = sigma_to_timestep(sig, table)
            if cfg["beta_schedule"] != "squaredcos_cap_v2":
                ts = np.round(ts)
            ts = np.trunc(ts).astype(np.int64)
        else:
            sig = interp_sigma(ts, table)
        self.timesteps = ts
        self.sigmas = np.concatenate([sig, [0.0]])
        self.init_noise_sigma = 1.0
        self.input_scales = [1.0] * steps
        self.prev_x0 = None

    @staticmethod
    def _alpha_sigma(s):
        a = 1.0 / math.sqrt(s ** 2 + 1.0)
        return a, s * a

    @staticmethod
    def _lambda(s):
        return -math.log(s) if s > 0 else math.inf   # log(alpha/sigma_vp) = -log(sigma_ve)

    def step(self, i, out, x, noise):
        s0, s_t = self.sigmas[i], self.sigmas[i + 1]
        a0, sv0 = self._alpha_sigma(s0)
        a_t, sv_t = self._alpha_sigma(s_t)
        x0 = vp_predict(self.cfg["prediction_type"], out, x, a0 ** 2)[0]   # DPM++ uses data prediction
        n = len(self.timesteps)
        first_order = self.order == 1 or self.prev_x0 is None or i == n - 1   # final sigma 0: last step 1st order
        if s_t == 0.0:
            x_next = x0.copy()                               # sigma_t/sigma_s * x -> 0, alpha_t (1 - e^-h) -> 1
        else:
            h = self._lambda(s_t) - self._lambda(s0)
            phi = math.expm1(-h)                             # e^{-h} - 1
            if first_order:
                x_next = (sv_t / sv0) * x - a_t * phi * x0   # DPM-Solver++(1), eq. (9)
            else:
                h_prev = self._lambda(s0) - self._lambda(self.sigmas[i - 1])
                r = h_prev / h
                d1 = (x0 - self.prev_x0) / r
                x_next = (sv_t / sv0) * x - a_t * phi * x0 - 0.5 * a_t * phi * d1
        self.prev_x0 = x0
        return x_next


class LCM:
    """Luo et al. 2023, "Latent Consistency Models", Algorithm 1 (multistep consistency sampling): x0 from the
    model, consistency boundary condition f = c_skip x + c_out x0 with c_skip = sd^2/((k t)^2 + sd^2),
    c_out = k t / sqrt((k t)^2 + sd^2) (sd = 0.5, k = timestep_scaling), then re-noise to the next timestep
    (not after the last step).  Timesteps: every (orig // N)-th of the orig-step skip schedule."""

    SIGMA_DATA = 0.5

    def __init__(self, cfg, steps, eta=0.0):
        self.cfg = cfg
        self.ac = make_alphas_cumprod(cfg)
        self.final_ab = 1.0 if cfg["set_alpha_to_one"] else self.ac[0]
        T = int(cfg["num_train_timesteps"])
        orig = int(cfg["original_inference_steps"])
        if orig > T:
            raise ValueError("original_inference_steps %d cannot exceed num_train_timesteps %d" % (orig, T))
        if steps > orig:
            raise ValueError("steps %d cannot exceed original_inference_steps %d" % (steps, orig))
        k = T // orig
        origin = (np.arange(1, orig + 1) * k - 1)[::-1]      # 999, 979, ..., 19 for T=1000, orig=50
        idx = np.floor(np.linspace(0, len(origin), steps, endpoint=False)).astype(np.int64)
        self.timesteps = origin[idx]
        self.sigmas = []
        self.init_noise_sigma = 1.0
        self.input_scales = [1.0] * steps

    def step(self, i, out, x, noise):
        t = int(self.timesteps[i])
        last = i == len(self.timesteps) - 1
        prev = int(self.timesteps[i + 1]) if not last else t
        ab_t = self.ac[t]
        ab_prev = self.ac[prev] if prev >= 0 else self.final_ab
        st = t * float(self.cfg["timestep_scaling"])
        c_skip = self.SIGMA_DATA ** 2 / (st ** 2 + self.SIGMA_DATA ** 2)
        c_out = st / math.sqrt(st ** 2 + self.SIGMA_DATA ** 2)
        x0, _ = vp_predict(self.cfg["prediction_type"], out, x, ab_t)
        if self.cfg["clip_sample"]:
            r = self.cfg["clip_sample_range"]
            x0 = np.clip(x0, -r, r)
        denoised = c_out * x0 + c_skip * x
        if last:
            return denoised
        return math.sqrt(ab_prev) * denoised + math.sqrt(1.0 - ab_prev) * noise


def make_sampler(name, config, steps, eta=0.0):
    cfg = resolve_config(name, config)
    if name == "ddpm":
        return DDPM(cfg, steps)
    if name == "ddim":
        return DDIM(cfg, steps, eta)
    if name == "euler":
        return Euler(cfg, steps)
    if name == "euler-a":
        return EulerAncestral(cfg, steps)
    if name == "dpmpp-2m":
        return DPMpp2M(cfg, steps)
    if name == "dpmpp-2m-karras":
        return DPMpp2M(cfg, steps, karras=True)
    if name == "lcm":
        return LCM(cfg, steps)
    raise ValueError("unknown sampler %r" % name)


def run(sampler, x_init, noise, model=fixture_model):
    """The replay loop of the fixture contract."""
    x = np.array(x_init, dtype=np.float64)
    traj = []
    for i, t in enumerate(sampler.timesteps):
        out = model(x * sampler.input_scales[i], t)
        x = sampler.step(i, out, x, noise[i])
        traj.append(x.copy())
    return traj


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

SD15 = {
    "num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
    "trained_betas": None, "prediction_type": "epsilon", "timestep_spacing": "leading", "steps_offset": 1,
    "set_alpha_to_one": False, "clip_sample": False,
}
LINEAR_TRAILING = {"beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02,
                   "timestep_spacing": "trailing"}
ZEROSNR_VPRED = dict(SD15, rescale_betas_zero_snr=True, timestep_spacing="trailing", steps_offset=0,
                     prediction_type="v_prediction")
COSINE_LINSPACE = {"beta_schedule": "squaredcos_cap_v2", "timestep_spacing": "linspace"}


def with_(base, **kw):
    d = dict(base)
    d.update(kw)
    return d


def case_specs():
    sd15_no_spacing = {k: v for k, v in SD15.items() if k != "timestep_spacing"}
    trained = [float(b) for b in np.round(np.linspace(0.001, 0.2, 100) ** 1.5, 12)]
    specs = [
        ("ddpm-sd15-leading-10", "ddpm", SD15, 10, 0.0),
        ("ddim-sd15-leading-eta0-10", "ddim", SD15, 10, 0.0),
        ("euler-sd15-leading-10", "euler", SD15, 10, 0.0),
        ("euler-a-sd15-leading-10", "euler-a", SD15, 10, 0.0),
        ("dpmpp-2m-sd15-leading-10", "dpmpp-2m", SD15, 10, 0.0),
        ("dpmpp-2m-karras-sd15-leading-10", "dpmpp-2m-karras", SD15, 10, 0.0),
        ("lcm-sd15-4", "lcm", SD15, 4, 0.0),
        ("lcm-sd15-2", "lcm", SD15, 2, 0.0),
        ("dpmpp-2m-sd15-leading-20", "dpmpp-2m", SD15, 20, 0.0),
        ("dpmpp-2m-sd15-leading-4", "dpmpp-2m", SD15, 4, 0.0),
        ("dpmpp-2m-karras-sd15-leading-20", "dpmpp-2m-karras", SD15, 20, 0.0),
        ("ddim-sd15-leading-eta0.5-10", "ddim", SD15, 10, 0.5),
        ("ddim-sd15-clip-10", "ddim", with_(SD15, clip_sample=True, clip_sample_range=0.5), 10, 0.0),
        ("ddim-linear-trailing-10", "ddim", LINEAR_TRAILING, 10, 0.0),
        ("euler-linear-trailing-10", "euler", LINEAR_TRAILING, 10, 0.0),
        ("euler-a-linear-trailing-10", "euler-a", LINEAR_TRAILING, 10, 0.0),
        ("dpmpp-2m-linear-trailing-10", "dpmpp-2m", LINEAR_TRAILING, 10, 0.0),
        ("ddim-cosine-linspace-10", "ddim", COSINE_LINSPACE, 10, 0.0),
        ("euler-cosine-linspace-12", "euler", COSINE_LINSPACE, 12, 0.0),
        ("dpmpp-2m-cosine-linspace-10", "dpmpp-2m", COSINE_LINSPACE, 10, 0.0),
        ("ddim-sd15-vpred-10", "ddim", with_(SD15, prediction_type="v_prediction"), 10, 0.0),
        ("euler-sd15-vpred-10", "euler", with_(SD15, prediction_type="v_prediction"), 10, 0.0),
        ("dpmpp-2m-sd15-vpred-10", "dpmpp-2m", with_(SD15, prediction_type="v_prediction"), 10, 0.0),
        ("ddim-zerosnr-trailing-vpred-10", "ddim", ZEROSNR_VPRED, 10, 0.0),
        ("ddpm-sd15-leading-50", "ddpm", SD15, 50, 0.0),
        ("ddpm-linear-defaults-10", "ddpm", {}, 10, 0.0),
        ("euler-sd15-defaultspacing-10", "euler", sd15_no_spacing, 10, 0.0),
        ("ddim-trainedbetas-100-8", "ddim",
         {"num_train_timesteps": 100, "trained_betas": trained, "timestep_spacing": "leading",
          "set_alpha_to_one": False, "clip_sample": False}, 8, 0.0),
        ("euler-a-sd15-leading-20", "euler-a", SD15, 20, 0.0),
        # extensions beyond the required list
        ("ddim-sd15-sample-10", "ddim", with_(SD15, prediction_type="sample"), 10, 0.0),
        ("euler-sd15-sample-10", "euler", with_(SD15, prediction_type="sample"), 10, 0.0),
        ("dpmpp-2m-sd15-sample-10", "dpmpp-2m", with_(SD15, prediction_type="sample"), 10, 0.0),
        ("euler-a-sd15-vpred-10", "euler-a", with_(SD15, prediction_type="v_prediction"), 10, 0.0),
        ("ddpm-sd15-vpred-clip-10", "ddpm", with_(SD15, prediction_type="v_prediction", clip_sample=True), 10, 0.0),
        ("lcm-sd15-vpred-orig20-scaling5-4", "lcm",
         with_(SD15, prediction_type="v_prediction", original_inference_steps=20, timestep_scaling=5.0), 4, 0.0),
        ("dpmpp-2m-karras-linear-trailing-10", "dpmpp-2m-karras", LINEAR_TRAILING, 10, 0.0),
        ("euler-zerosnr-trailing-vpred-10", "euler", ZEROSNR_VPRED, 10, 0.0),
        ("dpmpp-2m-zerosnr-trailing-vpred-10", "dpmpp-2m", ZEROSNR_VPRED, 10, 0.0),
        ("ddim-sd15-linspace-eta1-7", "ddim", with_(SD15, timestep_spacing="linspace", steps_offset=0), 7, 1.0),
        ("dpmpp-2m-karras-cosine-linspace-10", "dpmpp-2m-karras", COSINE_LINSPACE, 10, 0.0),
    ]
    return specs


def num(v):
    """JSON number: ints stay ints, floats keep full double precision (repr)."""
    if isinstance(v, (int, np.integer)):
        return int(v)
    return float(v)


def build_case(index, name, sampler_name, config, steps, eta):
    s = make_sampler(sampler_name, config, steps, eta)
    rng = np.random.default_rng(20240 + index)
    x_init = rng.standard_normal(DIM) * s.init_noise_sigma
    noise = rng.standard_normal((steps, DIM))
    traj = run(s, x_init, noise)
    if not all(np.all(np.isfinite(r)) for r in traj):
        raise AssertionError("non-finite trajectory in " + name)
    return {
        "name": name,
        "sampler": sampler_name,
        "config": config,
        "steps": steps,
        "eta": float(eta),
        "timesteps": [num(t) for t in s.timesteps],
        "sigmas": [float(v) for v in s.sigmas],
        "init_noise_sigma": float(s.init_noise_sigma),
        "input_scales": [float(v) for v in s.input_scales],
        "x_init": [float(v) for v in x_init],
        "noise": [[float(v) for v in row] for row in noise],
        "trajectory": [[float(v) for v in row] for row in traj],
    }


def build_all():
    specs = case_specs()
    names = [s[0] for s in specs]
    assert len(set(names)) == len(names), "duplicate case names"
    return {
        "generator": "tools/sampler_reference.py",
        "model": MODEL_DESCRIPTION,
        "cases": [build_case(i, *spec) for i, spec in enumerate(specs)],
    }


# ---------------------------------------------------------------------------
# Self-checks
# ---------------------------------------------------------------------------

def _close(a, b, tol, what):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    err = float(np.max(np.abs(a - b))) if a.size else 0.0
    if a.shape != b.shape or not err <= tol:
        raise AssertionError("%s: max |diff| %r > %r\n  got  %r\n  want %r" % (what, err, tol, a, b))
    print("ok  %-62s max|diff| %.3g" % (what, err))


def self_check():
    # spacings
    _close(discrete_timesteps(1000, 50, "leading", 1), np.arange(981, 0, -20), 0, "leading SD-1.5 50 steps = 981..1")
    _close(discrete_timesteps(1000, 10, "trailing", 0), np.arange(999, 0, -100), 0, "trailing 1000/10 = 999..99")
    _close(discrete_timesteps(1000, 10, "linspace", 0), np.round(np.linspace(999, 0, 10)), 0, "linspace 10")
    _close(dpm_timesteps(1000, 10, "leading", 1), np.arange(901, 90, -90), 0, "dpm leading 10 = 901, 811, ..., 91")
    _close(LCM(resolve_config("lcm", SD15), 4).timesteps, [999, 759, 499, 259], 0, "lcm 4 steps")
    _close(LCM(resolve_config("lcm", SD15), 2).timesteps, [999, 499], 0, "lcm 2 steps")

    # schedules
    sd_ac = make_alphas_cumprod(resolve_config("ddim", SD15))
    _close(sd_ac[-1], 1.0 / (1.0 + 14.6146 ** 2), 1e-6, "SD-1.5 alpha_bar_999 = 1/(1+14.6146^2)")
    _close(train_sigmas(sd_ac)[[0, -1]], [0.0292, 14.6146], 1e-3, "SD-1.5 sigma range 0.0292..14.6146")
    zc = resolve_config("ddim", with_(SD15, rescale_betas_zero_snr=True))
    zac = make_alphas_cumprod(zc)
    _close([zac[0], zac[-1]], [sd_ac[0], 0.0], 1e-12, "zero-SNR rescale keeps ab_0, makes ab_T = 0")
    cos_b = cosine_betas(1000)
    _close(cos_b.max(), 0.999, 0, "squaredcos_cap_v2 caps beta at 0.999")

    # karras endpoints
    table = train_sigmas(sd_ac)
    ks = karras_sigmas(table[0], table[-1], 10)
    _close([ks[0], ks[-1]], [table[-1], table[0]], 1e-12, "karras sigmas start at sigma_max, end at sigma_min")
    kt = sigma_to_timestep(ks, table)
    _close([kt[0], kt[-1]], [999, 0], 1e-9, "karras timesteps endpoints 999 .. 0")
    _close(interp_sigma(kt, table), ks, 2e-3 * ks.max(), "log-sigma interpolation round-trips sigma")

    # exact point-mass denoisers converge to the point
    x0 = np.linspace(-0.7, 0.9, DIM)
    rng = np.random.default_rng(7)
    for name, cfg in [("ddim", with_(SD15, set_alpha_to_one=True)), ("euler", SD15), ("euler-a", SD15),
                      ("dpmpp-2m", SD15), ("dpmpp-2m-karras", SD15), ("ddpm", SD15)]:
        s = make_sampler(name, cfg, 10)
        if len(s.sigmas):   # sigma samplers: the update uses sigmas[i] (karras: not the rounded t)
            ab_of = {float(t): 1.0 / (1.0 + s.sigmas[i] ** 2) for i, t in enumerate(s.timesteps)}
        else:
            ab_of = {float(t): s.ac[int(t)] for t in s.timesteps}

        def eps_model(x_in, t, ab_of=ab_of):
            # x_in is the VP sample sqrt(ab) x0 + sqrt(1-ab) eps: return that exact eps
            ab = ab_of[float(t)]
            return (x_in - math.sqrt(ab) * x0) / math.sqrt(1.0 - ab)
        traj = run(s, rng.standard_normal(DIM) * s.init_noise_sigma, rng.standard_normal((10, DIM)), eps_model)
        tol = 1e-12 if name != "ddpm" else 1e-8   # ddpm adds 1e-10 * noise at t = 1
        _close(traj[-1], x0, tol, "%s with the exact epsilon of a point mass ends on it" % name)

    # DDIM(eta=0) == Euler in VE coordinates (Karras et al. 2022, sec. 3; Song et al. 2021 eq. 14)
    cfg = dict(LINEAR_TRAILING, set_alpha_to_one=True, clip_sample=False)
    d, e = make_sampler("ddim", cfg, 10), make_sampler("euler", cfg, 10)
    ac = make_alphas_cumprod(resolve_config("ddim", cfg))
    z = np.random.default_rng(3).standard_normal(DIM)
    noise = np.zeros((10, DIM))
    tv = run(d, z, noise)
    te = run(e, z / math.sqrt(ac[999]), noise)
    prev_ab = [ac[t] for t in d.timesteps[1:]] + [1.0]
    _close([tv[i] / math.sqrt(prev_ab[i]) for i in range(10)], te, 1e-10,
           "DDIM eta=0 trajectory / sqrt(ab_prev) == Euler trajectory")

    # DPM-Solver++(1) == DDIM eta=0 (Lu et al. 2022, sec. 3.1)
    dp = DPMpp2M(resolve_config("dpmpp-2m", cfg), 10, order=1)
    _close(run(dp, z, noise), tv, 1e-10, "DPM-Solver++ first order == DDIM eta=0")

    # DPM++ 2M is second order: error vs a fine reference drops ~4x per halving of h
    def smooth(x_in, t):
        return 0.3 * x_in + 0.2 * np.sin(0.003 * t + np.arange(DIM))
    ref = run(DPMpp2M(resolve_config("dpmpp-2m", LINEAR_TRAILING), 500), z, np.zeros((500, DIM)), smooth)[-1]
    errs = []
    for n in (25, 50, 100):
        s = DPMpp2M(resolve_config("dpmpp-2m", LINEAR_TRAILING), n)
        errs.append(float(np.max(np.abs(run(s, z, np.zeros((n, DIM)), smooth)[-1] - ref))))
    e1 = DPMpp2M(resolve_config("dpmpp-2m", LINEAR_TRAILING), 50, order=1)
    err1 = float(np.max(np.abs(run(e1, z, np.zeros((50, DIM)), smooth)[-1] - ref)))
    print("    dpm++ 2M errors at 25/50/100 steps: %s; first order at 50: %.3g" % (errs, err1))
    if not (errs[0] / errs[1] > 3.0 and errs[1] / errs[2] > 3.0 and errs[1] < err1):
        raise AssertionError("DPM++ 2M does not converge faster than first order")
    print("ok  dpm++ 2M error ratio per halving > 3 (second order) and beats first order")

    # every case is described in the module docstring; euler-a rejects 'sample' like diffusers
    import re
    described = set(re.findall(r"``([a-z0-9.<>-]+)``", __doc__))
    for spec in case_specs():
        n = spec[0]
        if n not in described:
            raise AssertionError("case %s is not described in the docstring" % n)
    try:
        run(make_sampler("euler-a", with_(SD15, prediction_type="sample"), 2), z, np.zeros((2, DIM)))
        raise AssertionError("euler-a accepted prediction_type sample")
    except ValueError:
        pass
    print("ok  all cases described in the docstring; euler-a rejects prediction_type sample")

    # fixture is deterministic
    a, b = build_all(), build_all()
    if to_json(a) != to_json(b) or json.loads(to_json(a)) != json.loads(json.dumps(a)):
        raise AssertionError("fixture not deterministic")
    print("ok  fixture build is deterministic (%d cases)" % len(a["cases"]))


def to_json(data):
    """Readable JSON: one key per line, number lists on one line, matrices one row per line.
    Floats are written by json (repr), i.e. with full double precision."""
    def dump(v, ind):
        pad = " " * ind
        if isinstance(v, dict):
            items = [pad + "  " + json.dumps(k) + ": " + dump(x, ind + 2).lstrip() for k, x in v.items()]
            return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            return pad + "[\n" + ",\n".join(dump(x, ind + 2) for x in v) + "\n" + pad + "]"
        if isinstance(v, list) and v and all(isinstance(x, list) for x in v):
            return pad + "[\n" + ",\n".join(pad + "  " + json.dumps(x) for x in v) + "\n" + pad + "]"
        return pad + json.dumps(v)
    return dump(data, 0) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="run self-checks only")
    ap.add_argument("--out", default=DEFAULT_OUT, help="output path of the fixture")
    args = ap.parse_args(argv)
    if args.check:
        self_check()
        return 0
    data = build_all()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(to_json(data))
    print("wrote %s (%d cases, %d bytes)" % (os.path.normpath(args.out), len(data["cases"]),
                                             os.path.getsize(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
