#!/usr/bin/env bash
# Trains and exports every bundled model of the shapes world, from fixed seeds, with the commands of
# the model cards (models/*/README.md). Every stage resumes from its checkpoints under $SHAPES_OUT
# (default target/shapes; `mvn clean` deletes target/, so point it elsewhere for long runs), so
# running this again after an interruption continues where it stopped; a finished stage is a no-op
# apart from its export. Python is Debian's (/usr/bin/python3: torch 1.13 CPU, numpy, onnx).
#
#   tools/shapes/train_all.sh                 # every stage, in dependency order
#   tools/shapes/train_all.sh ldm-unet lcm    # some stages (their inputs must exist)
#
# Stages and what they need, with the time each took when this script reproduced them on this
# project's 2-core machine (2026-12-05, SHAPES_THREADS as noted; the cards tell the details):
#   eval      the evaluator (shapes-eval)                          13 min, 1 thread, byte-identical
#   ldm-vae   the VAE shared by shapes-ldm, shapes-lcm and shapes-video   8 min, 1 thread, byte-identical
#   ldm-unet  the latent UNet + text encoder (shapes-ldm)  needs ldm-vae  44 min, 1 thread, byte-identical
#   video     the video UNet (shapes-video)          needs ldm-vae, eval  29 min, 2 threads, equal quality
#   pixel     the pixel-space model (shapes-pixel)                       101 min, 2 threads (published run, same command)
#   lcm       the few-step model (shapes-lcm)  needs ldm-unet, ldm-vae, eval  6 min, 2 threads, equal quality
# About 3 h 20 min in all, over the issue's 2-hour aim; the pixel model is half of it. Stages without
# a dependency between them can run at once on separate machines or cores.
#
# Exports go to models/ (SHAPES_MODELS to export elsewhere, e.g. to compare a reproduction with the
# committed models: later stages then read their teacher and evaluator from there too).
#
# Rehearsal: SHAPES_REHEARSAL=1 runs every stage with a handful of steps and small data, into
# $SHAPES_OUT (default target/shapes-rehearsal) and its models/ folder instead of models/, then, when
# target/diffusion-batch.jar exists, loads each exported model in the Java engine (`evaluate` on 8
# prompts with the rehearsal's evaluator). It checks the wiring of this script on a fresh machine
# (every command, option, checkpoint hand-over, export and ONNX check) in minutes; its models are noise.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=/usr/bin/python3
REHEARSAL=${SHAPES_REHEARSAL:-0}
if [ "$REHEARSAL" = 1 ]; then
  OUT=${SHAPES_OUT:-target/shapes-rehearsal}
  MODELS="$OUT/models"
else
  OUT=${SHAPES_OUT:-target/shapes}
  MODELS=${SHAPES_MODELS:-models}
fi
THREADS=${SHAPES_THREADS:-1}
mkdir -p "$OUT"
LOG="$OUT/train_all.log"

# n FULL SMALL: the published value, or the rehearsal's
n() { if [ "$REHEARSAL" = 1 ]; then echo "$2"; else echo "$1"; fi; }
# small OPTION...: options only the rehearsal passes (smaller data; the published runs use the defaults)
small() { if [ "$REHEARSAL" = 1 ]; then echo "$@"; fi; }

stage_eval() {
  # shellcheck disable=SC2046
  $PY tools/shapes/train_eval.py --ckpt-dir "$OUT" --out "$MODELS/shapes-eval" --threads "$THREADS" \
      $(small --image-steps 20 --video-steps 20 --accuracy-n 64 --feature-n 512)
}

stage_ldm_vae() {
  # shellcheck disable=SC2046
  LDM_OUT="$OUT/ldm" $PY tools/shapes/train_ldm.py --stage vae --vae-steps "$(n 1100 10)" --threads "$THREADS" \
      $(small --vae-pool 512)
}

stage_ldm_unet() {
  # the auxiliary text-position loss starts at step 3,871: the step the published run turned it on
  # (models/shapes-ldm/README.md tells that history); the command reproduces that run
  # shellcheck disable=SC2046
  LDM_OUT="$OUT/ldm" $PY tools/shapes/train_ldm.py --stage unet --unet-steps "$(n 6000 12)" --pair-fraction 0.75 \
      --text-aux-weight 0.1 --text-aux-start "$(n 3871 6)" --threads "$THREADS" $(small --chunk 512)
  $PY tools/shapes/export_ldm.py --ckpt-dir "$OUT/ldm" --out "$MODELS/shapes-ldm"
}

