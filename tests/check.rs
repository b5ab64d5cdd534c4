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

/// A project with the model built once, and checked once: every test that
/// changes something and expects the gate to fail runs with that pass in
/// `check`'s cache, which must never answer for the changed project.
fn built() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("tienda.ddd"), MODEL).expect("write model");
    let b = dddc(dir.path(), &["build"]);
    assert!(b.status.success(), "build failed: {}", stderr(&b));
    let c = dddc(dir.path(), &["check"]);
    assert!(c.status.success(), "check failed: {}", stderr(&c));
    assert!(dir.path().join(".dddc/check").is_file(), "a pass is recorded");
    dir
}

/// The gate fails with `needle`, says exactly what a check in full says,
/// writes nothing, and forgets the pass it had recorded.
fn assert_fails_with(dir: &Path, needle: &str) {
    let before = snapshot(dir);
    let o = dddc(dir, &["check"]);
    assert_eq!(o.status.code(), Some(1), "check should fail; stderr: {}", stderr(&o));
    assert!(stderr(&o).contains(needle), "expected `{needle}` in:\n{}", stderr(&o));
    assert_eq!(before, snapshot(dir), "check must write nothing");
    assert!(!dir.join(".dddc/check").exists(), "a failed check leaves no recorded pass");
    let full = dddc(dir, &["check", "--no-cache"]);
    assert_eq!((full.status.code(), stderr(&full)), (o.status.code(), stderr(&o)));
}

