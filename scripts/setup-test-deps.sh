#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine with only Rust:
# nothing is assumed installed by hand. Idempotent and quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

need_apt ca-certificates
: > target/test-env.sh 2>/dev/null || { mkdir -p target; : > target/test-env.sh; }