stage_video() {
  # two phases of one run (models/shapes-video/README.md): to step 4,200, then with the direction losses
  local common=(--vae "$OUT/ldm/vae.pt" --out "$OUT/video" --evaluator "$MODELS/shapes-eval" --high-noise-weight 20
                --high-noise-from "$(n 2394 2)" --high-noise-frac 0.5 --high-noise-frac-from "$(n 3073 4)"
                --threads "$THREADS")
  # shellcheck disable=SC2207
  common+=($(small --chunk 256))
  $PY tools/shapes/train_video.py "${common[@]}" --steps "$(n 4200 6)" $(small --check-n 8)
  $PY tools/shapes/train_video.py "${common[@]}" --steps "$(n 6000 12)" --dir-aux-weight 0.1 --dir-aux-start "$(n 4200 6)" \
      --dir-contrast-weight 0.05 --dir-contrast-n 16 --dir-contrast-tmin 600 --ema 0.995 --check-n "$(n 32 8)"
  $PY tools/shapes/export_video.py --ckpt "$OUT/video/video.pt" --out "$MODELS/shapes-video"
}

stage_pixel() {
  # one command from step 0 (models/shapes-pixel/README.md): the high-noise recipe and the auxiliary text
  # loss throughout, 12,500 steps x 128
  PIXEL_OUT="$OUT/pixel" $PY tools/shapes/train_pixel.py --steps "$(n 12500 10)" --batch 128 --lr 5e-4 --pair-fraction 0.5 \
      --text-aux-weight 0.1 --text-aux-start 0 --high-t-fraction 0.5 --high-t-min 600 --offset-noise 0.1 \
      --noise-recipe-start 0 --threads "$THREADS"
  $PY tools/shapes/export_pixel.py --ckpt "$OUT/pixel/pixel.pt" --out "$MODELS/shapes-pixel"
}

stage_lcm() {
  # the published run changed its batch from 128 to 64 at step 190 (models/shapes-lcm/README.md);
  # this command trains at 64 throughout
  $PY tools/shapes/onnx_to_torch.py --model "$MODELS/shapes-ldm"
  # shellcheck disable=SC2046
  LCM_OUT="$OUT/lcm" $PY tools/shapes/train_lcm.py --steps "$(n 1800 6)" --steps-schedule "$(n 1800 6)" --batch 64 \
      --lr 1e-4 --eval-n "$(n 96 8)" --ckpt-minutes 8 --vae "$OUT/ldm/vae.pt" --teacher "$MODELS/shapes-ldm" \
      --evaluator "$MODELS/shapes-eval" --threads "$THREADS" $(small --chunk 512)
  $PY tools/shapes/export_lcm.py --ckpt "$OUT/lcm/lcm.pt" --out "$MODELS/shapes-lcm" --teacher "$MODELS/shapes-ldm"
}

# the rehearsal's last step: the Java engine loads and runs every exported model
java_check() {
  local jar=target/diffusion-batch.jar
  if [ ! -f "$jar" ]; then
    echo "no $jar (mvn -B package -DskipTests builds it): Java check skipped" | tee -a "$LOG"
    return
  fi
  local m prompts
  for m in shapes-ldm shapes-pixel shapes-lcm shapes-video; do
    [ -d "$MODELS/$m" ] || continue
    prompts=config/prompts/shapes-single.jsonl
    [ "$m" = shapes-video ] && prompts=config/prompts/shapes-video.jsonl
    java -jar "$jar" evaluate --model "$MODELS/$m" --evaluator "$MODELS/shapes-eval" --prompts "$prompts" --limit 8 \
        2>&1 | tr '\r' '\n' | grep -E '^(model|\||FID)' | tee -a "$LOG"
  done
}

run_stage() {
  local name=$1 fn=stage_${1//-/_}
  if ! declare -F "$fn" >/dev/null; then
    echo "unknown stage '$name'; stages: eval ldm-vae ldm-unet video pixel lcm" >&2
    exit 2
  fi
  local start=$SECONDS
  echo "$(date -u +%FT%TZ) start $name" | tee -a "$LOG"
  "$fn"
  echo "$(date -u +%FT%TZ) done  $name in $(( (SECONDS - start) / 60 )) min" | tee -a "$LOG"
}

stages=("$@")
if [ ${#stages[@]} -eq 0 ]; then
  stages=(eval ldm-vae ldm-unet video pixel lcm)
fi
for s in "${stages[@]}"; do
  run_stage "$s"
done
if [ "$REHEARSAL" = 1 ]; then
  java_check
fi
