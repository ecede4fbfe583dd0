#!/usr/bin/env bash
# latency-stats against jq and a Python stdlib script on the same synthetic
# probe records, side by side in one run. Prints a Markdown table.
# Usage: scripts/bench-stats.sh [SIZES...]   (default: 1000000 10000000)
# jq and Python run at the first size only (at 10 M they take minutes and jq -s gigabytes).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
need_apt jq time
SIZES=("${@:-1000000 10000000}")
[ $# -eq 0 ] && SIZES=(1000000 10000000)
cargo build --release --quiet -p latency-stats -p navi-testkit --example gen_probes
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

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

measure() { # label records cmd... → "label|records|wall_s|rss_mb"
  local label=$1 n=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$T/time" "$@" > /dev/null
  read -r wall rss < "$T/time"
  echo "$label|$n|$wall|$((rss / 1024))"
}

rows=()
first=1
for n in "${SIZES[@]}"; do
  ./target/release/examples/gen_probes "$n" 7 > "$T/probes.ndjson"
  bytes=$(stat -c %s "$T/probes.ndjson")
  rows+=("$(measure "latency-stats --by scenario (2 cores)" "$n" ./target/release/latency-stats --by scenario "$T/probes.ndjson")")
  rows+=("$(measure "latency-stats --by scenario --jobs 1 (1 core)" "$n" taskset -c 0 ./target/release/latency-stats --jobs 1 --by scenario "$T/probes.ndjson")")
  if [ $first = 1 ]; then
    rows+=("$(measure "python3 statistics.quantiles" "$n" python3 "$T/stats.py" "$T/probes.ndjson")")
    rows+=("$(measure "jq -s group_by + sort" "$n" jq -s "$JQ" "$T/probes.ndjson")")
    first=0
  fi
  echo "bench-stats: $n records, $((bytes / 1000000)) MB" >&2
done
command -v vegeta >/dev/null || echo "bench-stats: vegeta is not packaged in Debian bookworm: not compared" >&2

echo "| tool | records | wall s | records/s | peak RSS MB |"
echo "|---|---:|---:|---:|---:|"
for r in "${rows[@]}"; do
  IFS='|' read -r label n wall rss <<< "$r"
  rate=$(python3 -c "print(f'{$n/max($wall,0.001):,.0f}')")
  echo "| $label | $n | $wall | $rate | $rss |"
done
