#!/usr/bin/env bash
# Lighthouse 12 (npm lighthouse@12.2.3, headless Debian Chromium) on every
# showcase page and the reports dashboard, logged in as admin where a page
# needs it. Fails unless each page scores 100 in accessibility and best
# practices, and the public pages (/, /login) 100 in SEO. Run by scripts/test.sh.
#
#   scripts/lighthouse.sh            # LIGHTHOUSE_PORT=18777 by default
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
tools="${TMPDIR:-/tmp}/rocket_security-lighthouse"
bin="$tools/node_modules/.bin/lighthouse"
mkdir -p "$tools"
[ -x "$bin" ] || (cd "$tools" && npm install --silent --no-audit --no-fund lighthouse@12.2.3 >/dev/null)
chromium="$(command -v chromium)"

cargo build --quiet --all-features --example showcase
port="${LIGHTHOUSE_PORT:-18777}"
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "port $port is in use: set LIGHTHOUSE_PORT" >&2; exit 1
fi
workdir="$(mktemp -d)"
# Loopback is a trusted proxy, so the reports below can come from two clients (X-Forwarded-For).
(cd "$workdir" && ROCKET_PORT="$port" ROCKET_LOG_LEVEL=off ROCKET_SECURITY='{https={trusted_proxies=["127.0.0.1","::1"]}}' \
  exec "$root/target/debug/examples/showcase" >/dev/null) &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$workdir"' EXIT
base="http://localhost:$port"
for _ in $(seq 100); do curl -fs "$base/" >/dev/null 2>&1 && break; sleep 0.1; done
kill -0 $server 2>/dev/null || { echo "the showcase did not start" >&2; exit 1; }

# The admin's cookies (a same-origin form post, as the browser sends it).
jar="$workdir/cookies"
curl -fs -c "$jar" -o /dev/null -H "Sec-Fetch-Site: same-origin" \
  --data "username=admin&password=admin-pass&next=/" "$base/login"
cookie="$(sed 's/^#HttpOnly_//' "$jar" | awk '!/^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep="; " }')"
[ -n "$cookie" ] || { echo "could not log in as admin" >&2; exit 1; }

# Reports to fill the grouped view (rows, sparklines, triage forms) and the wizard: under the
# report-only policy the showcase sends (a report under any other is dropped as foreign_policy),
# from two clients each (the wizard holds back a source only one client reported).
ro="$(curl -fs -D - -o /dev/null "$base/" | grep -i '^content-security-policy-report-only' | cut -d' ' -f2- | tr -d '\r')"
[ -n "$ro" ] || { echo "the showcase sends no report-only policy" >&2; exit 1; }
for b in https://cdn.example.com/a.js inline eval https://images.example.com/x.png; do
  d=script-src-elem; [ "$b" = eval ] && d=script-src; case "$b" in *.png) d=img-src;; esac
  for client in 203.0.113.1 203.0.113.2; do
    node -e 'const [d, b, p, doc] = process.argv.slice(1); console.log(JSON.stringify({"csp-report": {
      "document-uri": doc, "violated-directive": d, "effective-directive": d, "original-policy": p,
      "disposition": "report", "blocked-uri": b, "status-code": 200, "script-sample": "f()"}}))' "$d" "$b" "$ro" "$base/" |
      curl -fs -o /dev/null -H 'Content-Type: application/csp-report' -H "X-Forwarded-For: $client" \
        --data-binary @- "$base/security/csp-report"
  done
done
stored=no
for _ in $(seq 50); do
  curl -fs -H "Cookie: $cookie" "$base/security/reports/groups.json" | grep -q '"blocked":"inline"' && { stored=yes; break; }
  sleep 0.1
done
[ "$stored" = yes ] || { echo "the reports did not reach the grouped view" >&2; exit 1; }

# page | categories that must score 100 | logged in
pages=(
  "/|accessibility,best-practices,seo|no"
  "/login|accessibility,best-practices,seo|no"
  "/privacy|accessibility,best-practices|no"
  "/embed|accessibility,best-practices|no"
  "/account|accessibility,best-practices|yes"
  "/account/sessions|accessibility,best-practices|yes"
  "/password/change|accessibility,best-practices|yes"
  "/security/reports|accessibility,best-practices|yes"
  "/security/reports/groups|accessibility,best-practices|yes"
  "/security/reports/wizard|accessibility,best-practices|yes"
  # Breaks its own CSP on purpose (the browser logs each violation): accessibility only.
  "/demo/violations|accessibility|yes"
  # Breaks its report-only policies on purpose (geolocation on load, a popup,
  # a deprecated unload listener): accessibility only.
  "/demo/reporting|accessibility|no"
)
failed=0
for entry in "${pages[@]}"; do
  IFS='|' read -r path required auth <<<"$entry"
  extra=()
  [ "$auth" = yes ] && extra=(--extra-headers "{\"Cookie\": \"$cookie\"}")
  out="$workdir/report.json"
  "$bin" "$base$path" --quiet --chrome-path="$chromium" \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu" \
    --only-categories=accessibility,best-practices,seo --output=json --output-path="$out" "${extra[@]}" >/dev/null 2>&1 \
    || { echo "lighthouse failed on $path" >&2; failed=1; continue; }
  python3 - "$out" "$path" "$required" <<'PY' || failed=1
import json, sys
report, path, required = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3].split(",")
if report.get("finalDisplayedUrl", "").split("?")[0].endswith("/login") and path != "/login":
    sys.exit(f"{path}: redirected to the login page (the admin's cookie did not work)")
scores = {k: c["score"] for k, c in report["categories"].items()}
line = "  ".join(f"{k} {round((v or 0) * 100)}" for k, v in scores.items())
bad = [k for k in required if scores.get(k) != 1]
print(f"{path:20} {line}" + ("" if not bad else "   FAIL: " + ", ".join(bad)))
for k in bad:
    for ref in report["categories"][k]["auditRefs"]:
        a = report["audits"][ref["id"]]
        if ref["weight"] > 0 and a["score"] is not None and a["score"] < 1:
            print(f"    {k}: {ref['id']}: {a['title']}")
sys.exit(1 if bad else 0)
PY
done
exit $failed
