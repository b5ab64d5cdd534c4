//! `dddc check`, the CI gate: one test per reason it fails, and a passing
//! run after `build`. Runs the real binary on throwaway projects.

mod support;

use std::path::Path;

const MODEL: &str = "model tienda {
  tables plural_es
}

/// Ventas.
context ventas {
  /// Un cliente.
  aggregate Cliente {
    /// Nombre completo.
    nombre: text(100)
    correo: text(200) unique
  }
}
";

use support::cli::{dddc, stderr};

/// A project with the model built once.
fn built() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("tienda.ddd"), MODEL).expect("write model");
    let b = dddc(dir.path(), &["build"]);
    assert!(b.status.success(), "build failed: {}", stderr(&b));
    dir
}

fn assert_fails_with(dir: &Path, needle: &str) {
    let before = snapshot(dir);
    let o = dddc(dir, &["check"]);
    assert_eq!(o.status.code(), Some(1), "check should fail; stderr: {}", stderr(&o));
    assert!(stderr(&o).contains(needle), "expected `{needle}` in:\n{}", stderr(&o));
    assert_eq!(before, snapshot(dir), "check must write nothing");
}

/// Every file of the project with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.display().to_string(), std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn passes_right_after_build() {
    let dir = built();
    let o = dddc(dir.path(), &["check"]);
    assert!(o.status.success(), "check failed: {}", stderr(&o));
    assert!(stderr(&o).contains("check passed"));
}

#[test]
fn fails_on_model_errors() {
    let dir = built();
    std::fs::write(dir.path().join("tienda.ddd"), MODEL.replace("text(100)", "txt(100)")).expect("write");
    assert_fails_with(dir.path(), "error[E0102]");
}

#[test]
fn fails_without_a_lock() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("tienda.ddd"), MODEL).expect("write model");
    assert_fails_with(dir.path(), "no lock");
}

#[test]
fn fails_on_a_pending_model_change() {
    let dir = built();
    std::fs::write(
        dir.path().join("tienda.ddd"),
        MODEL.replace("correo: text(200) unique", "correo: text(200) unique\n    telefono: text(20)?"),
    )
    .expect("write");
    assert_fails_with(dir.path(), "changes that no migration holds yet");
}

#[test]
fn fails_on_a_pending_change_a_build_would_refuse() {
    let dir = built();
    std::fs::write(dir.path().join("tienda.ddd"), MODEL.replace("    correo: text(200) unique\n", "")).expect("write");
    assert_fails_with(dir.path(), "would refuse");
}

#[test]
fn fails_on_an_edited_migration() {
    let dir = built();
    let v1 = dir.path().join("db/migration/V1__init.sql");
    let mut text = std::fs::read_to_string(&v1).expect("read V1");
    text.push_str("-- a hand edit\n");
    std::fs::write(&v1, text).expect("write V1");
    assert_fails_with(dir.path(), "was edited after it was generated");
}

#[test]
fn fails_on_a_missing_migration() {
    let dir = built();
    std::fs::remove_file(dir.path().join("db/migration/U1__init.sql")).expect("remove U1");
    assert_fails_with(dir.path(), "missing on disk");
}

#[test]
fn fails_on_a_migration_unknown_to_the_lock() {
    let dir = built();
    std::fs::write(dir.path().join("db/migration/V2__by_hand.sql"), "SELECT 1;\n").expect("write");
    assert_fails_with(dir.path(), "is not in the lock");
}

#[test]
fn fails_on_a_stale_lock() {
    let dir = built();
    let snapshot = dir.path().join("db/migration/dddc.schema");
    let text = std::fs::read_to_string(&snapshot).expect("read the lock's snapshot");
    // A difference no SQL can see: the lock no longer matches the model.
    assert!(text.contains("\"aggregate_root\""));
    std::fs::write(&snapshot, text.replace("\"aggregate_root\"", "\"entity\"")).expect("write snapshot");
    assert_fails_with(dir.path(), "stale");
}

