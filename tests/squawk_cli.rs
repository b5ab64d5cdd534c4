//! The squawk review built into dddc, cross-checked with squawk's own CLI
//! (npm's `squawk-cli`, the same version as the `squawk-linter` crate dddc
//! embeds; `scripts/install-deps.sh` installs it into `target/squawk`): run
//! on every migration file of the examples, the way a team would run it in
//! CI (`--assume-in-transaction`; the online migrations opt out in their
//! header), it reports nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

fn squawk() -> PathBuf {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/squawk/node_modules/.bin/squawk");
    assert!(bin.exists(), "{} is missing: run scripts/install-deps.sh (needs npm)", bin.display());
    bin
}

fn sql_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    out.sort();
    out
}

#[test]
fn squawk_cli_reports_nothing_on_the_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for example in ["examples/mitoga/db/migration", "examples/history/db/migration"] {
        files.extend(sql_files(&root.join(example)));
    }
    assert!(files.len() > 10, "the examples' migrations: {files:?}");
    let out = Command::new(squawk())
        .args(["--pg-version", "15", "--assume-in-transaction", "--reporter", "gcc"])
        .args(&files)
        .output()
        .expect("run squawk");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stdout.trim().is_empty(), "squawk found:\n{stdout}\n{stderr}");
}

/// The CLI does flag what dddc's review flags: a migration that validates
/// in the transaction that added the constraint.
#[test]
fn squawk_cli_sees_the_mistake_dddc_avoids() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("V2__bad.sql");
    std::fs::write(
        &file,
        "SET LOCAL lock_timeout = '5s';\nSET LOCAL statement_timeout = '0';\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;\n",
    )
    .expect("write");
    let out = Command::new(squawk())
        .args(["--pg-version", "15", "--assume-in-transaction", "--reporter", "gcc"])
        .arg(&file)
        .output()
        .expect("run squawk");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("constraint-missing-not-valid"), "{stdout}");
}
