#!/usr/bin/env bash
# Checks every policy the showcase sends (HTTP and HTTPS variants) with
# Google's CSP Evaluator: no high-severity and no syntax finding allowed.
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
