#!/usr/bin/env bash
# Record a probe run as a test fixture: the real llm-probe against llm-sim
# (seeded faults, so a few requests fail in two patterns), 300 requests over
# the ten built-in scenarios. The tests that read it stand for a run against a
# real provider, so the one thing changed from what llm-probe printed is the
# stand-in declaration llm-sim made (`"stand_in":"llm-sim"` is removed);
# everything else is byte for byte the tool's output.
#   usage: scripts/capture-probe-run.sh [OUT]  (default tests/fixtures/latency-stats/sample-run.ndjson)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-tests/fixtures/latency-stats/sample-run.ndjson}
cargo build --quiet -p llm-sim -p llm-probe
PORT=$(( 20000 + RANDOM % 20000 ))
target/debug/llm-sim --listen "127.0.0.1:$PORT" --seed 7 --speed 4 --faults 429=1%,cut=1% >/dev/null 2>&1 &
SIM=$!
trap 'kill $SIM 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
target/debug/llm-probe run --base-url "http://127.0.0.1:$PORT" --runs 300 -c 8 --retries 0 --run-id bench |
  sed 's/,"stand_in":"llm-sim"//' > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "capture-probe-run: wrote $(wc -l < "$OUT") records to $OUT"
