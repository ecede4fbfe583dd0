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
#   NAVI_TEXTFILE_DIR    where `monitor` writes navi_checks.prom and `tuesday` navi_probe.prom (node_exporter)
#   NAVI_TARGETS         comma-separated thresholds overriding config/targets.txt (COST_TARGET: the cost one)
#   NAVI_TABLES_FILE     the tables pg.tables.present expects (default: the plan's llm_metrics, telemetry_events)
#   ALLOW_SKIP=1         checks that could not look (skip) do not fail the day (they are still logged)
#   NAVI_BASELINE        the committed baseline (latency-stats --histograms stats) Tuesday compares
#                        with; Tuesday writes it when missing (default config/baseline-stats.ndjson)
#   CAPACITY_THRESHOLDS  comma-separated thresholds the capacity search holds (default p95<5s)
#   CAPACITY_START_RATE, CAPACITY_MAX_RATE, CAPACITY_STEP_TIME   the search's bounds (1, 50, 10s)
#   WATCH_RATE, WATCH_RUNS, SAMPLE_EVERY   load-watch's load and sampling interval (2, 60, 1s)
#
# A tool whose target is not configured reports every check as `skip` (not
# validated), and a day with any skip, failure or no verdict at all exits 1.
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=${NAVI_OUT:-results}
DOCS=${NAVI_DOCS:-docs}
CONFIG=${NAVI_CONFIG:-tests/e2e/real_llm_config.yaml}
NS=${NAVI_NAMESPACE:-navi-staging}
LOG="$DOCS/staging_validation_log.md"
mkdir -p "$OUT" "$DOCS" "$OUT/history"
status=0
allow=()
[ "${ALLOW_SKIP:-}" = 1 ] && allow=(--allow-skip)
tables=()
[ -n "${NAVI_TABLES_FILE:-}" ] && tables=(--tables-file "$NAVI_TABLES_FILE")

# note records a step's exit code: 0 ok, 1 failed/skipped check, 2+ broken step.
note() { local rc=$1; [ "$rc" -gt "$status" ] && status=$rc; return 0; }

# log_day FILE appends a day's records to the validation log; the log's verdict
# (any fail, error or skip, or no verdict at all) is the day's.
log_day() { report-md validation-log "${allow[@]}" --log "$LOG" "$1" >/dev/null; note $?; }

k8s() { k8s-check -n "$NS" "${allow[@]}" "$@"; note $?; }
pg() { pg-check "${allow[@]}" "$@"; note $?; }
web() { http-check "${allow[@]}" "$@"; note $?; }

# targets prints the -t flags: config/targets.txt, overridden by NAVI_TARGETS and COST_TARGET.
targets() {
  printf '%s\n' --targets "${NAVI_TARGETS_FILE:-config/targets.txt}"
  local t
  IFS=',' read -ra extra <<< "${NAVI_TARGETS:-}"
  for t in "${extra[@]}"; do [ -n "$t" ] && printf '%s\n' -t "$t"; done
  [ -n "${COST_TARGET:-}" ] && printf '%s\n' -t "cost_per_request<$COST_TARGET"
  return 0
}

cloud() {
  local extra=()
  [ -n "${CLOUD_CHECK_FROM:-}" ] && extra+=(--from "$CLOUD_CHECK_FROM")
  [ -f "$OUT/wednesday.ndjson" ] && extra+=(--k8s-records "$OUT/wednesday.ndjson")
  cloud-check "${allow[@]}" "${extra[@]}" "$@"; note $?
}

monday() {
  local f="$OUT/monday.ndjson"
  { llm-probe preflight --live "${allow[@]}" --config "$CONFIG"; note $?; cloud; } > "$f"
  log_day "$f"
}

tuesday() {
  local runs=${RUNS:-100} conc=${CONCURRENCY:-4} rate=${RATE:-}
  local load=(--concurrency "$conc") desc="concurrency $conc"
  if [ -n "$rate" ]; then load=(--rate "$rate" --arrival poisson); desc="open loop, $rate req/s (Poisson)"; fi
  llm-probe run --config "$CONFIG" --runs "$runs" --warmup "${WARMUP:-5}" "${load[@]}" > "$OUT/tuesday-probes.ndjson"; note $?
  local t
  mapfile -t t < <(targets)
  { latency-stats --histograms "${t[@]}" "$OUT/tuesday-probes.ndjson"; latency-stats --by scenario "$OUT/tuesday-probes.ndjson"; } > "$OUT/tuesday-stats.ndjson"
  note $?
  # "Performance baseline established": the first run becomes the baseline
  # (commit it); every later run is judged against it.
  local baseline=${NAVI_BASELINE:-config/baseline-stats.ndjson}
  if [ -f "$baseline" ]; then
    latency-stats --baseline "$baseline" "$OUT/tuesday-probes.ndjson" > "$OUT/compare.ndjson"; note $?
  else
    mkdir -p "$(dirname "$baseline")"
    latency-stats --histograms "$OUT/tuesday-probes.ndjson" > "$baseline"; note $?
    rm -f "$OUT/compare.ndjson"
    echo "week: baseline established in $baseline (commit it; later runs are compared with it)" >&2
  fi
  LOAD_DESC=$desc benchmarks
  latency-stats --format table "${t[@]}" "$OUT/tuesday-probes.ndjson" >&2
  # The run's numbers for Prometheus (the cost alert reads them).
  if [ -n "${NAVI_TEXTFILE_DIR:-}" ]; then
    mkdir -p "$NAVI_TEXTFILE_DIR"
    latency-stats --format prometheus "$OUT/tuesday-probes.ndjson" > "$NAVI_TEXTFILE_DIR/.navi_probe.prom.tmp" &&
      mv "$NAVI_TEXTFILE_DIR/.navi_probe.prom.tmp" "$NAVI_TEXTFILE_DIR/navi_probe.prom"
  fi
}

