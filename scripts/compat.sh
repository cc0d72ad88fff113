#!/usr/bin/env bash
# Does the crate fit into other people's dependency trees? (issue 30)
#
#   scripts/compat.sh                    minimal-versions, resolve and package
#   scripts/compat.sh minimal-versions   every direct dependency at its declared minimum
#   scripts/compat.sh resolve            the apps in tests/resolve: fresh lockfiles, built
#   scripts/compat.sh package            cargo package's file list, cargo publish --dry-run
#   scripts/compat.sh cost               clean-build cost of a hello-world app (not in CI)
#
# Stable toolchain only: `cargo update -Z direct-minimal-versions` runs with
# RUSTC_BOOTSTRAP=1. Needs the crates.io registry and nothing else. Build
# output goes under ${CARGO_TARGET_DIR:-target}/compat/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out="${CARGO_TARGET_DIR:-$root/target}/compat"
mkdir -p "$out"
# Debug info is the slowest part of these builds and nothing here reads it.
export CARGO_PROFILE_DEV_DEBUG=0

# A copy of the crate's sources (no target, no .git, no app builds).
copy_crate() {
  rm -rf "$1"
  mkdir -p "$1"
  tar -C "$root" -cf - --exclude=./target --exclude=./.git --exclude=./fuzz \
    --exclude='./tests/resolve/*/target' --exclude='./tests/resolve/*/Cargo.lock' . | tar -C "$1" -xf -
}

# The declared minimum of every direct dependency (normal and dev) resolves and
# builds: a minimum that is only a guess fails here, not in a user's lockfile.
minimal_versions() {
  local src="$out/minimal-versions-src"
  copy_crate "$src"
  (
    cd "$src"
    RUSTC_BOOTSTRAP=1 cargo update --quiet -Z direct-minimal-versions
    CARGO_TARGET_DIR="$out/minimal-versions" cargo check --locked --quiet --all-features --lib
    # The versions checked, for the log.
    cargo tree --locked --all-features -e normal --depth 1 --prefix none | sort -u | tr '\n' ' '
    echo
  )
}

# Each app in tests/resolve is what a real application would write: the crate
# beside another library that links SQLite, beside diesel 2.4, or alone with no
# feature (run too: what it refuses without a database). Fresh
# lockfiles (today's newest versions), one shared target directory.
resolve() {
  local app
  for app in "$root"/tests/resolve/*/; do
    app=${app%/}
    echo "-- ${app#"$root"/}"
    rm -f "$app/Cargo.lock"
    (
      cd "$app"
      cargo fmt --check
      cargo generate-lockfile --quiet
      CARGO_TARGET_DIR="$out/resolve" cargo build --locked --quiet
      # The app without a database feature also checks what it refuses.
      if [ "$(basename "$app")" = zero-config ]; then
        CARGO_TARGET_DIR="$out/resolve" cargo run --locked --quiet
      fi
    )
  done
}

# What crates.io would get: the library, its migrations, README and examples;
# no tests, scripts, fuzz crate or build output (the `exclude` list). Then the
# packaged crate builds on its own, with no feature, as a dependency would.
package() {
  local list crate
  list=$(cargo package --list --allow-dirty --quiet)
  if grep -E '^(target|fuzz|tests|benches|scripts|\.ci)/' <<<"$list"; then
    echo "cargo package would ship the files above" >&2
    return 1
  fi
  grep -q '^migrations/sqlite/.*/up.sql$' <<<"$list" || {
    echo "cargo package would leave out the migrations" >&2
    return 1
  }
  # The resolve apps' directory: the same rocket and friends, already built.
  CARGO_TARGET_DIR="$out/resolve" cargo publish --dry-run --allow-dirty --quiet
  crate=$(find "$out/resolve/package" -name 'rocket_security-*.crate' | head -1)
  echo "$(wc -l <<<"$list") files, $(stat -c %s "$crate") bytes: $crate"
}

# Clean debug build of a hello-world Rocket app without the crate, with it at
# zero config, and with `sqlite`: wall time, crates compiled, binary size.
cost() {
  local variant dir log start
  for variant in none zero-config sqlite; do
    dir="$out/cost-$variant"
    rm -rf "$dir"
    mkdir -p "$dir/src"
    {
      printf '[package]\nname = "hello"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[workspace]\n\n[dependencies]\nrocket = "0.5.2"\n'
      case $variant in
        zero-config) printf 'rocket_security = { path = "%s" }\n' "$root" ;;
        sqlite) printf 'rocket_security = { path = "%s", features = ["sqlite"] }\n' "$root" ;;
      esac
    } >"$dir/Cargo.toml"
    {
      printf '#[rocket::get("/")]\nfn index() -> &%sstatic str {\n    "hello"\n}\n\n' "'"
      printf '#[rocket::launch]\nfn rocket() -> _ {\n    rocket::build()'
      [ "$variant" = none ] || printf '.attach(rocket_security::Security::fairing())'
      printf '.mount("/", rocket::routes![index])\n}\n'
    } >"$dir/src/main.rs"
    (
      cd "$dir"
      cargo generate-lockfile --quiet
      cargo fetch --quiet
      log="$dir/build.log"
      # The app's own defaults here: debug info on, as in a developer's build.
      start=$SECONDS
      env -u CARGO_PROFILE_DEV_DEBUG CARGO_TARGET_DIR="$dir/target" cargo build --locked --offline >"$log" 2>&1
      printf '%-12s %4d s  %4d crates compiled  binary %s bytes\n' "$variant" "$((SECONDS - start))" \
        "$(grep -c '^ *Compiling ' "$log")" "$(stat -c %s "$dir/target/debug/hello")"
    )
  done
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(minimal-versions resolve package)
for step in "${steps[@]}"; do
  echo "== compat: $step"
  start=$SECONDS
  case $step in
    minimal-versions) minimal_versions ;;
    resolve) resolve ;;
    package) package ;;
    cost) cost ;;
    *)
      echo "unknown step: $step (minimal-versions, resolve, package, cost)" >&2
      exit 2
      ;;
  esac
  echo "   $step: $((SECONDS - start)) s"
done