/// `check` compares the snapshot it would write with the text on disk: a
/// reformatted `dddc.schema` (same schema, other bytes) is an edit of a
/// generated file, and `build` restores it. A checkout that turned the line
/// ends to CRLF still passes (it is compared the long way).
#[test]
fn a_reformatted_snapshot_fails_the_gate_and_build_restores_it() {
    let dir = built();
    let snapshot = dir.path().join("db/migration/dddc.schema");
    let text = std::fs::read_to_string(&snapshot).expect("read the lock's snapshot");
    std::fs::write(&snapshot, text.replace("\n  column ", "\n\n  column ")).expect("write snapshot");
    assert_fails_with(dir.path(), "stale");
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&snapshot).expect("read"), text);
    let o = dddc(dir.path(), &["check"]);
    assert!(o.status.success(), "{}", stderr(&o));

    std::fs::write(&snapshot, text.replace('\n', "\r\n")).expect("write snapshot");
    let o = dddc(dir.path(), &["check"]);
    assert!(o.status.success(), "a CRLF checkout must pass: {}", stderr(&o));
}

#[test]
fn build_twice_writes_nothing_the_second_time() {
    let dir = built();
    let before = snapshot(dir.path());
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("up to date"));
    assert_eq!(before, snapshot(dir.path()));
}