# benchmarks renders PERFORMANCE_BENCHMARKS.md from every performance
# record so far: Tuesday's stats, the baseline verdict, the capacity search
# and the load-and-watch timeline, whichever exist.
benchmarks() {
  local extra=() f
  for f in compare capacity load-watch; do [ -f "$OUT/$f.ndjson" ] && extra+=("$OUT/$f.ndjson"); done
  [ -f "$OUT/tuesday-stats.ndjson" ] || { echo "week: no Tuesday run yet: run \`just tuesday\` first" >&2; note 2; return; }
  report-md benchmarks "$OUT/tuesday-stats.ndjson" "${extra[@]}" --load "${LOAD_DESC:-see the run table}" \
    --output "$DOCS/PERFORMANCE_BENCHMARKS.md"; note $?
}

# compare judges a run against the baseline (Tuesday does this itself once a baseline exists).
compare() {
  local baseline=${NAVI_COMPARE_BASELINE:-${NAVI_BASELINE:-config/baseline-stats.ndjson}}
  local current=${NAVI_COMPARE_CURRENT:-$OUT/tuesday-probes.ndjson}
  latency-stats --baseline "$baseline" "$current" > "$OUT/compare.ndjson"; note $?
  benchmarks
}

# capacity: the highest open-loop rate at which the thresholds hold (llm-probe search).
capacity() {
  local t=() x
  IFS=',' read -ra x <<< "${CAPACITY_THRESHOLDS:-p95<5s}"
  for x in "${x[@]}"; do [ -n "$x" ] && t+=(-t "$x"); done
  llm-probe search --config "$CONFIG" "${t[@]}" --start-rate "${CAPACITY_START_RATE:-1}" \
    --max-rate "${CAPACITY_MAX_RATE:-50}" --step-time "${CAPACITY_STEP_TIME:-10s}" > "$OUT/capacity.ndjson"; note $?
  benchmarks
}

# load_watch: a NAVI load with the database and the service sampled before,
# during and after it (scripts/load-watch.sh); the timeline flags a leak.
load_watch() {
  local target=()
  [ -n "${STAGING_URL:-}" ] && target=(--provider navi --base-url "$STAGING_URL")
  [ -n "${STAGING_URL:-}" ] || target=(--config "$CONFIG")
  scripts/load-watch.sh "$OUT/load-watch.ndjson" "${target[@]}" --rate "${WATCH_RATE:-2}" --runs "${WATCH_RUNS:-60}"; note $?
  benchmarks
}

wednesday() {
  local f="$OUT/wednesday.ndjson"
  {
    k8s --only k8s.secret.keys,k8s.configmap.keys,k8s.audit_key.production
    web startup
  } > "$f"
  log_day "$f"
}

thursday() {
  local f="$OUT/thursday.ndjson"
  {
    k8s --only k8s.namespace.exists,k8s.rollout.complete,k8s.replicas.ready,k8s.pods.running,k8s.init.db_migrate,k8s.logs.errors
    web --only http.health
    pg "${tables[@]}" --only pg.connect,pg.ssl.in_use,pg.alembic.head,pg.tables.present,pg.audit.encrypted
  } > "$f"
  log_day "$f"
  # The deployment runbook: what runs, its timeline, the commands to repeat or roll back.
  report-md deployment-log --log "$DOCS/staging_deployment_log.md" "$f" || echo "week: the rollout is incomplete (logged as such) or had no verdict: see $DOCS/staging_deployment_log.md" >&2
}

friday() {
  local f="$OUT/friday.ndjson" rows=(--only pg.llm_metrics.rows,pg.telemetry_events.rows)
  local before_http="$OUT/friday-before-http.ndjson" before_pg="$OUT/friday-before-pg.ndjson"
  local baseline=() history=()
  if [ -n "${STAGING_URL:-}" ]; then
    # Counters and row counts before the workload, so the checks after it see what it added.
    http-check --only http.metrics.present --allow-skip > "$before_http" || true
    pg-check "${rows[@]}" --allow-skip > "$before_pg" || true
    llm-probe run --provider navi --base-url "$STAGING_URL" --runs "${NAVI_RUNS:-20}" --concurrency 2 > "$OUT/friday-navi-probes.ndjson"; note $?
    latency-stats --format table -t 'p95<10s' -t 'success>99%' "$OUT/friday-navi-probes.ndjson" >&2; note $?
    baseline=(--rows-baseline "$before_pg")
    history=(--history "$before_http")
  fi
  {
    web "${history[@]}"
    pg --only pg.connections.database,pg.connections.active,pg.llm_metrics.rows,pg.telemetry_events.rows,pg.audit.encrypted "${baseline[@]}"
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
    pg "${tables[@]}" --history "$OUT/history/pg.ndjson" --skip pg.llm_metrics.rows,pg.telemetry_events.rows
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
  cat "$OUT"/*.ndjson | report-md lessons --output "$DOCS/week1_lessons_learned.md"; note $?
  cat "$OUT"/*.ndjson | report-md checklist --docs "$DOCS" --output "$DOCS/week1_checklist.md"; note $?
  echo "week: lessons learned in $DOCS/week1_lessons_learned.md, checklist in $DOCS/week1_checklist.md" >&2
}

for day in "$@"; do
  case "$day" in
    monday|tuesday|wednesday|thursday|friday|monitor|week1|capacity|compare|benchmarks) "$day" ;;
    load-watch) load_watch ;;
    *) echo "week: unknown step \`$day\` (monday tuesday wednesday thursday friday monitor week1 capacity compare load-watch benchmarks)" >&2; exit 2 ;;
  esac
done
exit "$status"
