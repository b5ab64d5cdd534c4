//! `dddc verify`: the migrations run on a real, empty database the way
//! Flyway runs them, and what they leave is compared with what they should.
//!
//! For V1..Vn in Flyway order: each applies (in one transaction, or
//! statement by statement when its `.sql.conf` says
//! `executeInTransaction=false`), applies a second time without error and
//! without changing the catalog (hand-written migrations are run once: dddc
//! promises nothing about their idempotence). After Vn the catalog must be
//! the lock's snapshot. Then the undos run from Un down to U1, and after
//! each the catalog must be the one recorded after the version before.
//!
//! The caller reads the files and provides the database; nothing here
//! touches the disk.

use postgres::Client;

use super::{canonical_schema, compare, Difference, Scope};
use crate::relational::Schema;

/// One migration file as Flyway would run it.
#[derive(Debug, Clone)]
pub struct Script {
    /// The file name, `V2__add_notas.sql`.
    pub name: String,
    pub sql: String,
    /// `false` when its `.sql.conf` says `executeInTransaction=false`.
    pub transactional: bool,
}

/// A versioned migration and its undo.
#[derive(Debug, Clone)]
pub struct Step {
    /// The version as written in the file name (`2`, `20261201120000`, `1.1`).
    pub version: String,
    pub apply: Script,
    pub undo: Option<Script>,
    /// Written by hand (registered with `dddc new`): run once only.
    pub hand_written: bool,
}

/// What verify found wrong, in one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The diagnostic code: E0801 does not apply, E0802 not idempotent,
    /// E0803 final catalog differs from the snapshot, E0804 undo.
    pub code: &'static str,
    /// The migration file the finding is about.
    pub file: String,
    pub message: String,
    /// The catalog differences behind it, if any.
    pub differences: Vec<Difference>,
}

pub use crate::lock::{version_key, version_of};

/// Whether a `.sql.conf` text tells Flyway to run its migration outside a
/// transaction.
pub fn outside_transaction(conf: &str) -> bool {
    conf.lines().any(|l| l.split('#').next().unwrap_or("").replace(' ', "") == "executeInTransaction=false")
}

/// The versioned migrations among `files` (name, text), each with its undo
/// and its `.sql.conf` settings, in Flyway's order. `hand_written` says
/// which were written by hand.
pub fn steps(files: &[(String, String)], hand_written: impl Fn(&str) -> bool) -> Vec<Step> {
    let text = |name: &str| files.iter().find(|(n, _)| n == name).map(|(_, t)| t.clone());
    let mut out = Vec::new();
    for (name, sql) in files.iter().filter(|(n, _)| n.starts_with('V') && n.ends_with(".sql")) {
        let Some(version) = version_of(name) else { continue };
        let transactional = text(&format!("{name}.conf")).is_none_or(|c| !outside_transaction(&c));
        let undo_name = format!("U{}", &name[1..]);
        // Flyway runs an undo the way it runs its migration.
        let undo = text(&undo_name).map(|sql| Script { name: undo_name, sql, transactional });
        out.push(Step {
            version: version.to_string(),
            apply: Script { name: name.clone(), sql: sql.clone(), transactional },
            undo,
            hand_written: hand_written(name),
        });
    }
    out.sort_by_key(|a| version_key(&a.version));
    out
}

/// Runs one migration file as Flyway does.
pub fn run(db: &mut Client, script: &Script) -> Result<(), String> {
    let _p = crate::timing::phase("verify: run a migration");
    if !script.transactional {
        for stmt in crate::sql::split::split_statements(&script.sql) {
            if let Err(e) = db.batch_execute(&stmt) {
                let first = stmt.lines().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"));
                return Err(format!("{} (in `{}`)", describe(&e), first.unwrap_or(&stmt).trim()));
            }
        }
        return Ok(());
    }
    match db.batch_execute(&format!("BEGIN;\n{}\nCOMMIT;", script.sql)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = db.batch_execute("ROLLBACK");
            Err(describe(&e))
        }
    }
}

