//! Figures for each step of the pipeline: `cargo bench --bench pipeline`.
//!
//! Measures, on the bundled MiToga model and on generated models shaped
//! like real ones (`tools/genmodel`: 12 fields per aggregate, a doc comment
//! on every declaration, references within and across contexts, a context
//! per 50 aggregates, one file per context), each step in process, with no
//! disk writes: read + parse, resolve + validate, lower, the whole front
//! end (what `dddc lsp` reruns on an edit), the model lint, the first build
//! (V1, U1, lock, docs) and its parts (the docs, the V1 statements and
//! squawk's review of them, the lock's two files), a second build after one
//! field is added, and `dddc check` against the first build's files.
//!
//! `DDDC_BENCH_SIZES=200,2000,20000` chooses the generated sizes (default
//! `200,2000`). Prints the median of several runs (fewer on large models)
//! and the bytes of what a build writes; asserts nothing (machines are
//! noisy). `scripts/bench.sh` runs the CLI side by side with `dbml2sql`.

#[path = "../tools/genmodel/src/lib.rs"]
#[allow(dead_code)]
mod genmodel;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dddc::build::{self, Inputs};
use dddc::config::Config;

/// The allocator of the `dddc` binary (src/main.rs), so that the phases
/// cost here what they cost there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this
    // target too (in a debug build, without it): there it only says so.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("a benchmark: run it with `cargo bench --bench {}`", env!("CARGO_CRATE_NAME"));
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sizes: Vec<usize> = std::env::var("DDDC_BENCH_SIZES")
        .unwrap_or_else(|_| "200,2000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!("dddc pipeline benchmark: median of runs, in process, nothing written to disk");
    println!();
    let mitoga = root.join("examples/mitoga/mitoga.ddd");
    let config = Config {
        docs: dddc::config::Docs { language: dddc::config::Language::Es, mermaid: true, ..Default::default() },
        ..Default::default()
    };
    bench_model("examples/mitoga", &mitoga, None, &config);
    let dir = tempfile::tempdir().expect("temp dir");
    for n in sizes {
        let shape = genmodel::Shape::new(n, 12);
        let project = dir.path().join(format!("gen{n}"));
        let edited = dir.path().join(format!("gen{n}_edited"));
        write_project(&project, &shape);
        write_project(&edited, &genmodel::Shape { added_field: true, ..shape });
        bench_model(
            &format!("generated {n} × 12, documented"),
            &project.join("model.ddd"),
            Some(&edited.join("model.ddd")),
            &Config::default(),
        );
        // The same model with every context `tenant by tenant_id` (tenant
        // columns, policies, foreign keys through the tenant) and the rest
        // of the language (outboxes with monthly partitions, audit trails,
        // full-text search): its front end only.
        let tenants = dir.path().join(format!("gen{n}_tenants"));
        write_project(&tenants, &genmodel::Shape { tenants: true, rich: true, ..shape });
        bench_front_end(
            &format!("generated {n} × 12, documented, multi-tenant, outboxes, audit, search"),
            &tenants.join("model.ddd"),
        );
    }
}

fn write_project(dir: &Path, shape: &genmodel::Shape) {
    for f in genmodel::ddd(shape) {
        let path = dir.join(&f.path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, f.text).expect("write model");
    }
}

/// Runs `f` until it has run 15 times or for about 4 s (at least 3 times),
/// and returns the median.
fn time<T>(mut f: impl FnMut() -> T) -> Duration {
    let mut runs = Vec::new();
    let start = Instant::now();
    while runs.len() < 3 || (runs.len() < 15 && start.elapsed() < Duration::from_secs(4)) {
        let t = Instant::now();
        std::hint::black_box(f());
        runs.push(t.elapsed());
    }
    runs.sort();
    runs[runs.len() / 2]
}

fn row(step: &str, d: Duration, note: &str) {
    println!("  {step:<44} {:>10.2} ms  {note}", d.as_secs_f64() * 1e3);
}

/// The front end's rows: read + parse, resolve + validate, lower, all three.
fn bench_front_end(label: &str, root: &Path) -> (dddc::model::Model, dddc::relational::Schema) {
    let front = dddc::frontend(root, root).expect("model reads");
    assert!(
        front.model.is_some(),
        "{label}: the model has errors: {:?}",
        front.diagnostics.iter().find(|d| d.is_error()).map(|d| &d.message)
    );
    let (model, schema) = (front.model.expect("a model"), front.schema.expect("a schema"));
    let source_bytes: usize = front.sources.iter().map(|(_, f)| f.text.len()).sum();
    println!(
        "{label}: {} aggregates, {} tables, {} files, {} KiB of model text",
        model.aggregates.len(),
        schema.tables.len(),
        front.sources.len(),
        source_bytes / 1024
    );
    let load = time(|| dddc::loader::load(root, root).expect("reads"));
    row("read + parse (loader::load)", load, "");
    let loaded = dddc::loader::load(root, root).expect("reads");
    row("resolve + validate (model::analyze)", time(|| dddc::model::analyze(&loaded.files)), "");
    row("lower (relational::lower)", time(|| dddc::relational::lower(&model).expect("lowers")), "");
    row(
        "front end (dddc::frontend: all three)",
        time(|| dddc::frontend(root, root).expect("reads")),
        "what `dddc lsp` reruns",
    );
    (model, schema)
}

