#!/usr/bin/env bash
# Export throughput of nightly datasets and its share of a night's wall time (docs/BENCHMARKS.md,
# "Nightly datasets (issue 17)"). One `serve` on a fresh data folder; three specs with the same items
# (ITEMS of shapes-ldm at 8 steps, no gate: every item exported), exporting imagefolder + WebDataset, imagefolder only and WebDataset
# only. Each night runs through Kafka and the job (`dataset run --wait`); its export step's seconds and
# the run's wall time (accepted → finished) come from the ledger. Then `dataset export RUN` writes each
# night again ROUNDS times (warm: the outputs in the page cache), whose seconds it prints.
#
# Needs psql (Debian: postgresql-client) to read the ledger.
#
# usage (from the repository root, after mvn package): tools/dataset_bench.sh [ITEMS] [ROUNDS] [DATA]
set -euo pipefail
items=${1:-1000}
rounds=${2:-3}
data=${3:-/tmp/dataset-bench}
jar=$PWD/target/diffusion-batch.jar
rm -rf "$data"
mkdir -p "$data/specs"
prompts=$(( items / 4 ))

spec() { # name, formats
  cat > "$data/specs/$1.yaml" <<EOF
name: $1
model: shapes-ldm
templates:
  - template: "a {size} {colour} {shape} {position} on a white background"
    slots:
      size: [small, large]
      colour: [red, blue, green, yellow]
      shape: [circle, square, triangle, star]
      position: [in the centre, at the top left, at the bottom, on the right]
combination: {sample: $prompts, seed: 1}
seeds: {policy: fixed, count: 4, base: 0}
params: {steps: 8, guidance: 5.0}
export: {formats: [$2], shardSize: 100}
splits: {validation: 0.1}
EOF
}
spec bench-both "imagefolder, webdataset"
spec bench-folder imagefolder
spec bench-tars webdataset

java -jar "$jar" serve --data-dir "$data/data" --diffusion.datasets.dir="$data/specs" > "$data/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do grep -q '^serving' "$data/serve.log" && break; sleep 1; done
psql_url=$(grep -o 'jdbc:postgresql://[^ ]*' "$data/serve.log" | head -1)
port=$(sed -E 's#jdbc:postgresql://localhost:([0-9]+)/.*#\1#' <<< "$psql_url")
sql() { PGPASSWORD=postgres psql -h localhost -p "$port" -U postgres -d postgres -At -F ' ' -c "$1"; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| spec | items exported | night wall s | generate items/s | export s (in the job) | export items/s | export share of the night | re-export s (${rounds} rounds) | re-export items/s (best) | MB written |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for name in bench-both bench-folder bench-tars; do
  java -jar "$jar" dataset run "$name" --date 2026-01-01 --wait --data-dir "$data/data" \
    --diffusion.datasets.dir="$data/specs" > "$data/$name.out" 2>&1
  run=$(grep -oE '^run [0-9]+' "$data/$name.out" | head -1 | cut -d' ' -f2)
  read -r exported export_s bytes <<< "$(sql "SELECT items_exported, export_seconds, bytes FROM dataset_nights WHERE request_id = $run")"
  read -r wall rate <<< "$(sql "SELECT extract(epoch FROM r.finished_at - r.accepted_at), s.items_per_second FROM requests r JOIN run_stats s ON s.request_id = r.id WHERE r.id = $run")"
  times=()
  for _ in $(seq 1 "$rounds"); do
    t=$(java -jar "$jar" dataset export "$run" --data-dir "$data/data" 2>/dev/null | grep '^dataset ' \
      | sed -E 's/.* in ([0-9.]+) s$/\1/')
    times+=("$t")
  done
  best=$(printf '%s\n' "${times[@]}" | sort -g | head -1)
  awk -v n="$name" -v e="$exported" -v w="$wall" -v r="$rate" -v x="$export_s" -v t="${times[*]}" -v b="$best" -v by="$bytes" \
    'BEGIN { printf "| %s | %d | %.1f | %.1f | %.2f | %.0f | %.2f %% | %s | %.0f | %.1f |\n", n, e, w, r, x, e / x, 100 * x / w, t, e / b, by / 1e6 }'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
