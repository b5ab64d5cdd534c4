#!/usr/bin/env bash
# How dddc's cost grows on models shaped unlike the benchmark's
# (scripts/bench.sh grows the number of aggregates; here one list of the
# model grows): an aggregate with thousands of invariants, indexes or
# entities, an enum of thousands of values, a code list every aggregate
# uses, an enum per aggregate with one `@was` in the model, one aggregate
# every other one references, a publication of every aggregate, a role
# over every context, long doc comments on every declaration, a rename
# (`@was`) of every aggregate, a bounded context per aggregate, an outbox
# partitioned by month on every aggregate, every aggregate audited and
# searchable, a context per audited aggregate with a role reading the log
# and half of them, value objects on every aggregate (nested, checked, a list),
# a file per context, and a model shaped like a real one: the bundled MiToga's
# five contexts (11 aggregates, every construct) copied 18, 180 and 1,800
# times, a file per context as MiToga has (tools/genmodel/src/odd.rs).
# Each shape runs at three sizes, each ten times the one before: a fresh `dddc build`, then the shape's edit and a
# `dddc build` that plans the change.
#
# Prints one table: median wall time and peak RSS per cell, and how much
# each step of ten cost (the issue's target: at most 12×).
#
#   scripts/bench-shapes.sh
#   SHAPES="invariants rename" RUNS=1 scripts/bench-shapes.sh
#
# Environment: SHAPES (default: all), RUNS (runs per cell at the two small
# sizes, default 3; the largest runs once), WORK (scratch folder, default
# target/bench-shapes).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
SHAPES="${SHAPES:-invariants indexes entities enum enum-uses was-enums hub publication role docs rename contexts events audited audit-readers keys tenant-adoption values files mitoga}"
RUNS="${RUNS:-3}"
WORK="${WORK:-$here/target/bench-shapes}"
# shellcheck source=scripts/bench-tools.sh
. "$here/scripts/bench-tools.sh"

rm -rf "$WORK"
mkdir -p "$WORK"
timefile="$WORK/.time"

# Sizes per shape: an entity is a table, an outbox 25 (its partitions)
# and a docs aggregate ~2.5 KB of comments, so those start smaller.
sizes() {
  case "$1" in
    entities | events) echo "100 1000 10000" ;;
    docs) echo "20 200 2000" ;;
    mitoga) echo "18 180 1800" ;;
    *) echo "200 2000 20000" ;;
  esac
}

# timed CMD…: one run under /usr/bin/time; prints "seconds kb".
timed() {
  /usr/bin/time -f "%e %M" -o "$timefile" "$@" >/dev/null 2>&1 || {
    echo "failed ($?): $*" >&2
    return 1
  }
  tail -n 1 "$timefile"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -n 1; }

rows=()
for shape in $SHAPES; do
  prev_fresh="" prev_edit=""
  set -- $(sizes "$shape")
  largest="$3"
  for n in "$@"; do
    runs="$RUNS"
    [ "$n" = "$largest" ] && runs=1
    fresh_s=() fresh_k=() edit_s=() edit_k=()
    for _ in $(seq "$runs"); do
      proj="$WORK/$shape-$n"
      rm -rf "$proj"
      "$GEN" --odd "$shape" --size "$n" "$proj"
      sync
      read -r s k < <(timed "$DDDC" -C "$proj" build)
      fresh_s+=("$s") fresh_k+=("$k")
      "$GEN" --odd "$shape" --size "$n" --edited "$proj"
      sync
      read -r s k < <(timed "$DDDC" -C "$proj" build)
      edit_s+=("$s") edit_k+=("$k")
    done
    model_kb="$(( $(find "$proj" -name "*.ddd" -exec cat {} + | wc -c) / 1024 ))"
    rm -rf "$proj"
    f="$(median "${fresh_s[@]}")" e="$(median "${edit_s[@]}")"
    ratio() { [ -n "$1" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.1f×", b / a; else print "—" }' || echo ""; }
    rows+=("$(printf '| %-11s | %6s | %8s | %9.0f | %7.0f | %6s | %9.0f | %7.0f | %6s |' \
      "$shape" "$n" "$model_kb" "$(awk -v s="$f" 'BEGIN{print s*1000}')" "$(awk -v k="$(maxof "${fresh_k[@]}")" 'BEGIN{print k/1024}')" \
      "$(ratio "$prev_fresh" "$f")" \
      "$(awk -v s="$e" 'BEGIN{print s*1000}')" "$(awk -v k="$(maxof "${edit_k[@]}")" 'BEGIN{print k/1024}')" \
      "$(ratio "$prev_edit" "$e")")")
    prev_fresh="$f" prev_edit="$e"
    echo "$shape $n: fresh ${f}s, edited ${e}s" >&2
  done
done

echo
echo "| shape       |   size | model KB | fresh ms  | peak MB | ×/10×  | edit ms   | peak MB | ×/10×  |"
echo "|-------------|-------:|---------:|----------:|--------:|-------:|----------:|--------:|-------:|"
printf '%s\n' "${rows[@]}"
