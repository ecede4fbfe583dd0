#!/usr/bin/env bash
# The main job (README): the plan's whole week, offline, in one command.
# Installs `just` if missing, builds the tools, starts a throwaway PostgreSQL
# (TLS on) with the stand-in NAVI schema, llm-sim as the LLM API and the NAVI
# service (production mode, recording chats with Fernet-encrypted audit rows),
# and the recorded Kubernetes API for k8s-check; then runs monday..friday and
# two monitor rounds and writes the documents under DEMO_OUT (default
# demo-out/). Stops everything it started. Against real targets, run the
# same `just` recipes with the environment pointing at them instead.
# Every stand-in declares itself, so the documents say so and the checklist
# ticks no real-world box: each day "finds issues" (skips, stand-in evidence)
# by design.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

OUT=$(realpath -m "${DEMO_OUT:-demo-out}")
need_apt ca-certificates openssl
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt postgresql
# A real Prometheus and node_exporter for the alert phase (Debian packages).
command -v prometheus >/dev/null || need_apt prometheus
command -v prometheus-node-exporter >/dev/null || need_apt prometheus-node-exporter
# DEMO_PROFILE=debug and DEMO_NO_JUST=1 let the pipeline test run this script
# with the test build and without installing just.
PROFILE=${DEMO_PROFILE:-release}
if [ "${DEMO_NO_JUST:-}" != 1 ]; then need_just; fi
echo "demo: building ($PROFILE)" >&2
if [ "$PROFILE" = release ]; then cargo build --release --workspace --bins --quiet; else cargo build --workspace --bins --quiet; fi
export PATH="$PWD/target/$PROFILE:$PATH"

rm -rf "$OUT"; mkdir -p "$OUT"
RUN=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/pg-throwaway.sh stop "$RUN/pg"
  rm -rf "$RUN"
}
trap cleanup EXIT

echo "demo: starting PostgreSQL (TLS) with the stand-in NAVI schema" >&2
PGPASS=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
PGPORT=$(free_port)
scripts/pg-throwaway.sh start "$RUN/pg" "$PGPORT" on "$PGPASS"
ADMIN="postgresql://postgres:$PGPASS@127.0.0.1:$PGPORT"
psql -q "$ADMIN/postgres" -c "CREATE DATABASE navi_staging" >/dev/null
psql -q "$ADMIN/navi_staging" -f docs/navi-schema.sql >/dev/null
# The demo database declares itself a stand-in: pg-check marks every verdict on it.
psql -q "$ADMIN/postgres" -c "COMMENT ON DATABASE navi_staging IS 'navi-launch stand-in: the demo''s throwaway PostgreSQL with the stand-in schema'" >/dev/null
export NAVI_TABLES_FILE="$PWD/docs/navi-schema.tables"
export DATABASE_URL="postgresql+psycopg2://postgres:$PGPASS@127.0.0.1:$PGPORT/navi_staging?sslmode=verify-full&sslrootcert=$RUN/pg/server.crt"

echo "demo: starting llm-sim (LLM APIs + NAVI service, production mode)" >&2
AUDIT_ENCRYPTION_KEY=$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')
export AUDIT_ENCRYPTION_KEY
SIMPORT=$(free_port)
llm-sim --listen "127.0.0.1:$SIMPORT" --app-env production --record-to-db --speed "${DEMO_SPEED:-2}" \
  --faults "${DEMO_FAULTS:-429=1%,529=0.5%,cut=0.5%}" --seed 7 2> "$RUN/llm-sim.log" &
pids+=($!)
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$SIMPORT/health" >/dev/null 2>&1 && break; sleep 0.1; done
export ANTHROPIC_BASE_URL="http://127.0.0.1:$SIMPORT" OPENAI_BASE_URL="http://127.0.0.1:$SIMPORT/v1"
export STAGING_URL="http://127.0.0.1:$SIMPORT"
STARTPORT=$(free_port)
# The start-up test needs the real service's command; the demo names llm-sim
# explicitly, and llm-sim declares itself a stand-in, so no box is ticked by it.
export NAVI_START_CMD="llm-sim --app-env production --listen 127.0.0.1:$STARTPORT"
export NAVI_START_HEALTH_URL="http://127.0.0.1:$STARTPORT/health"

