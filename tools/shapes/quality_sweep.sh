#!/usr/bin/env bash
# Quality vs cost of a bundled model: prompt adherence (all attributes) and FID for several
# samplers and step counts, through the Java engine. Prints one markdown row per setting.
#
#   tools/shapes/quality_sweep.sh MODEL_DIR PROMPTS.jsonl LIMIT GUIDANCE "ddpm ddim euler dpmpp-2m" "4 8 10 20 50"
#
# NFE assumes guidance > 1 (two evaluations per step). Needs target/diffusion-batch.jar (mvn -B -q clean package -DskipTests).
set -euo pipefail
model=$1 prompts=$2 limit=$3 guidance=$4 samplers=$5 steps_list=$6
jar=${JAR:-target/diffusion-batch.jar}
echo "| model | prompts | sampler | steps | NFE/image | s/image | adherence (all attributes) by group | FID |"
echo "|---|---|---|---|---|---|---|---|"
for sampler in $samplers; do
  for steps in $steps_list; do
    out=$(java -jar "$jar" evaluate --model "$model" --prompts "$prompts" --limit "$limit" \
          --sampler "$sampler" --steps "$steps" --guidance "$guidance" --batch 16 2>/dev/null)
    seconds=$(sed -n 's/.*seeds [0-9]*\.\., \([0-9.]*\) s$/\1/p' <<<"$out")
    n=$(sed -n 's/.*, \([0-9]*\) prompts (.*/\1/p' <<<"$out")
    groups=$(grep '^| ' <<<"$out" | sed -E 's/^\| ([^|]*) \|.* all ([0-9.]+%) \|$/\1: \2/' | paste -sd ';' -)
    fid=$(sed -n 's/^FID .*: \([0-9.]*\)$/\1/p' <<<"$out")
    nfe=$(( steps * 2 ))
    spi=$(awk -v s="$seconds" -v n="$n" 'BEGIN { printf "%.4f", s / n }')
    echo "| $(basename "$model") | $(basename "$prompts") | $sampler | $steps | $nfe | $spi | $groups | ${fid:--} |"
  done
done
