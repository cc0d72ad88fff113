#!/usr/bin/env bash
# The whole test suite, the README's one test command: on a fresh machine of
# this kind it installs what the suites need (Debian's chromium,
# chromium-driver and haproxy; rustup's rustfmt and clippy), uses the local
# PostgreSQL and MariaDB when they answer (.ci/run requires them), then runs
# the layering check, every test, the CSP Evaluator, MDN Observatory and
# Lighthouse gates, the no-database build, the dependency checks
# (scripts/compat.sh), the docs, fmt and clippy.
#
#   scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^${component}" || rustup component add "${component}"
done

# tests/browser drives Debian's headless Chromium; the cookie tests put
# Debian's HAProxy in front of the app as the TLS-terminating proxy, and
# tests/cluster puts it in front of three showcase instances.
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v haproxy >/dev/null || need+=(haproxy)
# The Redis outage tests (and tests/cluster) run redis-servers of their own.
command -v redis-server >/dev/null || need+=(redis-server)
# tests/resolve's diesel 2.4 app links libpq, as an application on diesel's `postgres` does.
command -v pg_config >/dev/null || need+=(libpq-dev)
if ((${#need[@]})); then
  echo "== installing ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
unset SECURITY_TEST_SKIP_BROWSER

# The local database servers, when they answer (a backend whose URL is set must work).
answers() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
if [ -z "${SECURITY_TEST_POSTGRES_URL:-}" ] && answers 5432; then
  export SECURITY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/test"
fi
if [ -z "${SECURITY_TEST_MYSQL_URL:-}" ] && answers 3306; then
  export SECURITY_TEST_MYSQL_URL="mysql://root@127.0.0.1:3306/test"
fi
if [ -z "${SECURITY_TEST_REDIS_URL:-}" ] && answers 6379; then
  export SECURITY_TEST_REDIS_URL="redis://127.0.0.1:6379"
fi
echo "== backends: sqlite${SECURITY_TEST_POSTGRES_URL:+, postgres}${SECURITY_TEST_MYSQL_URL:+, mariadb}${SECURITY_TEST_REDIS_URL:+, redis}"

# tests/faults holds 10,000 sockets open at once.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Each step's header names the seconds since the start: where a run's time went.
step() { echo "== [${SECONDS} s] $*"; }

step "layers (the core knows no feature, no import cycles)"
./scripts/check-layers.sh

step "tests"
cargo test --all-features

step "CSP Evaluator on every policy the showcase sends"
./scripts/csp-evaluator.sh

step "MDN HTTP Observatory on the showcase served over TLS (A+ required)"
./scripts/observatory.sh

step "Lighthouse: accessibility and best practices 100 on every showcase page, SEO 100 on / and /login"
./scripts/lighthouse.sh

step "build without any database backend"
cargo check --quiet --no-default-features --lib

step "dependencies: minimal versions; beside sqlx, rusqlite, rocket_sync_db_pools and diesel 2.4; cargo publish --dry-run"
./scripts/compat.sh

step "docs (every public item documented, links resolve)"
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps --all-features

step "fmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --all-targets --all-features -- -D warnings

echo "== done in ${SECONDS} s"
