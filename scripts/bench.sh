#!/usr/bin/env bash
# The CLI benchmark of issue 14: `dddc validate`, `dddc build` (fresh),
# the three of them also on the same model written as one file (validate,
# a fresh build, a check after an edit), `dddc build` (one field added; a
# value added to every context's enum,
# which changes every table, and one renamed, which updates every table's
# rows; every context made tenant-scoped; an index added to every
# aggregate; and fresh, of the same model with every
# context tenant-scoped and outboxes, audit trails and search: genmodel
# --tenants --rich), `dddc check` (in full; after an edit, with the local
# memo of the build before it; and of a project unchanged
# since its last pass), a build with nothing to do and `dbml2sql` side by
# side,
# on generated documented models of 200, 2,000 and 20,000 aggregates
# (tools/genmodel: 12 fields each, a context per 50 aggregates, the same
# shape in DBML for dbml2sql), plus `dddc check` on the bundled MiToga.
#
# Prints one table: median wall time, peak RSS (max of the runs) and the
# bytes the command wrote. Per-step figures come from the in-process bench:
# `cargo bench --bench pipeline`. Results and the machine: docs/performance.md.
#
#   scripts/bench.sh                    # 200, 2000, 20000
#   SIZES="200 2000" RUNS=5 scripts/bench.sh
#   NO_DBML=1 scripts/bench.sh          # skip dbml2sql (slow at 20,000)
#
# Environment: SIZES (aggregates), RUNS (runs per cell; 1 at 20,000 unless
# RUNS_LARGE is set), WORK (scratch folder, default target/bench-work),
# DBML_TIMEOUT (seconds per dbml2sql run, default 1800), DBML_MAX (largest
# size dbml2sql runs at; default: every size).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
SIZES="${SIZES:-200 2000 20000}"
RUNS="${RUNS:-5}"
RUNS_LARGE="${RUNS_LARGE:-1}"
WORK="${WORK:-$here/target/bench-work}"
DBML_TIMEOUT="${DBML_TIMEOUT:-1800}"
DBML_MAX="${DBML_MAX:-999999999}"
# shellcheck source=scripts/bench-tools.sh
. "$here/scripts/bench-tools.sh"

DBML2SQL=""
if [ -z "${NO_DBML:-}" ]; then
  dbml_dir="$here/target/dbml"
  if [ ! -x "$dbml_dir/node_modules/.bin/dbml2sql" ]; then
    echo "installing @dbml/cli into $dbml_dir…" >&2
    mkdir -p "$dbml_dir"
    npm install --silent --prefix "$dbml_dir" @dbml/cli@6.6.0 >/dev/null 2>&1 || true
  fi
  [ -x "$dbml_dir/node_modules/.bin/dbml2sql" ] && DBML2SQL="$dbml_dir/node_modules/.bin/dbml2sql"
  [ -n "$DBML2SQL" ] || echo "dbml2sql could not be installed: its rows are skipped" >&2
fi

rm -rf "$WORK"
mkdir -p "$WORK"
timefile="$WORK/.time"

# run LABEL PREPARE COMMAND…: runs PREPARE (untimed) then COMMAND under
# /usr/bin/time, n times; records seconds and peak KB.
secs=()
kbs=()
measure() {
  local prepare="$1"
  shift
  eval "$prepare"
  # Every command must succeed: a refused build or a check with findings
  # would time something other than the work this table is about.
  # The wall clock around it, to the microsecond (bash's own, no fork):
  # /usr/bin/time's (%e) ticks every 10 ms, too coarse for a 2,000
  # cell's ratio to its 20,000 one. What time itself adds (its fork and
  # exec, its file) is in the figure: `/usr/bin/time true` timed so takes
  # 1.8-3.3 ms, median 1.9 (20 runs), that much on the smallest cells.
  local t0 t1
  t0="$EPOCHREALTIME"
  /usr/bin/time -f "%M" -o "$timefile" "$@" >/dev/null 2>&1 || {
    echo "failed ($?): $*" >&2
    return 1
  }
  t1="$EPOCHREALTIME"
  secs+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')")
  kbs+=("$(tail -n 1 "$timefile")")
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -n 1; }

