#!/usr/bin/env bash
# Load and watch: sample the server (pg-check --sample, http-check --sample)
# while llm-probe runs a load, and for a while before and after it, so that
# report-md can lay the server's timeline beside the probe's and tell a leak
# (up during the load, not back down after it) from load.
#   usage: scripts/load-watch.sh OUT.ndjson [llm-probe run flags...]
# Environment: DATABASE_URL (database samples), STAGING_URL (the service's
# /metrics samples), SAMPLE_EVERY (default 1s), SETTLE (seconds sampled
# before and after the load, default 5). Writes the probe records and the
# samples to OUT; exits with llm-probe's status.
set -euo pipefail
out=${1:?usage: load-watch.sh OUT.ndjson [llm-probe run flags...]}
shift
every=${SAMPLE_EVERY:-1s}
settle=${SETTLE:-5}
tmp=$(mktemp -d)
pids=()
sampler_failed=0
stop_samplers() {
  local p rc
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  # A sampler stuck in a read ends itself 5 s after TERM; KILL it after 10.
  ( sleep 10; for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done ) &
  local killer=$!
  for p in "${pids[@]}"; do
    rc=0
    wait "$p" 2>/dev/null || rc=$?
    [ "$rc" = 0 ] || sampler_failed=1
  done
  kill "$killer" 2>/dev/null || true
  pids=()
}
trap 'stop_samplers; rm -rf "$tmp"' EXIT
# The samplers end on their own after 2 h even if this script is killed.
if [ -n "${DATABASE_URL:-}" ]; then
  pg-check --sample "$every" --sample-for 2h > "$tmp/pg.ndjson" &
  pids+=($!)
else
  echo "load-watch: DATABASE_URL is not set: no database samples (skip)" >&2
fi
if [ -n "${STAGING_URL:-}" ]; then
  http-check --sample "$every" --sample-for 2h > "$tmp/http.ndjson" &
  pids+=($!)
else
  echo "load-watch: STAGING_URL is not set: no service metrics samples (skip)" >&2
fi
sleep "$settle"
rc=0
llm-probe run "$@" > "$tmp/probe.ndjson" || rc=$?
sleep "$settle"
stop_samplers
cat "$tmp/probe.ndjson" "$tmp"/pg.ndjson "$tmp"/http.ndjson 2>/dev/null > "$out" || true
samples=$(grep -c '"kind":"sample"' "$out" || true)
echo "load-watch: $(wc -l < "$out") records ($samples samples) in $out" >&2
# Nothing watched is not a watched load: a sampler that never read, or none configured, fails the run.
if [ "$sampler_failed" = 1 ] || [ "$samples" = 0 ]; then
  echo "load-watch: the server was not watched (a sampler failed or none was configured): see its messages above" >&2
  [ "$rc" = 0 ] && rc=1
fi
exit "$rc"
