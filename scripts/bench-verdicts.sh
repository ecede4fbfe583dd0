#!/usr/bin/env bash
# The cost of the verdicts on top of the measurements, side by side in one
# run: the regression verdict (latency-stats --baseline) on 1 M records
# against plain latency-stats on the same records, and the capacity search
# against the requests its steps had to make (its overhead beyond them).
#   usage: scripts/bench-verdicts.sh [RECORDS]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
need_apt time
N=${1:-1000000}
cargo build --release --quiet -p latency-stats -p llm-probe -p llm-sim -p navi-testkit --example gen_probes
B=./target/release
T=$(mktemp -d)
sim=
trap '[ -n "$sim" ] && kill "$sim" 2>/dev/null; rm -rf "$T"' EXIT

"$B/examples/gen_probes" "$N" 7 > "$T/base.ndjson"
"$B/examples/gen_probes" "$N" 8 > "$T/cur.ndjson"
"$B/latency-stats" --histograms "$T/base.ndjson" > "$T/base-stats.ndjson"

measure() { # label cmd... → "label|wall_s|rss_mb"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$T/time" "$@" > /dev/null || true
  read -r wall rss < "$T/time"
  echo "$label|$wall|$((rss / 1024))"
}
rows=()
rows+=("$(measure "latency-stats CURRENT (the summary alone: baseline)" "$B/latency-stats" "$T/cur.ndjson")")
rows+=("$(measure "latency-stats --baseline BASE-STATS CURRENT (committed histograms)" "$B/latency-stats" --baseline "$T/base-stats.ndjson" "$T/cur.ndjson")")
rows+=("$(measure "latency-stats --baseline BASE CURRENT (both as probe records)" "$B/latency-stats" --baseline "$T/base.ndjson" "$T/cur.ndjson")")
echo "### Regression verdict on $N records per run"
echo
echo "| command | wall s | peak RSS MB |"
echo "|---|---:|---:|"
for r in "${rows[@]}"; do IFS='|' read -r label wall rss <<< "$r"; echo "| $label | $wall | $rss |"; done

# The search: llm-sim with a load model (8 generations at once, the rest
# queue), p90 < 2 s, 2 s steps from 16 req/s.
port=$(free_port)
"$B/llm-sim" --listen "127.0.0.1:$port" --capacity 8 --speed 20 --seed 7 2> "$T/sim.log" &
sim=$!
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
start=$(date +%s.%N)
"$B/llm-probe" search --base-url "http://127.0.0.1:$port" --provider openai --scenario hello-world --no-stream \
  -t 'p90<2s' --start-rate 16 --max-rate 256 --step-time 2s > "$T/search.ndjson" 2> "$T/search.log" || true
end=$(date +%s.%N)
python3 - "$T/search.ndjson" "$start" "$end" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
steps = [r for r in recs if r["kind"] == "stats"]
verdict = recs[-1]
planned = sum(s["requests"] / float(s["group"]["rate"]) for s in steps)
wall = float(sys.argv[3]) - float(sys.argv[2])
o = verdict["observed"]
print("\n### Capacity search (llm-sim, 8 generations at once)\n")
print("| steps | requests | wall s | sum of the steps' schedules s | overhead | bracket req/s |")
print("|---:|---:|---:|---:|---:|---|")
print(f"| {len(steps)} | {o['requests']} | {wall:.1f} | {planned:.1f} | {(wall - planned) / wall * 100:.0f} % | {o['highest_pass_rps']} – {o['lowest_fail_rps']} |")
PY
