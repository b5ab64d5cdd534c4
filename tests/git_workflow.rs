//! Teams and branches, with the real `git` in temporary repositories.

mod support;

use std::path::Path;
use std::process::Command;

use support::cli::{dddc, stderr};

const MODEL: &str = "/// Tienda.
model tienda {
  target postgres 16
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

  /// Un pedido de un cliente.
  aggregate Pedido {
    cliente: ref Cliente
    total: decimal(10, 2)
    creado: timestamp
  }
}

/// Catálogo.
context catalogo {
  /// Un producto.
  aggregate Producto {
    nombre: text(100)
    precio: decimal(10, 2)
  }
}
";

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    let o = Command::new("git")
        .args(["-c", "user.name=dddc", "-c", "user.email=dddc@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    o
}

#[track_caller]
fn git_ok(dir: &Path, args: &[&str]) -> String {
    let o = git(dir, args);
    assert!(
        o.status.success(),
        "git {args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[track_caller]
fn build(dir: &Path) {
    let o = dddc(dir, &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A repository with the model built and committed on `main`.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("tienda.ddd"), MODEL).expect("model");
    git_ok(dir.path(), &["init", "-q"]);
    build(dir.path());
    git_ok(dir.path(), &["add", "-A"]);
    git_ok(dir.path(), &["commit", "-q", "-m", "V1"]);
    dir
}

fn edit(dir: &Path, from: &str, to: &str) {
    let path = dir.join("tienda.ddd");
    let text = std::fs::read_to_string(&path).expect("model");
    assert!(text.contains(from), "{from}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

/// Two branches change different aggregates and build: git merges the
/// schema snapshot of the one into the other without a conflict. (The lock,
/// which lists the migrations of both as the next version, conflicts: that
/// is what `dddc rebase` resolves.)
#[test]
fn snapshots_of_two_branches_merge_without_conflict() {
    let repo = repository();
    let dir = repo.path();
    git_ok(dir, &["checkout", "-q", "-b", "a"]);
    edit(dir, "    correo: text(200) unique\n", "    correo: text(200) unique\n    telefono: text(20)?\n");
    build(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "a: telefono"]);
    git_ok(dir, &["checkout", "-q", "main"]);
    git_ok(dir, &["checkout", "-q", "-b", "b"]);
    edit(dir, "    precio: decimal(10, 2)\n", "    precio: decimal(10, 2)\n    index (nombre)\n");
    build(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "b: index"]);
    git_ok(dir, &["checkout", "-q", "a"]);
    let merge = git(dir, &["merge", "--no-edit", "b"]);
    let out = String::from_utf8_lossy(&merge.stdout).into_owned();
    let conflicted = git_ok(dir, &["diff", "--name-only", "--diff-filter=U"]);
    assert!(
        !conflicted.lines().any(|l| l.ends_with("dddc.schema")),
        "the snapshot conflicts:\n{out}\n{}",
        std::fs::read_to_string(dir.join("db/migration/dddc.schema")).unwrap_or_default()
    );
    assert!(!conflicted.lines().any(|l| l.ends_with(".ddd")), "{out}");
    // The merged snapshot holds both changes.
    let snapshot = std::fs::read_to_string(dir.join("db/migration/dddc.schema")).expect("snapshot");
    assert!(snapshot.contains("  column telefono "), "{snapshot}");
    assert!(snapshot.contains("  index idx_productos_nombre "), "{snapshot}");
}

/// The migrations of a folder, applied the way Flyway applies them (the
/// library's runner, which `dddc verify` uses).
fn flyway_migrate(db: &mut postgres::Client, dir: &Path) {
    let files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("migrations")
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap_or_default()))
        .collect();
    for step in dddc::introspect::verify::steps(&files, |_| false) {
        dddc::introspect::verify::run(db, &step.apply).unwrap_or_else(|e| panic!("{}: {e}", step.apply.name));
    }
}

/// The catalog after every migration of `dir`, and after the V1 a fresh
/// build of the project's model writes: equal.
fn assert_migrations_equal_fresh_v1(dir: &Path, db_name: &str) {
    let pg = support::pg::shared();
    let mut db = pg.create_database(db_name);
    flyway_migrate(&mut db, &dir.join("db/migration"));
    let fresh = tempfile::tempdir().expect("temp dir");
    std::fs::copy(dir.join("tienda.ddd"), fresh.path().join("tienda.ddd")).expect("model");
    build(fresh.path());
    let mut db_fresh = pg.create_database(&format!("{db_name}_fresh"));
    flyway_migrate(&mut db_fresh, &fresh.path().join("db/migration"));
    let (a, b) = (support::catalog::fingerprint(&mut db), support::catalog::fingerprint(&mut db_fresh));
    assert!(
        a == b,
        "the migrations in order differ from a fresh V1:\n{}",
        similar::TextDiff::from_lines(&b, &a).unified_diff()
    );
}

#[track_caller]
fn check_passes(dir: &Path) {
    let o = dddc(dir, &["check"]);
    assert!(o.status.success(), "check:\n{}", stderr(&o));
}

/// A lost lock: the build refuses instead of writing a new V1 over the
/// history, and says how to get the lock back; restored, all is well.
#[test]
fn a_lost_lock_never_rewrites_history() {
    let repo = repository();
    let dir = repo.path();
    edit(dir, "    correo: text(200) unique\n", "    correo: text(200) unique\n    telefono: text(20)?\n");
    build(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "V2"]);
    let v1 = std::fs::read(dir.join("db/migration/V1__init.sql")).expect("V1");
    std::fs::remove_file(dir.join("db/migration/dddc.lock")).unwrap();
    let o = dddc(dir, &["build"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("but no lock"), "{}", stderr(&o));
    assert!(stderr(&o).contains("git checkout"), "{}", stderr(&o));
    assert_eq!(std::fs::read(dir.join("db/migration/V1__init.sql")).unwrap(), v1, "V1 untouched");
    assert!(!dir.join("db/migration/dddc.lock").exists(), "nothing written");
    git_ok(dir, &["checkout", "--", "db/migration"]);
    check_passes(dir);
}

/// The merge story: `main` gets an index (V2) while branch `a` adds a
/// column (its own V2). After `git merge main` the lock conflicts, `check`
/// and `build` name `dddc rebase`; the rebase keeps main's V2, builds a's
/// change as V3, and the project checks, commits and migrates PostgreSQL
/// to exactly a fresh V1 of the merged model.
#[test]
fn a_branch_rebased_after_a_merge() {
    let repo = repository();
    let dir = repo.path();
    git_ok(dir, &["checkout", "-q", "-b", "a"]);
    edit(dir, "    correo: text(200) unique\n", "    correo: text(200) unique\n    telefono: text(20)?\n");
    build(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "a: telefono"]);
    git_ok(dir, &["checkout", "-q", "main"]);
    edit(dir, "    precio: decimal(10, 2)\n", "    precio: decimal(10, 2)\n    index (nombre)\n");
    build(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "main: index"]);
    let main_v2: Vec<String> = std::fs::read_dir(dir.join("db/migration"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("V2__"))
        .collect();
    git_ok(dir, &["checkout", "-q", "a"]);
    let merge = git(dir, &["merge", "--no-edit", "main"]);
    assert!(!merge.status.success(), "the locks conflict");
    let o = dddc(dir, &["check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("dddc rebase"), "{}", stderr(&o));
    let o = dddc(dir, &["rebase"]);
    assert!(o.status.success(), "rebase:\n{}", stderr(&o));
    for n in &main_v2 {
        assert!(dir.join("db/migration").join(n).exists(), "main's {n} is kept");
    }
    let v3: Vec<String> = std::fs::read_dir(dir.join("db/migration"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("V3__"))
        .collect();
    assert_eq!(v3.len(), 1, "a's change is V3: {v3:?}");
    let text = std::fs::read_to_string(dir.join("db/migration").join(&v3[0])).unwrap();
    assert!(text.contains("telefono"), "{text}");
    check_passes(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "--no-edit"]);
    check_passes(dir);
    assert_migrations_equal_fresh_v1(dir, "git_rebase");
}

/// Built a V2 and then changed the model again before merging: `rewind`
/// forgets V2 and the next build writes the change again from the model.
#[test]
fn an_unshipped_migration_is_rewound_and_built_again() {
    let repo = repository();
    let dir = repo.path();
    edit(dir, "    correo: text(200) unique\n", "    correo: text(200) unique\n    telefono: text(20)?\n");
    build(dir);
    let snapshot_v1 = git_ok(dir, &["show", "HEAD:db/migration/dddc.schema"]);
    let o = dddc(dir, &["rewind", "--to", "1"]);
    assert!(o.status.success(), "rewind:\n{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(dir.join("db/migration/dddc.schema")).unwrap(), snapshot_v1);
    assert!(std::fs::read_dir(dir.join("db/migration"))
        .unwrap()
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().starts_with("V2__")));
    edit(dir, "    telefono: text(20)?\n", "    telefono: text(30)?\n");
    build(dir);
    let v2 = std::fs::read_dir(dir.join("db/migration"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("V2__"))
        .expect("V2 again");
    assert!(std::fs::read_to_string(v2.path()).unwrap().contains("VARCHAR(30)"));
    check_passes(dir);
    assert_migrations_equal_fresh_v1(dir, "git_rewind");
}

/// A hand-written migration: registered by `dddc new`, `check` fails while
/// it is the template, `build` records it once written, `check` passes, an
/// edit after that fails `check`; it runs in order on PostgreSQL.
#[test]
fn a_hand_written_migration() {
    let repo = repository();
    let dir = repo.path();
    let o = dddc(dir, &["new", "seed clientes"]);
    assert!(o.status.success(), "new:\n{}", stderr(&o));
    let v2 = dir.join("db/migration/V2__seed_clientes.sql");
    assert!(v2.exists() && dir.join("db/migration/U2__seed_clientes.sql").exists());
    let o = dddc(dir, &["check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("still the template"), "{}", stderr(&o));
    let text = std::fs::read_to_string(&v2).unwrap()
        + "INSERT INTO ventas.clientes (nombre, correo) VALUES ('Ana', 'ana@example.com');\n";
    std::fs::write(&v2, text).unwrap();
    let u2 = dir.join("db/migration/U2__seed_clientes.sql");
    let undo =
        std::fs::read_to_string(&u2).unwrap() + "DELETE FROM ventas.clientes WHERE correo = 'ana@example.com';\n";
    std::fs::write(&u2, undo).unwrap();
    let o = dddc(dir, &["check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is written but not yet recorded: run `dddc build`"), "{}", stderr(&o));
    let o = dddc(dir, &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("recorded the hand-written migration V2__seed_clientes.sql"), "{}", stderr(&o));
    check_passes(dir);
    // A model change comes after it, as V3.
    edit(dir, "    correo: text(200) unique\n", "    correo: text(200) unique\n    telefono: text(20)?\n");
    build(dir);
    assert!(std::fs::read_dir(dir.join("db/migration"))
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("V3__")));
    check_passes(dir);
    let pg = support::pg::shared();
    let mut db = pg.create_database("git_hand_written");
    flyway_migrate(&mut db, &dir.join("db/migration"));
    let n: i64 = db.query_one("SELECT count(*) FROM ventas.clientes", &[]).unwrap().get(0);
    assert_eq!(n, 1, "the hand-written migration ran");
    // Edited after it was recorded: the gate fails.
    let text = std::fs::read_to_string(&v2).unwrap() + "-- later\n";
    std::fs::write(&v2, text).unwrap();
    let o = dddc(dir, &["check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("was edited after it was recorded"), "{}", stderr(&o));
}

/// A hand-written migration registered on a branch and written, but not
/// yet recorded by a build (its checksums empty), when main's migration
/// takes its version: `rebase` moved it after main's as a fresh template,
/// and the SQL written in it was lost. It moves with its bytes (and its
/// `.conf`), and the next build records it.
#[test]
fn a_written_hand_written_migration_not_yet_recorded_keeps_its_sql_through_a_rebase() {
    let repo = repository();
    let dir = repo.path();
    git_ok(dir, &["checkout", "-q", "-b", "fix"]);
    git_ok(dir, &["checkout", "-q", "main"]);
    edit(dir, "    precio: decimal(10, 2)\n", "    precio: decimal(10, 2)\n    index (nombre)\n");
    build(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "main: index"]);
    git_ok(dir, &["checkout", "-q", "fix"]);
    let o = dddc(dir, &["new", "fix data"]);
    assert!(o.status.success(), "new:\n{}", stderr(&o));
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "fix: registered"]);
    let mig = dir.join("db/migration");
    let sql = "UPDATE ventas.clientes SET nombre = trim(nombre); -- the precious fix\n";
    let text = std::fs::read_to_string(mig.join("V2__fix_data.sql")).unwrap() + sql;
    std::fs::write(mig.join("V2__fix_data.sql"), text).unwrap();
    std::fs::write(mig.join("V2__fix_data.sql.conf"), "executeInTransaction=false\n").unwrap();
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "fix: written"]);
    let merge = git(dir, &["merge", "--no-edit", "main"]);
    assert!(!merge.status.success(), "the locks conflict");
    let o = dddc(dir, &["rebase"]);
    assert!(o.status.success(), "rebase:\n{}", stderr(&o));
    let v3 = std::fs::read_to_string(mig.join("V3__fix_data.sql")).expect("moved to V3");
    assert!(v3.ends_with(sql), "the SQL written is kept:\n{v3}");
    assert_eq!(std::fs::read_to_string(mig.join("V3__fix_data.sql.conf")).unwrap(), "executeInTransaction=false\n");
    assert!(!mig.join("V2__fix_data.sql").exists() && !mig.join("V2__fix_data.sql.conf").exists());
    let o = dddc(dir, &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("recorded the hand-written migration V3__fix_data.sql"), "{}", stderr(&o));
    check_passes(dir);
    let lock = std::fs::read_to_string(mig.join("dddc.lock")).unwrap();
    assert!(lock.contains("V3__fix_data.sql.conf"), "the .conf is recorded:\n{lock}");
}

/// The two branches of [`a_branch_rebased_after_a_merge`], `a` (a field,
/// V2) and `main` (an index, V2), each committed; on `a`.
fn two_branches_with_a_v2_each() -> (tempfile::TempDir, Vec<(String, Vec<u8>)>) {
    let repo = repository();
    let dir = repo.path();
    git_ok(dir, &["checkout", "-q", "-b", "a"]);
    edit(dir, "    correo: text(200) unique\n", "    correo: text(200) unique\n    telefono: text(20)?\n");
    build(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "a: telefono"]);
    git_ok(dir, &["checkout", "-q", "main"]);
    edit(dir, "    precio: decimal(10, 2)\n", "    precio: decimal(10, 2)\n    index (nombre)\n");
    build(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "main: index"]);
    let main_v2: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join("db/migration"))
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .filter(|(n, _)| n.starts_with("V2__") || n.starts_with("U2__"))
        .collect();
    assert!(!main_v2.is_empty());
    git_ok(dir, &["checkout", "-q", "a"]);
    (repo, main_v2)
}

