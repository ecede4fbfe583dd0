# Shared helpers for scripts/*.sh (sourced, not run).
# need_apt PKG... installs Debian packages that are missing (apt-get update first, once).

NAVI_APT_UPDATED=${NAVI_APT_UPDATED:-}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

need_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "$NAVI_APT_UPDATED" ]; then
    echo "scripts: apt-get update" >&2
    as_root apt-get update -qq
    NAVI_APT_UPDATED=1
  fi
  echo "scripts: installing ${missing[*]}" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# need_just installs casey/just with cargo when it is not on PATH.
need_just() {
  command -v just >/dev/null && return 0
  echo "scripts: installing just (cargo install --locked just)" >&2
  cargo install --locked --quiet just
  export PATH="$HOME/.cargo/bin:$PATH"
}

# free_port prints a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
