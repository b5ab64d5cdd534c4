//! A coverage-guided fuzz target for dddc (issue 14), run by AFL++ through
//! cargo-afl on stable Rust: `scripts/fuzz-afl.sh`.
//!
//! An input is one model, or two separated by a line `=====`: the first is
//! built from nothing (front end, lowering, lint, V1 with its squawk review,
//! the lock, the docs and ERDs, and for inputs of odd length the HTML
//! site), then the lock it writes is read back, and
//! the second is built against that lock (the diff, ALTER statements,
//! refusals). Every diagnostic is rendered as text and JSON. The first
//! build remembers what it parsed and drew (`dddc::memo`, as the CLI
//! does), and the rebuild reads it back: its front end must say and lower
//! the same, its documents must be the same bytes. A panic, a stack
//! overflow or a hang is what AFL reports; a model that is rejected with
//! diagnostics is a normal outcome.

use std::path::Path;

use dddc::build::{self, DocsOptions, Inputs};
use dddc::config::Config;
use dddc::diagnostics::{render_json, render_text, ColorChoice};

fn main() {
    // One folder for the whole run: AFL runs many inputs per process.
    let dir = tempfile::tempdir().expect("a temporary folder");
    afl::fuzz!(|data: &[u8]| {
        run(dir.path(), data);
    });
}

fn run(dir: &Path, data: &[u8]) {
    // Each input from an empty memo: the first build makes every entry,
    // the rebuild reads them (the same paths every time AFL runs it).
    let _ = std::fs::remove_dir_all(dir.join(dddc::memo::DIR));
    let (first, second) = split(data);
    let mut config = Config::default();
    // Inputs of odd length make the HTML site too: its context and
    // aggregate pages are written in Rust and, in this build (cargo-afl
    // turns debug assertions on), also rendered through the templates and
    // compared; doc comments become Markdown only there.
    config.docs.html = data.len() % 2 == 1;
    let Some(first) = build_from(dir, first, &config, None) else { return };
    rebuild(dir, &first, &config);
    if let Some(second) = second {
        build_from(dir, second, &config, Some(first.lock));
    }
}

/// What a build made, for the rebuild to compare with.
struct Built {
    lock: dddc::lock::Lock,
    /// The front end's diagnostics, rendered, and its schema.
    said: String,
    schema: dddc::relational::Schema,
    /// The documentation files, by path.
    docs: Vec<(std::path::PathBuf, Vec<u8>)>,
}

/// The front end of `m.ddd`, remembering its parse in `dir`'s memo.
fn front_end(dir: &Path, config: &Config, memo: Option<&dddc::memo::Memo>) -> Option<dddc::Frontend> {
    dddc::frontend_remembering(&dir.join("m.ddd"), Path::new("m.ddd"), config.docs.language, memo).ok()
}

fn docs_of(outputs: &[dddc::output::Output], config: &Config) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    outputs.iter().filter(|o| o.path.starts_with(&config.docs.dir)).map(|o| (o.path.clone(), o.bytes.clone())).collect()
}

/// Builds `text` as the model `m.ddd`, against `lock` when given; the lock
/// the build writes, read back.
fn build_from(dir: &Path, text: &[u8], config: &Config, lock: Option<dddc::lock::Lock>) -> Option<Built> {
    let root = dir.join("m.ddd");
    std::fs::write(&root, text).ok()?;
    let syntax = dddc::memo::Memo::open(dir, dddc::syntax::memo::FOLDER);
    let docs = dddc::memo::Memo::open(dir, dddc::docs::MEMO_FOLDER);
    let front = front_end(dir, config, syntax.as_ref())?;
    let said = render_text(&front.sources, &front.diagnostics, ColorChoice::Never);
    let _ = render_json(&front.sources, &front.diagnostics);
    let (Some(model), Some(schema)) = (front.model, front.schema) else { return None };
    let _ = dddc::lint::lint(&model, &schema, &config.lint);
    let inputs = Inputs { lock, docs: DocsOptions { memo: docs.as_ref(), ..DocsOptions::default() }, ..Inputs::new(config, dir) };
    let plan = match build::plan(&model, &inputs) {
        Ok(p) => p,
        Err(build::BuildError::Diagnostics(d)) => {
            let _ = render_text(&front.sources, &d, ColorChoice::Never);
            return None;
        }
        Err(_) => return None,
    };
    let text_of = |suffix: &str| {
        plan.outputs
            .iter()
            .find(|o| o.path.to_string_lossy().ends_with(suffix))
            .map(|o| String::from_utf8_lossy(&o.bytes).into_owned())
    };
    let lock_text = text_of("dddc.lock")?;
    let snapshot = text_of("dddc.schema");
    // The lock a build writes must read back.
    let lock = dddc::lock::Lock::parse(&lock_text, snapshot.as_deref())
        .unwrap_or_else(|e| panic!("the lock a build writes does not read back: {e}"));
    for memo in [&syntax, &docs].into_iter().flatten() {
        memo.save();
    }
    Some(Built { lock, said, schema, docs: docs_of(&plan.outputs, config) })
}

