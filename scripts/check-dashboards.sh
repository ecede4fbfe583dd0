#!/usr/bin/env bash
# Checks Grafana dashboards against Grafana's published dashboard schema:
# the `Dashboard` type of the @grafana/schema npm package, compiled with
# TypeScript in strict mode, so a wrong type or an unknown field is an error.
#   usage: scripts/check-dashboards.sh [DASHBOARD.json...]  (default: deploy/grafana/*.json)
# Prints tsc's errors and exits 1 when a dashboard does not fit the schema.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
command -v npm >/dev/null || need_apt nodejs npm
dir=target/grafana-schema
mkdir -p "$dir"
if [ ! -x "$dir/node_modules/.bin/tsc" ] || [ ! -d "$dir/node_modules/@grafana/schema" ]; then
  (cd "$dir" && npm install --silent --no-audit --no-fund typescript@5 @grafana/schema@13.2.3 >/dev/null)
fi
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(deploy/grafana/*.json)
rm -f "$dir"/check_*.ts
i=0
for f in "${files[@]}"; do
  {
    echo "import type { Dashboard } from './node_modules/@grafana/schema/dist/types/raw/dashboard/x/types.gen';"
    echo "// $f"
    echo "export const dashboard: Dashboard = "
    cat "$f"
    echo ";"
  } > "$dir/check_$i.ts"
  i=$((i + 1))
done
cd "$dir" && node_modules/.bin/tsc --noEmit --strict --skipLibCheck check_*.ts
echo "check-dashboards: ${#files[@]} dashboard(s) fit Grafana's Dashboard schema (@grafana/schema 13.2.3)"
