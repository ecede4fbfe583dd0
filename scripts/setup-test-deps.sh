#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine with only Rust:
# nothing is assumed installed by hand. Idempotent and quick when all is there.
# Writes target/test-env.sh with the variables the tests read.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

need_apt ca-certificates curl openssl
# PostgreSQL server binaries for the throwaway clusters.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt postgresql
command -v psql >/dev/null || need_apt postgresql-client
mkdir -p target

# The real kubectl for k8s-check's tests (Debian bookworm ships kubernetes-client).
command -v kubectl >/dev/null || need_apt kubernetes-client

# A real Prometheus and promtool (Debian's prometheus package) and
# node_exporter's textfile collector: every .prom the toolkit writes is
# checked by promtool, and the alerting rules are tested on a live server.
command -v promtool >/dev/null || need_apt prometheus
command -v prometheus-node-exporter >/dev/null || need_apt prometheus-node-exporter

# Headless Chromium and Node for rendering the Mermaid charts (report-md tests).
command -v chromium >/dev/null || need_apt chromium
command -v npm >/dev/null || need_apt nodejs npm
if [ ! -f target/mermaid/node_modules/mermaid/dist/mermaid.min.js ]; then
  mkdir -p target/mermaid
  (cd target/mermaid && npm install --silent --no-audit --no-fund mermaid@11 >/dev/null)
fi

# Grafana's published dashboard schema (@grafana/schema) and TypeScript, to
# check the dashboards (scripts/check-dashboards.sh installs them on first use).
scripts/check-dashboards.sh >/dev/null

# Python venv with the official SDKs (the conformance tests' real clients).
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  need_apt python3 python3-venv python3-pip
fi
PY_PKGS="anthropic==2.14.0 openai==3.57.0 prometheus_client==0.26.0 fastapi==0.165.0 uvicorn==0.54.0 alembic==1.20.1 psycopg2-binary==2.9.13 kubernetes==37.0.2"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import anthropic, openai, prometheus_client, fastapi, uvicorn, alembic, psycopg2, kubernetes' 2>/dev/null; then
  echo "scripts: creating .venv with $PY_PKGS" >&2
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check $PY_PKGS
fi

{
  echo "export NAVI_PYTHON=$PWD/.venv/bin/python"
} > target/test-env.sh