rows=()
# row LABEL BYTES: one table row from the last measurements.
row() {
  local ms rss
  ms="$(awk -v s="$(median "${secs[@]}")" 'BEGIN { printf "%.0f", s * 1000 }')"
  rss="$(awk -v k="$(maxof "${kbs[@]}")" 'BEGIN { printf "%.0f", k / 1024 }')"
  rows+=("$(printf '| %-40s | %10s | %8s | %12s | %4s |' "$1" "$ms" "$rss" "$2" "${#secs[@]}")")
  secs=()
  kbs=()
}

# Every context's enum of the model under $1 gets a value: every table's
# check changes (a drop and an add `NOT VALID` per table in the main
# migration, its validation in the online one).
widen() { find "$1" -name '*.ddd' -exec sed -i 's/^    CLOSED$/    CLOSED\n    ARCHIVED/' {} +; }
# Every context's enum of the model under $1 renames a value (`@was`): every
# table's rows are updated online, the check admitting both names meanwhile.
rename_value() {
  find "$1" -name '*.ddd' -exec sed -i 's/^    CLOSED$/    DONE @was(CLOSED)/; s/status == CLOSED implies/status == DONE implies/' {} +
}

# Every context of the model under $1 made tenant-scoped: a tenant column,
# row-level security and a policy on every table, every unique and foreign
# key through the tenant (on tables still empty: `--allow-destructive`, as
# E0703's help says).
tenant_scope() { find "$1" -name '*.ddd' -exec sed -i 's/^context \(ctx[0-9]*\) {$/context \1 {\n  tenant by tenant_id\n/' {} +; }
# A second index on every aggregate: built concurrently, one online file.
index_every() { find "$1" -name '*.ddd' -exec sed -i 's/^    index (status, name)$/    index (status, name)\n    index (quantity, name)/' {} +; }

# evolve EDIT LABEL [BUILD ARGS]: a copy of the built project $proj, its
# model changed by the function EDIT, built $runs times; one row.
evolve() {
  local copy="$WORK/w$n"
  for _ in $(seq "$runs"); do
    measure "rm -rf '$copy'; cp -r '$proj' '$copy'; $1 '$copy'; sleep 0.01; touch '$WORK/.mark'; sync" \
      "$DDDC" -C "$copy" build "${@:3}"
  done
  row "$2 ($n)" "$(written_since "$copy" "$WORK/.mark")"
  rm -rf "$copy"
}

# Bytes of the files under $1 newer than the marker $2.
written_since() { find "$1" -type f -newer "$2" ! -path "*/.dddc-*" ! -path "*/.dddc/*" -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }

for n in $SIZES; do
  runs="$RUNS"
  [ "$n" -ge 20000 ] && runs="$RUNS_LARGE"
  base="$WORK/g$n"
  "$GEN" --aggregates "$n" --dbml "$WORK/g$n.dbml" "$base"
  "$GEN" --aggregates "$n" --added-field "$WORK/g$n-added"
  echo "$n aggregates: $(du -sh "$base" | cut -f1) of model, $runs run(s) per command…" >&2

  for _ in $(seq "$runs"); do measure ":" "$DDDC" -C "$base" validate; done
  row "validate ($n)" 0

  # The same model with every `text` type and every reference misspelt:
  # tens of thousands of "unknown type" and "unknown aggregate" errors,
  # each with its "did you mean" (validate fails, as it should).
  broken="$WORK/b$n"
  rm -rf "$broken"
  cp -r "$base" "$broken"
  find "$broken" -name '*.ddd' -exec sed -i -E 's/: text\(/: txet(/g; s/ref (ctx[0-9]+\.)?Item/ref \1Itme/g' {} +
  for _ in $(seq "$runs"); do measure ":" sh -c '"$@"; [ $? -eq 1 ]' sh "$DDDC" -C "$broken" validate; done
  row "validate, misspelt types/refs ($n)" 0
  rm -rf "$broken"

  proj="$WORK/p$n"
  for _ in $(seq "$runs"); do
    measure "rm -rf '$proj'; cp -r '$base' '$proj'; sync" "$DDDC" -C "$proj" build
  done
  built_bytes="$(find "$proj" -path '*/.dddc' -prune -o -type f \( -path '*/db/*' -o -path '*/docs/*' \) -printf '%s\n' | awk '{s+=$1} END {print s+0}')"
  row "build, fresh ($n)" "$built_bytes"

  # The same model with every context `tenant by tenant_id` (tenant
  # columns, row-level security, foreign keys through the tenant) and the
  # rest of the language (genmodel --rich: an outbox with monthly
  # partitions on every fourth aggregate, audit trails, full-text search).
  "$GEN" --aggregates "$n" --tenants --rich "$WORK/t$n"
  tproj="$WORK/pt$n"
  for _ in $(seq "$runs"); do
    measure "rm -rf '$tproj'; cp -r '$WORK/t$n' '$tproj'; sync" "$DDDC" -C "$tproj" build
  done
  row "build, fresh, multi-tenant + rich ($n)" "$(find "$tproj" -path '*/.dddc' -prune -o -type f \( -path '*/db/*' -o -path '*/docs/*' \) -printf '%s\n' | awk '{s+=$1} END {print s+0}')"
  # CI's check of that project (its outputs are the largest).
  for _ in $(seq "$runs"); do measure ":" "$DDDC" -C "$tproj" check --no-cache; done
  row "check, in full, multi-tenant + rich ($n)" 0
  rm -rf "$tproj"

  edited="$WORK/e$n"
  for _ in $(seq "$runs"); do
    measure "rm -rf '$edited'; cp -r '$proj' '$edited'; cp -r '$WORK/g$n-added/.' '$edited/'; sleep 0.01; touch '$WORK/.mark'; sync" \
      "$DDDC" -C "$edited" build
  done
  row "build, one field added ($n)" "$(written_since "$edited" "$WORK/.mark")"
  evolve widen "build, every enum widened"
  evolve rename_value "build, a value renamed in every enum"
  evolve tenant_scope "build, every context tenant-scoped" --allow-destructive
  evolve index_every "build, an index added to every aggregate"
  # A check after an edit, with the memo (`.dddc/syntax`, `.dddc/docs`)
  # of the build before it: the check runs in full (its own last pass no
  # longer applies) but parses and renders only the edited context again.
  for _ in $(seq "$runs"); do
    measure "printf '%s\n' '// an edit that changes no output' >> '$edited/contexts/ctx000.ddd'; sync" \
      "$DDDC" -C "$edited" check
  done
  row "check after an edit, local memo ($n)" 0

  for _ in $(seq "$runs"); do measure ":" "$DDDC" -C "$proj" check --no-cache; done
  row "check, in full ($n)" 0

  # The last pass recorded (untimed), then checks of the unchanged project
  # and builds with nothing to do, which answer from it.
  "$DDDC" -C "$proj" check >/dev/null 2>&1
  for _ in $(seq "$runs"); do measure ":" "$DDDC" -C "$proj" check; done
  row "check, unchanged since a pass ($n)" 0
  # The first build with nothing to do after one that wrote plans in full
  # (whether it would warn is learnt then); the next ones answer at once.
  "$DDDC" -C "$proj" build >/dev/null 2>&1
  for _ in $(seq "$runs"); do measure ":" "$DDDC" -C "$proj" build; done
  row "build, nothing to do ($n)" 0

  # The same model written as one file (genmodel --single-file): parsed
  # in parts on both cores, each part remembered (src/syntax/mod.rs).
  one="$WORK/o$n"
  "$GEN" --aggregates "$n" --single-file "$WORK/o$n-model"
  for _ in $(seq "$runs"); do measure ":" "$DDDC" -C "$WORK/o$n-model" validate; done
  row "validate, one file ($n)" 0
  for _ in $(seq "$runs"); do
    measure "rm -rf '$one'; cp -r '$WORK/o$n-model' '$one'; sync" "$DDDC" -C "$one" build
  done
  row "build, fresh, one file ($n)" "$(find "$one" -path '*/.dddc' -prune -o -type f \( -path '*/db/*' -o -path '*/docs/*' \) -printf '%s\n' | awk '{s+=$1} END {print s+0}')"
  for _ in $(seq "$runs"); do
    measure "printf '%s\n' '// an edit that changes no output' >> '$one/model.ddd'; sync" "$DDDC" -C "$one" check
  done
  row "check after an edit, one file ($n)" 0
  rm -rf "$one" "$WORK/o$n-model"

  if [ -n "$DBML2SQL" ] && [ "$n" -le "$DBML_MAX" ]; then
    out="$WORK/dbml$n.sql"
    for _ in $(seq "$runs"); do
      # From the scratch folder: dbml2sql leaves a dbml-error.log where it runs.
      measure "rm -f '$out'" env -C "$WORK" timeout "$DBML_TIMEOUT" "$DBML2SQL" --postgres "$WORK/g$n.dbml" -o "$out"
    done
    row "dbml2sql ($n)" "$(stat -c %s "$out" 2>/dev/null || echo 0)"
  fi
  rm -rf "$edited"
done

# MiToga, as bundled: built into a copy, then checked.
mitoga="$WORK/mitoga"
rm -rf "$mitoga"
cp -r examples/mitoga "$mitoga"
"$DDDC" -C "$mitoga" build >/dev/null
for _ in $(seq "$RUNS"); do measure ":" "$DDDC" -C "$mitoga" check --no-cache; done
row "check, in full (examples/mitoga)" 0
"$DDDC" -C "$mitoga" check >/dev/null 2>&1
for _ in $(seq "$RUNS"); do measure ":" "$DDDC" -C "$mitoga" check; done
row "check, unchanged (examples/mitoga)" 0

echo
echo "| command (aggregates)                     | median ms  | peak MB  | bytes written | runs |"
echo "|------------------------------------------|-----------:|---------:|--------------:|-----:|"
printf '%s\n' "${rows[@]}"
