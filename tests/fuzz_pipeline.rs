//! A structure-aware fuzzer over the whole pipeline (issue 14): parse →
//! resolve and validate → lower → plan V1 against no lock → diff the first
//! model's lock against a second, damaged model → render its SQL and docs
//! → lint, with the diagnostics rendered whenever a step refuses.
//!
//! Inputs come from two sources, both structure-aware: models of random
//! shape from `tools/genmodel` (any number of aggregates, fields and
//! contexts, with or without docs), and the bundled examples and test
//! models (`tests/models/*.ddd`); the second model of each case is the
//! first after random line-level edits (delete, duplicate, swap, insert a
//! token of the language, or a field, an enum value, an index…), so most
//! cases stay close enough to valid to reach lowering and the diff.
//!
//! Laws checked besides "never panics": every diagnostic can be rendered;
//! building a model against its own lock plans nothing (no V2); `check`
//! against a build's own files finds nothing.
//!
//! `cargo test --test fuzz_pipeline` runs a bounded number of cases (the
//! CI run). A long run: `DDDC_FUZZ_CASES=200000 cargo test --release --test
//! fuzz_pipeline -- --nocapture`. Every crasher found becomes a file in
//! `tests/fuzz/` (run by `regressions` below).

#[path = "../tools/genmodel/src/lib.rs"]
#[allow(dead_code)]
mod genmodel;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::Index;

use dddc::build::{self, Inputs};
use dddc::config::Config;
use dddc::diagnostics::{render_json, render_text, ColorChoice};

/// Lines an edit may insert: valid declarations and near misses.
const INSERTS: &[&str] = &[
    "    extra: text(20)?",
    "    extra: int = 0",
    "    extra: ref Item0?",
    "    extra: ref ctx000.Item0 loose",
    "    extra: Money",
    "    extra: Status = ACTIVE",
    "    extra: decimal(40, 50)",
    "    extra: text(0)",
    "    name: int",
    "    index (extra)",
    "    index (nope, name) where status == CLOSED",
    "    invariant broken: quantity > 'x'",
    "    invariant deep: ((((((((quantity > 0))))))))",
    "    unique (name, code)",
    "  aggregate Extra {\n    v: int\n  }",
    "  enum Status2 { A B A }",
    "  value Address2 {\n    a: Address2\n  }",
    "    entity Line {\n      x: int\n    }",
    "    PAUSED",
    "}",
    "{",
    "/// a doc comment of nothing",
    "include \"model.ddd\"",
    "    @was(old_name)",
    "    renamed: text(100) @was(name)",
    "    x: text = 'it''s $$ */ \\ ñ'",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(Index),
    Duplicate(Index),
    Swap(Index, Index),
    Insert(Index, Index),
    Retype(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => any::<Index>().prop_map(Edit::Delete),
        1 => any::<Index>().prop_map(Edit::Duplicate),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Insert(a, b)),
        2 => any::<Index>().prop_map(Edit::Retype),
    ]
}

