#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (not part of CI).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
for target in $(cargo fuzz list --fuzz-dir tests/fuzz); do
  echo "== fuzz $target for ${SECS}s" >&2
  cargo fuzz run --fuzz-dir tests/fuzz "$target" -- -max_total_time="$SECS" -rss_limit_mb=2048
done
