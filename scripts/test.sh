#!/usr/bin/env bash
# The test command (README, CI): installs what the tests need, starts two
# throwaway PostgreSQL clusters (TLS and plain), runs fmt, clippy and every
# test of the workspace, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/setup-test-deps.sh
# shellcheck disable=SC1091
source target/test-env.sh

PGTMP=$(mktemp -d)
cleanup() {
  scripts/pg-throwaway.sh stop "$PGTMP/ssl"
  scripts/pg-throwaway.sh stop "$PGTMP/plain"
  rm -rf "$PGTMP"
}
trap cleanup EXIT
PGPASS=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
PORT_SSL=$(free_port)
scripts/pg-throwaway.sh start "$PGTMP/ssl" "$PORT_SSL" on "$PGPASS"
PORT_PLAIN=$(free_port)
scripts/pg-throwaway.sh start "$PGTMP/plain" "$PORT_PLAIN" off "$PGPASS"
export NAVI_PG_ADMIN_URL="postgresql://postgres:$PGPASS@127.0.0.1:$PORT_SSL/postgres"
export NAVI_PG_NOSSL_ADMIN_URL="postgresql://postgres:$PGPASS@127.0.0.1:$PORT_PLAIN/postgres"
export NAVI_PG_CA="$PGTMP/ssl/server.crt"
# Real Alembic's own output (migrating, and already at head) for k8s-check's
# db-migrate tests: captured here, never typed into a fixture.
scripts/alembic-capture.sh "$NAVI_PYTHON" "$NAVI_PG_NOSSL_ADMIN_URL" target/alembic >&2
export NAVI_ALEMBIC_LOGS="$PWD/target/alembic"

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo build --bins" >&2
cargo build --workspace --bins --quiet
echo "== cargo test" >&2
cargo test --workspace --quiet
echo "== all tests passed" >&2