/// Merged the other way, the feature branch into `main`: `rebase` kept
/// the feature's V2 and built main's change again as V3, and main's V2,
/// which a shared database had run, now held another change. On a shared
/// branch the sides swap: main's migrations keep their versions and
/// bytes, the feature's change is built after them.
#[test]
fn a_feature_merged_into_main_is_built_after_mains_migrations() {
    let (repo, main_v2) = two_branches_with_a_v2_each();
    let dir = repo.path();
    git_ok(dir, &["checkout", "-q", "main"]);
    let merge = git(dir, &["merge", "--no-edit", "a"]);
    assert!(!merge.status.success(), "the locks conflict");
    let o = dddc(dir, &["rebase"]);
    assert!(o.status.success(), "rebase:\n{}", stderr(&o));
    assert!(stderr(&o).contains("kept `main`'s"), "{}", stderr(&o));
    let mig = dir.join("db/migration");
    for (n, bytes) in &main_v2 {
        assert_eq!(&std::fs::read(mig.join(n)).unwrap(), bytes, "main's {n} is kept as it was");
    }
    let v3: Vec<String> = std::fs::read_dir(&mig)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("V3__") && n.ends_with(".sql"))
        .collect();
    assert_eq!(v3.len(), 1, "the feature's change is V3: {v3:?}");
    assert!(std::fs::read_to_string(mig.join(&v3[0])).unwrap().contains("telefono"));
    check_passes(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "--no-edit"]);
    check_passes(dir);
    assert_migrations_equal_fresh_v1(dir, "git_rebase_on_main");
    // `--onto` the feature from main would move main's: refused.
    let o = dddc(dir, &["rebase", "--onto", "a"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("is a shared branch"), "{}", stderr(&o));
}

