#!/usr/bin/env bash
# The main job (README): builds the tools and runs the week's demo offline.
# Until every tool has landed it summarises a committed sample run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build --release --workspace --bins --quiet
export PATH="$PWD/target/release:$PATH"
OUT=${DEMO_OUT:-demo-out}
mkdir -p "$OUT"
latency-stats --by scenario tests/fixtures/latency-stats/sample-run.ndjson \
  --threshold 'p95<5s' --threshold 'success>95%' > "$OUT/stats.ndjson"
latency-stats --by scenario --format table tests/fixtures/latency-stats/sample-run.ndjson \
  --threshold 'p95<5s' --threshold 'success>95%'
echo "demo: stats records in $OUT/stats.ndjson" >&2