/// Every file of the project with its bytes (`check`'s cache left out).
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.file_name().is_some_and(|n| n == ".dddc") {
                continue;
            }
            if p.is_symlink() {
                out.push((p.display().to_string(), Vec::new()));
            } else if p.is_dir() {
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

/// A version edited in the lock (resolving a conflict by hand): its file
/// is still `V1__…`, and `check` passed; the next build wrote a gap.
#[test]
fn fails_on_a_lock_whose_version_is_not_its_files() {
    let dir = built();
    let lock = dir.path().join("db/migration/dddc.lock");
    let text = std::fs::read_to_string(&lock).expect("read the lock");
    assert!(text.contains("\"version\": \"1\""), "{text}");
    std::fs::write(&lock, text.replace("\"version\": \"1\"", "\"version\": \"3\"")).expect("write");
    assert_fails_with(dir.path(), "the lock records `V1__init.sql` as version 3");
}

#[test]
fn fails_on_a_migration_unknown_to_the_lock() {
    let dir = built();
    std::fs::write(dir.path().join("db/migration/V2__by_hand.sql"), "SELECT 1;\n").expect("write");
    assert_fails_with(dir.path(), "is not in the lock");
}

#[test]
fn fails_on_a_hand_edited_or_cut_snapshot() {
    let dir = built();
    let snapshot = dir.path().join("db/migration/dddc.schema");
    let text = std::fs::read_to_string(&snapshot).expect("read the lock's snapshot");
    // A difference no SQL can see: the lock records another snapshot.
    assert!(text.contains("\"aggregate_root\""));
    std::fs::write(&snapshot, text.replace("\"aggregate_root\"", "\"entity\"")).expect("write snapshot");
    assert_fails_with(dir.path(), "`dddc.schema` is not the one `dddc.lock` records");
    // Cut after its header: it read as an empty schema, and the next
    // build wrote a migration creating every table again, whose undo
    // dropped them all. Refused now, and nothing is written.
    let header: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(&snapshot, &header).expect("write snapshot");
    assert_fails_with(dir.path(), "`dddc.schema` is not the one `dddc.lock` records");
    let before: Vec<_> =
        std::fs::read_dir(dir.path().join("db/migration")).expect("list").flatten().map(|e| e.file_name()).collect();
    let o = dddc(dir.path(), &["build"]);
    assert!(!o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("is not the one `dddc.lock` records"), "{}", stderr(&o));
    let after: Vec<_> =
        std::fs::read_dir(dir.path().join("db/migration")).expect("list").flatten().map(|e| e.file_name()).collect();
    assert_eq!(before.len(), after.len(), "a build wrote migrations over a cut snapshot");
    assert_eq!(std::fs::read_to_string(&snapshot).expect("read"), header);
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
/// two files of format 2 as a project built from scratch has them, but for
/// the digests of the snapshots after the migrations before the last,
/// which a lock of format 1 does not know (the last one's is the
/// snapshot's).
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
    let read = |dir: &Path, f: &str| std::fs::read_to_string(dir.join(f)).expect("written");
    let committed = history.join("db/migration");
    assert_eq!(read(&mig, "dddc.schema"), read(&committed, "dddc.schema"), "the snapshot after the upgrade");
    let mut expected: serde_json::Value = serde_json::from_str(&read(&committed, "dddc.lock")).expect("JSON");
    let migrations = expected["migrations"].as_array_mut().expect("migrations");
    let last = migrations.len() - 1;
    for m in &mut migrations[..last] {
        assert!(m.as_object_mut().expect("an object").remove("snapshot_blake3").is_some(), "built from scratch: {m}");
    }
    let ours: serde_json::Value = serde_json::from_str(&read(&mig, "dddc.lock")).expect("JSON");
    assert_eq!(ours, expected, "the lock after the upgrade");
    let o = dddc(dir.path(), &["check"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `dddc.schema` is what `build` reads; without it the lock is unusable, and
/// the message says how to get it back.
/// `check` reads the snapshot only when the model's does not write the same
/// text: one that does not read is still the one problem reported, with
/// its line, whether the model changed or not.
#[test]
fn a_snapshot_that_does_not_read_is_the_one_problem() {
    for changed in [false, true] {
        let dir = built();
        let snapshot = dir.path().join("db/migration/dddc.schema");
        let text = std::fs::read_to_string(&snapshot).expect("read the lock's snapshot");
        let broken: Vec<&str> = text.lines().enumerate().map(|(i, l)| if i == 2 { "{\"broken" } else { l }).collect();
        std::fs::write(&snapshot, broken.join("\n") + "\n").expect("write snapshot");
        if changed {
            std::fs::write(dir.path().join("tienda.ddd"), MODEL.replace("correo: text(200)", "correo: text(250)"))
                .expect("write model");
        }
        assert_fails_with(dir.path(), "`dddc.schema`: line 3");
        let o = dddc(dir.path(), &["check", "--no-cache"]);
        assert!(stderr(&o).contains("check failed: 1 problem(s)"), "{}", stderr(&o));
    }
}

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
        // In full, and without writing a cache into the source tree.
        let o = dddc(&dir, &["check", "--no-cache"]);
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

/// `git args…` in `dir`, with no user or system configuration.
fn git(dir: &Path, args: &[&str]) -> String {
    let o = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "a")
        .env("GIT_AUTHOR_EMAIL", "a@example.com")
        .env("GIT_COMMITTER_NAME", "a")
        .env("GIT_COMMITTER_EMAIL", "a@example.com")
        .output()
        .expect("git runs");
    assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The JSON document of `dddc check`, and whether the last pass answered.
fn check_json(dir: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut args = vec!["--format", "json", "check"];
    args.extend_from_slice(extra);
    let o = dddc(dir, &args);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    (o.status.code(), doc)
}

fn without_cached(mut doc: serde_json::Value) -> serde_json::Value {
    doc.as_object_mut().expect("an object").remove("cached");
    doc
}

/// A check of a project nothing changed in since the last pass answers from
/// that pass, with the same words and the same document as a check in full;
/// `--no-cache` neither reads nor records it.
#[test]
fn an_unchanged_project_is_checked_from_its_last_pass() {
    let dir = built();
    std::fs::write(dir.path().join("db/migration/R__views.sql"), "CREATE OR REPLACE VIEW v AS SELECT 1;\n")
        .expect("write");
    let (code, full) = check_json(dir.path(), &[]);
    assert_eq!((code, &full["cached"]), (Some(0), &serde_json::json!(false)), "{full}");
    let (code, cached) = check_json(dir.path(), &[]);
    assert_eq!((code, &cached["cached"]), (Some(0), &serde_json::json!(true)), "{cached}");
    assert_eq!(without_cached(cached), without_cached(full.clone()));
    assert_eq!(full["repeatable"], serde_json::json!(["R__views.sql"]));
    assert!(full["lint"]["score"].is_u64(), "{full}");
    let text = dddc(dir.path(), &["check"]);
    assert!(stderr(&text).contains("note: `R__views.sql` is a repeatable migration"), "{}", stderr(&text));
    assert!(stderr(&text).contains("nothing changed since the last check passed"), "{}", stderr(&text));
    assert_eq!(std::fs::read_to_string(dir.path().join(".dddc/.gitignore")).expect("read").lines().last(), Some("*"));

    let (_, again) = check_json(dir.path(), &["--no-cache"]);
    assert_eq!(again["cached"], serde_json::json!(false));
    let fresh = tempfile::tempdir().expect("temp dir");
    std::fs::write(fresh.path().join("tienda.ddd"), MODEL).expect("write model");
    assert!(dddc(fresh.path(), &["build"]).status.success());
    std::fs::remove_dir_all(fresh.path().join(".dddc")).expect("the build recorded a pass");
    let (code, _) = check_json(fresh.path(), &["--no-cache"]);
    assert_eq!(code, Some(0));
    assert!(!fresh.path().join(".dddc").exists(), "--no-cache writes nothing");
}

/// Changes that leave the verdict as it was still make the next check run
/// in full (and record the new state): an edit of the model that changes no
/// output, a file of the team's own in the documentation folder, another
/// `SOURCE_DATE_EPOCH`, another `dddc.toml`.
#[test]
fn any_change_makes_the_next_check_run_in_full() {
    let dir = built();
    let cached = |dir: &Path| check_json(dir, &[]).1["cached"].clone();
    assert_eq!(cached(dir.path()), serde_json::json!(true));
    type Change = Box<dyn Fn(&Path)>;
    let changes: Vec<(&str, Change)> = vec![
        (
            "the model reformatted",
            Box::new(|d: &Path| std::fs::write(d.join("tienda.ddd"), MODEL.replace("  tables", "    tables")).unwrap()),
        ),
        ("a README in docs", Box::new(|d: &Path| std::fs::write(d.join("docs/README.md"), "# Notas\n").unwrap())),
        ("a folder in the migrations", Box::new(|d: &Path| std::fs::create_dir(d.join("db/migration/old")).unwrap())),
        ("dddc.toml", Box::new(|d: &Path| std::fs::write(d.join("dddc.toml"), "[lint]\nmin_score = 10\n").unwrap())),
    ];
    for (what, change) in changes {
        change(dir.path());
        let (code, doc) = check_json(dir.path(), &[]);
        assert_eq!((code, &doc["cached"]), (Some(0), &serde_json::json!(false)), "after {what}: {doc}");
        assert_eq!(cached(dir.path()), serde_json::json!(true), "after {what}, the new state is recorded");
    }
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dddc"))
        .args(["-C", &dir.path().display().to_string(), "--format", "json", "check"])
        .env("SOURCE_DATE_EPOCH", "1790000000")
        .output()
        .expect("dddc runs");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(doc["cached"], serde_json::json!(false), "another SOURCE_DATE_EPOCH: {doc}");
}

/// A cache that does not read (a merge's conflict markers, a truncated
/// file, another format) is a miss: the check runs in full and records its
/// pass again.
#[test]
fn a_cache_that_does_not_read_is_a_miss() {
    let dir = built();
    let path = dir.path().join(".dddc/check");
    let good = std::fs::read_to_string(&path).expect("read the cache");
    for bad in
        [String::new(), format!("<<<<<<< HEAD\n{good}=======\n>>>>>>> other\n"), good[..good.len() / 2].to_string()]
    {
        std::fs::write(&path, &bad).expect("write");
        let (code, doc) = check_json(dir.path(), &[]);
        assert_eq!((code, &doc["cached"]), (Some(0), &serde_json::json!(false)), "{bad:?}: {doc}");
        let again = std::fs::read_to_string(&path).expect("read");
        assert_eq!(again.lines().take(3).collect::<Vec<_>>(), good.lines().take(3).collect::<Vec<_>>());
        let (_, doc) = check_json(dir.path(), &[]);
        assert_eq!(doc["cached"], serde_json::json!(true), "the pass is recorded again: {again}");
        std::fs::write(&path, &good).expect("write");
    }
}

/// A build with nothing to do answers from the last pass too, with the
/// same words and document; with something to do, it builds.
#[test]
fn a_build_with_nothing_to_do_answers_from_the_last_pass() {
    let dir = built();
    let json_build = |dir: &Path| {
        let o = dddc(dir, &["--format", "json", "build"]);
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8(o.stdout).expect("UTF-8")
    };
    let from_cache = json_build(dir.path());
    let text = dddc(dir.path(), &["build"]);
    std::fs::remove_dir_all(dir.path().join(".dddc")).expect("remove the cache");
    let full_text = dddc(dir.path(), &["build"]);
    assert_eq!(stderr(&text), stderr(&full_text));
    assert!(stderr(&text).contains("up to date: nothing to write"), "{}", stderr(&text));
    assert_eq!(from_cache, json_build(dir.path()));

    assert!(dddc(dir.path(), &["check"]).status.success());
    std::fs::write(
        dir.path().join("tienda.ddd"),
        MODEL.replace("correo: text(200) unique", "correo: text(200) unique\n    telefono: text(20)?"),
    )
    .expect("write");
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("wrote V2__"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("up to date"), "{}", stderr(&o));
}

/// In a git repository the cache is never something to commit.
#[test]
fn git_never_sees_the_cache() {
    let dir = built();
    let git = |args: &[&str]| git(dir.path(), args);
    git(&["init", "-q"]);
    let status = git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(!status.contains(".dddc"), "{status}");
    assert!(status.contains("tienda.ddd"), "{status}");
}

/// `build` records a pass when a check right after it would pass and say
/// nothing but its verdict, so that the check a pre-commit hook runs next
/// answers at once; when that check would fail, it records nothing, and the
/// check says what a check in full says.
#[test]
fn a_build_records_a_pass_only_when_check_would_pass() {
    let fresh = || {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("tienda.ddd"), MODEL).expect("write model");
        dir
    };
    let build = |dir: &Path| {
        let o = dddc(dir, &["build"]);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    let same_as_in_full = |dir: &Path| {
        let (code, doc) = check_json(dir, &[]);
        let (full_code, full) = check_json(dir, &["--no-cache"]);
        assert_eq!(code, full_code, "{doc}\n{full}");
        assert_eq!(without_cached(doc.clone()), without_cached(full), "{doc}");
        (code, doc["cached"].clone())
    };

    // A first build, then one that adds a migration: each records a pass.
    let dir = fresh();
    build(dir.path());
    assert_eq!(same_as_in_full(dir.path()), (Some(0), serde_json::json!(true)));
    std::fs::write(
        dir.path().join("tienda.ddd"),
        MODEL.replace("correo: text(200) unique", "correo: text(200) unique\n    telefono: text(20)?"),
    )
    .expect("write");
    std::fs::write(dir.path().join("db/migration/R__views.sql"), "CREATE OR REPLACE VIEW v AS SELECT 1;\n")
        .expect("write");
    build(dir.path());
    assert_eq!(same_as_in_full(dir.path()), (Some(0), serde_json::json!(true)));

    // A migration the lock does not know, beside the build's: the check
    // after the build fails, so nothing is recorded.
    let dir = fresh();
    std::fs::create_dir_all(dir.path().join("db/migration")).expect("mkdir");
    build(dir.path());
    std::fs::write(dir.path().join("db/migration/V7__by_hand.sql"), "SELECT 1;\n").expect("write");
    build(dir.path());
    assert!(!dir.path().join(".dddc/check").exists());
    assert_eq!(same_as_in_full(dir.path()).0, Some(1));

    // A generated migration edited by hand (its SHA-256 is not the
    // lock's): the build leaves it alone, and records nothing.
    let dir = fresh();
    build(dir.path());
    let v1 = dir.path().join("db/migration/V1__init.sql");
    let mut text = std::fs::read_to_string(&v1).expect("V1");
    text.push_str("-- edited\n");
    std::fs::write(&v1, text).expect("write");
    build(dir.path());
    assert!(!dir.path().join(".dddc/check").exists());
    assert_eq!(same_as_in_full(dir.path()).0, Some(1));

    // A hand-written migration still the template `dddc new` wrote.
    let dir = fresh();
    build(dir.path());
    let o = dddc(dir.path(), &["new", "fix_data"]);
    assert!(o.status.success(), "{}", stderr(&o));
    build(dir.path());
    assert!(!dir.path().join(".dddc/check").exists());
    assert_eq!(same_as_in_full(dir.path()).0, Some(1));

    // A lint below the minimum.
    let dir = fresh();
    std::fs::write(dir.path().join("dddc.toml"), "[lint]\nmin_score = 101\n").expect("write");
    build(dir.path());
    assert!(!dir.path().join(".dddc/check").exists());
    assert_eq!(same_as_in_full(dir.path()).0, Some(1));
}

/// A link to a folder inside the documentation folder is the team's own:
/// never followed. A link back up (`docs/loop -> ..`) made `build` remove
/// the documents it had just written, through their alias
/// `docs/loop/docs/…`, and `check` report 1,440 "left over" files.
#[cfg(unix)]
#[test]
fn a_link_to_a_folder_in_the_docs_is_left_alone() {
    let dir = built();
    let docs = dir.path().join("docs");
    std::os::unix::fs::symlink("..", docs.join("loop")).expect("symlink");
    let before = snapshot(&docs);
    assert!(before.len() > 2, "{before:?}");
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("removed"), "{}", stderr(&o));
    assert_eq!(before, snapshot(&docs), "every document is still there");
    for extra in [&[][..], &["--no-cache"][..]] {
        let (code, doc) = check_json(dir.path(), extra);
        assert_eq!(code, Some(0), "{doc}");
    }
    // What the link leads to is not the project's: a change there is not
    // a change of the documentation.
    let elsewhere = tempfile::tempdir().expect("temp dir");
    std::fs::write(elsewhere.path().join("notes.md"), "# dddc notes\n").expect("write");
    std::os::unix::fs::symlink(elsewhere.path(), docs.join("shared")).expect("symlink");
    assert_eq!(check_json(dir.path(), &[]).0, Some(0));
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(elsewhere.path().join("notes.md").exists(), "a file behind a link is never removed");
}

/// The templates folder is part of what a pass vouches for: a template
/// edited after the pass makes the documents stale, and the check says so
/// instead of answering from the pass.
#[test]
fn an_edited_template_is_never_answered_from_the_last_pass() {
    let dir = built();
    let templates = dir.path().join("doc-templates");
    std::fs::create_dir(&templates).expect("mkdir");
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/docs/data_model.md.j2");
    let text = std::fs::read_to_string(builtin).expect("the built-in template");
    std::fs::write(templates.join("data_model.md.j2"), &text).expect("write");
    std::fs::write(dir.path().join("dddc.toml"), "[docs]\ntemplates = \"doc-templates\"\n").expect("write");
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        check_json(dir.path(), &[]),
        (Some(0), {
            let (_, doc) = check_json(dir.path(), &["--no-cache"]);
            let mut doc = doc;
            doc["cached"] = serde_json::json!(true);
            doc
        })
    );
    std::fs::write(templates.join("data_model.md.j2"), format!("{text}\nNotas del equipo.\n")).expect("write");
    assert_fails_with(dir.path(), "docs/data-model.md` is stale");
}

/// Switching branches with real git: each branch's files are checked in
/// full the first time after the switch (never answered from the other
/// branch's pass), and from their own pass after that.
#[test]
fn switching_branches_never_answers_from_the_other_branchs_pass() {
    let dir = built();
    let git = |args: &[&str]| git(dir.path(), args);
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "v1"]);
    git(&["checkout", "-qb", "telefono"]);
    std::fs::write(
        dir.path().join("tienda.ddd"),
        MODEL.replace("correo: text(200) unique", "correo: text(200) unique\n    telefono: text(20)?"),
    )
    .expect("write");
    assert!(dddc(dir.path(), &["build"]).status.success());
    git(&["add", "-A"]);
    git(&["commit", "-qm", "telefono"]);
    let cached = |dir: &Path| {
        let (code, doc) = check_json(dir, &[]);
        assert_eq!(code, Some(0), "{doc}");
        doc["cached"].clone()
    };
    assert_eq!(cached(dir.path()), serde_json::json!(true), "the build's pass");
    git(&["checkout", "-q", "main"]);
    assert_eq!(cached(dir.path()), serde_json::json!(false), "main after telefono");
    assert_eq!(cached(dir.path()), serde_json::json!(true));
    git(&["checkout", "-q", "telefono"]);
    assert_eq!(cached(dir.path()), serde_json::json!(false), "telefono after main");
    // And a hand edit after the pass is caught.
    let v2 = std::fs::read_dir(dir.path().join("db/migration"))
        .expect("read")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("V2__")))
        .expect("a V2");
    std::fs::write(&v2, format!("{}-- edited\n", std::fs::read_to_string(&v2).expect("read"))).expect("write");
    assert_fails_with(dir.path(), "was edited after it was generated");
}

