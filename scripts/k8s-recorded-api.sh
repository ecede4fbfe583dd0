#!/usr/bin/env bash
# The recorded Kubernetes API for the demo (k8s-check runs the real kubectl against it).
#   scripts/k8s-recorded-api.sh PORT [VARIANT]     serve tests/fixtures/k8s/VARIANT.json over healthy.json
#   scripts/k8s-recorded-api.sh --kubeconfig PORT  print a kubeconfig pointing kubectl at it
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--kubeconfig" ]; then
  cat <<YAML
apiVersion: v1
kind: Config
clusters:
- name: recorded
  cluster:
    server: http://127.0.0.1:${2:?port}
contexts:
- name: recorded
  context: {cluster: recorded, user: recorded, namespace: navi-staging}
current-context: recorded
users:
- name: recorded
  user: {token: recorded-api-token}
YAML
  exit 0
fi
command -v kubectl >/dev/null || { source scripts/lib.sh; need_apt kubernetes-client; }
bin=target/${DEMO_PROFILE:-release}/recorded-k8s-api
[ -x "$bin" ] || bin=target/debug/recorded-k8s-api
exec "$bin" "${1:?port}" "${2:-healthy}"
