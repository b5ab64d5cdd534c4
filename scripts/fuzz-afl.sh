#!/usr/bin/env bash
# Coverage-guided fuzzing of dddc's whole pipeline with AFL++ through
# cargo-afl, on stable Rust (issue 14). The target is tools/afl (one model,
# or two separated by a line `=====`, built from nothing and then against
# the first one's lock); the seeds are the test models and the history
# example's steps, single and in pairs. The proptest generator in
# tests/fuzz_pipeline.rs stays the bounded run in CI; this one is run by
# hand, for as long as it is given:
#
#   scripts/fuzz-afl.sh              # 31 minutes
#   DURATION=7200 scripts/fuzz-afl.sh
#   TARGET=parse scripts/fuzz-afl.sh # the parser alone (tools/afl/src/bin):
#                                    # the hand-written parser against pest,
#                                    # seeded with every model of the repo
#   ONLY=tenancy_by_hand scripts/fuzz-afl.sh
#                                    # only the seeds whose file name holds
#                                    # it, into target/afl-out-$ONLY: a new
#                                    # path's models. A fresh corpus spends a
#                                    # short run on the descendants of one
#                                    # seed (31 minutes from all of them in
#                                    # the thirty-seventh session never left
#                                    # the first one it picked), so a new
#                                    # path gets a run of its own.
#
# A crash or hang lands in target/afl-out/default/{crashes,hangs}
# (target/afl-out-parse/… for TARGET=parse): turn each into a file of
# tests/fuzz/ (the `regressions` test runs them) and fix it.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
DURATION="${DURATION:-1860}"
command -v cargo-afl >/dev/null || cargo install cargo-afl --locked
# The same versions as dddc's own build (squawk is pinned there).
cp Cargo.lock tools/afl/Cargo.lock
(cd tools/afl && cargo afl build --release)

seeds="$here/target/afl-seeds"
rm -rf "$seeds"
mkdir -p "$seeds"
if [ "${TARGET:-pipeline}" = parse ]; then
  # Every model of the repository, broken ones included (each under 1 MB).
  find examples tests -name '*.ddd' -size -1024k | sort | while read -r f; do
    cp "$f" "$seeds/$(echo "$f" | tr / -)"
  done
  out="$here/target/afl-out-parse"
  target=tools/afl/target/release/dddc-afl-parse
  timeout=1000
else
  for f in tests/models/*.ddd examples/history/steps/*.ddd; do
    cp "$f" "$seeds/$(basename "$(dirname "$f")")-$(basename "$f")"
  done
  pair() {
    { cat "$1"; printf '\n=====\n'; cat "$2"; } \
      > "$seeds/pair-$(basename "$(dirname "$1")")-$(basename "$1" .ddd)-$(basename "$2" .ddd).ddd"
  }
  pair examples/history/steps/v1.ddd examples/history/steps/v2.ddd
  pair examples/history/steps/v3.ddd examples/history/steps/v4.ddd
  # A tenancy upgrade whose keys are swapped in online, the references
  # moved onto them (a fresh corpus only: a resumed one reads no seed).
  pair tests/migrations/tenancy_by_hand_references/v1.ddd tests/migrations/tenancy_by_hand_references/v2.ddd
  # The same with a unique the upgrade scopes to the tenant, and a key
  # whose columns are only reordered (its references move the old way).
  pair tests/migrations/tenancy_by_hand_references_unique/v1.ddd tests/migrations/tenancy_by_hand_references_unique/v2.ddd
  pair tests/migrations/swap_reordered_key_references/v1.ddd tests/migrations/swap_reordered_key_references/v2.ddd
  # A unique the swap would drop, whose name the new model gives to
  # another unique (it is dropped in the main migration instead).
  pair tests/migrations/swap_unique_name_reused/v1.ddd tests/migrations/swap_unique_name_reused/v2.ddd
  # A swap whose old key's usual name aside is an index's already.
  pair tests/migrations/swap_aside_name_taken/v1.ddd tests/migrations/swap_aside_name_taken/v2.ddd
  # The same name held by a table, and by a partition of a partitioned
  # table whose key is swapped in the main migration.
  pair tests/migrations/swap_aside_relation_named/v1.ddd tests/migrations/swap_aside_relation_named/v2.ddd
  out="$here/target/afl-out"
  if [ -n "${ONLY:-}" ]; then
    find "$seeds" -type f ! -name "*$ONLY*" -delete
    if [ -z "$(ls -A "$seeds")" ]; then
      echo "fuzz-afl: no seed's name holds '$ONLY' (the seeds: tests/models/*.ddd, examples/history/steps/*.ddd, and the pairs named in this script)" >&2
      exit 2
    fi
    out="$here/target/afl-out-$ONLY"
  fi
  target=tools/afl/target/release/dddc-afl
  timeout=10000
fi

# A second run resumes the first one's corpus (AFL++ otherwise refuses an
# output folder with more than 25 minutes of work in it, and exits).
AFL_AUTORESUME=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
  cargo afl fuzz -i "$seeds" -o "$out" -V "$DURATION" -t "$timeout" "$target"
echo "crashes: $(find "$out"/default/crashes -type f ! -name README.txt 2>/dev/null | wc -l)," \
  "hangs: $(find "$out"/default/hangs -type f 2>/dev/null | wc -l)"
