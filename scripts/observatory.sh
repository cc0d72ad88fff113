#!/usr/bin/env bash
# Serves the showcase over TLS (a throwaway self-signed certificate) and
# grades `/` with the MDN HTTP Observatory's own tests and grader.
# Fails unless the grade is A+. Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
tools="${TMPDIR:-/tmp}/rocket_security-observatory"
pkg="$tools/node_modules/@mdn/mdn-http-observatory"
mkdir -p "$tools"
if [ ! -d "$pkg" ]; then
  # --ignore-scripts: its install scripts download a CA bundle and the HSTS
  # preload list from the internet. Neither is needed for a local host: the
  # certificate is trusted through NODE_EXTRA_CA_CERTS below, and localhost
  # is on no preload list.
  (cd "$tools" && npm install --silent --no-audit --no-fund --ignore-scripts @mdn/mdn-http-observatory@1 >/dev/null)
fi
[ -f "$pkg/conf/hsts-preload.json" ] || echo '{}' > "$pkg/conf/hsts-preload.json"

cargo build --quiet --all-features --example showcase
port="${OBSERVATORY_PORT:-18443}"
closed_port="${OBSERVATORY_HTTP_PORT:-18080}"   # nothing listens: an HTTPS-only site
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "port $port is in use: set OBSERVATORY_PORT" >&2; exit 1
fi
workdir="$(mktemp -d)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -keyout "$workdir/key.pem" -out "$workdir/cert.pem" -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
(cd "$workdir" && ROCKET_PORT="$port" ROCKET_LOG_LEVEL=off \
  ROCKET_TLS='{certs="cert.pem",key="key.pem"}' exec "$root/target/debug/examples/showcase" >/dev/null) &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$workdir"' EXIT
for _ in $(seq 100); do curl -fsk "https://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
kill -0 $server 2>/dev/null || { echo "the showcase did not start" >&2; exit 1; }

NODE_EXTRA_CA_CERTS="$workdir/cert.pem" node scripts/observatory.mjs "$pkg" localhost "$port" "$closed_port" A+
