#!/usr/bin/env bash
# The test command (README, CI): installs what the tests need, then runs
# fmt, clippy and every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/setup-test-deps.sh

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo build --bins" >&2
cargo build --workspace --bins --quiet
echo "== cargo test" >&2
# shellcheck disable=SC1091
[ -f target/test-env.sh ] && source target/test-env.sh
cargo test --workspace --quiet
echo "== all tests passed" >&2
