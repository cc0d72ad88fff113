#!/usr/bin/env bash
# Checks every policy the showcase sends (HTTP and HTTPS variants) with
# Google's CSP Evaluator: no high-severity and no syntax finding allowed.
# Then the gate on the policy wizard: a fixed set of report-only reports
# goes to the showcase, and the policy the wizard proposes may add no
# high-severity or syntax finding to the one the reports were sent under.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="${TMPDIR:-/tmp}/rocket_security-csp-evaluator"
mkdir -p "$tools"
[ -d "$tools/node_modules/csp_evaluator" ] || (cd "$tools" && npm install --silent --no-audit --no-fund csp_evaluator@1 >/dev/null)

cargo build --quiet --all-features --example showcase
port="${CSP_EVALUATOR_PORT:-18471}"
workdir="$(mktemp -d)"
cp Rocket.toml "$workdir/"
# HTTPS variants come from a trusted proxy header, so no certificate is needed.
(cd "$workdir" && ROCKET_PORT="$port" ROCKET_LOG_LEVEL=off \
  ROCKET_SECURITY='{https={trusted_proxies=["127.0.0.1"]}}' \
  exec "$OLDPWD/target/debug/examples/showcase") &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$workdir"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done

policies=()
for path in / /account /embed /privacy /demo/violations; do
  for proto in http https; do
    while IFS= read -r line; do policies+=("$line"); done < <(
      curl -fs -D - -o /dev/null -H "X-Forwarded-Proto: $proto" "http://127.0.0.1:$port$path" |
        grep -i '^content-security-policy' | cut -d' ' -f2- | tr -d '\r')
  done
done
mapfile -t unique < <(printf '%s\n' "${policies[@]}" | sort -u)
echo "${#unique[@]} distinct policies"
NODE_PATH="$tools/node_modules" node scripts/csp-evaluate.js "${unique[@]}"

# The wizard gate.
base="http://127.0.0.1:$port"
ro="$(curl -fs -D - -o /dev/null "$base/" | grep -i '^content-security-policy-report-only' | cut -d' ' -f2- | tr -d '\r')"
[ -n "$ro" ] || { echo "the showcase sends no report-only policy" >&2; exit 1; }
report() { # directive blocked sample
  node -e 'const [d, b, s, p, doc] = process.argv.slice(1); console.log(JSON.stringify({"csp-report": {
    "document-uri": doc, "referrer": "", "violated-directive": d, "effective-directive": d, "original-policy": p,
    "disposition": "report", "blocked-uri": b, "status-code": 200, "script-sample": s}}))' "$1" "$2" "$3" "$ro" "$base/" |
    curl -fs -o /dev/null -H 'Content-Type: application/csp-report' -H "X-Forwarded-For: $client" \
      --data-binary @- "$base/security/csp-report"
}
# Two clients for each (the wizard holds back a source only one client reported).
for client in 203.0.113.1 203.0.113.2; do
report img-src https://images.example.com/a.png ''
report script-src-elem https://cdn.example.com/lib.js ''
report connect-src https://api.example.com/v1 ''
report font-src https://fonts.example.com/a.woff2 ''
report script-src-elem inline 'console.log(1)'
report script-src eval ''
report style-src-elem inline ''
report script-src-elem data: ''
done
jar="$workdir/cookies"
curl -fs -o /dev/null -c "$jar" -b "$jar" --data 'username=admin&password=admin-pass' "$base/login"
wizard="$workdir/wizard.json"
for _ in $(seq 100); do
  curl -fs -b "$jar" "$base/security/reports/wizard.json" -o "$wizard" &&
    node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1])).proposed_policy ? 0 : 1)' "$wizard" && break
  sleep 0.1
done
mapfile -t pair < <(node -e 'const w = JSON.parse(require("fs").readFileSync(process.argv[1]));
  console.log(w.policy_seen || ""); console.log(w.proposed_policy || ""); console.error(w.snippet)' "$wizard")
[ -n "${pair[1]:-}" ] || { echo "the wizard proposed nothing:" >&2; cat "$wizard" >&2; exit 1; }
NODE_PATH="$tools/node_modules" node scripts/csp-evaluate.js --compare "${pair[0]}" "${pair[1]}"