/// `git rebase main` instead of a merge stops on the lock's conflict:
/// `dddc rebase` answered "no merge in progress", and `--onto main` left
/// the branch's old V2 beside the new V3 (check then failed on two V2s,
/// and rebase kept answering the same). During a rebase or cherry-pick,
/// HEAD is main's side: its migrations stay, the replayed commit's are
/// built again after them.
#[test]
fn a_branch_rebased_with_git_rebase_instead_of_a_merge() {
    let (repo, main_v2) = two_branches_with_a_v2_each();
    let dir = repo.path();
    let o = git(dir, &["rebase", "main"]);
    assert!(!o.status.success(), "the locks conflict");
    let o = dddc(dir, &["rebase"]);
    assert!(o.status.success(), "rebase:\n{}", stderr(&o));
    assert!(stderr(&o).contains("git rebase --continue"), "{}", stderr(&o));
    let mig = dir.join("db/migration");
    for (n, bytes) in &main_v2 {
        assert_eq!(&std::fs::read(mig.join(n)).unwrap(), bytes, "main's {n} is kept as it was");
    }
    let names: Vec<String> =
        std::fs::read_dir(&mig).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(!names.iter().any(|n| n.starts_with("V2__") && n.contains("telefono")), "no stray V2: {names:?}");
    assert!(names.iter().any(|n| n.starts_with("V3__") && n.contains("telefono")), "{names:?}");
    check_passes(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["-c", "core.editor=true", "rebase", "--continue"]);
    check_passes(dir);
    assert_migrations_equal_fresh_v1(dir, "git_rebase_replayed");
}

