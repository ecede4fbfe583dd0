#!/usr/bin/env bash
# latency-stats against its in-run baselines on the same synthetic probe
# records, side by side in one run: the naive serde_json + hdrhistogram loop
# a user writes in five minutes (tools/latency-stats/examples/naive_loop.rs),
# `wc -l` (the floor: reading the bytes), and at the first size jq and a
# Python stdlib script. Two record shapes: flat (non-streamed answers) and
# with inter-chunk gap arrays (streamed). "1 core" runs are pinned with taskset.
# Prints a Markdown table.
# Usage: scripts/bench-stats.sh [SIZES...]   (default: 1000000 10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
need_apt jq time util-linux
SIZES=("$@")
[ $# -eq 0 ] && SIZES=(1000000 10000000)
cargo build --release --quiet -p latency-stats -p navi-testkit --example gen_probes --example naive_loop
cargo build --release --quiet -p latency-stats
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
LS=./target/release/latency-stats
NAIVE=./target/release/examples/naive_loop

cat > "$T/stats.py" <<'PY'
import json, statistics, sys
groups = {}
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line)
        if r.get("warmup") or not r.get("ok"):
            continue
        groups.setdefault(r["scenario"], []).append(r["latency_ms"])
for k, v in sorted(groups.items()):
    q = statistics.quantiles(v, n=100)
    print(json.dumps({"scenario": k, "n": len(v), "p50": q[49], "p95": q[94], "p99": q[98]}))
PY
JQ='map(select(.ok and (.warmup | not))) | group_by(.scenario) | map((map(.latency_ms) | sort) as $l | {scenario: .[0].scenario, n: ($l | length), p50: $l[($l|length)*0.5|floor], p95: $l[($l|length)*0.95|floor], p99: $l[($l|length)*0.99|floor]})'

# measure LABEL SHAPE RECORDS CMD... → appends "label|shape|records|wall_s|rss_mb"
# (the best of three runs below 2 M records, one run above or with RUNS=1).
measure() {
  local label=$1 shape=$2 n=$3; shift 3
  local best="" rss=0 runs=${RUNS:-3}
  [ "$n" -gt 2000000 ] && runs=1
  for _ in $(seq $runs); do
    /usr/bin/time -f "%e %M" -o "$T/time" "$@" > /dev/null
    read -r wall r < "$T/time"
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $wall < $best else 1)"; then best=$wall; fi
    rss=$r
  done
  echo "$label|$shape|$n|$best|$((rss / 1024))" >> "$T/rows"
}

first=1
for n in "${SIZES[@]}"; do
  for shape in flat gaps; do
    [ "$n" -gt 2000000 ] && [ $shape = flat ] && continue
    ./target/release/examples/gen_probes "$n" 7 $shape > "$T/probes.ndjson"
    echo "bench-stats: $n $shape records, $(( $(stat -c %s "$T/probes.ndjson") / 1000000 )) MB" >&2
    F="$T/probes.ndjson"
    measure "wc -l (reading the bytes), 1 core" $shape "$n" taskset -c 0 wc -l "$F"
    measure "naive loop (serde_json + hdrhistogram), 1 core" $shape "$n" taskset -c 0 "$NAIVE" "$F"
    measure "latency-stats --by scenario --jobs 1, 1 core" $shape "$n" taskset -c 0 "$LS" --jobs 1 --by scenario "$F"
    measure "latency-stats --by scenario, 2 cores" $shape "$n" "$LS" --by scenario "$F"
    if [ $first = 1 ] && [ $shape = gaps ]; then
      RUNS=1 measure "python3 statistics.quantiles, 1 core" $shape "$n" taskset -c 0 python3 "$T/stats.py" "$F"
      RUNS=1 measure "jq -s group_by + sort, 1 core" $shape "$n" taskset -c 0 jq -s "$JQ" "$F"
    fi
  done
  first=0
done

# The ratio column is the naive loop's time over the row's, same size and shape.
echo "| tool | shape | records | wall s | records/s | vs naive loop (1 core) | peak RSS MB |"
echo "|---|---|---:|---:|---:|---:|---:|"
python3 - "$T/rows" <<'PY'
import sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1])]
naive = {(s, n): float(w) for (label, s, n, w, _) in rows if label.startswith("naive loop")}
for label, shape, n, wall, rss in rows:
    w = max(float(wall), 0.001)
    base = naive.get((shape, n))
    ratio = f"{base / w:.2f}×" if base else "—"
    print(f"| {label} | {shape} | {int(n):,} | {float(wall):.2f} | {int(n) / w:,.0f} | {ratio} | {rss} |")
PY
