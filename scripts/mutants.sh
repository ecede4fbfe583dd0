#!/usr/bin/env bash
# Mutation testing of the verdict code (not in CI: slow). Every check module,
# the check runner, the checklist, the validation log and threshold
# evaluation: a mutant that survives is a false green the tests would miss.
# Runs in a throwaway clone so the working tree is never mutated; prints the
# score and the survivors (mutants.out/missed.txt in the clone).
#   usage: scripts/mutants.sh [FILE...]   (default: the verdict files below)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
command -v cargo-mutants >/dev/null || cargo install --locked --quiet cargo-mutants
FILES=("$@")
[ ${#FILES[@]} -gt 0 ] || FILES=(
  lib/src/checks.rs lib/src/threshold.rs
  tools/report-md/src/checklist.rs tools/report-md/src/validation_log.rs
  tools/http-check/src/lib.rs tools/http-check/src/startup.rs
  tools/pg-check/src/checks.rs tools/k8s-check/src/checks.rs tools/cloud-check/src/lib.rs
  tools/llm-probe/src/preflight.rs
)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
git clone -q . "$WORK/clone"
cp -r target "$WORK/clone/" 2>/dev/null || true
cd "$WORK/clone"
args=()
for f in "${FILES[@]}"; do args+=(--file "$f"); done
# The tests need the throwaway PostgreSQL clusters and tools test.sh provides.
scripts/setup-test-deps.sh
cargo mutants --in-place --no-shuffle "${args[@]}" -- --workspace || true
caught=$(wc -l < mutants.out/caught.txt || echo 0)
missed=$(wc -l < mutants.out/missed.txt || echo 0)
echo "mutants: caught $caught, missed $missed ($(( caught * 100 / (caught + missed + (caught + missed == 0)) )) %)"
cat mutants.out/missed.txt
