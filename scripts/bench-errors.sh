#!/usr/bin/env bash
# How dddc's cost grows on models with many errors, at two sizes ten
# apart: what a model's author meets after a rename or a paste, and what
# the benchmarks of valid models never time. Each shape cost the square
# of its size until the forty-sixth session (see "Robustness" in
# docs/performance.md):
#
#   one-line       a model written on one line, an unknown type in each
#                  aggregate (each error printed the whole line)
#   one-line-name  the same line, a name that is not ASCII in each
#                  aggregate (each broken stretch read from the line's start)
#   renamed-type   one context of N aggregates, each naming a type that
#                  is no longer declared ("did you mean" per use)
#   enum-values    an enum of N values misspelt in N invariants, none
#                  close to a value (each help line listed every value;
#                  until the forty-seventh session each misspelling was
#                  compared with every value: about 40× for 10× here)
#
# and each the square of its size until the forty-seventh session, every
# misspelling compared with every name in scope for its "did you mean":
#
#   values-renamed an enum of N values, each misspelt its own way once
#   types-renamed  N value objects, each named misspelt by an aggregate
#   refs-renamed   N aggregates, each referring to another misspelt
#   fields-renamed one aggregate of N fields, each misspelt in an invariant
#   contexts-renamed  N contexts, each referred to misspelt
#
# and two that did until the forty-eighth (see "Models with many errors"):
#
#   refs-far       N aggregates named by six words, each referring to a
#                  name with nothing close ("did you mean" finds none, and
#                  proving it walked most of the names)
#   names-long     N aggregates of 70 letters, each referred to with its
#                  last letter changed (a name past 64 characters was
#                  compared with every name)
#
# Prints one table: median wall time of `dddc validate` (which fails, as
# it should), the bytes it printed, and the growth of each from the size
# below (the issue's target: at most 12× for 10× the model).
#
#   scripts/bench-errors.sh
#   SIZES="2000 20000" RUNS=5 scripts/bench-errors.sh
#
# Environment: SIZES (default "2000 20000"), RUNS (default 3), SHAPES
# (default: all), WORK (scratch folder, default target/bench-errors),
# DDDC (the binary; default: built with `cargo build --release`). Needs
# GNU date (`date +%s%N`), as on Debian.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
# Paths given relative to where the script was started (a bare DDDC is
# looked up in PATH).
case "${DDDC:-}" in /* | "") ;; */*) DDDC="$PWD/$DDDC" ;; esac
WORK="${WORK:-$here/target/bench-errors}"
case "$WORK" in /*) ;; *) WORK="$PWD/$WORK" ;; esac
cd "$here"
SIZES="${SIZES:-2000 20000}"
RUNS="${RUNS:-3}"
SHAPES="${SHAPES:-one-line one-line-name renamed-type enum-values values-renamed types-renamed refs-renamed fields-renamed contexts-renamed refs-far names-long}"
[ "$RUNS" -ge 1 ] 2>/dev/null || { echo "RUNS must be 1 or more" >&2; exit 2; }
if [ -z "${DDDC:-}" ]; then
  cargo build --release --quiet
  DDDC="$here/target/release/dddc"
fi

rm -rf "$WORK"
mkdir -p "$WORK"

# model SHAPE N: the model, on stdout.
model() {
  printf 'model m {\n  target postgres 16\n}\n'
  case "$1" in
    one-line)
      awk -v n="$2" 'BEGIN { printf "context c {"; for (i = 0; i < n; i++) printf " aggregate A%d { titulo: text = '\''ñandú €'\'' nombre: Nope q: int }", i; print " }" }' ;;
    one-line-name)
      awk -v n="$2" 'BEGIN { printf "context c {"; for (i = 0; i < n; i++) printf " aggregate A%d { título: text = '\''ñandú €'\'' q: int }", i; print " }" }' ;;
    renamed-type)
      awk -v n="$2" 'BEGIN { print "context c {"; for (i = 0; i < n; i++) printf "  /// Aggregate %d.\n  aggregate A%d {\n    /// Its amount.\n    amount: Gone\n    q: int\n  }\n", i, i; print "}" }' ;;
    enum-values)
      awk -v n="$2" 'BEGIN { print "context c {\n  enum Big {"; for (i = 0; i < n; i++) printf "    V%d\n", i; print "  }";
        for (i = 0; i < n; i++) printf "  aggregate A%d {\n    s: Big = V0\n    invariant x: s == QQQQQQQQ%d\n  }\n", i, i; print "}" }' ;;
    values-renamed)
      awk -v n="$2" 'BEGIN { print "context c {\n  enum Estado {"; for (i = 0; i < n; i++) printf "    VALOR_%d\n", i; print "  }";
        for (i = 0; i < n; i++) printf "  aggregate A%d {\n    s: Estado = VALOR_0\n    invariant x: s == VALR_%d\n  }\n", i, i; print "}" }' ;;
    types-renamed)
      awk -v n="$2" 'BEGIN { print "context c {"; for (i = 0; i < n; i++) printf "  value Monto%d {\n    amount: int\n  }\n  aggregate A%d {\n    m: Mnto%d\n  }\n", i, i, i; print "}" }' ;;
    refs-renamed)
      awk -v n="$2" 'BEGIN { print "context c {"; for (i = 0; i < n; i++) printf "  aggregate Agregado%d {\n    q: int\n    r: ref Agregdo%d\n  }\n", i, i; print "}" }' ;;
    fields-renamed)
      awk -v n="$2" 'BEGIN { print "context c {\n  aggregate A {"; for (i = 0; i < n; i++) printf "    campo%d: int\n", i; for (i = 0; i < n; i++) printf "    invariant x%d: cmpo%d > 0\n", i, i; print "  }\n}" }' ;;
    contexts-renamed)
      awk -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "context contexto%d {\n  aggregate A {\n    r: ref contxto%d.A\n  }\n}\n", i, i }' ;;
    refs-far)
      awk -v n="$2" 'BEGIN { split("Reserva Tutor Pago Usuario Sesion Factura Cliente Materia Horario Resena Cupon Plan", w, " ");
        split("alfa bravo delta eco golf hotel india kilo lima mike oscar papa", f, " "); print "context c {";
        for (i = 0; i < n; i++) { a = ""; b = "Zz"; x = i; for (k = 0; k < 6; k++) { a = a w[x % 12 + 1]; b = b f[(x * 5 + k) % 12 + 1]; x = int(x / 12) }
          printf "  aggregate %s {\n    q: int\n    r: ref %s\n  }\n", a, b }; print "}" }' ;;
    names-long)
      awk -v n="$2" 'BEGIN { p = "AgregadoConUnNombreMuyLargoQueSuperaElLimiteDePostgresqlYMasAun"; print "context c {";
        for (i = 0; i < n; i++) printf "  aggregate %s%06dX {\n    q: int\n    r: ref %s%06dY\n  }\n", p, i, p, i; print "}" }' ;;
    *) echo "unknown shape $1" >&2; exit 2 ;;
  esac
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

rows=()
for shape in $SHAPES; do
  prev_ms="" prev_bytes=""
  for n in $SIZES; do
    dir="$WORK/$shape-$n"
    mkdir -p "$dir"
    model "$shape" "$n" >"$dir/model.ddd"
    times=()
    for _ in $(seq "$RUNS"); do
      start=$(date +%s%N)
      code=0
      "$DDDC" -C "$dir" validate --color never >/dev/null 2>"$dir/stderr" || code=$?
      end=$(date +%s%N)
      [ "$code" = 1 ] || { echo "$shape $n: validate exited $code (1 expected)" >&2; exit 1; }
      times+=("$(( (end - start) / 1000000 ))")
    done
    ms="$(median "${times[@]}")"
    bytes="$(wc -c <"$dir/stderr")"
    growth() { [ -n "$1" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.1f×", b / a; else print "—" }' || echo ""; }
    rows+=("$(printf '| %-16s | %6s | %8s | %9s | %5s | %12s | %5s |' "$shape" "$n" "$(( $(wc -c <"$dir/model.ddd") / 1024 ))" \
      "$ms" "$(growth "$prev_ms" "$ms")" "$bytes" "$(growth "$prev_bytes" "$bytes")")")
    prev_ms="$ms" prev_bytes="$bytes"
    echo "$shape $n: ${ms} ms, $bytes bytes" >&2
  done
done

echo
echo "| shape            |   size | model KB | median ms | ×/10× | stderr bytes | ×/10× |"
echo "|------------------|-------:|---------:|----------:|------:|-------------:|------:|"
printf '%s\n' "${rows[@]}"
