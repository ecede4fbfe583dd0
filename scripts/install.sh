#!/usr/bin/env bash
# Installs the toolkit: stripped release binaries in PREFIX/bin, man pages in
# PREFIX/share/man/man1, bash/zsh/fish completions under PREFIX/share (the
# places bash-completion, zsh and fish look), all generated from the tools'
# own clap definitions.
#   usage: PREFIX=~/.local scripts/install.sh   (the default PREFIX)
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-$HOME/.local}
TOOLS=(llm-probe latency-stats pg-check k8s-check http-check cloud-check report-md llm-sim)
args=()
for t in "${TOOLS[@]}"; do args+=(-p "$t"); done
cargo build --release --quiet "${args[@]}" -p navi-assets
install -d "$PREFIX/bin"
for t in "${TOOLS[@]}"; do install -m 755 "target/release/$t" "$PREFIX/bin/$t"; done
target/release/navi-assets "$PREFIX/share"
echo "install: ${#TOOLS[@]} tools in $PREFIX/bin, man pages in $PREFIX/share/man/man1, completions in $PREFIX/share" >&2
case ":$PATH:" in
  *":$PREFIX/bin:"*) ;;
  *) echo "install: $PREFIX/bin is not on PATH: add it (export PATH=\"$PREFIX/bin:\$PATH\")" >&2 ;;
esac
