#!/usr/bin/env bash
# Renders every ```mermaid block of a Markdown file in a real headless
# Chromium with the mermaid npm package, writes a screenshot, and prints the
# DOM check: one line per chart, "ok N" when Mermaid produced an SVG, or
# "error N: message" when it could not parse the chart.
# Usage: scripts/render-mermaid.sh FILE.md [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
md=$(realpath "${1:?markdown file}")
png=$(realpath -m "${2:-target/mermaid/charts.png}")
command -v chromium >/dev/null || need_apt chromium
command -v npm >/dev/null || need_apt nodejs npm
dir=target/mermaid
mkdir -p "$dir"
if [ ! -f "$dir/node_modules/mermaid/dist/mermaid.min.js" ]; then
  (cd "$dir" && npm install --silent --no-audit --no-fund mermaid@11 >/dev/null)
fi
python3 - "$md" "$dir/page.html" <<'PY'
import html, re, sys
text = open(sys.argv[1]).read()
blocks = re.findall(r"```mermaid\n(.*?)```", text, re.S)
charts = "\n".join(f'<pre class="mermaid" id="c{i}">{html.escape(b)}</pre>' for i, b in enumerate(blocks))
open(sys.argv[2], "w").write(f"""<!doctype html><html><body style="width:1000px;background:white">
{charts}
<div id="result" style="display:none"></div>
<script src="node_modules/mermaid/dist/mermaid.min.js"></script>
<script>
mermaid.initialize({{startOnLoad: false}});
(async () => {{
  const out = [];
  const nodes = document.querySelectorAll('pre.mermaid');
  for (let i = 0; i < nodes.length; i++) {{
    try {{ await mermaid.parse(nodes[i].textContent); out.push('ok ' + i); }}
    catch (e) {{ out.push('error ' + i + ': ' + String(e.message || e).split('\\n')[0]); }}
  }}
  await mermaid.run({{querySelector: 'pre.mermaid'}});
  nodes.forEach((n, i) => {{ if (!n.querySelector('svg')) out.push('error ' + i + ': no svg'); }});
  document.getElementById('result').textContent = 'RES' + 'ULT[' + out.join('|') + ']';
}})();
</script></body></html>""")
PY
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --user-data-dir="$(mktemp -d)" --allow-file-access-from-files
  --virtual-time-budget=10000)
page="file://$(realpath "$dir/page.html")"
chromium "${flags[@]}" --window-size=1000,2200 --screenshot="$png" "$page" >/dev/null 2>&1
chromium "${flags[@]}" --dump-dom "$page" 2>/dev/null | grep -o 'RESULT\[[^]]*\]' | sed 's/RESULT\[//; s/\]$//' | tr '|' '\n'
