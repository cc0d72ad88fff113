#!/usr/bin/env bash
# HTTP throughput of the response path, side by side in one run on one
# machine (release build, wrk over loopback, bounded duration).
#
#   scripts/bench.sh [seconds]       # every stack, default 10 s each
#   scripts/bench.sh rss [requests]  # server RSS while serving 1M (default) requests
#   BENCH_STACKS="page session" scripts/bench.sh 10   # only some stacks
#
# Columns: requests/s, wrk's p50/p99 latency, the server's CPU time (user +
# system, from /proc) per request, and the ratio to the stack's baseline:
# the hand-written AdHoc fairing with the same headers for `security` and
# `nonce`; the same authenticated page without session expiry and
# LoginRequired (`page`) for `session`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
cargo build --quiet --release --example bench_server
port="${BENCH_PORT:-18472}"
workdir="$(mktemp -d)"   # no Rocket.toml: every stack gets its defaults
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$workdir"' EXIT
ticks="$(getconf CLK_TCK)"

start() {
  (cd "$workdir" && BENCH_STACK=$1 ROCKET_PORT=$port exec "$OLDPWD/target/release/examples/bench_server" >/dev/null 2>&1) &
  server=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
  cookie=()
  if [ "$1" = page ] || [ "$1" = session ]; then
    # Log in once; wrk replays the cookies (login cookie, and the session stamp).
    local jar
    jar="$(curl -fs -D - -o /dev/null -X POST "http://127.0.0.1:$port/login" |
      sed -nE 's/^[Ss]et-[Cc]ookie: ([^;]*).*/\1/p' | tr -d '\r' | paste -sd ';' - | sed 's/;/; /g')"
    cookie=(-H "Cookie: $jar")
    local body
    body="$(curl -fs "${cookie[@]}" "http://127.0.0.1:$port/")"
    [ "$body" = "hello bench" ] || { echo "$1: the logged-in page answered: $body" >&2; exit 1; }
  fi
}

stop() {
  kill "$server"; wait "$server" 2>/dev/null || true
  server=""
}

cpu() {  # utime + stime of the server, in clock ticks
  awk '{print $14 + $15}' "/proc/$server/stat"
}

rss() {  # resident set size of the server, KiB
  awk '/^VmRSS/ {print $2}' "/proc/$server/status"
}

if [ "${1:-}" = rss ]; then
  total="${2:-1000000}"
  printf "%-10s %12s %10s\n" stack requests "RSS (KiB)"
  for stack in nonce session; do
    start "$stack"
    wrk -t1 -c32 -d2s "${cookie[@]}" "http://127.0.0.1:$port/" >/dev/null   # warm up
    done_requests=0
    printf "%-10s %12s %10s\n" "$stack" "warm-up" "$(rss)"
    while [ "$done_requests" -lt "$total" ]; do
      out="$(wrk -t1 -c32 -d4s "${cookie[@]}" "http://127.0.0.1:$port/")"
      done_requests=$((done_requests + $(awk '/requests in/ {print $1}' <<<"$out")))
      printf "%-10s %12s %10s\n" "$stack" "$done_requests" "$(rss)"
    done
    stop
  done
  exit 0
fi

seconds="${1:-10}"
printf "%-10s %10s %9s %9s %12s %8s\n" stack "req/s" "p50" "p99" "cpu µs/req" ratio
declare -A rate
for stack in ${BENCH_STACKS:-bare shield adhoc security nonce page session}; do
  start "$stack"
  wrk -t1 -c32 -d2s "${cookie[@]}" "http://127.0.0.1:$port/" >/dev/null   # warm up
  before="$(cpu)"
  out="$(wrk -t1 -c32 -d"${seconds}s" --latency "${cookie[@]}" "http://127.0.0.1:$port/")"
  after="$(cpu)"
  stop
  if grep -q "Non-2xx" <<<"$out"; then echo "$stack: non-2xx answers" >&2; grep "Non-2xx" <<<"$out" >&2; exit 1; fi
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  requests="$(awk '/requests in/ {print $1}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  cpu_us="$(awk -v c=$((after - before)) -v t="$ticks" -v n="$requests" 'BEGIN {printf "%.2f", c / t * 1e6 / n}')"
  rate[$stack]="$rps"
  case "$stack" in
    security | nonce) base="${rate[adhoc]}" ;;
    session) base="${rate[page]}" ;;
    *) base="" ;;
  esac
  ratio="-"
  if [ -n "$base" ]; then ratio="$(awk -v a="$rps" -v b="$base" 'BEGIN {printf "%.3f", a/b}')"; fi
  printf "%-10s %10s %9s %9s %12s %8s\n" "$stack" "$rps" "$p50" "$p99" "$cpu_us" "$ratio"
done
echo "(ratio: security and nonce against adhoc, the hand-written fairing with the same headers;"
echo " session against page, the same authenticated page without session expiry and LoginRequired)"
