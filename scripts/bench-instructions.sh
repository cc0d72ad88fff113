#!/usr/bin/env bash
# Server CPU cost per request as instructions counted by valgrind's callgrind:
# unlike requests/s on a shared 2-core machine, the count is repeatable.
# Each stack of examples/bench_server.rs (release build) serves N1 and then
# N2 keep-alive requests in two runs; (I(N2) - I(N1)) / (N2 - N1) cancels
# start-up and shutdown, leaving the instructions one request costs.
#
#   scripts/bench-instructions.sh [N1] [N2]     # default 1000 4000
#   BENCH_STACKS="page session" scripts/bench-instructions.sh
#   BENCH_STACKS="limit limit-redis" ...   # one report per request: the collector's
#                                          # rate limit per process vs in Redis
#   BENCH_STACKS="session session-fallback" ...   # the cost of a key rotation's fallback:
#                                          # in session-fallback every request presents a
#                                          # stamp sealed with the old key (in
#                                          # security.secret_key_fallbacks): the current
#                                          # key fails to open it (AES-GCM), the fallback
#                                          # opens it, and the response seals it again.
#                                          # The difference of the two lines is that cost;
#                                          # `session` itself uses no fallback and must
#                                          # stay within 2% of the previous build
#                                          # (BENCH_BASELINE=...): the current key is
#                                          # always tried first.
#   BENCH_STACKS="reports" ...   # one report per request into the SQLite sink: the
#                                # ingestion's whole cost (endpoint, queue, writer)
#   BENCH_REPEAT=3 ...    # each stack 3 times: the minimum and the maximum
#   BENCH_BASELINE=/path/to/bench_server ...   # an earlier build's binary: each stack
#                                          # runs on it and on this build, alternately,
#                                          # and the ratio of the minimums is printed
#
# Timers and idle worker threads add instructions in proportion to wall time,
# so a loaded machine inflates a run; the minimum of several runs is the
# figure to compare.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)"; exit 1; }
n1="${1:-1000}"
n2="${2:-4000}"
cargo build --quiet --release --features redis --example bench_server
port="${BENCH_PORT:-18474}"
workdir="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$workdir"' EXIT

# Sends n GET / on one keep-alive connection (after logging in for the
# authenticated stacks) and checks every answer is 200.
cat > "$workdir/load.py" <<'PY'
import http.client, sys, time
port, n, login, report = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4] == "1"
for _ in range(600):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port); c.request("GET", "/"); c.getresponse().read(); break
    except OSError:
        time.sleep(0.1)
headers = {}
if login:
    c.request("POST", "/login"); r = c.getresponse(); r.read()
    jar = [h.split(";")[0] for k, h in r.getheaders() if k.lower() == "set-cookie"]
    headers["Cookie"] = "; ".join(jar)
body = ('{"csp-report":{"document-uri":"http://127.0.0.1/","effective-directive":"img-src",'
        '"blocked-uri":"https://cdn.example/a.png","disposition":"enforce"}}')
for _ in range(n):
    if report:
        c.request("POST", "/security/csp-report", body=body, headers={"Content-Type": "application/csp-report"})
        r = c.getresponse(); r.read()
        assert r.status == 204, r.status
    else:
        c.request("GET", "/", headers=headers); r = c.getresponse(); r.read()
        assert r.status == 200, r.status
PY

binary="$PWD/target/release/examples/bench_server"
count() {  # stack, requests[, binary] -> total instructions of the server run
  local out="$workdir/cg.$1.$2"
  local bin="${3:-$binary}"
  (cd "$workdir" && BENCH_STACK=$1 ROCKET_PORT=$port exec valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$bin" >/dev/null 2>&1) &
  server=$!
  local login=0
  case "$1" in page|session|session-fallback) login=1 ;; esac
  local report=0
  case "$1" in limit|limit-redis|reports) report=1 ;; esac
  python3 "$workdir/load.py" "$port" "$2" "$login" "$report"
  kill -INT "$server"; wait "$server" 2>/dev/null || true
  server=""
  awk '/^summary:|^totals:/ {print $2; exit}' "$out"
}

repeat="${BENCH_REPEAT:-1}"
baseline="${BENCH_BASELINE:-}"
if [ -n "$baseline" ]; then
  printf "%-16s %14s %14s %8s\n" stack "baseline" "this build" "ratio"
else
  printf "%-16s %14s %14s\n" stack "instr/request" "max of runs"
fi
for stack in ${BENCH_STACKS:-bare adhoc security nonce page session}; do
  min=""; max=""; bmin=""
  for _ in $(seq "$repeat"); do
    if [ -n "$baseline" ]; then
      a="$(count "$stack" "$n1" "$baseline")"
      b="$(count "$stack" "$n2" "$baseline")"
      v=$(( (b - a) / (n2 - n1) ))
      if [ -z "$bmin" ] || [ "$v" -lt "$bmin" ]; then bmin=$v; fi
    fi
    a="$(count "$stack" "$n1")"
    b="$(count "$stack" "$n2")"
    v=$(( (b - a) / (n2 - n1) ))
    if [ -z "$min" ] || [ "$v" -lt "$min" ]; then min=$v; fi
    if [ -z "$max" ] || [ "$v" -gt "$max" ]; then max=$v; fi
  done
  if [ -n "$baseline" ]; then
    printf "%-16s %14s %14s %8s\n" "$stack" "$bmin" "$min" "$(awk -v a="$min" -v b="$bmin" 'BEGIN { printf "%.4f", a / b }')"
  else
    printf "%-16s %14s %14s\n" "$stack" "$min" "$max"
  fi
done
