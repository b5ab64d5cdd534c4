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
