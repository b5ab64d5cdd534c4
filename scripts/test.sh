#!/usr/bin/env bash
# The full check run by CI (.ci/run) and by developers before pushing:
# dependencies, formatting, lints, all tests. Fails on the first problem.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

section() {
    printf '\n==== %s ====\n' "$*"
}

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

section "all checks passed"