const TYPES: &[&str] = &["int", "bigint", "text", "text(30)", "bool", "date", "timestamp", "decimal(8, 2)", "uuid"];

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for e in edits {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match e {
            Edit::Delete(i) => {
                lines.remove(i.index(n));
            }
            Edit::Duplicate(i) => {
                let l = lines[i.index(n)].clone();
                lines.insert(i.index(n), l);
            }
            Edit::Swap(a, b) => lines.swap(a.index(n), b.index(n)),
            Edit::Insert(at, what) => lines.insert(at.index(n + 1), INSERTS[what.index(INSERTS.len())].to_string()),
            Edit::Retype(i) => {
                // A field's type changes: `name: T…` → `name: U`.
                let k = i.index(n);
                if let Some((name, _)) = lines[k].split_once(": ") {
                    if !name.trim_start().starts_with("///") {
                        lines[k] = format!("{name}: {}", TYPES[k % TYPES.len()]);
                    }
                }
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// A first model: generated, or one of the repository's models.
#[derive(Debug, Clone)]
enum Base {
    Generated(genmodel::Shape),
    File(Index),
    Path(PathBuf),
}

fn base() -> impl Strategy<Value = Base> {
    prop_oneof![
        3 => (1usize..9, 3usize..16, 1usize..5, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
            |(a, f, k, docs, tenants, rich)| Base::Generated(genmodel::Shape {
                aggregates: a,
                fields: f,
                per_context: k,
                docs,
                added_field: false,
                tenants,
                rich
            })
        ),
        1 => any::<Index>().prop_map(Base::File),
    ]
}

fn repo_models() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![root.join("examples/mitoga/mitoga.ddd")];
    for dir in ["tests/models", "tests/fuzz"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "ddd"))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

/// Writes the base into `dir` and returns the root file's path relative to
/// it. A repository model is copied with the files it includes.
fn write_base(dir: &Path, base: &Base) -> PathBuf {
    match base {
        Base::Generated(shape) => {
            std::fs::write(dir.join("model.ddd"), genmodel::ddd_single(shape)).expect("write");
            PathBuf::from("model.ddd")
        }
        Base::File(i) => {
            let models = repo_models();
            write_base(dir, &Base::Path(models[i.index(models.len())].clone()))
        }
        Base::Path(src) => {
            let from = src.parent().expect("a folder");
            copy_ddd(from, dir);
            PathBuf::from(src.file_name().expect("a name"))
        }
    }
}

fn copy_ddd(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            let sub = to.join(e.file_name());
            std::fs::create_dir_all(&sub).expect("mkdir");
            copy_ddd(&p, &sub);
        } else if p.extension().is_some_and(|x| x == "ddd") {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

/// The whole pipeline on one case.
fn run_case(base: &Base, edits: &[Edit]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let rel = write_base(dir.path(), base);
    let root = dir.path().join(&rel);
    let config = Config::default();
    let inputs = Inputs::new(&config, dir.path());

    let Some((model_a, lock_a, files_a)) = first_build(&root, &inputs)? else {
        // Only an edited or hand-written model may fail to build: a generated
        // one that does not would skip every law below.
        prop_assert!(!matches!(base, Base::Generated(_)) || !edits.is_empty(), "a generated model does not build");
        return Ok(());
    };

    // Law: a model built against its own lock plans nothing new.
    let again = Inputs { lock: Some(lock_a.clone()), ..Inputs::new(&config, dir.path()) };
    if let Ok(plan) = build::plan(&model_a, &again) {
        let new_sql: Vec<_> =
            plan.outputs.iter().filter(|o| o.path.to_string_lossy().ends_with(".sql")).map(|o| &o.path).collect();
        prop_assert!(new_sql.is_empty(), "a rebuild of the same model writes {new_sql:?}");
    }
    // Law: `check` against the build's own files finds nothing.
    let lock_text = text_of(&files_a, "dddc.lock");
    let snapshot = text_of(&files_a, "dddc.schema");
    let migrations_dir = PathBuf::from(&config.migrations.dir);
    let (disk_files, same_files) = (files_a.clone(), files_a.clone());
    let disk = dddc::check::Disk {
        lock_text,
        snapshot: snapshot.map(dddc::lock::Snapshot::Text),
        migration_files: files_a
            .iter()
            .filter(|(p, _)| p.parent() == Some(migrations_dir.as_path()))
            .filter(|(p, _)| p.extension().is_some_and(|x| x == "sql"))
            .map(|(p, b)| (p.file_name().expect("a name").to_string_lossy().into_owned(), dddc::lock::sha256_hex(b)))
            .collect(),
        read: Box::new(move |p: &Path| disk_files.get(p).cloned()),
        same: Box::new(move |p: &Path, pieces: &mut dyn dddc::output::Pieces| {
            same_files.get(p).is_some_and(|b| dddc::output::holds_streamed_in(&b[..], b.len() as u64, pieces))
        }),
        doc_files: files_a.keys().filter(|p| p.starts_with(&config.docs.dir)).cloned().collect(),
        docs_memo: None,
    };
    let findings = dddc::check::run(&model_a, &config, dir.path(), &disk);
    prop_assert!(findings.is_empty(), "check against the build's own files: {:?}", findings.first().map(|f| &f.reason));

    // The second model: the first, damaged.
    let text = std::fs::read_to_string(&root).expect("read");
    std::fs::write(&root, apply(&text, edits)).expect("write");
    let front = match dddc::frontend(&root, &rel) {
        Ok(f) => f,
        Err(_) => return Ok(()),
    };
    render(&front);
    let (Some(model_b), Some(schema_b)) = (front.model, front.schema) else { return Ok(()) };
    let _ = dddc::lint::lint(&model_b, &schema_b, &config.lint);
    let evolve = Inputs { lock: Some(lock_a), ..Inputs::new(&config, dir.path()) };
    match build::plan(&model_b, &evolve) {
        Ok(plan) => {
            for o in &plan.outputs {
                prop_assert!(
                    !o.bytes.is_empty() || o.path.to_string_lossy().ends_with(".md"),
                    "{} is empty",
                    o.path.display()
                );
            }
        }
        Err(build::BuildError::Refused(r)) => prop_assert!(!r.is_empty()),
        Err(build::BuildError::Diagnostics(d)) => {
            let _ = render_text(&front.sources, &d, ColorChoice::Never);
        }
        Err(build::BuildError::Message(_)) => {}
        Err(build::BuildError::Snapshot(e)) => prop_assert!(false, "a lock read whole reports its snapshot: {e}"),
    }
    Ok(())
}

type Files = HashMap<PathBuf, Vec<u8>>;

fn first_build(
    root: &Path,
    inputs: &Inputs<'_>,
) -> Result<Option<(dddc::model::Model, dddc::lock::Lock, Files)>, TestCaseError> {
    let rel = PathBuf::from(root.file_name().expect("a name"));
    let front = match dddc::frontend(root, &rel) {
        Ok(f) => f,
        Err(_) => return Ok(None),
    };
    render(&front);
    let (Some(model), Some(schema)) = (front.model, front.schema) else { return Ok(None) };
    let _ = dddc::lint::lint(&model, &schema, &inputs.config.lint);
    let plan = match build::plan(&model, inputs) {
        Ok(p) => p,
        Err(_) => return Ok(None),
    };
    let files: Files = plan.outputs.iter().map(|o| (o.path.clone(), o.bytes.clone())).collect();
    let lock_text = text_of(&files, "dddc.lock");
    let snapshot = text_of(&files, "dddc.schema");
    let lock = dddc::lock::Lock::parse(lock_text.as_deref().unwrap_or(""), snapshot.as_deref());
    prop_assert!(lock.is_ok(), "the lock a build writes reads back: {:?}", lock.err());
    Ok(lock.ok().map(|l| (model, l, files)))
}

fn text_of(files: &Files, suffix: &str) -> Option<String> {
    files
        .iter()
        .find(|(p, _)| p.to_string_lossy().ends_with(suffix))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
}

fn render(front: &dddc::Frontend) {
    let _ = render_text(&front.sources, &front.diagnostics, ColorChoice::Never);
    let _ = render_json(&front.sources, &front.diagnostics);
}

fn cases() -> u32 {
    std::env::var("DDDC_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_pipeline_never_panics(base in base(), edits in prop::collection::vec(edit(), 0..6)) {
        run_case(&base, &edits)?;
    }
}

/// Every saved crasher (`tests/fuzz/*.ddd`) goes through the pipeline
/// unedited.
#[test]
fn regressions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    // Until a crasher is saved there, the bundled and test models stand in,
    // so that this test always runs the pipeline on something.
    let models = repo_models();
    let saved: Vec<&PathBuf> = models.iter().filter(|m| m.starts_with(&root)).collect();
    let run: Vec<&PathBuf> = if saved.is_empty() { models.iter().collect() } else { saved };
    assert!(!run.is_empty(), "no model to run");
    for m in run {
        run_case(&Base::Path(m.clone()), &[]).unwrap_or_else(|e| panic!("{}: {e}", m.display()));
    }
}
