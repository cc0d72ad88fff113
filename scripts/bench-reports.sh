#!/usr/bin/env bash
# Report ingestion through the real endpoint (release build, wrk over
# loopback): sustained reports/s into SQLite and PostgreSQL, one and ten
# CSP reports per request, and `mixed`: ten per request, one CSP report and
# one of each other type (COEP, COOP, integrity, Permissions-Policy,
# Document-Policy, deprecation, intervention, crash, NEL), then reconciliation of the counters with the rows
# (every accepted report stored or dropped with a reason; 0 unaccounted).
# Last, the outage run: PostgreSQL behind a TCP proxy that is stopped for a
# while under load and started again (the endpoint's p99 while the database
# is down, and storage resuming without a restart).
#
#   scripts/bench-reports.sh [seconds] [distinct-violations]   # default 10 s, 50
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 (server; database rocket_security_bench is created)
#   BENCH_BINARY=/path/to/bench_server   # an earlier build's binary (built with --features postgres),
#                                        # e.g. to compare two commits in turn on one quiet machine
#   BENCH_OUTAGE=0                       # the throughput table only, without the outage run
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
distinct="${2:-50}"
pg_server="${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
pg_db="rocket_security_bench"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
command -v psql >/dev/null || { echo "needs psql"; exit 1; }
binary="${BENCH_BINARY:-}"
if [ -z "$binary" ]; then
  cargo build --quiet --release --features postgres --example bench_server
  binary="$PWD/target/release/examples/bench_server"
fi
port="${BENCH_PORT:-18473}"
proxy_port="${BENCH_PROXY_PORT:-18476}"
workdir="$(mktemp -d)"
server=""
proxy=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; [ -n "$proxy" ] && kill "$proxy" 2>/dev/null; rm -rf "$workdir"' EXIT

psql -q "$pg_server/postgres" -tc "SELECT 1 FROM pg_database WHERE datname = '$pg_db'" | grep -q 1 ||
  psql -q "$pg_server/postgres" -c "CREATE DATABASE $pg_db" >/dev/null

# One request: `batch` reports about `distinct` different pages. The table
# shows the measured run (after a warm-up); `unaccounted` and `dropped` cover
# the whole server run, and the stored count is checked against the sum of
# hits in the database.
for batch in 1 10; do
  cat > "$workdir/post$batch.lua" <<LUA
local n = 0
local function report(i)
  if $batch == 1 then
    return '{"csp-report":{"document-uri":"http://127.0.0.1/page/' .. i ..
      '","effective-directive":"script-src-elem","blocked-uri":"inline","line-number":3,"disposition":"enforce"}}'
  end
  return '{"type":"csp-violation","age":10,"url":"http://127.0.0.1/page/' .. i ..
    '","user_agent":"wrk","body":{"documentURL":"http://127.0.0.1/page/' .. i ..
    '","effectiveDirective":"script-src-elem","blockedURL":"inline","lineNumber":3,"disposition":"enforce","statusCode":200}}'
