//! `lint` (the design review) and `lint --migrations` (squawk).

use std::io::Write;
use std::path::{Path, PathBuf};

use dddc::config;
use serde_json::{json, Value};

use super::{load_model, min_score, Format, Output, EXIT_FAIL};

pub fn lint(out: &Output, model: Option<&Path>, cli_min: Option<u32>) -> u8 {
    let (project, fe, model) = match load_model(out, model) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let model = &model;
    for problem in dddc::lint::check_config(&project.config.lint) {
        out.say(&format!("warning: dddc.toml [lint]: {problem}"));
    }
    // The front end lowered the model (a lowering error leaves no model).
    let Some(schema) = fe.schema.as_ref() else { return EXIT_FAIL };
    let report = dddc::lint::lint(model, schema, &project.config.lint);
    let min = min_score(cli_min, &project.config);
    let passes = dddc::lint::passes(&report, Some(min));
    match out.format {
        // `-q` is errors only: the error findings, and the score when it
        // fails the minimum (a passing review prints nothing).
        Format::Text if out.quiet => {
            let errors: Vec<_> = report.findings.iter().filter(|d| d.is_error()).cloned().collect();
            let mut text = dddc::diagnostics::render_text(&fe.sources, &errors, out.color);
            if !passes {
                text.push_str(&format!("design score: {}/100 (minimum {min})\n", report.score));
            }
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
        Format::Text => {
            let _ = std::io::stdout().write_all(dddc::lint::render_text(&report, &fe.sources, out.color).as_bytes());
            println!("minimum score: {min}");
        }
        Format::Json => {
            if let Value::Object(fields) = dddc::lint::render_json(&report, &fe.sources) {
                for (k, v) in fields {
                    out.field(&k, v);
                }
            }
            out.field("minimum", json!(min));
            out.field("passes", json!(passes));
        }
        Format::Sarif => {
            let mut sarif = dddc::lint::render_sarif(&report, &fe.sources);
            relative_to_repository(&mut sarif);
            println!("{sarif}");
            out.printed();
        }
    }
    if passes {
        0
    } else {
        EXIT_FAIL
    }
}

/// SARIF locations are paths from the repository's root, whatever folder
/// dddc ran in (`-C`), so that a code host places them on the right files:
/// the path from the root (the first folder up holding `.git`) to the
/// working folder goes in front of each.
fn relative_to_repository(sarif: &mut Value) {
    let Ok(cwd) = std::env::current_dir() else { return };
    let Some(root) = cwd.ancestors().find(|a| a.join(".git").exists()) else { return };
    let Ok(prefix) = cwd.strip_prefix(root) else { return };
    if prefix.as_os_str().is_empty() {
        return;
    }
    let prefix = prefix.to_string_lossy().replace('\\', "/");
    let fix = |loc: &mut Value| {
        if let Some(uri) = loc.pointer_mut("/physicalLocation/artifactLocation/uri") {
            if let Some(u) = uri.as_str() {
                *uri = json!(format!("{prefix}/{u}"));
            }
        }
    };
    for run in sarif["runs"].as_array_mut().into_iter().flatten() {
        for result in run["results"].as_array_mut().into_iter().flatten() {
            for key in ["locations", "relatedLocations"] {
                for loc in result[key].as_array_mut().into_iter().flatten() {
                    fix(loc);
                }
            }
        }
    }
}

/// `dddc lint --migrations [DIR]`: squawk over every `.sql` file of DIR.
pub fn lint_migrations(out: &Output, model: Option<&Path>, dir: Option<&Path>) -> u8 {
    // The target version and the default folder come from the project,
    // when there is one.
    let project = config::discover(model).ok();
    let target = project
        .as_ref()
        .and_then(|p| dddc::frontend(&p.model, &p.model).ok())
        .and_then(|fe| fe.model.map(|m| m.target))
        .unwrap_or(15);
    let dir = match (dir, &project) {
        (Some(d), _) => d.to_path_buf(),
        (None, Some(p)) => p.dir.join(&p.config.migrations.dir),
        (None, None) => PathBuf::from(config::Migrations::default().dir),
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "sql")).collect(),
        Err(e) => return out.usage_error(&format!("cannot read `{}`: {e}", dir.display())),
    };
    files.sort();
    let mut found = Vec::new();
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => return out.usage_error(&format!("cannot read `{}`: {e}", f.display())),
        };
        let conf = std::fs::read_to_string(format!("{}.conf", f.display())).unwrap_or_default();
        let transactional = !conf.lines().any(|l| l.replace(' ', "") == "executeInTransaction=false");
        for finding in dddc::lint::migrations::lint_file(&text, target, transactional) {
            if !out.json() {
                println!(
                    "{}:{}:{}: warning[squawk {}]: {}",
                    f.display(),
                    finding.line,
                    finding.column,
                    finding.rule,
                    finding.message
                );
                if let Some(h) = &finding.help {
                    println!("  help: {h}");
                }
            }
            found.push(json!({
                "file": f.display().to_string(),
                "line": finding.line,
                "column": finding.column,
                "rule": finding.rule,
                "message": finding.message,
                "help": finding.help,
            }));
        }
    }
    out.say(&format!(
        "{} file(s) in {}, {} squawk finding(s) (PostgreSQL {target})",
        files.len(),
        dir.display(),
        found.len()
    ));
    let total = found.len();
    out.field("findings", json!(found));
    out.field("files", json!(files.len()));
    out.field("target", json!(target));
    if total == 0 {
        0
    } else {
        EXIT_FAIL
    }
}