/// `git pull` on `main` with a commit of its own not yet pushed: the
/// remote's `main` brings its V2, the local one has another V2. The
/// remote's was shipped; the local one was not: the remote's keeps its
/// version, the local change is built after it (the sides swap only
/// for a branch merged into `main`, not for `main`'s own remote).
#[test]
fn a_pull_on_main_keeps_the_remotes_migrations() {
    let origin = repository();
    let clone = tempfile::tempdir().unwrap();
    let local = clone.path().join("local");
    git_ok(origin.path(), &["clone", "-q", ".", &local.display().to_string()]);
    // Pushed by a colleague (made in the origin itself).
    edit(origin.path(), "    precio: decimal(10, 2)\n", "    precio: decimal(10, 2)\n    index (nombre)\n");
    build(origin.path());
    git_ok(origin.path(), &["add", "-A"]);
    git_ok(origin.path(), &["commit", "-q", "-m", "remote: index"]);
    let remote_v2: Vec<(String, Vec<u8>)> = std::fs::read_dir(origin.path().join("db/migration"))
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .filter(|(n, _)| n.starts_with("V2__"))
        .collect();
    // Local, not pushed.
    edit(&local, "    correo: text(200) unique\n", "    correo: text(200) unique\n    telefono: text(20)?\n");
    build(&local);
    git_ok(&local, &["add", "-A"]);
    git_ok(&local, &["commit", "-q", "-m", "local: telefono"]);
    git_ok(&local, &["fetch", "-q"]);
    let merge = git(&local, &["merge", "--no-edit", "origin/main"]);
    assert!(!merge.status.success(), "the locks conflict");
    let o = dddc(&local, &["rebase"]);
    assert!(o.status.success(), "rebase:\n{}", stderr(&o));
    let mig = local.join("db/migration");
    for (n, bytes) in &remote_v2 {
        assert_eq!(&std::fs::read(mig.join(n)).unwrap(), bytes, "the remote's {n} is kept");
    }
    assert!(std::fs::read_dir(&mig).unwrap().flatten().any(|e| {
        let n = e.file_name().to_string_lossy().into_owned();
        n.starts_with("V3__") && n.contains("telefono")
    }));
    check_passes(&local);
}

