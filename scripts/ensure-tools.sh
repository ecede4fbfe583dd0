#!/usr/bin/env bash
# Makes sure the day recipes' tools can run: every tool already on PATH (an
# installed copy, `just install`) is used as it is; only the missing ones are
# built (release), once. Never builds llm-sim or the test helpers, so a cron
# host with the tools installed runs no cargo at all.
#   usage: scripts/ensure-tools.sh [TOOL...]   (default: the day recipes' tools)
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=("$@")
[ ${#TOOLS[@]} -gt 0 ] || TOOLS=(llm-probe latency-stats pg-check k8s-check http-check cloud-check report-md)
missing=()
for t in "${TOOLS[@]}"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "ensure-tools: building ${missing[*]} (not installed: \`just install\` puts them in ~/.local/bin)" >&2
args=()
for t in "${missing[@]}"; do args+=(-p "$t"); done
cargo build --release --quiet "${args[@]}"
