#!/usr/bin/env bash
# CSP report ingestion through the real endpoint into SQLite (release build,
# wrk over loopback): sustained reports/s, then reconciliation of the counters
# (every accepted report stored or dropped with a reason).
#   scripts/bench-reports.sh [seconds] [distinct-violations]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
distinct="${2:-50}"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
cargo build --quiet --release --example bench_server
port="${BENCH_PORT:-18473}"
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
cat > "$workdir/post.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  local body = '{"csp-report":{"document-uri":"http://127.0.0.1/page/' .. (n % $distinct) ..
    '","effective-directive":"script-src-elem","blocked-uri":"inline","line-number":3,"disposition":"enforce"}}'
  return wrk.format("POST", "/security/csp-report", {["Content-Type"] = "application/csp-report", ["Host"] = "127.0.0.1"}, body)
end
LUA
(cd "$workdir" && BENCH_STACK=reports BENCH_DB="sqlite://$workdir/reports.db" ROCKET_PORT=$port \
  exec "$OLDPWD/target/release/examples/bench_server" >/dev/null 2>&1) &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$workdir"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.05; done
wrk -t1 -c32 -d"${seconds}s" --latency -s "$workdir/post.lua" "http://127.0.0.1:$port/" | grep -E "Requests/sec|99%|Non-2xx"
sleep 1
curl -fs "http://127.0.0.1:$port/security/reports/api" | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = d["stats"]
dropped_after = sum(v for k, v in s["dropped"].items() if k in ("queue_full", "database_unavailable", "database_error", "shutting_down"))
hits = sum(v["hits"] for v in d["violations"])
print("received", s["received"], "accepted", s["accepted"], "stored", s["stored"], "dropped", s["dropped"], "queued", s["queued"])
print("hits in the database:", hits, "over", len(d["violations"]), "violations")
print("unaccounted:", s["accepted"] - s["stored"] - dropped_after - s["queued"])
'