/// A branch of two commits, a hand-written migration recorded in the
/// first and a field built in the second, rebased with `git rebase main`
/// (main has its own V2): git stops on the lock at each commit. At the
/// second stop the replayed commit's lock still listed the first one's
/// migration under its old version, and `rebase` registered it again,
/// with no file. Only what the replayed commit adds is its own.
#[test]
fn a_branch_of_two_commits_rebased_with_git_rebase() {
    let (repo, _) = two_branches_with_a_v2_each();
    let dir = repo.path();
    // `a` has V2 telefono; make a branch `b` from main's parent with two commits.
    git_ok(dir, &["checkout", "-q", "-b", "b", "main~1"]);
    let o = dddc(dir, &["new", "fix data"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v2 = dir.join("db/migration/V2__fix_data.sql");
    let text = std::fs::read_to_string(&v2).unwrap() + "UPDATE ventas.clientes SET nombre = trim(nombre);\n";
    std::fs::write(&v2, text).unwrap();
    build(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "b: fix"]);
    edit(dir, "    creado: timestamp\n", "    creado: timestamp\n    nota: text(50)?\n");
    build(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "b: nota"]);
    let mut stops = 0;
    let mut o = git(dir, &["rebase", "main"]);
    while !o.status.success() {
        stops += 1;
        assert!(stops <= 3, "{}", String::from_utf8_lossy(&o.stderr));
        let r = dddc(dir, &["rebase"]);
        assert!(r.status.success(), "rebase at stop {stops}:\n{}", stderr(&r));
        git_ok(dir, &["add", "-A"]);
        o = git(dir, &["-c", "core.editor=true", "rebase", "--continue"]);
    }
    check_passes(dir);
    let names: Vec<String> = std::fs::read_dir(dir.join("db/migration"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('V') && n.ends_with(".sql"))
        .collect();
    assert!(names.iter().any(|n| n.starts_with("V3__fix_data")), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("V4__") && n.contains("nota")), "{names:?}");
    let lock = std::fs::read_to_string(dir.join("db/migration/dddc.lock")).unwrap();
    assert_eq!(
        lock.matches("__fix_data.sql\"").count(),
        2,
        "one entry (its V and U) for the hand-written migration:\n{lock}"
    );
    assert_migrations_equal_fresh_v1(dir, "git_rebase_two_commits");
}

