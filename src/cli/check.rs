//! `check`, the CI gate.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::{migrations_dir, read_lock, Output, EXIT_FAIL};

pub fn check(out: &Output, model: Option<&Path>) -> u8 {
    let project = match super::discover(out, model) {
        Ok(p) => p,
        Err(code) => return code,
    };
    // The lock is read on a second thread while the model is compiled.
    let (fe, lock) = std::thread::scope(|s| {
        let lock = dddc::threads::spawn_scoped(s, || {
            let _p = dddc::timing::phase("read the lock");
            read_lock(&project).map(|(lock_text, snapshot_text)| {
                let parsed = dddc::check::parse_lock(lock_text.as_deref(), snapshot_text.as_deref());
                (lock_text, snapshot_text, parsed)
            })
        });
        let fe = super::frontend(out, &project);
        (fe, lock.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    let fe = match fe {
        Ok(fe) => fe,
        Err(code) => return code,
    };
    out.report(&fe.sources, &fe.diagnostics);
    let Some(model) = fe.model.as_ref() else {
        out.field("findings", json!([{"reason": "the model has errors", "diff": null}]));
        out.say("check failed: the model has errors");
        return EXIT_FAIL;
    };
    let (lock_text, snapshot_text, parsed) = match lock {
        Ok(t) => t,
        Err(e) => return out.usage_error(&e),
    };
    let mut migration_files = Vec::new();
    collect_migrations(&migrations_dir(&project), "", &mut migration_files);
    migration_files.sort();
    let doc_files = super::build::generated_docs(&project.dir, &PathBuf::from(&project.config.docs.dir));
    let dir = project.dir.clone();
    let disk = dddc::check::Disk {
        lock_text,
        snapshot_text,
        migration_files,
        read: Box::new(move |p: &Path| std::fs::read(dir.join(p)).ok()),
        doc_files,
    };
    let repeatable: Vec<&str> = dddc::check::repeatable_migrations(&disk);
    for r in &repeatable {
        out.say(&format!(
            "note: `{r}` is a repeatable migration: dddc leaves it alone (Flyway runs it after the versioned ones whenever it changes)"
        ));
    }
    out.field("repeatable", json!(repeatable));
    // The design lint runs on a second thread while the outputs are built
    // and compared.
    let (mut findings, report) = std::thread::scope(|s| {
        let report = dddc::threads::spawn_scoped(s, || super::design_lint(&project, &fe, model));
        let findings = dddc::check::run_parsed(model, fe.schema.as_ref(), parsed, &project.config, &project.dir, &disk);
        (findings, report.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    // Lint: errors or a score below the minimum fail the gate too.
    if let Some(report) = report {
        let min = super::min_score(None, &project.config);
        out.field(
            "lint",
            json!({"score": report.score, "minimum": min, "errors": report.errors(), "warnings": report.warnings()}),
        );
        if !dddc::lint::passes(&report, Some(min)) {
            if !out.json() {
                eprint!("{}", dddc::lint::render_text(&report, &fe.sources, out.color));
            }
            findings.push(dddc::check::Finding {
                reason: format!(
                    "lint: {} error finding(s), design score {} (minimum {min}); see `dddc lint`",
                    report.errors(),
                    report.score
                ),
                diff: None,
            });
        }
    }
    out.field(
        "findings",
        json!(findings.iter().map(|f| json!({"reason": f.reason, "diff": f.diff})).collect::<Vec<_>>()),
    );
    if findings.is_empty() {
        out.say("check passed: migrations, lock and documentation are up to date");
        return 0;
    }
    if !out.json() {
        for f in &findings {
            eprintln!("error: {}", f.reason);
            if let Some(d) = &f.diff {
                eprintln!("{d}");
            }
        }
        eprintln!("check failed: {} problem(s)", findings.len());
    }
    EXIT_FAIL
}

/// Every file under `dir` (subfolders included: Flyway searches them), as
/// `/`-separated paths relative to the migrations folder, with its bytes.
fn collect_migrations(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        if path.is_dir() {
            collect_migrations(&path, &format!("{name}/"), out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((name, bytes));
        }
    }
}
