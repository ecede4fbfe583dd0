#!/usr/bin/env bash
# pg-check's whole suite against a throwaway local cluster, compared with the
# plan's equivalent sequence of psql -c calls, in the same run. Prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build --release --quiet -p pg-check
T=$(mktemp -d); PORT=$(free_port); PW=bench$$
trap 'scripts/pg-throwaway.sh stop "$T/pg"; rm -rf "$T"' EXIT
scripts/pg-throwaway.sh start "$T/pg" "$PORT" on "$PW"
URL="postgresql://postgres:$PW@127.0.0.1:$PORT/postgres"
psql -q "$URL" -f docs/navi-schema.sql >/dev/null
RUNS=${BENCH_RUNS:-20}
time_ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
pg=(); ps=()
for _ in $(seq "$RUNS"); do
  pg+=("$(time_ms env DATABASE_URL="$URL?sslmode=require" ./target/release/pg-check)")
  ps+=("$(time_ms bash -c "for q in \"SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()\" \"SELECT version_num FROM alembic_version\" \"SELECT count(*) FROM information_schema.tables\" \"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()\" \"SELECT count(*) FROM pg_stat_activity WHERE state = 'active'\" \"SELECT count(*) FROM llm_metrics\" \"SELECT payload FROM audit_logs LIMIT 50\"; do psql '$URL?sslmode=require' -Atc \"\$q\"; done")")
done
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
conns=$(psql -Atc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg-check'" "$URL")
echo "| measure ($RUNS runs, median) | pg-check (12 checks) | psql -c × 7 (the plan's queries) |"
echo "|---|---:|---:|"
echo "| wall time, TLS | $(med "${pg[@]}") ms | $(med "${ps[@]}") ms |"
echo "| connections opened per run | 1 (one Client; $conns left open after the runs) | 7 |"
