#!/usr/bin/env bash
# The probe as a Kubernetes Indexed Job of N pods (deploy/k8s/llm-probe-job.yaml).
#   scripts/distributed-probe.sh render N   print the ConfigMaps and the Job (apply-ready YAML)
#   scripts/distributed-probe.sh pod-command   print the pods' shell command (for local rehearsal)
#   scripts/distributed-probe.sh rehearse N  run the rendered pods' exact command N times here, each with
#                                           its JOB_COMPLETION_INDEX and the ConfigMaps written out as the
#                                           volumes would be, and merge their stats as `run` does
#   scripts/distributed-probe.sh run N      apply, wait, collect the pods' stats, merge them and
#                                           judge the targets once on the merged result (exit 1 on a miss)
# Environment: NAMESPACE (navi-staging), NAVI_IMAGE (navi-launch:<version>, built by
# scripts/image.sh), NAVI_CONFIG (tests/e2e/real_llm_config.yaml), NAVI_SCENARIOS
# (scenarios/), LOAD (llm-probe load flags, default "--rate 20 --arrival poisson --duration 5m"),
# START_DELAY seconds until the common start (60), NAVI_TARGETS_FILE (config/targets.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
JOB=deploy/k8s/llm-probe-job.yaml
NS=${NAMESPACE:-navi-staging}
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
IMAGE=${NAVI_IMAGE:-navi-launch:$VERSION}
CONFIG=${NAVI_CONFIG:-tests/e2e/real_llm_config.yaml}
SCENARIOS=${NAVI_SCENARIOS:-scenarios}
LOAD=${LOAD:---rate 20 --arrival poisson --duration 5m}

render() {
  local n=$1
  case "$n" in ''|*[!0-9]*|0) echo "distributed-probe: N must be a positive number, got '$n'" >&2; exit 2 ;; esac
  # Everything substituted into the manifest is checked first: no YAML or sed
  # metacharacters can reach it.
  [[ $NS =~ ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$ ]] || { echo "distributed-probe: NAMESPACE '$NS' is not a Kubernetes name" >&2; exit 2; }
  [[ $IMAGE =~ ^[A-Za-z0-9][A-Za-z0-9._/:-]*(@sha256:[a-f0-9]{64})?$ ]] || { echo "distributed-probe: NAVI_IMAGE is not an image reference" >&2; exit 2; }
  [[ $LOAD =~ ^[A-Za-z0-9\ ._:/=%,-]*$ ]] || { echo "distributed-probe: LOAD may hold only llm-probe flags (letters, digits, spaces, . _ : / = % , -)" >&2; exit 2; }
  local start
  start=$(date -u -d "+${START_DELAY:-60} seconds" +%Y-%m-%dT%H:%M:%SZ)
  kubectl create configmap llm-probe-config -n "$NS" --from-file=real_llm_config.yaml="$CONFIG" --dry-run=client -o yaml
  echo "---"
  kubectl create configmap llm-probe-scenarios -n "$NS" --from-file="$SCENARIOS" --dry-run=client -o yaml
  echo "---"
  sed -e "s|@SHARDS@|$n|g" -e "s|@IMAGE@|$IMAGE|g" -e "s|@START_AT@|$start|g" -e "s|@LOAD@|$LOAD|g" \
    -e "s|^  name: llm-probe$|  name: llm-probe\n  namespace: $NS|" "$JOB" | grep -v '^#'
}

# pod_command prints the container's shell command as the manifest has it.
pod_command() {
  awk '/^          args:/ {on=1; next} on && /^            - >-/ {next} on && /^          [a-z]/ {exit} on {sub(/^ +/, ""); printf "%s ", $0}' "$JOB"
  echo
}

# rehearse runs the pods locally from the rendered manifests (python3 with
# PyYAML reads them), so what is rehearsed is what would be applied.
rehearse() {
  local n=$1 dir
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' RETURN
  START_DELAY=${START_DELAY:-2} render "$n" > "$dir/rendered.yaml"
  "${NAVI_PYTHON:-python3}" - "$dir" <<'PY'
import os, re, sys, yaml
d = sys.argv[1]
for doc in yaml.safe_load_all(open(os.path.join(d, "rendered.yaml"))):
    if doc["kind"] == "ConfigMap":
        os.makedirs(os.path.join(d, doc["metadata"]["name"]))
        for key, text in doc["data"].items():
            open(os.path.join(d, doc["metadata"]["name"], key), "w").write(text)
    elif doc["kind"] == "Job":
        pod = doc["spec"]["template"]["spec"]
        c = pod["containers"][0]
        mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
        cmd = c["args"][0]
        for v in pod["volumes"]:
            here = os.path.join(d, v["configMap"]["name"])
            cmd = re.sub(re.escape(mounts[v["name"]]) + r"(?=[/\s]|$)", here, cmd)
        open(os.path.join(d, "command"), "w").write(cmd)
        with open(os.path.join(d, "env"), "w") as f:
            for e in c["env"]:
                if "value" in e:
                    f.write(f'{e["name"]}\t{e["value"]}\n')
PY
  local pids=() i
  for ((i = 0; i < n; i++)); do
    (
      while IFS=$'\t' read -r k v; do export "$k=$v"; done < "$dir/env"
      export JOB_COMPLETION_INDEX=$i
      sh -c "$(cat "$dir/command")" > "$dir/pod-$i.log" 2> "$dir/pod-$i.err"
    ) &
    pids+=($!)
  done
  local rc=0
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  [ "$rc" = 0 ] || { cat "$dir"/pod-*.err >&2; echo "distributed-probe: a pod failed" >&2; exit 1; }
  cat "$dir"/pod-*.log | grep '^{"kind":"stats"'
}

case "${1:-}" in
  render) render "${2:?N}" ;;
  rehearse) rehearse "${2:?N}" ;;
  pod-command) pod_command ;;
  run)
    n=${2:?N}
    render "$n" | kubectl apply -n "$NS" -f -
    # Complete or Failed, whichever comes first (backoffLimit 0: one failed pod fails the Job).
    for _ in $(seq 720); do
      state=$(kubectl get -n "$NS" job/llm-probe -o jsonpath='{.status.conditions[?(@.status=="True")].type}')
      case "$state" in
        *Complete*) break ;;
        *Failed*) echo "distributed-probe: the Job failed: kubectl -n $NS describe job/llm-probe" >&2; exit 1 ;;
      esac
      sleep 10
    done
    case "$state" in *Complete*) ;; *) echo "distributed-probe: the Job did not finish within 2 h" >&2; exit 1 ;; esac
    kubectl logs -n "$NS" -l job-name=llm-probe --tail=-1 --max-log-requests="$n" | grep '^{"kind":"stats"' > "${NAVI_OUT:-results}/distributed-stats.ndjson"
    got=$(wc -l < "${NAVI_OUT:-results}/distributed-stats.ndjson")
    [ "$got" -eq "$n" ] || { echo "distributed-probe: $got of $n pods printed their stats" >&2; exit 1; }
    latency-stats --merge --targets "${NAVI_TARGETS_FILE:-config/targets.txt}" --format table "${NAVI_OUT:-results}/distributed-stats.ndjson"
    ;;
  *) echo "usage: distributed-probe.sh render N | pod-command | rehearse N | run N" >&2; exit 2 ;;
esac