end
request = function()
  local parts = {}
  for _ = 1, $batch do
    n = n + 1
    parts[#parts + 1] = report(n % $distinct)
  end
  if $batch == 1 then
    return wrk.format("POST", "/security/csp-report", {["Content-Type"] = "application/csp-report", ["Host"] = "127.0.0.1"}, parts[1])
  end
  return wrk.format("POST", "/security/csp-report", {["Content-Type"] = "application/reports+json", ["Host"] = "127.0.0.1"},
    "[" .. table.concat(parts, ",") .. "]")
end
LUA
done
cat > "$workdir/postmixed.lua" <<LUA
local n = 0
local bodies = {
  {"csp-violation", '{"documentURL":"PAGE","effectiveDirective":"script-src-elem","blockedURL":"inline","lineNumber":3,"disposition":"enforce"}'},
  {"coep", '{"type":"corp","blockedURL":"https://cdn.example/lib.js","destination":"script","disposition":"reporting"}'},
  {"coop", '{"type":"navigation-to-response","disposition":"reporting","effectivePolicy":"same-origin","previousResponseURL":"https://other.example/"}'},
  {"integrity-violation", '{"documentURL":"PAGE","blockedURL":"http://127.0.0.1/static/app.js","destination":"script","reportOnly":true}'},
  {"permissions-policy-violation", '{"featureId":"geolocation","disposition":"report","sourceFile":"http://127.0.0.1/app.js","lineNumber":2,"columnNumber":5}'},
  {"document-policy-violation", '{"featureId":"oversized-images","disposition":"enforce","message":"too big"}'},
  {"deprecation", '{"id":"UnloadHandler","message":"Unload event listeners are deprecated","sourceFile":"http://127.0.0.1/app.js","lineNumber":4}'},
  {"intervention", '{"id":"NavigatorVibrate","message":"Blocked call to navigator.vibrate"}'},
  {"crash", '{"reason":"oom","is_top_level":true,"page_visibility":"visible"}'},
  {"network-error", '{"sampling_fraction":1.0,"elapsed_time":30,"phase":"dns","type":"dns.name_not_resolved","server_ip":"","protocol":"","referrer":"","method":"GET","status_code":0}'},
}
request = function()
  local parts = {}
  n = n + 1
  local page = "http://127.0.0.1/page/" .. (n % $distinct)
  for _, b in ipairs(bodies) do
    parts[#parts + 1] = '{"type":"' .. b[1] .. '","age":10,"url":"' .. page .. '","user_agent":"wrk","body":' ..
      string.gsub(b[2], "PAGE", page) .. '}'
  end
  return wrk.format("POST", "/security/csp-report", {["Content-Type"] = "application/reports+json", ["Host"] = "127.0.0.1"},
    "[" .. table.concat(parts, ",") .. "]")
end
LUA

start() {  # database URL
  (cd "$workdir" && BENCH_STACK=reports BENCH_DB="$1" ROCKET_PORT=$port \
    exec "$binary" >"$workdir/server.log" 2>&1) &
  server=$!
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.05; done
}

stop() {
  kill "$server"; wait "$server" 2>/dev/null || true
  server=""
}

stats() {
  curl -s "http://127.0.0.1:$port/security/reports/api" | python3 -c '
import json, sys
s = json.load(sys.stdin)["stats"]
after = sum(v for k, v in s["dropped"].items() if k in ("queue_full", "database_unavailable", "database_error", "shutting_down", "spool_full", "spool_corrupt"))
print(s["received"], s["accepted"], s["stored"], after, s["queued"], json.dumps(s["dropped"], separators=(",", ":")),
      s["spooled"], s["spool_bytes"], s["recovered"])'
}

hits_sql="select (select coalesce(sum(hits),0) from security_csp_violations) + (select coalesce(sum(hits),0) from security_browser_reports)"
db_hits() {  # backend -> the sum of hits stored (CSP and every other type)
  case "$1" in
    sqlite) python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$workdir/reports.db" "$hits_sql" ;;
    postgres) psql -qtA "$pg_server/$pg_db" -c "$hits_sql" ;;
  esac
}
truncate_sql="TRUNCATE security_csp_reports, security_csp_violations, security_csp_hourly, security_browser_samples, security_browser_reports, security_browser_days"

settle() {  # waits until the queue and the spool are empty (at most 30 s)
  for _ in $(seq 300); do
    read -r _ _ _ _ queued _ spooled _ <<<"$(stats)"
    [ "$queued" = 0 ] && [ "$spooled" = 0 ] && return
    sleep 0.1
  done
}

printf "%-9s %6s %10s %12s %9s %10s %10s %12s  %s\n" backend batch "req/s" "reports/s" p99 accepted stored unaccounted "dropped"
for backend in ${BENCH_BACKENDS-sqlite postgres}; do
  for batch in 1 10 mixed; do
    case "$backend" in
      sqlite) rm -f "$workdir"/reports.db*; url="sqlite://$workdir/reports.db" ;;
      postgres) url="$pg_server/$pg_db" ;;
    esac
    start "$url"
    [ "$backend" = postgres ] && psql -q "$url" -c "$truncate_sql" >/dev/null
    # Warm-up at low load: creates the violations and fills their samples
    # (the per-key path, several statements each); then the measured run.
    wrk -t1 -c2 -d3s -s "$workdir/post$batch.lua" "http://127.0.0.1:$port/" >/dev/null
    settle
    read -r _ accepted0 stored0 _ _ _ <<<"$(stats)"
    out="$(wrk -t1 -c32 -d"${seconds}s" --latency -s "$workdir/post$batch.lua" "http://127.0.0.1:$port/")"
    settle
    read -r received accepted stored after queued dropped spooled _ <<<"$(stats)"
    hits="$(db_hits "$backend")"
    stop
    [ "$hits" = "$stored" ] || echo "MISMATCH: $stored counted as stored, $hits hits in the database" >&2
    rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
    per_s="$(awk -v a="$((accepted - accepted0))" -v s="$seconds" 'BEGIN {printf "%.0f", a/s}')"
    printf "%-9s %6s %10s %12s %9s %10s %10s %12s  %s\n" "$backend" "$batch" "$rps" "$per_s" "$p99" \
      "$((accepted - accepted0))" "$((stored - stored0))" "$((accepted - stored - after - queued - spooled))" "$dropped"
  done
