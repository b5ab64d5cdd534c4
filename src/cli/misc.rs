//! `validate`, `explain`, `fmt` and `init`.

use std::path::{Path, PathBuf};

use dddc::diagnostics::{codes, Sources};
use dddc::output::write_atomically;
use serde_json::json;

use super::{load, Output, EXIT_FAIL, EXIT_USAGE};

pub fn validate(out: &Output, model: Option<&Path>) -> u8 {
    let (_, fe) = match load(out, model) {
        Ok(x) => x,
        Err(code) => return code,
    };
    out.report(&fe.sources, &fe.diagnostics);
    let Some(m) = fe.model.as_ref() else {
        return EXIT_FAIL;
    };
    out.field(
        "model",
        json!({"files": fe.sources.len(), "contexts": m.contexts.len(), "aggregates": m.aggregates.len()}),
    );
    out.say(&format!(
        "ok: {} file(s), {} context(s), {} aggregate(s)",
        fe.sources.len(),
        m.contexts.len(),
        m.aggregates.len()
    ));
    0
}

pub fn explain(out: &Output, code: &str) -> u8 {
    let text = codes::lookup(code).map(|c| c.explanation).or_else(|| dddc::lint::rule(code).map(|r| r.explanation));
    match text {
        Some(t) if out.json() => {
            out.field("code", json!(code.trim().to_ascii_uppercase()));
            out.field("explanation", json!(t));
            0
        }
        Some(t) => {
            print!("{t}");
            if !t.ends_with('\n') {
                println!();
            }
            0
        }
        None => {
            out.error(&format!("unknown code `{code}`; codes look like E0103 or L006 (see `dddc explain E0001`)"));
            EXIT_FAIL
        }
    }
}

pub fn fmt(out: &Output, check: bool, files: Vec<PathBuf>) -> u8 {
    // Default: the model and every file it includes.
    let files = if files.is_empty() {
        let project = match dddc::config::discover(None) {
            Ok(p) => p,
            Err(e) => return out.usage_error(&e),
        };
        let display = super::display_path(&project.model);
        match dddc::loader::load(&project.model, &display) {
            Ok(loaded) => loaded.sources.iter().map(|(_, f)| PathBuf::from(&f.name)).collect(),
            Err(e) => return out.usage_error(&e.0),
        }
    } else {
        files
    };
    let mut unformatted = Vec::new();
    let mut failed = false;
    let mut writes = Vec::new();
    for path in &files {
        // Only a regular file: `fmt` of a FIFO waited for a writer for good.
        let text = match dddc::output::read_regular_to_string(path) {
            Ok(t) => t,
            Err(e) => return out.usage_error(&format!("cannot read {}: {e}", path.display())),
        };
        match dddc::syntax::fmt::format_text(&text) {
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                if check && !out.json() {
                    eprintln!("{}", dddc::check::unified_diff(path, &text, &formatted));
                }
                unformatted.push(path.clone());
                // Through a link to the file it names: the rename over the
                // path replaced a linked model with a copy.
                let dest = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                writes.push(dddc::build::Output { path: dest, bytes: formatted.into_bytes() });
            }
            Err(diags) => {
                let mut sources = Sources::default();
                sources.add(path.display().to_string(), path.clone(), text);
                out.report(&sources, &diags);
                failed = true;
            }
        }
    }
    out.field(
        "files",
        json!(files
            .iter()
            .map(|f| json!({"path": f.display().to_string(), "formatted": !unformatted.contains(f)}))
            .collect::<Vec<_>>()),
    );
    if failed {
        out.error("files with syntax errors were not formatted");
        return EXIT_FAIL;
    }
    if check {
        for p in &unformatted {
            out.say(&format!("not formatted: {}", p.display()));
        }
        return if unformatted.is_empty() { 0 } else { EXIT_FAIL };
    }
    let refs: Vec<&dddc::build::Output> = writes.iter().collect();
    if let Err(e) = write_atomically(Path::new(""), &refs) {
        return out.usage_error(&e);
    }
    out.field("written", super::paths(&unformatted));
    for p in &unformatted {
        out.say(&format!("formatted {}", p.display()));
    }
    0
}

const STARTER_MODEL: &str = include_str!("../../templates/init/model.ddd");
const STARTER_CONFIG: &str = include_str!("../../templates/init/dddc.toml");

/// A project that passes `fmt --check`, `lint` and `check` as it is: the
/// starter model and configuration, then its first build.
pub fn init(out: &Output, dir: Option<&Path>) -> u8 {
    let dir = dir.unwrap_or(Path::new("."));
    let model = dir.join("model.ddd");
    let config_path = dir.join("dddc.toml");
    for p in [&model, &config_path] {
        if p.exists() {
            out.error(&format!("`{}` already exists; nothing was written", p.display()));
            return EXIT_FAIL;
        }
    }
    // A project without `dddc.toml` (a model file and its migrations) is
    // still a project: the starter model over its lock planned the drop of
    // every table, and left the starter files behind when that was refused.
    let migrations = dir.join("db/migration");
    if let Some(p) = super::existing_project(dir) {
        out.error(&format!(
            "`{}` is already a dddc project (`{}`); nothing was written. Run `dddc build` there, or `dddc init` in an empty folder",
            dir.display(),
            p.display()
        ));
        return EXIT_FAIL;
    }
    let made_migrations = !migrations.exists();
    let made_db = !dir.join("db").exists();
    let result = std::fs::create_dir_all(&migrations)
        .and_then(|_| std::fs::write(&config_path, STARTER_CONFIG))
        .and_then(|_| std::fs::write(&model, STARTER_MODEL));
    if let Err(e) = result {
        out.error(&format!("cannot write in `{}`: {e}", dir.display()));
        return EXIT_USAGE;
    }
    out.field("written", super::paths(&[config_path.clone(), model.clone()]));
    out.say(&format!("created {} and {}", config_path.display(), model.display()));
    // The first build, so that `dddc check` passes from the start.
    let code = super::build::build_in(out, Some(dir), Some("init"), false, false);
    if code == 0 {
        out.say("next: edit the model, then `dddc build`; `dddc check` is the CI gate");
    } else {
        // Nothing of a failed init stays behind.
        let removed = std::fs::remove_file(&model).is_ok() & std::fs::remove_file(&config_path).is_ok();
        if made_migrations {
            let _ = std::fs::remove_dir(&migrations);
            if made_db {
                let _ = std::fs::remove_dir(dir.join("db"));
            }
        }
        if removed {
            out.say(&format!("removed {} and {} again", config_path.display(), model.display()));
        } else {
            out.error(&format!(
                "could not remove {} and {}: delete them by hand",
                config_path.display(),
                model.display()
            ));
        }
    }
    code
}