/// A branch that merged main's V2, then built V3: `rewind --to 1` deleted
/// main's V2, which a shared database had run; the next build wrote
/// another V2. Refused; rewinding to V2 (the branch's own V3) works.
#[test]
fn rewind_never_forgets_a_migration_that_is_on_main() {
    let (repo, _) = two_branches_with_a_v2_each();
    let dir = repo.path();
    let merge = git(dir, &["merge", "--no-edit", "main"]);
    assert!(!merge.status.success(), "the locks conflict");
    let o = dddc(dir, &["rebase"]);
    assert!(o.status.success(), "rebase:\n{}", stderr(&o));
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "--no-edit"]);
    let before = std::fs::read(dir.join("db/migration/dddc.lock")).unwrap();
    let o = dddc(dir, &["rewind", "--to", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("is on `main`") && stderr(&o).contains("rewind to V2"), "{}", stderr(&o));
    assert_eq!(std::fs::read(dir.join("db/migration/dddc.lock")).unwrap(), before, "nothing changed");
    let o = dddc(dir, &["rewind", "--to", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    build(dir);
    check_passes(dir);
}

/// A branch that drops a field (built with `--allow-destructive`) merges
/// main: `rebase` refused the drop (E0701), named `build
/// --allow-destructive`, which refused the lock's conflict markers. It
/// takes the flag itself.
#[test]
fn a_branch_with_a_drop_is_rebased_with_allow_destructive() {
    let repo = repository();
    let dir = repo.path();
    git_ok(dir, &["checkout", "-q", "-b", "drop"]);
    edit(dir, "    creado: timestamp\n", "");
    let o = dddc(dir, &["build", "--allow-destructive"]);
    assert!(o.status.success(), "{}", stderr(&o));
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "drop: creado"]);
    git_ok(dir, &["checkout", "-q", "main"]);
    edit(dir, "    precio: decimal(10, 2)\n", "    precio: decimal(10, 2)\n    index (nombre)\n");
    build(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "main: index"]);
    git_ok(dir, &["checkout", "-q", "drop"]);
    let merge = git(dir, &["merge", "--no-edit", "main"]);
    assert!(!merge.status.success(), "the locks conflict");
    let o = dddc(dir, &["rebase"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("E0701") && stderr(&o).contains("dddc rebase --allow-destructive"), "{}", stderr(&o));
    let o = dddc(dir, &["rebase", "--allow-destructive"]);
    assert!(o.status.success(), "rebase:\n{}", stderr(&o));
    check_passes(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "--no-edit"]);
    assert_migrations_equal_fresh_v1(dir, "git_rebase_destructive");
}

