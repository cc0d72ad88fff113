#!/usr/bin/env bash
# HTTP throughput of the response path, side by side in one run on one
# machine (release build, wrk over loopback, bounded duration).
#   scripts/bench.sh [seconds]        # default 10 s per stack
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
cargo build --quiet --release --example bench_server
port="${BENCH_PORT:-18472}"
workdir="$(mktemp -d)"   # no Rocket.toml: every stack gets its defaults
trap 'rm -rf "$workdir"' EXIT
printf "%-10s %12s %10s %10s %8s\n" stack "req/s" "p50" "p99" ratio
floor=""
for stack in bare shield adhoc security nonce; do
  (cd "$workdir" && BENCH_STACK=$stack ROCKET_PORT=$port exec "$OLDPWD/target/release/examples/bench_server" >/dev/null 2>&1) &
  server=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.05; done
  wrk -t1 -c32 -d2s "http://127.0.0.1:$port/" >/dev/null   # warm up
  out="$(wrk -t1 -c32 -d"${seconds}s" --latency "http://127.0.0.1:$port/")"
  kill "$server"; wait "$server" 2>/dev/null || true
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  [ "$stack" = adhoc ] && floor="$rps"
  ratio="-"
  if [ -n "$floor" ]; then ratio="$(awk -v a="$rps" -v b="$floor" 'BEGIN {printf "%.3f", a/b}')"; fi
  printf "%-10s %12s %10s %10s %8s\n" "$stack" "$rps" "$p50" "$p99" "$ratio"
done
echo "(ratio: requests/s relative to the hand-written AdHoc fairing with the same headers)"