if [ -x scripts/k8s-recorded-api.sh ]; then
  echo "demo: serving the recorded Kubernetes API" >&2
  KPORT=$(free_port)
  scripts/k8s-recorded-api.sh "$KPORT" healthy > "$RUN/k8s-api.log" 2>&1 &
  pids+=($!)
  export KUBECONFIG="$RUN/kubeconfig" KUBECACHEDIR="$RUN/kubecache"
  scripts/k8s-recorded-api.sh --kubeconfig "$KPORT" > "$KUBECONFIG"
  for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$KPORT/version" >/dev/null 2>&1 && break; sleep 0.1; done
fi

# Cloud provisioning evidence: recorded aws CLI answers (no cloud account here).
export CLOUD_PROVIDER=aws CLOUD_CHECK_FROM="$PWD/tests/fixtures/cloud/aws-healthy" STAGING_DB_HOST=navi-staging.abc123.us-west-2.rds.amazonaws.com
export NAVI_OUT="$OUT/results" NAVI_DOCS="$OUT/docs" NAVI_TEXTFILE_DIR="$OUT/textfile"
# The first Tuesday run establishes the baseline here, not in the repository.
export NAVI_BASELINE="$OUT/results/baseline-stats.ndjson"
day() {
  echo "demo: == just $*" >&2
  local run=(just "$@")
  if [ "${DEMO_NO_JUST:-}" = 1 ]; then
    run=(scripts/week.sh "$1")
    [ "$1" = tuesday ] && export RUNS="$2" CONCURRENCY="$3"
  fi
  if "${run[@]}"; then echo "demo: $1 passed" >&2; else echo "demo: $1 found issues (exit $?): see $OUT/docs/staging_validation_log.md" >&2; fi
}
day monday
day tuesday "${DEMO_RUNS:-100}" 8
# A second Tuesday run is judged against the first (the baseline it established).
day tuesday "${DEMO_RUNS:-100}" 8

# Capacity search on a stand-in with a known load model: 8 generations at
# once, the rest queue (llm-sim --capacity), so latency rises with load.
CAPPORT=$(free_port)
llm-sim --listen "127.0.0.1:$CAPPORT" --capacity 8 --speed 20 --seed 7 2> "$RUN/llm-sim-capacity.log" &
pids+=($!)
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$CAPPORT/health" >/dev/null 2>&1 && break; sleep 0.1; done
ANTHROPIC_BASE_URL="http://127.0.0.1:$CAPPORT" CAPACITY_THRESHOLDS='p90<2s' CAPACITY_START_RATE=16 \
  CAPACITY_MAX_RATE=128 CAPACITY_STEP_TIME=2s day capacity

# Load and watch on a stand-in NAVI service that leaks a database connection
# per chat (llm-sim --leak-db-connections): the timeline must name it.
LEAKPORT=$(free_port)
llm-sim --listen "127.0.0.1:$LEAKPORT" --record-to-db --leak-db-connections 20 --speed 20 --seed 7 2> "$RUN/llm-sim-leak.log" &
leakpid=$!
pids+=($leakpid)
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$LEAKPORT/health" >/dev/null 2>&1 && break; sleep 0.1; done
STAGING_URL="http://127.0.0.1:$LEAKPORT" WATCH_RATE=5 WATCH_RUNS=20 SAMPLE_EVERY=500ms SETTLE=3 day load-watch
kill "$leakpid" 2>/dev/null || true
day wednesday
day thursday
day friday
day monitor
sleep 1
day monitor
day week1