/// With `[docs] dir = "."` the documentation folder is the project's:
/// git's folder there is never taken for a left-over document (nor hashed
/// for the check's cache), and the project checks from its last pass.
#[test]
fn a_docs_folder_at_the_root_leaves_git_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("tienda.ddd"), MODEL).expect("write model");
    std::fs::write(dir.path().join("dddc.toml"), "[docs]\ndir = \".\"\n").expect("write");
    let git = dir.path().join(".git");
    std::fs::create_dir(&git).expect("mkdir");
    std::fs::write(git.join("notes.md"), "# Notes on dddc\n").expect("write");
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(git.join("notes.md").exists(), "a build never removes a file of .git");
    let (code, doc) = check_json(dir.path(), &[]);
    assert_eq!((code, &doc["cached"]), (Some(0), &serde_json::json!(true)), "{doc}");
    std::fs::write(git.join("notes.md"), "# Notes on dddc, edited\n").expect("write");
    let (code, doc) = check_json(dir.path(), &[]);
    assert_eq!((code, &doc["cached"]), (Some(0), &serde_json::json!(true)), "{doc}");
}

/// `check` compares the data dictionary with its file a context's section
/// at a time, each made only when the comparison reaches it: an edit
/// anywhere in it (the table of contents, the first or the last context's
/// section, the end) fails the gate with its diff, and `build` puts it
/// back.
#[test]
fn the_data_dictionary_edited_anywhere_fails_the_gate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = "model tienda {\n  tables plural_es\n}\n\n\
        /// Ventas.\ncontext ventas {\n  /// Un cliente primero.\n  aggregate Cliente {\n    nombre: text(100)\n  }\n}\n\n\
        /// Pagos.\ncontext pagos {\n  /// Un pago.\n  aggregate Pago {\n    monto: decimal(12, 2)\n  }\n}\n\n\
        /// Envíos.\ncontext envios {\n  /// Un envío último.\n  aggregate Envio {\n    destino: text(200)\n  }\n}\n";
    std::fs::write(dir.path().join("tienda.ddd"), model).expect("write model");
    let b = dddc(dir.path(), &["build"]);
    assert!(b.status.success(), "build failed: {}", stderr(&b));
    let path = dir.path().join("docs/data-dictionary.md");
    let text = std::fs::read_to_string(&path).expect("the data dictionary");
    let toc = text.find("envios").expect("the table of contents names the contexts");
    let first = text.find("Un cliente primero.").expect("the first section");
    let last = text.find("Un envío último.").expect("the last section");
    assert!(toc < first && first < last, "the table of contents first, then the sections in order");
    let edits = [
        format!("{}Envios{}", &text[..toc], &text[toc + "envios".len()..]),
        text.replacen("Un cliente primero.", "Un cliente primerx.", 1),
        text.replacen("Un envío último.", "Un envío último!", 1),
        format!("{text}\n"),
        text[..text.len() - 1].to_string(),
        String::new(),
    ];
    for edited in &edits {
        let c = dddc(dir.path(), &["check"]);
        assert!(c.status.success(), "check failed before the edit: {}", stderr(&c));
        std::fs::write(&path, edited).expect("edit the data dictionary");
        assert_fails_with(dir.path(), "data-dictionary.md` is stale (edited by hand");
        let (_, json) = check_json(dir.path(), &["--no-cache"]);
        let diff = json["findings"][0]["diff"].as_str().unwrap_or_default();
        assert!(diff.contains("data-dictionary.md"), "a diff of the dictionary: {json}");
        let b = dddc(dir.path(), &["build"]);
        assert!(b.status.success(), "build failed: {}", stderr(&b));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), text, "build puts the dictionary back");
    }
}

