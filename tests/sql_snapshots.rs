//! Snapshots of what `dddc build` writes for every example model
//! (`examples/<name>/`, with its `dddc.toml`): V1, U1 and the lock, one
//! snapshot per output file; plus `pg_dump --schema-only` of MiToga after
//! V1 on a real PostgreSQL, and a determinism check (two builds of the same
//! model are byte-identical).
//!
//! Review a changed snapshot with `cargo insta review`, or rewrite them all
//! with `INSTA_UPDATE=always cargo test --test sql_snapshots` and read the
//! diff (`git diff tests/snapshots`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use dddc::build::{plan, Inputs, Output};
use dddc::config::{load_config, Config};

/// Every `examples/<name>/` folder: `(name, folder)`.
fn examples() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir("examples")
        .expect("read examples/")
        .flatten()
        .filter(|e| e.path().join("dddc.toml").is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort();
    assert!(out.iter().any(|(n, _)| n == "mitoga"), "examples/mitoga is missing: {out:?}");
    out
}

/// The outputs of a first build (no lock, whatever the folder holds) of the
/// model in `dir`, as the CLI would compute them, with no date in the headers.
fn build(dir: &Path) -> Vec<Output> {
    let project = dddc::config::discover(Some(dir)).unwrap_or_else(|e| panic!("{e}"));
    build_file(&project.model, &project.config)
}

fn build_file(root: &Path, config: &Config) -> Vec<Output> {
    let fe = dddc::frontend(root, root).unwrap_or_else(|e| panic!("cannot read model: {e:?}"));
    let Some(model) = fe.model else {
        panic!(
            "{} does not compile:\n{}",
            root.display(),
            dddc::diagnostics::render_text(&fe.sources, &fe.diagnostics, dddc::diagnostics::ColorChoice::Never)
        );
    };
    let inputs = Inputs::new(config, root.parent().unwrap_or(Path::new(".")));
    plan(&model, &inputs).unwrap_or_else(|e| panic!("{}: build failed: {e:?}", root.display())).outputs
}

fn file_name(o: &Output) -> String {
    o.path.file_name().expect("output file name").to_string_lossy().into_owned()
}

fn text(o: &Output) -> String {
    String::from_utf8(o.bytes.clone()).expect("outputs are UTF-8")
}

#[test]
fn example_outputs() {
    for (name, dir) in examples() {
        let config = load_config(&dir).unwrap_or_else(|e| panic!("{e}"));
        // The migration folder's files; the docs have tests of their own.
        let outputs: Vec<Output> =
            build(&dir).into_iter().filter(|o| o.path.starts_with(&config.migrations.dir)).collect();
        let mut names: Vec<String> = outputs.iter().map(file_name).collect();
        names.sort();
        assert_eq!(
            names,
            ["U1__init.sql", "V1__init.sql", "dddc.lock", "dddc.schema"],
            "migration files written for examples/{name}"
        );
        for o in &outputs {
            insta::assert_snapshot!(format!("{name}__{}", file_name(o)), text(o));
        }
    }
}

#[test]
fn builds_are_deterministic() {
    let mut models: Vec<(PathBuf, Config)> = examples()
        .into_iter()
        .map(|(_, dir)| {
            let project = dddc::config::discover(Some(&dir)).unwrap_or_else(|e| panic!("{e}"));
            (project.model, project.config)
        })
        .collect();
    let mut extra: Vec<PathBuf> = std::fs::read_dir("tests/models")
        .expect("read tests/models")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ddd"))
        .collect();
    extra.sort();
    models.extend(extra.into_iter().map(|p| (p, Config::default())));
    for (root, config) in &models {
        let first = build_file(root, config);
        let second = build_file(root, config);
        assert_eq!(first.len(), second.len(), "{}", root.display());
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(a.path, b.path, "{}", root.display());
            assert!(a.bytes == b.bytes, "{}: two builds wrote different {}", root.display(), a.path.display());
        }
    }
}

/// `pg_dump`, preferably the one next to the server binaries.
fn pg_dump() -> PathBuf {
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("DDDC_PG_BIN") {
        candidates.push(PathBuf::from(dir).join("pg_dump"));
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        if out.status.success() {
            candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("pg_dump"));
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((major, e.path().join("bin/pg_dump")))
        })
        .collect();
    versions.sort();
    candidates.extend(versions.into_iter().rev().map(|(_, p)| p));
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join("pg_dump")));
    }
    candidates.into_iter().find(|p| p.is_file()).unwrap_or_else(|| {
        panic!(
            "pg_dump not found (looked in $DDDC_PG_BIN, `pg_config --bindir`, \
                 /usr/lib/postgresql/*/bin and $PATH): install the PostgreSQL client \
                 (scripts/install-deps.sh does on Debian) to run this test"
        )
    })
}

#[test]
fn mitoga_pg_dump_after_v1() {
    let outputs = build(Path::new("examples/mitoga"));
    let v1 = outputs.iter().find(|o| file_name(o).starts_with("V1__")).map(text).expect("V1 of mitoga");
    let cluster = support::pg::shared();
    let mut db = cluster.create_database("snapshot_mitoga");
    db.batch_execute(&format!("BEGIN;\n{v1}\nCOMMIT;"))
        .unwrap_or_else(|e| panic!("V1 does not apply: {}", support::pg::describe_error(&e)));
    drop(db);

    let pg_dump = pg_dump();
    let help = Command::new(&pg_dump)
        .arg("--help")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", pg_dump.display()));
    let mut cmd = Command::new(&pg_dump);
    cmd.args(["--schema-only", "--no-owner", "--no-privileges"]).arg("-h").arg(cluster.socket_dir()).args([
        "-p",
        &cluster.port().to_string(),
        "-U",
        "postgres",
        "snapshot_mitoga",
    ]);
    // Newer minor releases wrap the dump in `\restrict <random key>`: pin it.
    if String::from_utf8_lossy(&help.stdout).contains("--restrict-key") {
        cmd.arg("--restrict-key=dddcsnapshot");
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", pg_dump.display()));
    assert!(out.status.success(), "{} failed: {}", pg_dump.display(), String::from_utf8_lossy(&out.stderr));
    let dump: String = String::from_utf8(out.stdout)
        .expect("UTF-8 dump")
        .lines()
        .filter(|l| !l.starts_with("-- Dumped from") && !l.starts_with("-- Dumped by"))
        .map(|l| format!("{l}\n"))
        .collect();
    let major = cluster.version_num() / 10_000;
    insta::assert_snapshot!(format!("mitoga__pg_dump_pg{major}"), dump);
}
