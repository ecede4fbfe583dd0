#!/usr/bin/env bash
# The plan's days as steps, called by the Justfile (`just monday`, ...).
# Every step writes its records to $NAVI_OUT/<day>.ndjson, appends them to
# $NAVI_DOCS/staging_validation_log.md, and exits non-zero when a check
# failed or a target was missed, after writing everything it measured.
#
# Targets come from the environment only:
#   NAVI_CONFIG          llm-probe config (default tests/e2e/real_llm_config.yaml)
#   ANTHROPIC_BASE_URL / OPENAI_BASE_URL, ANTHROPIC_API_KEY / OPENAI_API_KEY
#   DATABASE_URL         staging database (sslmode in the URL or DB_SSLMODE)
#   STAGING_URL          the NAVI service
#   KUBECONFIG, NAVI_NAMESPACE, NAVI_DEPLOYMENT   the cluster (k8s steps are skipped without kubectl access)
#   CLOUD_PROVIDER       aws or gcp for cloud-check (CLOUD_CHECK_FROM: a directory of captured CLI outputs)
#   NAVI_START_CMD       the service's start command for the audit-key start-up test
#   NAVI_TEXTFILE_DIR    where `monitor` writes navi_checks.prom (node_exporter)
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=${NAVI_OUT:-results}
DOCS=${NAVI_DOCS:-docs}
CONFIG=${NAVI_CONFIG:-tests/e2e/real_llm_config.yaml}
NS=${NAVI_NAMESPACE:-navi-staging}
LOG="$DOCS/staging_validation_log.md"
mkdir -p "$OUT" "$DOCS" "$OUT/history"
status=0

# note records a step's exit code: 0 ok, 1 failed check, 2+ broken step.
note() { local rc=$1; [ "$rc" -gt "$status" ] && status=$rc; return 0; }

have_db() { [ -n "${DATABASE_URL:-}" ] || [ -n "${PGHOST:-}" ]; }
have_http() { [ -n "${STAGING_URL:-}" ]; }
have_k8s() { command -v kubectl >/dev/null && command -v k8s-check >/dev/null && { [ -n "${KUBECONFIG:-}" ] || [ -f "$HOME/.kube/config" ]; }; }

skip() { echo "week: skipping $1 ($2)" >&2; }

# log_day FILE appends a day's records to the validation log.
log_day() { report-md validation-log --log "$LOG" "$1" >/dev/null || true; }

k8s() { if have_k8s; then k8s-check -n "$NS" "$@"; note $?; else skip k8s-check "no kubectl access: set KUBECONFIG"; fi; }
pg() { if have_db; then pg-check "$@"; note $?; else skip pg-check "DATABASE_URL is not set"; fi; }
web() { if have_http; then http-check "$@"; note $?; else skip http-check "STAGING_URL is not set"; fi; }

cloud() {
  local extra=()
  [ -n "${CLOUD_CHECK_FROM:-}" ] && extra+=(--from "$CLOUD_CHECK_FROM")
  [ -f "$OUT/wednesday.ndjson" ] && extra+=(--k8s-records "$OUT/wednesday.ndjson")
  if [ -n "${CLOUD_PROVIDER:-}" ]; then
    cloud-check --provider "$CLOUD_PROVIDER" "${extra[@]}" "$@"; note $?
  else
    skip cloud-check "CLOUD_PROVIDER is not set (aws or gcp)"
  fi
}

monday() {
  local f="$OUT/monday.ndjson"
  { llm-probe preflight --config "$CONFIG"; note $?; cloud; } > "$f"
  log_day "$f"
}