fn describe(e: &postgres::Error) -> String {
    let mut msg = crate::pg::describe_error(e);
    if let Some(db) = e.as_db_error() {
        if let Some(d) = db.detail() {
            msg.push_str(&format!("; detail: {d}"));
        }
        if let Some(w) = db.where_() {
            msg.push_str(&format!("; where: {}", w.lines().next().unwrap_or(w)));
        }
    }
    msg
}

/// The catalog, canonical. What the schema cannot express (a view a
/// hand-written migration creates) is not read, so not compared.
fn catalog(db: &mut Client, scope: &Scope) -> Result<Schema, String> {
    let _p = crate::timing::phase("verify: read the catalog");
    let (schema, _unsupported) = super::read(db, scope)?;
    Ok(canonical_schema(&schema))
}

/// Runs every step on `db` (an empty database) and compares; `progress`
/// gets one line per file. `Err` only when the catalog cannot be read.
pub fn verify(
    db: &mut Client,
    steps: &[Step],
    expected: &Schema,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Finding>, String> {
    let scope = Scope { public: expected.schemas.iter().any(|s| s.name == "public"), ..Scope::default() };
    let mut findings = Vec::new();
    let empty = catalog(db, &scope)?;
    // The catalog after each version, for the undos.
    let mut after: Vec<Schema> = Vec::new();
    for step in steps {
        let name = &step.apply.name;
        progress(&format!("applying {name}"));
        if let Err(e) = run(db, &step.apply) {
            findings.push(Finding {
                code: crate::diagnostics::codes::id::E0801,
                file: name.clone(),
                message: format!("{name} does not apply: {e}"),
                differences: Vec::new(),
            });
            // What follows would fail for this reason.
            return Ok(findings);
        }
        let first = catalog(db, &scope)?;
        if step.hand_written {
            progress(&format!("{name} is hand-written: applied once"));
        } else {
            progress(&format!("applying {name} again"));
            match run(db, &step.apply) {
                Err(e) => findings.push(Finding {
                    code: crate::diagnostics::codes::id::E0802,
                    file: name.clone(),
                    message: format!("{name} fails when it runs a second time: {e}"),
                    differences: Vec::new(),
                }),
                Ok(()) => {
                    let second = catalog(db, &scope)?;
                    let differences = compare(&first, &second);
                    if !differences.is_empty() {
                        findings.push(Finding {
                            code: crate::diagnostics::codes::id::E0802,
                            file: name.clone(),
                            message: format!("{name} changes the schema when it runs a second time"),
                            differences,
                        });
                    }
                }
            }
        }
        after.push(first);
    }
    if let Some(last) = steps.last() {
        let differences = compare(expected, after.last().unwrap_or(&empty));
        if !differences.is_empty() {
            findings.push(Finding {
                code: crate::diagnostics::codes::id::E0803,
                file: last.apply.name.clone(),
                message: format!(
                    "after {} the database is not the schema the lock records ({} difference(s))",
                    last.apply.name,
                    differences.len()
                ),
                differences,
            });
        }
    }
    // The undos, newest first.
    for (i, step) in steps.iter().enumerate().rev() {
        let Some(undo) = &step.undo else {
            progress(&format!("{} has no undo: the undos stop here", step.apply.name));
            break;
        };
        progress(&format!("applying {}", undo.name));
        if let Err(e) = run(db, undo) {
            findings.push(Finding {
                code: crate::diagnostics::codes::id::E0804,
                file: undo.name.clone(),
                message: format!("{} does not apply: {e}", undo.name),
                differences: Vec::new(),
            });
            break;
        }
        let before = if i == 0 { &empty } else { &after[i - 1] };
        let now = catalog(db, &scope)?;
        let differences = super::compare_undone(before, &now);
        if !differences.is_empty() {
            let what = if i == 0 {
                "the empty database".to_string()
            } else {
                format!("the schema after {}", steps[i - 1].apply.name)
            };
            findings.push(Finding {
                code: crate::diagnostics::codes::id::E0804,
                file: undo.name.clone(),
                message: format!("{} does not restore {what}", undo.name),
                differences,
            });
            break;
        }
    }
    Ok(findings)
}
