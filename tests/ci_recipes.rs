//! The CI and pre-commit recipes, run as they are: the shared CI script on
//! the bundled example, and each pre-commit hook's command on a copy of it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// PATH with the dddc under test first.
fn path_with_dddc() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_dddc")).parent().unwrap().to_path_buf();
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())
}

/// A copy of `examples/mitoga` (model, config, migrations, docs).
fn copy_of_mitoga() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy(&root().join("examples/mitoga"), dir.path());
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target: PathBuf = to.join(e.file_name());
        if e.path().is_dir() {
            copy(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn the_ci_script_checks_and_writes_sarif() {
    let project = copy_of_mitoga();
    let sarif = project.path().join("out.sarif");
    let o = Command::new("bash")
        .arg(root().join("examples/ci/dddc-ci.sh"))
        .arg(project.path())
        .arg(&sarif)
        .env("PATH", path_with_dddc())
        .output()
        .expect("bash");
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    // A migration edited by hand fails the job.
    let v1 = project.path().join("db/migration/V1__init.sql");
    let text = std::fs::read_to_string(&v1).unwrap() + "-- edited\n";
    std::fs::write(&v1, text).unwrap();
    let o = Command::new("bash")
        .arg(root().join("examples/ci/dddc-ci.sh"))
        .arg(project.path())
        .arg(&sarif)
        .env("PATH", path_with_dddc())
        .output()
        .expect("bash");
    assert_eq!(o.status.code(), Some(1));
    // Both recipes run that script.
    for recipe in ["examples/ci/github-actions.yml", "examples/ci/gitlab-ci.yml"] {
        let text = std::fs::read_to_string(root().join(recipe)).unwrap();
        assert!(text.contains("bash examples/ci/dddc-ci.sh . dddc.sarif"), "{recipe}");
        assert!(text.contains("cargo install --locked --git"), "{recipe}");
    }
}

#[test]
fn the_pre_commit_hooks_run() {
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let entries: Vec<&str> = text.lines().filter_map(|l| l.trim().strip_prefix("entry: ")).collect();
    assert_eq!(entries, ["dddc fmt --check", "dddc check"]);
    let project = copy_of_mitoga();
    for entry in &entries {
        let o = Command::new("sh")
            .args(["-c", entry])
            .current_dir(project.path())
            .env("PATH", path_with_dddc())
            .output()
            .expect("sh");
        assert!(o.status.success(), "{entry}: {}", String::from_utf8_lossy(&o.stderr));
    }
}
