#!/usr/bin/env bash
# Builds the container image (Dockerfile) with the first OCI builder that can
# run here: docker (with an engine), podman, buildah.
#   usage: scripts/image.sh [TAG]   (default navi-launch:<version>)
# Where none can run (a client without an engine, no user namespaces), it
# says so and verifies instead what it can: the release binaries the image
# would contain, with only the shared libraries they load, run from a bare
# root filesystem under chroot (`--version` and a real pipeline), so the
# image's runtime layer is known to hold everything the tools need.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
TAG=${1:-navi-launch:$VERSION}
TOOLS=(llm-probe latency-stats pg-check k8s-check http-check cloud-check report-md llm-sim)

if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  exec docker build -t "$TAG" .
elif command -v podman >/dev/null && podman info >/dev/null 2>&1; then
  exec podman build -t "$TAG" .
elif command -v buildah >/dev/null && buildah info >/dev/null 2>&1; then
  exec buildah bud -t "$TAG" .
fi
echo "image: no OCI builder can run here (docker: $(command -v docker >/dev/null && echo 'client only, no engine' || echo absent); podman, buildah: absent)" >&2
echo "image: verifying the runtime layer instead: the tools alone on a bare root filesystem" >&2
args=()
for t in "${TOOLS[@]}"; do args+=(-p "$t"); done
cargo build --release --quiet "${args[@]}"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/local/bin" "$root/tmp"
for t in "${TOOLS[@]}"; do
  cp "target/release/$t" "$root/usr/local/bin/"
  # Only the libraries the binary loads (ldd lists them with their paths).
  for lib in $(ldd "target/release/$t" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -n "$lib" "$root$lib"
  done
done
echo "image: root filesystem of $(du -sh "$root" | cut -f1) with ${#TOOLS[@]} tools and: $(cd "$root" && find . -name '*.so*' | sort | tr '\n' ' ')" >&2
runner=(chroot "$root")
[ "$(id -u)" = 0 ] || runner=(unshare -r chroot "$root")
for t in "${TOOLS[@]}"; do
  "${runner[@]}" "/usr/local/bin/$t" --version
done
# A pipeline inside the root: the simulator, the probe and the stats, nothing else.
port=$(free_port)
"${runner[@]}" /usr/local/bin/llm-sim --listen "127.0.0.1:$port" --speed 0 2>/dev/null &
sim=$!
trap 'kill "$sim" 2>/dev/null; rm -rf "$root"' EXIT
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
"${runner[@]}" /usr/local/bin/llm-probe run --base-url "http://127.0.0.1:$port" --runs 20 2>/dev/null > "$root/tmp/probes.ndjson"
# Every request must have succeeded, or the pipeline proved nothing.
"${runner[@]}" /usr/local/bin/latency-stats --format table -t 'success>=100%' -t 'requests>=20' /tmp/probes.ndjson
echo "image: verified: every tool runs with only its own shared libraries; build the image on a machine with docker, podman or buildah" >&2
