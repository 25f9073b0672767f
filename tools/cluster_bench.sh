#!/usr/bin/env bash
# Cluster mode against local mode's single process on the same request, one configuration after the
# other on this machine (docs/BENCHMARKS.md, "Cluster mode (issue 16)"): for N = 1, 2, 3 the request
# runs on one `serve` process with N partitions at once and one ONNX Runtime thread each
# (cluster-demo --serve), then on a manager + N worker processes with one thread each; each
# configuration on fresh processes, two rounds (the first warms the processes up: model sessions,
# JIT), the second is the figure. Then one run with --kill-worker for the recovery time.
# Prints one line per configuration and the ratios; every command's full output is kept beside DATA.
#
# usage (from the repository root, after mvn package): tools/cluster_bench.sh [ITEMS] [DATA]
set -euo pipefail
items=${1:-128}
data=${2:-/tmp/cluster-bench}
jar=target/diffusion-batch.jar
mkdir -p "$data"
declare -A rate

run() { # label, cluster-demo options...
  local label=$1; shift
  local cmd=(java -jar "$jar" cluster-demo --items "$items" --rounds 2 --data-dir "$data/services" "$@")
  echo "\$ ${cmd[*]}" > "$data/$label.out"
  "${cmd[@]}" >> "$data/$label.out" 2> "$data/$label.err"
  local line
  line=$(grep '^throughput:' "$data/$label.out")
  rate[$label]=$(sed -E 's/.* = ([0-9.]+) items\/s.*/\1/' <<< "$line")
  printf '%-10s round 1: %s\n%-10s round 2: %s\n' "$label" "$(grep '^round 1 of 2' "$data/$label.out" \
    | sed -E 's/^round 1 of 2: run [0-9]+ [a-z]+, //; s/; send.*//')" "$label" "${line#throughput: }"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in 1 2 3; do
  run "serve-$n" --serve --workers "$n"
  run "cluster-$n" --workers "$n"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| N (total ONNX Runtime threads) | serve, N partitions at once items/s | cluster, N workers items/s | cluster / serve |"
echo "|---|---|---|---|"
for n in 1 2 3; do
  awk -v n="$n" -v s="${rate[serve-$n]}" -v c="${rate[cluster-$n]}" \
    'BEGIN { printf "| %d | %.2f | %.2f | %.3f |\n", n, s, c, c / s }'
done
echo
awk -v c1="${rate[cluster-1]}" -v s1="${rate[serve-1]}" \
  'BEGIN { printf "remote-partitioning overhead figure: cluster 1 worker / serve 1 thread = %.3f\n", c1 / s1 }'
echo
java -jar "$jar" cluster-demo --items "$items" --workers 2 --kill-worker --data-dir "$data/services" \
  > "$data/kill.out" 2> "$data/kill.err" || echo "kill run exit code $?"
grep -E '^(throughput|recovery|  lost attempt|  ran again|exactly once)' "$data/kill.out"
