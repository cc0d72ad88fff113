#!/usr/bin/env bash
# CSP report ingestion by a cluster: three showcase instances (release build)
# behind Debian's HAProxy (round robin, keep-alive), sharing one PostgreSQL
# database and a redis-server of the script's own, loaded with wrk through the
# balancer, one and ten reports per request. Every request pays the shared
# rate limit (one GCRA script in Redis; the limit is set high enough never to
# refuse) and the cluster totals are reconciled afterwards: accepted = stored
# + lost (by reason), and the database's hits equal the stored count.
#
#   scripts/bench-cluster.sh [seconds]     # default 10 s per batch size
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 (server; database rocket_security_cluster_bench is created)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
pg_server="${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
pg_db="rocket_security_cluster_bench"
for tool in wrk haproxy redis-server redis-cli psql; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install wrk haproxy redis-server postgresql-client)"; exit 1; }
done
cargo build --quiet --release --all-features --example showcase
base="${BENCH_PORT:-18480}"
redis_port=$base lb=$((base + 1)) ports=($((base + 2)) $((base + 3)) $((base + 4)))
workdir="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
pids+=($!)
psql -q "$pg_server/postgres" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
psql -q "$pg_server/postgres" -c "CREATE DATABASE $pg_db" >/dev/null
secret="$(openssl rand -base64 64 | tr -d '\n')"

wait_port() {
  for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.05; done
  echo "nothing listens on $1" >&2
  exit 1
}

# The first instance runs the migrations alone; then the two others start.
for i in 0 1 2; do
  (cd "$workdir" && ROCKET_PORT=${ports[$i]} ROCKET_LOG_LEVEL=critical ROCKET_SECRET_KEY="$secret" \
    ROCKET_DATABASES="{security={url=\"$pg_server/$pg_db\",migrate=true},security_cache={url=\"redis://127.0.0.1:$redis_port\"}}" \
    ROCKET_SECURITY='{https={trusted_proxies=["127.0.0.2"]},reports={log=false,rate_limit_per_minute=100000000,cluster="bench",spool_dir="spool-'"$i"'"}}' \
    exec "$OLDPWD/target/release/examples/showcase" >"$workdir/instance$i.log" 2>&1) &
  pids+=($!)
  wait_port "${ports[$i]}"
done
cat >"$workdir/haproxy.cfg" <<CFG
global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option forwardfor
frontend lb
  bind 127.0.0.1:$lb
  default_backend showcase
backend showcase
  balance roundrobin
  server a 127.0.0.1:${ports[0]} source 127.0.0.2
  server b 127.0.0.1:${ports[1]} source 127.0.0.2
  server c 127.0.0.1:${ports[2]} source 127.0.0.2
CFG
haproxy -db -f "$workdir/haproxy.cfg" >/dev/null 2>&1 &
pids+=($!)
wait_port "$lb"

for batch in 1 10; do
  cat >"$workdir/post$batch.lua" <<LUA
local n = 0
request = function()
  local parts = {}
  for _ = 1, $batch do
    n = n + 1
    local i = n % 50
    parts[#parts + 1] = '{"type":"csp-violation","age":10,"url":"http://127.0.0.1/page/' .. i ..
      '","body":{"documentURL":"http://127.0.0.1/page/' .. i ..
      '","effectiveDirective":"script-src-elem","blockedURL":"inline","lineNumber":3,"disposition":"enforce"}}'
  end
  return wrk.format("POST", "/security/csp-report", {["Content-Type"] = "application/reports+json", ["Host"] = "127.0.0.1"},
    "[" .. table.concat(parts, ",") .. "]")
end
LUA
done

totals() {  # received accepted stored lost dropped-json, summed over the instances (Redis)
  redis-cli -p "$redis_port" --raw HGETALL rocket_security:reports:totals:bench | python3 -c '
import json, sys
lines = sys.stdin.read().split()
t = {k: int(v) for k, v in zip(lines[::2], lines[1::2])}
lost = sum(v for k, v in t.items() if k in ("dropped:queue_full", "dropped:database_unavailable", "dropped:database_error", "dropped:shutting_down", "dropped:spool_full", "dropped:spool_corrupt"))
dropped = {k[8:]: v for k, v in t.items() if k.startswith("dropped:")}
print(t.get("received", 0), t.get("accepted", 0), t.get("stored", 0), lost, json.dumps(dropped, separators=(",", ":")))'
}

hits() { psql -qtA "$pg_server/$pg_db" -c "select coalesce(sum(hits),0) from security_csp_violations"; }

settle() {  # until every accepted report is stored or counted lost (totals are published every second)
  for _ in $(seq 300); do
    read -r _ a s l _ <<<"$(totals)"
    [ "$a" = "$((s + l))" ] && return
    sleep 0.1
  done
  echo "the cluster totals never settled" >&2
}

printf "%6s %10s %12s %9s %10s %10s %8s %12s %12s  %s\n" batch "req/s" "reports/s" p99 accepted stored lost unaccounted "db hits" dropped
for batch in 1 10; do
  # Warm-up at low load (creates the violations and their samples), then the measured run.
  wrk -t1 -c2 -d3s -s "$workdir/post$batch.lua" "http://127.0.0.1:$lb/" >/dev/null
  settle
  read -r _ a0 s0 l0 _ <<<"$(totals)"
  h0="$(hits)"
  out="$(wrk -t2 -c48 -d"${seconds}s" --latency -s "$workdir/post$batch.lua" "http://127.0.0.1:$lb/")"
  settle
  read -r _ a1 s1 l1 dropped <<<"$(totals)"
  h1="$(hits)"
  accepted=$((a1 - a0)) stored=$((s1 - s0)) lost=$((l1 - l0)) db=$((h1 - h0))
  [ "$db" = "$stored" ] || echo "MISMATCH: $stored counted as stored, $db hits added in the database" >&2
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
  [ -z "$non2xx" ] || echo "non-2xx answers: $non2xx" >&2
  per_s="$(awk -v a="$accepted" -v s="$seconds" 'BEGIN {printf "%.0f", a/s}')"
  printf "%6s %10s %12s %9s %10s %10s %8s %12s %12s  %s\n" "$batch" "$rps" "$per_s" "$p99" "$accepted" "$stored" \
    "$lost" "$((accepted - stored - lost))" "$db" "$dropped"
done
