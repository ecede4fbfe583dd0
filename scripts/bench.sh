#!/usr/bin/env bash
# Runs every benchmark and prints the tables (copy them into docs/benchmarks.md
# together with the machine description printed first).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "## Machine"; echo; echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(rustc --version)"; echo
echo "## latency-stats"; echo; scripts/bench-stats.sh; echo
echo "## llm-sim"; echo; scripts/bench-sim.sh; echo
echo "## llm-probe"; echo; scripts/bench-probe.sh; echo
echo "## pg-check"; echo; scripts/bench-pg.sh; echo
echo "## Verdicts"; echo; scripts/bench-verdicts.sh