#[test]
fn a_refused_build_writes_nothing() {
    let dir = built();
    std::fs::write(dir.path().join("tienda.ddd"), MODEL.replace("    correo: text(200) unique\n", "")).expect("write");
    let before = snapshot(dir.path());
    let o = dddc(dir.path(), &["build"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("drop column `ventas.clientes.correo`"), "{}", stderr(&o));
    assert!(stderr(&o).contains("--allow-destructive"));
    // A coded diagnostic pointing at the model, like every other error.
    assert!(stderr(&o).contains("error[E0701]: the next migration would drop column"), "{}", stderr(&o));
    assert!(stderr(&o).contains("┌─ tienda.ddd:"), "{}", stderr(&o));
    assert_eq!(before, snapshot(dir.path()));
}

#[test]
fn a_generated_name_collision_is_e0601_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Two indexes named alike by `@name`: PostgreSQL would reject the second.
    let model = MODEL.replace(
        "    correo: text(200) unique\n",
        "    correo: text(200) unique\n    index (nombre) @name(idx_clientes_busqueda)\n    index (correo, nombre) @name(idx_clientes_busqueda)\n",
    );
    std::fs::write(dir.path().join("tienda.ddd"), model).expect("write model");
    let o = dddc(dir.path(), &["build"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("error[E0601]: two objects would be named `idx_clientes_busqueda`"), "{err}");
    assert!(err.contains("tienda.ddd:13:5"), "the second declaration is the primary label: {err}");
    assert!(err.contains("12 │     index (nombre) @name(idx_clientes_busqueda)"), "the first is shown too: {err}");
    assert!(!dir.path().join("db").exists(), "a failed build writes nothing");
}

#[test]
fn a_migration_flyway_would_find_in_a_subfolder_fails_the_gate() {
    let dir = built();
    let sub = dir.path().join("db/migration/old");
    std::fs::create_dir_all(&sub).expect("mkdir");
    std::fs::write(sub.join("V2__hotfix.sql"), "ALTER TABLE ventas.clientes ADD COLUMN x int;\n").expect("write");
    assert_fails_with(dir.path(), "`old/V2__hotfix.sql` is in a subfolder of the migrations folder");
}

#[test]
fn a_baseline_migration_not_in_the_lock_fails_the_gate() {
    let dir = built();
    std::fs::write(dir.path().join("db/migration/B5__baseline.sql"), "SELECT 1;\n").expect("write");
    assert_fails_with(dir.path(), "baseline migration `B5__baseline.sql` is not in the lock");
}

#[test]
fn repeatable_migrations_are_listed_and_left_alone() {
    let dir = built();
    std::fs::write(dir.path().join("db/migration/R__views.sql"), "CREATE OR REPLACE VIEW v AS SELECT 1;\n")
        .expect("write");
    let o = dddc(dir.path(), &["check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("note: `R__views.sql` is a repeatable migration"), "{}", stderr(&o));
}

/// A project whose lock an older dddc wrote (format 1, the schema inside
/// `dddc.lock`): the next build says so, writes no migration, and writes the
/// two files of format 2 exactly as a project built from scratch has them.
#[test]
fn a_lock_of_format_1_is_upgraded_by_the_next_build() {
    let history = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/history");
    let dir = tempfile::tempdir().expect("temp dir");
    let mig = dir.path().join("db/migration");
    std::fs::create_dir_all(&mig).expect("mkdir");
    std::fs::copy(history.join("mitoga.ddd"), dir.path().join("mitoga.ddd")).expect("model");
    std::fs::copy(history.join("dddc.toml"), dir.path().join("dddc.toml")).expect("config");
    for e in std::fs::read_dir(history.join("db/migration")).expect("migrations").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".sql") || name.ends_with(".conf") {
            std::fs::copy(e.path(), mig.join(&name)).expect("copy");
        }
    }
    let old = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format1_lock/dddc.lock");
    std::fs::copy(old, mig.join("dddc.lock")).expect("old lock");
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("note: the lock is upgraded from format 1 to 2"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("wrote V"), "no migration: the schema did not change: {}", stderr(&o));
    for f in ["dddc.lock", "dddc.schema"] {
        let ours = std::fs::read_to_string(mig.join(f)).expect("written");
        let committed = std::fs::read_to_string(history.join("db/migration").join(f)).expect("committed");
        assert_eq!(ours, committed, "{f} after the upgrade");
    }
    let o = dddc(dir.path(), &["check"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `dddc.schema` is what `build` reads; without it the lock is unusable, and
/// the message says how to get it back.
#[test]
fn a_missing_snapshot_is_named() {
    let dir = built();
    std::fs::remove_file(dir.path().join("db/migration/dddc.schema")).expect("remove");
    assert_fails_with(dir.path(), "`dddc.schema` is missing beside `dddc.lock`");
}

/// The committed examples are what the binary writes today: `dddc check`
/// passes on each (a change to the generated SQL must regenerate them).
#[test]
fn bundled_examples_pass_check() {
    for example in ["examples/mitoga", "examples/history"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(example);
        let o = dddc(&dir, &["check"]);
        assert!(o.status.success(), "dddc check in {example}:\n{}", stderr(&o));
    }
}

/// A lock written by a newer dddc stops this one (it could drop what the
/// newer one records); `min_version` in dddc.toml stops an older dddc
/// before it reads anything.
#[test]
fn a_newer_lock_or_min_version_stops_an_older_dddc() {
    let dir = built();
    let lock_path = dir.path().join("db/migration/dddc.lock");
    let text = std::fs::read_to_string(&lock_path).unwrap();
    let newer = text.replace(&format!("\"dddc\": \"{}\"", env!("CARGO_PKG_VERSION")), "\"dddc\": \"99.0.0\"");
    assert_ne!(text, newer, "the lock names its dddc");
    std::fs::write(&lock_path, newer).unwrap();
    let o = dddc(dir.path(), &["build"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("written by dddc 99.0.0, newer than this dddc"), "{}", stderr(&o));
    std::fs::write(&lock_path, text).unwrap();
    let config = dir.path().join("dddc.toml");
    let old = std::fs::read_to_string(&config).unwrap_or_default();
    std::fs::write(&config, format!("min_version = \"99.1\"\n{old}")).unwrap();
    let o = dddc(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("needs dddc 99.1 or newer"), "{}", stderr(&o));
}