tuesday() {
  local runs=${RUNS:-100} conc=${CONCURRENCY:-4} rate=${RATE:-}
  local load=(--concurrency "$conc") desc="concurrency $conc"
  if [ -n "$rate" ]; then load=(--rate "$rate" --arrival poisson); desc="open loop, $rate req/s (Poisson)"; fi
  llm-probe run --config "$CONFIG" --runs "$runs" --warmup "${WARMUP:-5}" "${load[@]}" > "$OUT/tuesday-probes.ndjson"; note $?
  local t=(-t 'p50<2s' -t 'p95<5s' -t 'p99<10s' -t 'success>99%' -t "cost_per_request<${COST_TARGET:-0.02}")
  { latency-stats --histograms "${t[@]}" "$OUT/tuesday-probes.ndjson"; latency-stats --by scenario "$OUT/tuesday-probes.ndjson"; } > "$OUT/tuesday-stats.ndjson"
  note $?
  local base=()
  [ -f "$OUT/baseline-stats.ndjson" ] && base=(--baseline "$OUT/baseline-stats.ndjson")
  report-md benchmarks "$OUT/tuesday-stats.ndjson" "${base[@]}" --load "$desc" --cost-target "${COST_TARGET:-0.02}" \
    --output "$DOCS/PERFORMANCE_BENCHMARKS.md"; note $?
  latency-stats --format table "${t[@]}" "$OUT/tuesday-probes.ndjson" >&2
}

wednesday() {
  local f="$OUT/wednesday.ndjson"
  {
    k8s --only k8s.secret.keys,k8s.configmap.keys,k8s.audit_key.production
    pg --only pg.audit.encrypted
    http-check startup; note $?
  } > "$f"
  log_day "$f"
}

thursday() {
  local f="$OUT/thursday.ndjson"
  {
    k8s --only k8s.namespace.exists,k8s.rollout.complete,k8s.replicas.ready,k8s.pods.running,k8s.init.db_migrate,k8s.logs.errors
    web --only http.health
    pg --only pg.connect,pg.ssl.in_use,pg.alembic.head,pg.tables.present
  } > "$f"
  log_day "$f"
}

friday() {
  local f="$OUT/friday.ndjson"
  if have_http; then
    llm-probe run --provider navi --base-url "$STAGING_URL" --runs "${NAVI_RUNS:-20}" --concurrency 2 > "$OUT/friday-navi-probes.ndjson"; note $?
    latency-stats --format table -t 'p95<10s' -t 'success>99%' "$OUT/friday-navi-probes.ndjson" >&2; note $?
  fi
  {
    web --history "$OUT/history/http.ndjson"
    pg --only pg.connections.database,pg.connections.active,pg.llm_metrics.rows,pg.audit.encrypted
    k8s --only k8s.hpa.configured,k8s.resources.usage,k8s.metrics_server.available,k8s.logs.errors
  } > "$f"
  grep '"check":"http.metrics.present"' "$f" >> "$OUT/history/http.ndjson" || true
  log_day "$f"
}

monitor() {
  local f="$OUT/monitor-$(date -u +%Y%m%dT%H%M%SZ).ndjson"
  {
    k8s
    web --history "$OUT/history/http.ndjson"
    pg --history "$OUT/history/pg.ndjson"
  } > "$f"
  grep '"check":"http.metrics.present"' "$f" >> "$OUT/history/http.ndjson" || true
  grep '"check":"pg.connections.database"' "$f" >> "$OUT/history/pg.ndjson" || true
  log_day "$f"
  if [ -n "${NAVI_TEXTFILE_DIR:-}" ]; then
    mkdir -p "$NAVI_TEXTFILE_DIR"
    report-md prometheus "$f" --output "$NAVI_TEXTFILE_DIR/navi_checks.prom" || true
  fi
}

week1() {
  cat "$OUT"/*.ndjson | report-md checklist --output "$DOCS/week1_checklist.md"; note $?
  echo "week: checklist in $DOCS/week1_checklist.md" >&2
}

for day in "$@"; do
  case "$day" in
    monday|tuesday|wednesday|thursday|friday|monitor|week1) "$day" ;;
    *) echo "week: unknown step \`$day\` (monday tuesday wednesday thursday friday monitor week1)" >&2; exit 2 ;;
  esac
done
exit "$status"
