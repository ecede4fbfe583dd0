#!/usr/bin/env bash
# llm-probe against oha on the same llm-sim endpoint (no delays), side by
# side: requests/s at -c 10 and -c 100, latency saturated and at 500 req/s
# (where neither client waits for a core), client-added latency, open-loop
# rate accuracy at 500 req/s, RSS with 10,000 concurrent streams. Bounded
# in time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
command -v oha >/dev/null || cargo install --locked --quiet oha
cargo build --release --quiet -p llm-sim -p llm-probe -p latency-stats
N=${BENCH_N:-20000}
PORT=$(free_port)
./target/release/llm-sim --listen 127.0.0.1:$PORT --speed 0 2>/dev/null &
SIM=$!; trap 'kill $SIM 2>/dev/null || true' EXIT
sleep 0.5
BODY='{"model":"gpt-4o","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"stream":false}'
T=$(mktemp -d)
mkdir -p "$T/s"; printf 'prompt: hi\nmax_tokens: 16\n' > "$T/s/hi.yaml"
echo "| measure | llm-probe | oha |"
echo "|---|---:|---:|"
for c in 10 100; do
  oha -n $N -c $c --no-tui --output-format json -m POST -H 'content-type: application/json' -d "$BODY" "http://127.0.0.1:$PORT/v1/chat/completions" > "$T/oha$c.json"
  o=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["summary"]["requestsPerSec"]))' "$T/oha$c.json")
  start=$(date +%s.%N)
  ./target/release/llm-probe run --provider openai --model gpt-4o --base-url "http://127.0.0.1:$PORT" --no-stream --scenarios "$T/s" --runs $N -c $c --retries 0 > "$T/p$c.ndjson" 2>/dev/null
  end=$(date +%s.%N)
  p=$(python3 -c "print(round($N/($end-$start)))")
  echo "| non-streaming req/s, -c $c ($N requests) | $p ($(python3 -c "print(round(100*$p/$o))") % of oha) | $o |"
done
# oha's own latency percentiles (seconds in its JSON) as "p50 µs / p99 µs".
oha_lat() { python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["latencyPercentiles"]; print("%.0f µs / %.0f µs" % (p["p50"]*1e6, p["p99"]*1e6))' "$1"; }
# Percentiles of service_ms, and of service_ms − server_ms (what the client
# and the loopback added: llm-sim's Server-Timing, kept as server_ms).
probe_lat() {
  python3 - "$1" "$2" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
d = sorted(r["service_ms"] - r["server_ms"] for r in rs if "server_ms" in r) if sys.argv[2] == "added" else sorted(r["service_ms"] for r in rs)
q = lambda p: d[min(len(d) - 1, int(p * len(d)))] * 1000
print(f"{q(0.5):.0f} µs / {q(0.99):.0f} µs (n = {len(d)})" if d else "n/a (no records with server_ms)")
PY
}
echo "| latency p50 / p99 at -c 10, saturated (client + loopback + server; both share 2 cores with the server) | $(probe_lat "$T/p10.ndjson" all) | $(oha_lat "$T/oha10.json") |"
echo "| client-added latency p50 / p99 at -c 10, saturated (service_ms − server_ms per request) | $(probe_lat "$T/p10.ndjson" added) | |"
start=$(date +%s.%N)
./target/release/llm-probe run --provider openai --model gpt-4o --base-url "http://127.0.0.1:$PORT" --no-stream --scenarios "$T/s" --rate 500 --duration 10s --retries 0 > "$T/open.ndjson" 2>/dev/null
n=$(wc -l < "$T/open.ndjson")
echo "| open loop, target 500 req/s for 10 s: achieved | $(python3 -c "print(f'{$n/10:.1f} req/s ({100*($n/10-500)/500:+.2f} %)')") | |"
# The same rate from oha: latency where neither side waits for a core.
oha -z 10s -q 500 --no-tui --output-format json -m POST -H 'content-type: application/json' -d "$BODY" "http://127.0.0.1:$PORT/v1/chat/completions" > "$T/oha-open.json"
echo "| latency p50 / p99 at 500 req/s, open loop (client + loopback + server) | $(probe_lat "$T/open.ndjson" all) | $(oha_lat "$T/oha-open.json") |"
echo "| client-added latency p50 / p99 at 500 req/s (service_ms − server_ms per request) | $(probe_lat "$T/open.ndjson" added) | |"
kill $SIM; wait $SIM 2>/dev/null || true
./target/release/llm-sim --listen 127.0.0.1:$PORT --speed 1 2>/dev/null &
SIM=$!
sleep 0.5
# ~10,000 streams in flight: 2,500 req/s × ~4 s answers. A thread per
# in-flight request, so the thread and file limits must allow it.
RATE=${BENCH_STREAM_RATE:-2500}
/usr/bin/time -f "%M" -o "$T/rss" ./target/release/llm-probe run --provider anthropic --base-url "http://127.0.0.1:$PORT" --scenario explain-code --rate "$RATE" --duration 5s --max-in-flight 10000 --retries 0 > "$T/streams.ndjson" 2>"$T/streams.err" || true
inflight=$(./target/release/latency-stats "$T/streams.ndjson" 2>/dev/null | python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); l=d.get("latency_ms") or {}; print(d["requests"], "requests,", d["success_pct"], "% ok, latency p50", round(l.get("p50", 0)/1000, 1), "s")' 2>/dev/null) || inflight="(no records: the run failed: $(tail -1 "$T/streams.err"))"
echo "| RSS with up to 10,000 streams in flight ($RATE req/s of ~4 s answers for 5 s): $inflight | $(( $(cat "$T/rss") / 1024 )) MB | |"
rm -rf "$T"