fn bench_model(label: &str, root: &Path, edited: Option<&Path>, config: &Config) {
    let (model, schema) = bench_front_end(label, root);
    row("model lint (lint::lint)", time(|| dddc::lint::lint(&model, &schema, &config.lint)), "");

    let project_dir = root.parent().unwrap_or(Path::new("."));
    let inputs = Inputs::new(config, project_dir);
    let first = build::plan(&model, &inputs).expect("plans");
    let bytes = |f: &dyn Fn(&Path) -> bool| -> usize {
        first.outputs.iter().filter(|o| f(&o.path)).map(|o| o.bytes.len()).sum()
    };
    let ends = |suffix: &'static str| move |p: &Path| p.to_string_lossy().ends_with(suffix);
    let note = format!(
        "writes {} KiB: V1 {} KiB, U1 {} KiB, lock {} KiB, schema snapshot {} KiB, docs {} KiB",
        bytes(&|_| true) / 1024,
        bytes(&|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("V1__"))) / 1024,
        bytes(&|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("U1__"))) / 1024,
        bytes(&ends("dddc.lock")) / 1024,
        bytes(&ends("dddc.schema")) / 1024,
        bytes(&|p| p.starts_with(&config.docs.dir)) / 1024,
    );
    row("first build (build::plan: V1, U1, lock, docs)", time(|| build::plan(&model, &inputs).expect("plans")), &note);
    row(
        "  of which docs (docs::generate)",
        time(|| dddc::docs::generate(&model, &schema, &config.docs, project_dir).expect("docs")),
        "",
    );
    row("  of which V1 statements (sql::ddl)", time(|| dddc::sql::ddl::create_statements(&schema)), "");
    let kind = dddc::lint::migrations::FileKind { transactional: true, undo: false, creates_schema: true };
    let v1 = dddc::sql::ddl::create_statements(&schema);
    row(
        "  of which squawk review of V1",
        time(|| {
            let mut stmts: Vec<_> = v1.iter().flat_map(|(_, s)| s.iter().cloned()).collect();
            dddc::lint::migrations::review(&[], &mut stmts, kind, model.target, &|_| false)
        }),
        "",
    );
    let text = |suffix: &str| {
        first
            .outputs
            .iter()
            .find(|o| o.path.to_string_lossy().ends_with(suffix))
            .map(|o| String::from_utf8_lossy(&o.bytes).into_owned())
    };
    let (lock_text, snapshot) = (text("dddc.lock").expect("a lock"), text("dddc.schema"));
    let lock = dddc::lock::Lock::parse(&lock_text, snapshot.as_deref()).expect("lock parses");
    row("  of which the lock's files (Lock::to_files)", time(|| lock.to_files()), "");
    row("read the lock (Lock::parse)", time(|| dddc::lock::Lock::parse(&lock_text, snapshot.as_deref())), "");

    if let Some(edited) = edited {
        let fe = dddc::frontend(edited, edited).expect("reads");
        let next_model = fe.model.expect("the edited model is valid");
        let evolve = Inputs { lock: Some(lock.clone()), ..Inputs::new(config, project_dir) };
        let plan = build::plan(&next_model, &evolve).expect("plans");
        let written: Vec<String> = plan
            .outputs
            .iter()
            .filter(|o| first.outputs.iter().all(|f| f.path != o.path || f.bytes != o.bytes))
            .map(|o| o.path.display().to_string())
            .collect();
        row(
            "second build, one field added (build::plan)",
            time(|| build::plan(&next_model, &evolve).expect("plans")),
            &format!("{} files change", written.len()),
        );
    }

    let files: HashMap<PathBuf, Vec<u8>> = first.outputs.iter().map(|o| (o.path.clone(), o.bytes.clone())).collect();
    let migrations_dir = PathBuf::from(&config.migrations.dir);
    let migration_files: Vec<(String, String)> = first
        .outputs
        .iter()
        .filter(|o| o.path.parent() == Some(migrations_dir.as_path()))
        .map(|o| (o.path.file_name().expect("a name").to_string_lossy().into_owned(), dddc::lock::sha256_hex(&o.bytes)))
        .collect();
    let doc_files: Vec<PathBuf> =
        first.outputs.iter().filter(|o| o.path.starts_with(&config.docs.dir)).map(|o| o.path.clone()).collect();
    let disk = dddc::check::Disk {
        lock_text: Some(lock_text.clone()),
        snapshot: snapshot.clone().map(dddc::lock::Snapshot::Text),
        migration_files,
        read: Box::new({
            let files = files.clone();
            move |p: &Path| files.get(p).cloned()
        }),
        same: Box::new(move |p: &Path, pieces: &mut dyn dddc::output::Pieces| {
            files.get(p).is_some_and(|b| dddc::output::holds_streamed_in(&b[..], b.len() as u64, pieces))
        }),
        doc_files,
        docs_memo: None,
    };
    let findings = dddc::check::run(&model, config, project_dir, &disk);
    row(
        "check against the first build (check::run)",
        time(|| dddc::check::run(&model, config, project_dir, &disk)),
        &format!("{} finding(s)", findings.len()),
    );
    println!();
}
