#!/usr/bin/env bash
# Lighthouse (mobile) against Debian's Chromium, as recorded in docs/lighthouse.md.
#   scripts/lighthouse.sh [URL]        default http://127.0.0.1:8101/sciatica/ (start `make serve PORT=8101` first)
# Lighthouse is an npm package kept outside the repository: LIGHTHOUSE_DIR (default /tmp/lighthouse)
# gets `npm install lighthouse` on first use. Reports go to var/lighthouse/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:-http://127.0.0.1:8101/sciatica/}
dir=${LIGHTHOUSE_DIR:-/tmp/lighthouse}
if [ ! -x "$dir/node_modules/.bin/lighthouse" ]; then
  mkdir -p "$dir"
  (cd "$dir" && npm init -y >/dev/null && npm install --silent lighthouse)
fi
mkdir -p var/lighthouse
out=var/lighthouse/report
CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium} "$dir/node_modules/.bin/lighthouse" "$url" \
  --quiet --form-factor=mobile --screenEmulation.mobile --throttling-method=simulate \
  --only-categories=performance,accessibility,best-practices,seo \
  --chrome-flags="--headless --no-sandbox --disable-gpu" \
  --output=json --output=html --output-path="$out"
.venv/bin/python - "$out.report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
print(report["finalDisplayedUrl"], report["lighthouseVersion"])
for key, category in report["categories"].items():
    print(f"{category['title']:>15}: {round(category['score'] * 100)}")
for audit in report["audits"].values():
    if audit.get("score") is not None and audit["score"] < 1 and audit["scoreDisplayMode"] in ("binary", "numeric"):
        print(f"  below 1: {audit['id']} ({audit['score']}) {audit.get('displayValue', '')}")
metrics = report["audits"]
for key in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift", "speed-index"):
    print(f"{key}: {metrics[key]['displayValue']}")
PY
