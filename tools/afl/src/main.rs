//! A coverage-guided fuzz target for dddc (issue 14), run by AFL++ through
//! cargo-afl on stable Rust: `scripts/fuzz-afl.sh`.
//!
//! An input is one model, or two separated by a line `=====`: the first is
//! built from nothing (front end, lowering, lint, V1 with its squawk review,
//! the lock, the docs and ERDs), then the lock it writes is read back, and
//! the second is built against that lock (the diff, ALTER statements,
//! refusals). Every diagnostic is rendered as text and JSON. A panic, a
//! stack overflow or a hang is what AFL reports; a model that is rejected
//! with diagnostics is a normal outcome.

use std::path::Path;

use dddc::build::{self, Inputs};
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
    let (first, second) = split(data);
    let config = Config::default();
    let Some((model, lock)) = build_from(dir, first, &config, None) else { return };
    rebuild(dir, &model, &lock, &config);
    if let Some(second) = second {
        build_from(dir, second, &config, Some(lock));
    }
}

/// Builds `text` as the model `m.ddd`, against `lock` when given; the lock
/// the build writes, read back.
fn build_from(
    dir: &Path,
    text: &[u8],
    config: &Config,
    lock: Option<dddc::lock::Lock>,
) -> Option<(dddc::model::Model, dddc::lock::Lock)> {
    let root = dir.join("m.ddd");
    std::fs::write(&root, text).ok()?;
    let front = dddc::frontend(&root, Path::new("m.ddd")).ok()?;
    let _ = render_text(&front.sources, &front.diagnostics, ColorChoice::Never);
    let _ = render_json(&front.sources, &front.diagnostics);
    let (Some(model), Some(schema)) = (front.model, front.schema) else { return None };
    let _ = dddc::lint::lint(&model, &schema, &config.lint);
    let inputs = Inputs { lock, ..Inputs::new(config, dir) };
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
    Some((model, lock))
}

/// The first model built again against its own lock, read as `check`
/// reads it (the snapshot left unread while the model's writes the same
/// text): nothing new is planned.
fn rebuild(dir: &Path, model: &dddc::model::Model, lock: &dddc::lock::Lock, config: &Config) {
    let (json, snapshot) = lock.to_files();
    let (parsed, pending) = dddc::check::parse_lock_deferred(Some(&json), Some(&snapshot));
    let lock = parsed.and_then(Result::ok).expect("the lock a build writes reads back");
    let inputs = Inputs {
        lock: Some(lock),
        snapshot_text: Some(&snapshot),
        schema_pending: pending,
        ..Inputs::new(config, dir)
    };
    if let Ok(plan) = build::plan(model, &inputs) {
        let sql: Vec<_> = plan.outputs.iter().filter(|o| o.path.to_string_lossy().ends_with(".sql")).collect();
        assert!(sql.is_empty(), "a rebuild of the same model against its own lock writes SQL");
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
