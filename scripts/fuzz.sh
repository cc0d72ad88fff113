#!/usr/bin/env bash
# Runs each cargo-fuzz target for a bounded time (default 60 s each).
#   scripts/fuzz.sh [seconds]
# cargo-fuzz needs nightly-only compiler flags; on a stable toolchain
# RUSTC_BOOTSTRAP=1 enables them (this machine has no nightly).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
for target in report_parser config spool_reader policy_fingerprint \
  browser_coep browser_coop browser_integrity browser_permissions_policy browser_document_policy \
  browser_deprecation browser_intervention browser_crash browser_nel; do
  echo "== fuzzing $target for ${seconds}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048
done