# Alert phase: the week's alerting rules (time-compressed 60x: an hour's
# window is a minute) on a real Prometheus scraping llm-sim and the monitor's
# textfile, while half the chats fail on purpose (llm-sim's per-request fault
# header). Prints what fired in Prometheus' own /api/v1/alerts. llm-sim's
# metrics carry no stand-in mark, so these alerts are about the stand-in.
alert_phase() {
  local dir="$RUN/prometheus" ne pp
  mkdir -p "$dir"
  ne=$(free_port)
  pp=$(free_port)
  echo "demo: == alert phase: navi-rules.yaml (60x time-compressed) on a real Prometheus; half the chats fail for 20 s" >&2
  report-md alert-rules --compress 60 --targets config/targets.txt > "$dir/rules.yaml"
  prometheus-node-exporter --web.listen-address="127.0.0.1:$ne" --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$OUT/textfile" > "$dir/node-exporter.log" 2>&1 &
  pids+=($!)
  cat > "$dir/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [rules.yaml]
scrape_configs:
  - job_name: navi-backend
    static_configs: [{targets: ['127.0.0.1:$SIMPORT']}]
  - job_name: node
    static_configs: [{targets: ['127.0.0.1:$ne']}]
EOF
  prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$pp" --log.level=warn > "$dir/prometheus.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$pp/-/ready" >/dev/null 2>&1 && break; sleep 0.2; done
  llm-probe run --provider navi --base-url "$STAGING_URL" --rate 10 --duration 20s --retries 0 \
    -H 'x-sim-fault: 500' > "$dir/faulty.ndjson" 2>/dev/null &
  local faulty=$!
  llm-probe run --provider navi --base-url "$STAGING_URL" --rate 10 --duration 20s --retries 0 > "$dir/ok.ndjson" 2>/dev/null || true
  wait "$faulty" || true
  local fired=""
  for _ in $(seq 30); do
    fired=$(curl -fsS "http://127.0.0.1:$pp/api/v1/alerts" | python3 -c '
import json, sys
for a in json.load(sys.stdin)["data"]["alerts"]:
    if a["state"] != "firing":
        continue
    labels = a["labels"]
    name, severity = labels.pop("alertname", "?"), labels.pop("severity", "?")
    extra = " ".join(k + "=" + v for k, v in sorted(labels.items()))
    print(f"{name} ({severity}) {extra}".rstrip())' | sort -u)
    grep -q NaviChatErrorBudgetFastBurn <<< "$fired" && break
    sleep 1
  done
  echo "$fired" > "$OUT/alerts-fired.txt"
  # The dashboards' panels, queried on the same Prometheus: which have data.
  python3 - "http://127.0.0.1:$pp" deploy/grafana/*.json > "$OUT/dashboards-checked.txt" <<'PY'
import json, sys, urllib.parse, urllib.request
base, files = sys.argv[1], sys.argv[2:]
for f in files:
    for panel in json.load(open(f))["panels"]:
        n = 0
        for t in panel["targets"]:
            q = urllib.parse.urlencode({"query": t["expr"]})
            with urllib.request.urlopen(f"{base}/api/v1/query?{q}", timeout=10) as r:
                n += len(json.load(r)["data"]["result"])
        print(f"{'data' if n else 'EMPTY'} {f.split('/')[-1]}: {panel['title']} ({n} series)")
PY
  echo "demo: dashboards: $(grep -c '^data' "$OUT/dashboards-checked.txt") of $(wc -l < "$OUT/dashboards-checked.txt") panels show data (see $OUT/dashboards-checked.txt)" >&2
  while read -r line; do [ -n "$line" ] && echo "demo: alert fired: $line" >&2; done <<< "$fired"
  [ -n "$fired" ] || echo "demo: no alert fired (see $dir/prometheus.log)" >&2
}
alert_phase

echo >&2
echo "demo: documents written:" >&2
ls -1 "$OUT/docs"/*.md >&2
echo "demo: records in $OUT/results, Prometheus textfile in $OUT/textfile, alerts that fired in $OUT/alerts-fired.txt" >&2