done

[ "${BENCH_OUTAGE:-1}" = 0 ] && exit 0
echo
echo "== outage: PostgreSQL behind a TCP proxy, stopped under load, then started again"
cat > "$workdir/proxy.py" <<'PY'
import asyncio, sys
listen, target = int(sys.argv[1]), int(sys.argv[2])
async def pipe(r, w):
    try:
        while data := await r.read(65536):
            w.write(data); await w.drain()
    except Exception:
        pass
    finally:
        w.close()
async def handle(cr, cw):
    try:
        sr, sw = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        cw.close(); return
    await asyncio.gather(pipe(cr, sw), pipe(sr, cw))
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen, reuse_address=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
PY
pg_port="$(sed -E 's#.*:([0-9]+)$#\1#' <<<"$pg_server")"
start_proxy() {
  python3 "$workdir/proxy.py" "$proxy_port" "$pg_port" &
  proxy=$!
  sleep 0.3
}
start_proxy
url="postgres://postgres@127.0.0.1:$proxy_port/$pg_db"
start "$url"
psql -q "$pg_server/$pg_db" -c "$truncate_sql" >/dev/null
wrk -t1 -c2 -d3s -s "$workdir/post1.lua" "http://127.0.0.1:$port/" >/dev/null   # warm-up, as above
wrk -t1 -c32 -d5s -s "$workdir/post1.lua" "http://127.0.0.1:$port/" >/dev/null
settle
read -r _ accepted_up stored_up _ _ _ <<<"$(stats)"
kill "$proxy"; wait "$proxy" 2>/dev/null || true; proxy=""
# The spool's size is sampled every 0.2 s while the database is away.
(while sleep 0.2; do read -r _ _ _ _ _ _ sp sb _ <<<"$(stats 2>/dev/null)"; echo "$sp $sb"; done >"$workdir/spool.samples" 2>/dev/null) &
sampler=$!
down="$(wrk -t1 -c32 -d"${seconds}s" --latency -s "$workdir/post1.lua" "http://127.0.0.1:$port/")"
page="$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$port/")"
kill "$sampler"; wait "$sampler" 2>/dev/null || true
read -r _ accepted_down stored_down _ _ dropped_down spooled_down bytes_down _ <<<"$(stats)"
peak="$(sort -n "$workdir/spool.samples" | tail -1)"
start_proxy
t0="$(date +%s.%N)"
drained=""
for _ in $(seq 1200); do
  read -r _ _ _ _ _ _ sp _ <<<"$(stats)"
  if [ "$sp" = 0 ]; then drained="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f s", b-a}')"; break; fi
  sleep 0.1
done
wrk -t1 -c32 -d5s -s "$workdir/post1.lua" "http://127.0.0.1:$port/" >/dev/null
settle
read -r received accepted stored after queued dropped spooled _ recovered <<<"$(stats)"
hits="$(db_hits postgres)"
stop
non2xx="$(awk '/Non-2xx/ {print $NF}' <<<"$down")"; non2xx="${non2xx:-0}"
echo "database up (warm-up + 5 s): accepted $accepted_up, stored $stored_up"
echo "database down (${seconds} s): $(awk '/Requests\/sec/ {print $2}' <<<"$down") req/s, p50 $(awk '$1=="50%" {print $2}' <<<"$down"), p99 $(awk '$1=="99%" {print $2}' <<<"$down"), non-2xx: $non2xx; GET / meanwhile: $page s"
echo "                     accepted $((accepted_down - accepted_up)), stored $((stored_down - stored_up)), spooled $spooled_down ($bytes_down bytes), dropped so far $dropped_down"
echo "spool peak (reports, bytes): $peak; drained ${drained:-not within 120 s} after the database came back"
echo "database back (5 s): accepted $((accepted - accepted_down)), stored $((stored - stored_down))"
echo "in all: received $received, accepted $accepted, stored $stored (hits in the database: $hits), dropped $dropped, queued $queued, spooled $spooled, unaccounted $((accepted + recovered - stored - after - queued - spooled))"
