#!/usr/bin/env bash
# A throwaway PostgreSQL cluster in a directory, for tests and the demo.
#   scripts/pg-throwaway.sh start DIR PORT on|off PASSWORD   (ssl on or off)
#   scripts/pg-throwaway.sh stop DIR
# initdb refuses to run as root, so the cluster runs as the `postgres` user.
# With ssl on, DIR/server.crt is a self-signed certificate for localhost and
# 127.0.0.1 (CA:FALSE, so rustls accepts it as an end-entity cert under
# verify-full) that clients use as sslrootcert.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

cmd=${1:?start|stop}
dir=${2:?directory}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)

run_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    port=${3:?port}; ssl=${4:-on}; password=${5:?password}
    if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then need_apt postgresql openssl; BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); fi
    command -v openssl >/dev/null || need_apt openssl
    mkdir -p "$dir"
    # The postgres user must reach DIR: mktemp -d makes its parent 0700.
    chmod 755 "$dir"
    chmod o+x "$(dirname "$dir")" 2>/dev/null || true
    sslopts=""
    if [ "$ssl" = on ]; then
      openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -addext "basicConstraints=critical,CA:FALSE" \
        -keyout "$dir/server.key" -out "$dir/server.crt" 2>/dev/null
      chmod 600 "$dir/server.key"
      sslopts="-c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key"
    fi
    printf '%s\n' "$password" > "$dir/pw"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
    run_pg "$BIN/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pw" \
      --auth-local=trust --auth-host=scram-sha-256 --no-sync --no-instructions >/dev/null
    rm -f "$dir/pw"
    run_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 start -o \
      "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100 $sslopts" >/dev/null
    ;;
  stop)
    [ -d "$dir/data" ] && run_pg "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start DIR PORT on|off PASSWORD | stop DIR" >&2; exit 2 ;;
esac