/// The first model built again against its own lock, read as `check`
/// reads it (the snapshot left unread while the model's writes the same
/// text): nothing new is planned.
fn rebuild(dir: &Path, built: &Built, config: &Config) {
    // The parse read back from the memo says and lowers the same.
    let syntax = dddc::memo::Memo::open(dir, dddc::syntax::memo::FOLDER);
    let front = front_end(dir, config, syntax.as_ref()).expect("the model was read before");
    assert_eq!(render_text(&front.sources, &front.diagnostics, ColorChoice::Never), built.said);
    assert_eq!(front.schema.as_ref(), Some(&built.schema), "the remembered parse lowers to another schema");
    // The rest from the model of the parse read back: its documents must
    // be the first build's.
    let model = front.model.as_ref().expect("the model was valid before");
    let lock = &built.lock;
    let (json, snapshot) = lock.to_files();
    let (parsed, pending) = dddc::check::parse_lock_deferred(Some(&json), Some(&snapshot));
    let lock = parsed.and_then(Result::ok).expect("the lock a build writes reads back");
    let docs = dddc::memo::Memo::open(dir, dddc::docs::MEMO_FOLDER);
    // As `check` does: each document compared with the first build's as
    // soon as it is made, and left out of the plan when the same.
    let same = std::sync::atomic::AtomicUsize::new(0);
    let unchanged = |path: &Path, pieces: &mut dyn dddc::output::Pieces| {
        let hit = built
            .docs
            .iter()
            .find(|(p, _)| p == path)
            .is_some_and(|(_, b)| dddc::output::holds_streamed_in(&b[..], b.len() as u64, pieces));
        if hit {
            same.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        hit
    };
    // Compared from its file, as `check` does.
    let snapshot_file = dir.join(dddc::lock::SNAPSHOT_FILE);
    std::fs::write(&snapshot_file, &snapshot).expect("the snapshot is written");
    let snapshot = dddc::lock::Snapshot::File(snapshot_file);
    let inputs = Inputs {
        lock: Some(lock),
        snapshot: Some(&snapshot),
        schema_pending: pending,
        docs: DocsOptions { memo: docs.as_ref(), unchanged: Some(&unchanged), compare_first: true },
        ..Inputs::new(config, dir)
    };
    if let Ok(plan) = build::plan(model, &inputs) {
        let sql: Vec<_> = plan.outputs.iter().filter(|o| o.path.to_string_lossy().ends_with(".sql")).collect();
        assert!(sql.is_empty(), "a rebuild of the same model against its own lock writes SQL");
        // The documents taken from the memo are the ones made afresh:
        // every one was the same, once.
        assert!(docs_of(&plan.outputs, config).is_empty(), "the remembered documents differ");
        assert_eq!(same.into_inner(), built.docs.len(), "a document was made twice, or not at all");
    }
}

/// The two models of an input.
fn split(data: &[u8]) -> (&[u8], Option<&[u8]>) {
    const SEPARATOR: &[u8] = b"\n=====\n";
    match data.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        Some(i) => (&data[..i + 1], Some(&data[i + SEPARATOR.len()..])),
        None => (data, None),
    }
}
