# Sourced by the benchmark scripts (from the project root): builds dddc and
# tools/genmodel in release mode and sets DDDC and GEN to their binaries.
target_dir="$(cargo metadata --format-version 1 --no-deps 2>/dev/null | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
target_dir="${target_dir:-$PWD/target}"

echo "building dddc and genmodel (release)…" >&2
cargo build --release --quiet --bin dddc
cargo build --release --quiet --manifest-path tools/genmodel/Cargo.toml
DDDC="$target_dir/release/dddc"
GEN="$PWD/tools/genmodel/target/release/genmodel"
[ -x "$GEN" ] || GEN="$target_dir/release/genmodel"