/// A build drops each document it finds on disk as it made it: after an
/// edit of one context, the other's diagrams are neither written nor
/// removed, and the pass the build records (from the digests of what it
/// compared) answers for them as a check in full does.
#[test]
fn a_build_leaves_the_documents_it_made_the_same_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = "model tienda {\n  tables plural_es\n}\n\n\
        /// Ventas.\ncontext ventas {\n  /// Un cliente.\n  aggregate Cliente {\n    nombre: text(100)\n  }\n}\n\n\
        /// Pagos.\ncontext pagos {\n  /// Un pago.\n  aggregate Pago {\n    monto: decimal(12, 2)\n  }\n}\n";
    std::fs::write(dir.path().join("tienda.ddd"), model).expect("write model");
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pagos = ["docs/erd/pagos.puml", "docs/erd/pagos.svg"];
    let before: Vec<Vec<u8>> = pagos.iter().map(|p| std::fs::read(dir.path().join(p)).expect("read")).collect();
    std::fs::write(
        dir.path().join("tienda.ddd"),
        model.replace("nombre: text(100)", "nombre: text(100)\n    telefono: text(20)?"),
    )
    .expect("write");
    let o = dddc(dir.path(), &["--format", "json", "build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    let written: Vec<&str> = doc["written"].as_array().expect("written").iter().filter_map(|p| p.as_str()).collect();
    assert!(written.contains(&"docs/erd/ventas.puml"), "{written:?}");
    for p in pagos {
        assert!(!written.contains(&p), "{p} is the same: {written:?}");
    }
    assert_eq!(doc["removed"], serde_json::json!([]));
    let after: Vec<Vec<u8>> = pagos.iter().map(|p| std::fs::read(dir.path().join(p)).expect("read")).collect();
    assert_eq!(before, after);
    let (code, cached) = check_json(dir.path(), &[]);
    let (full_code, full) = check_json(dir.path(), &["--no-cache"]);
    assert_eq!((code, full_code), (Some(0), Some(0)), "{full}");
    assert_eq!(cached["cached"], serde_json::json!(true), "the build recorded its pass");
    assert_eq!(without_cached(cached), without_cached(full));
    // A document the build dropped, edited after it: the pass does not
    // answer for it.
    std::fs::write(dir.path().join(pagos[0]), "@startuml\n' dddc\n@enduml\n").expect("write");
    assert_fails_with(dir.path(), "pagos.puml` is stale");
}
