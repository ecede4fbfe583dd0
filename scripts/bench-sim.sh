#!/usr/bin/env bash
# llm-sim under oha: non-streaming requests/s with no delays, against oha's
# own ceiling on the cheapest endpoint (/health), and RSS with 10,000
# concurrent streams. Prints a Markdown table. Bounded: 10 s per load.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
command -v oha >/dev/null || cargo install --locked --quiet oha
cargo build --release --quiet -p llm-sim
SECS=${BENCH_SECS:-10}
STREAMS=${BENCH_STREAMS:-10000}
# Each held stream is a socket on both sides.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
T=$(mktemp -d)
PORT=$(free_port)
./target/release/llm-sim --listen 127.0.0.1:$PORT --speed 0 2>/dev/null &
SIM=$!; trap 'kill $SIM 2>/dev/null || true; rm -rf "$T"' EXIT
sleep 0.5
BODY='{"model":"gpt-4o","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'
rps() { python3 -c 'import json,sys; print(round(json.load(sys.stdin)["summary"]["requestsPerSec"]))'; }
health=$(oha -z ${SECS}s -c 50 --no-tui --output-format json "http://127.0.0.1:$PORT/health" | rps)
chat=$(oha -z ${SECS}s -c 50 --no-tui --output-format json -m POST -H 'content-type: application/json' -d "$BODY" "http://127.0.0.1:$PORT/v1/chat/completions" | rps)
kill $SIM; wait $SIM 2>/dev/null || true

# Streams held open: realistic timing (answers take seconds), oha holds $STREAMS connections.
PORT=$(free_port)
./target/release/llm-sim --listen 127.0.0.1:$PORT --speed 1 2>/dev/null &
SIM=$!
sleep 0.5
SBODY='{"model":"claude-sonnet-4","max_tokens":400,"stream":true,"messages":[{"role":"user","content":"explain"}]}'
oha -z ${SECS}s -c "$STREAMS" --no-tui --output-format json -m POST -H 'content-type: application/json' -d "$SBODY" "http://127.0.0.1:$PORT/v1/messages" > $T/oha-streams.json &
OHA=$!
peak=0
while kill -0 $OHA 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/$SIM/status 2>/dev/null || echo 0)
  [ "${rss:-0}" -gt "$peak" ] && peak=$rss
  sleep 0.2
done
streams_done=$(python3 -c 'import json; d=json.load(open("'"$T"'/oha-streams.json")); print(sum(d["statusCodeDistribution"].values()))')
echo "| measure | value |"
echo "|---|---:|"
echo "| oha ceiling: GET /health, 50 connections | $health req/s |"
echo "| llm-sim: POST /v1/chat/completions, no delays, 50 connections | $chat req/s ($((100 * chat / health)) % of oha's ceiling) |"
echo "| llm-sim: $STREAMS concurrent streams for ${SECS} s, peak RSS | $((peak / 1024)) MB ($streams_done streams completed) |"