/// A clone with `core.autocrlf = true` (Git for Windows' default) has
/// every file with `\r\n` line ends: `check` called every migration
/// edited and every document stale, and `build` could not mend it. Line
/// ends are not an edit (Flyway's checksum reads lines, git stores the
/// files as dddc wrote them): the clone checks clean, builds nothing, and
/// an edit in it still fails.
#[test]
fn a_clone_with_crlf_line_ends_checks_clean_and_an_edit_still_fails() {
    let repo = repository();
    let dir = repo.path();
    edit(dir, "    correo: text(200) unique\n", "    correo: text(200) unique\n    telefono: text(20)?\n");
    build(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "telefono"]);
    let clone = tempfile::tempdir().unwrap();
    let to = clone.path().join("c");
    git_ok(dir, &["-c", "core.autocrlf=true", "clone", "-q", ".", &to.display().to_string()]);
    let v1 = std::fs::read(to.join("db/migration/V1__init.sql")).unwrap();
    assert!(v1.windows(2).any(|w| w == b"\r\n"), "git wrote CRLF");
    check_passes(&to);
    let o = dddc(&to, &["build"]);
    assert!(o.status.success() && !stderr(&o).contains("edited"), "{}", stderr(&o));
    assert!(stderr(&o).contains("up to date"), "{}", stderr(&o));
    let mut v2 = std::fs::read(to.join("db/migration/V2__add_telefono_to_clientes.sql")).unwrap();
    v2.extend_from_slice(b"-- a hand edit\r\n");
    std::fs::write(to.join("db/migration/V2__add_telefono_to_clientes.sql"), v2).unwrap();
    let o = dddc(&to, &["check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("V2__add_telefono_to_clientes.sql` was edited"), "{}", stderr(&o));
}

/// A branch's migrations rewound in a clone with `\r\n` line ends
/// (`core.autocrlf`, the branch checked out again after its commits): the
/// snapshot on disk is not the bytes whose digest the lock records, but
/// the patches read lines whatever their ends, so each patch's result
/// matches the digest of the migration before it. The rewound snapshot is
/// the branch's V2 snapshot as dddc wrote it, and the next build writes
/// V3 again.
#[test]
fn a_clone_with_crlf_line_ends_rewinds_a_branch() {
    let repo = repository();
    let clone = tempfile::tempdir().unwrap();
    let dir = clone.path().join("c");
    git_ok(repo.path(), &["clone", "-q", ".", &dir.display().to_string()]);
    let dir = dir.as_path();
    git_ok(dir, &["config", "core.autocrlf", "true"]);
    git_ok(dir, &["checkout", "-q", "-b", "f"]);
    edit(dir, "    correo: text(200) unique\n", "    correo: text(200) unique\n    telefono: text(20)?\n");
    build(dir);
    let v2 = std::fs::read(dir.join("db/migration/dddc.schema")).unwrap();
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "telefono"]);
    edit(dir, "    telefono: text(20)?\n", "    telefono: text(20)?\n    apodo: text(40)?\n");
    build(dir);
    let v3 = std::fs::read(dir.join("db/migration/dddc.schema")).unwrap();
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "apodo"]);
    git_ok(dir, &["checkout", "-q", "main"]);
    git_ok(dir, &["checkout", "-q", "f"]);
    let snapshot = dir.join("db/migration/dddc.schema");
    assert!(std::fs::read(&snapshot).unwrap().windows(2).any(|w| w == b"\r\n"), "git wrote CRLF");
    let o = dddc(dir, &["rewind", "--to", "2"]);
    assert!(o.status.success(), "rewind:\n{}", stderr(&o));
    assert_eq!(std::fs::read(&snapshot).unwrap(), v2, "V2's snapshot, as dddc wrote it");
    build(dir);
    assert_eq!(std::fs::read(&snapshot).unwrap(), v3, "V3 built again");
    check_passes(dir);
}

/// A hand-written migration on a machine with `\r\n` line ends: its
/// template, read with them, was taken for written SQL and recorded; and
/// once written and recorded there (the checksum of its `\r\n` bytes),
/// a checkout with `\n` called it edited. Neither is an edit.
#[test]
fn a_hand_written_migration_recorded_with_crlf_checks_clean_elsewhere() {
    let repo = repository();
    let dir = repo.path();
    let o = dddc(dir, &["new", "seed"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v2 = dir.join("db/migration/V2__seed.sql");
    let crlf = |t: &str| t.replace('\n', "\r\n");
    std::fs::write(&v2, crlf(&std::fs::read_to_string(&v2).unwrap())).unwrap();
    let o = dddc(dir, &["build"]);
    assert!(!stderr(&o).contains("recorded the hand-written"), "a template is not recorded: {}", stderr(&o));
    let o = dddc(dir, &["check"]);
    assert!(stderr(&o).contains("is still the template"), "{}", stderr(&o));
    let text = std::fs::read_to_string(&v2).unwrap() + &crlf("UPDATE ventas.clientes SET nombre = trim(nombre);\n");
    std::fs::write(&v2, text).unwrap();
    let o = dddc(dir, &["build"]);
    assert!(stderr(&o).contains("recorded the hand-written migration V2__seed.sql"), "{}", stderr(&o));
    check_passes(dir);
    git_ok(dir, &["-c", "core.autocrlf=input", "add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "seed"]);
    let clone = tempfile::tempdir().unwrap();
    let to = clone.path().join("c");
    git_ok(dir, &["-c", "core.autocrlf=false", "clone", "-q", ".", &to.display().to_string()]);
    assert!(!std::fs::read(to.join("db/migration/V2__seed.sql")).unwrap().contains(&b'\r'), "stored with LF");
    check_passes(&to);
}

/// The merge story with `versioning = "timestamp"`: the branches' versions
/// do not collide, but both locks list a new migration after V1 and
/// conflict; the rebase keeps main's and builds this branch's after it.
#[test]
fn a_branch_rebased_with_timestamp_versions() {
    let repo = repository();
    let dir = repo.path();
    std::fs::write(dir.join("dddc.toml"), "[migrations]\nversioning = \"timestamp\"\n").unwrap();
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "timestamps"]);
    let build_at = |epoch: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_dddc"))
            .arg("-C")
            .arg(dir)
            .arg("build")
            .env("NO_COLOR", "1")
            .env("SOURCE_DATE_EPOCH", epoch)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    };
    git_ok(dir, &["checkout", "-q", "-b", "a"]);
    edit(dir, "    correo: text(200) unique\n", "    correo: text(200) unique\n    telefono: text(20)?\n");
    build_at("1800000000");
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "a"]);
    git_ok(dir, &["checkout", "-q", "main"]);
    edit(dir, "    precio: decimal(10, 2)\n", "    precio: decimal(10, 2)\n    index (nombre)\n");
    build_at("1800000100");
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", "main"]);
    git_ok(dir, &["checkout", "-q", "a"]);
    let merge = git(dir, &["merge", "--no-edit", "main"]);
    assert!(!merge.status.success(), "the locks conflict");
    let o = Command::new(env!("CARGO_BIN_EXE_dddc"))
        .arg("-C")
        .arg(dir)
        .arg("rebase")
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1800000200")
        .output()
        .unwrap();
    assert!(o.status.success(), "rebase:\n{}", stderr(&o));
    let versions: Vec<String> = std::fs::read_dir(dir.join("db/migration"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('V') && n.ends_with(".sql"))
        .collect();
    assert_eq!(versions.len(), 3, "V1, main's and a's: {versions:?}");
    // a's migration (the telefono column) now comes after main's (the
    // index): its version is the rebase's time, later than main's.
    let version_of = |needle: &str| -> u64 {
        let name = versions
            .iter()
            .find(|v| std::fs::read_to_string(dir.join("db/migration").join(v)).unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no migration holds {needle}: {versions:?}"));
        name[1..].split("__").next().unwrap().parse().unwrap()
    };
    let (mains, ours) = (version_of("idx_productos_nombre"), version_of("telefono"));
    assert!(ours > mains, "a's change ({ours}) after main's ({mains}): {versions:?}");
    check_passes(dir);
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "--no-edit"]);
    assert_migrations_equal_fresh_v1(dir, "git_rebase_timestamps");
}
