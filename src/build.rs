//! What `dddc build` writes, computed without touching the disk: the caller
//! (the CLI) reads the current files, asks for the outputs and writes them.

use std::path::PathBuf;

use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::lock::{FileSum, Lock, Migration};
use crate::model::Model;
pub use crate::output::Output;
use crate::relational::{self, Schema};
use crate::sql::ddl;

/// What a build produces.
#[derive(Debug, Default)]
pub struct Plan {
    pub outputs: Vec<Output>,
    /// One line per migration written, for the user.
    pub summary: Vec<String>,
    /// Facts worth a line to the user (a lock upgraded to a new format).
    pub notices: Vec<String>,
    pub warnings: Vec<Diagnostic>,
}

#[derive(Debug)]
pub enum BuildError {
    /// Problems in the model (E0601 …).
    Diagnostics(Vec<Diagnostic>),
    /// Changes that can lose data, not allowed.
    Refused(Vec<crate::migrate::Refusal>),
    /// Anything else, in one sentence.
    Message(String),
}

/// Inputs that are not the model: the lock as it is on disk and the build's
/// options.
pub struct Inputs<'a> {
    pub config: &'a Config,
    pub lock: Option<Lock>,
    /// `--name`: the migration's description.
    pub name: Option<&'a str>,
    /// `SOURCE_DATE_EPOCH`, when set: a date for migration headers (and the
    /// version under `versioning = "timestamp"`).
    pub source_date_epoch: Option<i64>,
    /// The time now, for `versioning = "timestamp"` without
    /// `SOURCE_DATE_EPOCH`.
    pub now_epoch: i64,
    pub allow_destructive: bool,
    /// The project folder, to find documentation template overrides.
    pub project_dir: &'a std::path::Path,
}

impl<'a> Inputs<'a> {
    /// A first build (no lock), nothing else set.
    pub fn new(config: &'a Config, project_dir: &'a std::path::Path) -> Inputs<'a> {
        Inputs {
            config,
            lock: None,
            name: None,
            source_date_epoch: None,
            now_epoch: 0,
            allow_destructive: false,
            project_dir,
        }
    }
}

pub fn plan(model: &Model, inputs: &Inputs<'_>) -> Result<Plan, BuildError> {
    let schema = relational::lower(model).map_err(BuildError::Diagnostics)?;
    let dir = PathBuf::from(&inputs.config.migrations.dir);
    let mut plan = Plan::default();
    // Documentation describes the model as it is, whatever the migrations.
    let docs =
        crate::docs::generate(model, &schema, &inputs.config.docs, inputs.project_dir).map_err(BuildError::Message)?;
    match &inputs.lock {
        None => {
            let description = slug(inputs.name.unwrap_or("init"));
            let lock = first_migration(model, schema, &description, inputs, &dir, &mut plan);
            push_lock(&mut plan, &dir, &lock);
        }
        Some(lock) => {
            let opts = crate::migrate::Options { allow_destructive: inputs.allow_destructive };
            let planned = crate::migrate::plan(&lock.schema, model, &schema, opts);
            plan.warnings.extend(planned.warnings.iter().cloned());
            if !planned.refusals.is_empty() {
                return Err(BuildError::Refused(planned.refusals));
            }
            let current_format = lock.format == crate::lock::FORMAT;
            if planned.is_empty() && lock.same_schema(&schema) && current_format {
                plan.outputs.extend(docs);
                return Ok(plan);
            }
            if !current_format {
                plan.notices.push(format!(
                    "the lock is upgraded from format {} to {}: the schema snapshot moves to `{}`",
                    lock.format,
                    crate::lock::FORMAT,
                    dir.join(crate::lock::SNAPSHOT_FILE).display()
                ));
            }
            let mut next = lock.clone();
            next.schema = schema;
            if !planned.is_empty() {
                next_migrations(model, &planned, inputs, &dir, &mut next, &mut plan);
            }
            push_lock(&mut plan, &dir, &next);
        }
    }
    plan.outputs.extend(docs);
    Ok(plan)
}

/// The lock's two files.
fn push_lock(plan: &mut Plan, dir: &std::path::Path, lock: &Lock) {
    let (json, snapshot) = lock.to_files();
    plan.outputs.push(Output { path: dir.join(crate::lock::LOCK_FILE), bytes: json.into_bytes() });
    plan.outputs.push(Output { path: dir.join(crate::lock::SNAPSHOT_FILE), bytes: snapshot.into_bytes() });
}

/// Writes the files of a planned evolution and records them in the lock.
fn next_migrations(
    model: &Model,
    planned: &crate::migrate::Planned,
    inputs: &Inputs<'_>,
    dir: &std::path::Path,
    lock: &mut Lock,
    plan: &mut Plan,
) {
    use crate::migrate::FileKind;
    let base = inputs.name.map(slug).unwrap_or_else(|| derive_slug(&planned.files));
    let date = inputs.source_date_epoch.map(civil_date);
    for (i, f) in planned.files.iter().enumerate() {
        let version = next_version(lock, inputs, i);
        let description = match (f.kind, planned.files.len()) {
            (_, 1) => base.clone(),
            (FileKind::EnumValues, _) => format!("{base}_enum_values"),
            (FileKind::Main, _) => base.clone(),
            (FileKind::Concurrent, _) => format!("{base}_indexes"),
        };
        let file = format!("V{version}__{description}.sql");
        let undo_file = format!("U{version}__{description}.sql");
        let partitioned: std::collections::BTreeSet<crate::migrate::TableRef> = f
            .before
            .tables
            .iter()
            .chain(f.after.tables.iter())
            .filter(|t| t.partitioning.is_some())
            .map(crate::migrate::TableRef::of)
            .collect();
        let cx = crate::sql::alter::Context {
            before: &f.before,
            after: &f.after,
            partitioned: &partitioned,
            target: model.target,
            new_tables: &f.new_tables,
            concurrent: f.kind == FileKind::Concurrent,
        };
        let mut header = vec![
            file.clone(),
            format!(
                "Generated by dddc from model `{}`. Do not edit: change the model and run `dddc build`.",
                model.name
            ),
        ];
        header.push(match f.kind {
            FileKind::EnumValues => "New enum values, committed before any statement uses them.".to_string(),
            FileKind::Main => "Idempotent: running it again changes nothing.".to_string(),
            FileKind::Concurrent => {
                "Indexes on existing tables, built CONCURRENTLY outside a transaction (see the .conf file).".to_string()
            }
        });
        if let Some(d) = &date {
            header.push(format!("Date: {d}"));
        }
        if f.kind == FileKind::Main {
            for n in &planned.notes {
                header.push(format!("NOTE: {n}"));
            }
        }
        header.push("Changes:".into());
        header.extend(f.changes.iter().map(|c| format!("  - {}", c.describe())));
        let sql = crate::sql::ddl::script(&header, &[("Statements".to_string(), render_changes(&f.changes, &cx))]);
        let undo_new_tables: std::collections::BTreeSet<crate::migrate::TableRef> = f
            .undo
            .iter()
            .filter_map(|c| {
                if let crate::migrate::Change::CreateTable(t) = c {
                    Some(crate::migrate::TableRef::of(t))
                } else {
                    None
                }
            })
            .collect();
        let ucx = crate::sql::alter::Context {
            before: &f.after,
            after: &f.before,
            target: model.target,
            new_tables: &undo_new_tables,
            concurrent: false,
            partitioned: &partitioned,
        };
        let mut undo_header =
            vec![undo_file.clone(), format!("Generated by dddc from model `{}`. Undoes {file}.", model.name)];
        let losses: Vec<String> = f
            .undo
            .iter()
            .filter(|c| c.loses_data() && !matches!(c, crate::migrate::Change::AlterColumnType { .. }))
            .map(|c| c.describe())
            .collect();
        if !losses.is_empty() {
            undo_header.push("WARNING: this undo loses data:".into());
            undo_header.extend(losses.iter().map(|l| format!("  - {l}")));
        }
        let narrowing: Vec<String> = f
            .undo
            .iter()
            .filter_map(|c| match c {
                crate::migrate::Change::AlterColumnType { table, column, to, lossy: true, .. } => {
                    Some(format!("  - {table}.{column} becomes {}", crate::sql::types::column_type(to)))
                }
                _ => None,
            })
            .collect();
        if !narrowing.is_empty() {
            undo_header.push(
                "WARNING: this undo narrows column types; it stops, changing nothing, if a row holds a value that does not fit:"
                    .into(),
            );
            undo_header.extend(narrowing);
        }
        if let Some(d) = &date {
            undo_header.push(format!("Date: {d}"));
        }
        let undo = crate::sql::ddl::script(&undo_header, &[("Statements".to_string(), render_changes(&f.undo, &ucx))]);
        let conf = (f.kind == FileKind::Concurrent).then(|| "executeInTransaction=false\n".to_string());
        lock.migrations.push(Migration {
            version: version.clone(),
            description: description.clone(),
            file: FileSum::of(&file, sql.as_bytes()),
            undo: inputs.config.migrations.undo.then(|| FileSum::of(&undo_file, undo.as_bytes())),
            conf: conf.as_ref().map(|c| FileSum::of(&format!("{file}.conf"), c.as_bytes())),
        });
        plan.summary.push(format!("{file} ({} change(s))", f.changes.len()));
        plan.outputs.push(Output { path: dir.join(&file), bytes: sql.into_bytes() });
        if inputs.config.migrations.undo {
            plan.outputs.push(Output { path: dir.join(&undo_file), bytes: undo.into_bytes() });
        }
        if let Some(c) = conf {
            plan.outputs.push(Output { path: dir.join(format!("{file}.conf")), bytes: c.into_bytes() });
        }
    }
}

fn render_changes(changes: &[crate::migrate::Change], cx: &crate::sql::alter::Context<'_>) -> Vec<String> {
    changes.iter().flat_map(|c| crate::sql::alter::statements(c, cx)).collect()
}

/// The next version: one more than the last, or a timestamp
/// (`YYYYMMDDHHMMSS`, one second later per extra file of the same build).
fn next_version(lock: &Lock, inputs: &Inputs<'_>, offset: usize) -> String {
    match inputs.config.migrations.versioning {
        crate::config::Versioning::Sequence => {
            let last = lock.migrations.iter().filter_map(|m| m.version.parse::<u64>().ok()).max().unwrap_or(0);
            (last + 1).to_string()
        }
        crate::config::Versioning::Timestamp => {
            let epoch = inputs.source_date_epoch.unwrap_or(inputs.now_epoch) + offset as i64;
            let last = lock.migrations.iter().filter_map(|m| m.version.parse::<u64>().ok()).max().unwrap_or(0);
            let stamp = timestamp(epoch);
            // Never go back in time: a lock from another machine may be ahead.
            match stamp.parse::<u64>() {
                Ok(v) if v > last => stamp,
                _ => (last + 1).to_string(),
            }
        }
    }
}

/// `YYYYMMDDHHMMSS` (UTC).
fn timestamp(epoch: i64) -> String {
    let date = civil_date(epoch).replace('-', "");
    let secs = epoch.rem_euclid(86_400);
    format!("{date}{:02}{:02}{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// A short description from the changes: `add_notas_to_reservas`,
/// `create_pagos_facturas`, `update_3_tables`.
fn derive_slug(files: &[crate::migrate::MigrationFile]) -> String {
    use crate::migrate::Change;
    let changes: Vec<&Change> =
        files.iter().flat_map(|f| f.changes.iter()).filter(|c| !matches!(c, Change::SetComment { .. })).collect();
    // Counted by qualified name: two contexts may have tables of one name.
    let qualified: std::collections::BTreeSet<(String, String)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateTable(t) | Change::DropTable(t) => Some((t.schema.clone(), t.name.clone())),
            Change::RenameTable { schema, to, .. } => Some((schema.clone(), to.clone())),
            other => other.table().map(|t| (t.schema.clone(), t.name.clone())),
        })
        .collect();
    let tables: Vec<String> = qualified.iter().map(|(_, n)| n.clone()).collect();
    if changes.is_empty() {
        return "update_comments".into();
    }
    let first = changes.first().copied();
    let verb = match first {
        Some(Change::CreateTable(_)) => "create".to_string(),
        Some(Change::AddColumn { column, .. }) if changes.len() == 1 => format!("add_{}_to", column.name),
        Some(Change::DropColumn { column, .. }) if changes.len() == 1 => format!("drop_{}_from", column.name),
        Some(Change::RenameSchema { to, .. }) => return slug(&format!("rename_context_{to}")),
        Some(Change::RenameTable { .. } | Change::RenameColumn { .. }) => "rename_in".to_string(),
        Some(Change::CreateIndex { index, .. }) if changes.len() == 1 => return slug(&index.name),
        _ => "update".to_string(),
    };
    let text = match tables.len() {
        0 => match first {
            Some(c) => c.describe(),
            None => "update".into(),
        },
        1 => format!("{verb}_{}", tables.first().map_or("", |s| s.as_str())),
        n => format!("{verb}_{n}_tables").replace("add_", "update_").replace("drop_", "update_"),
    };
    slug(&text)
}

fn first_migration(
    model: &Model,
    schema: Schema,
    description: &str,
    inputs: &Inputs<'_>,
    dir: &std::path::Path,
    plan: &mut Plan,
) -> Lock {
    let version = "1".to_string();
    let file = format!("V{version}__{description}.sql");
    let undo_file = format!("U{version}__{description}.sql");
    let date = inputs.source_date_epoch.map(civil_date);
    let mut header = vec![
        file.clone(),
        format!("Generated by dddc from model `{}`. Do not edit: change the model and run `dddc build`.", model.name),
        "Creates the whole schema. Idempotent: running it again changes nothing.".to_string(),
    ];
    if let Some(d) = &date {
        header.push(format!("Date: {d}"));
    }
    let sql = ddl::script(&header, &ddl::create_statements(&schema));
    let mut undo_header = vec![
        undo_file.clone(),
        format!("Generated by dddc from model `{}`. Undoes {file}.", model.name),
        "WARNING: drops every table of the model, and the data in them.".to_string(),
    ];
    if let Some(d) = &date {
        undo_header.push(format!("Date: {d}"));
    }
    let undo = ddl::script(&undo_header, &ddl::drop_statements(&schema));
    let mut lock = Lock::new(&model.name, schema);
    let undo_sum = inputs.config.migrations.undo.then(|| FileSum::of(&undo_file, undo.as_bytes()));
    lock.migrations.push(Migration {
        version,
        description: description.to_string(),
        file: FileSum::of(&file, sql.as_bytes()),
        undo: undo_sum,
        conf: None,
    });
    plan.summary.push(format!("{} ({} tables)", file, lock.schema.tables.len()));
    plan.outputs.push(Output { path: dir.join(&file), bytes: sql.into_bytes() });
    if inputs.config.migrations.undo {
        plan.outputs.push(Output { path: dir.join(&undo_file), bytes: undo.into_bytes() });
    }
    lock
}

/// A migration description for a file name: lower-case ASCII letters,
/// digits and `_`, at most 60 characters.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' | 'Á' => 'a',
            'é' | 'è' | 'ë' | 'ê' | 'É' => 'e',
            'í' | 'ì' | 'ï' | 'î' | 'Í' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'Ó' => 'o',
            'ú' | 'ù' | 'ü' | 'û' | 'Ú' => 'u',
            'ñ' | 'Ñ' => 'n',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_');
    let mut out: String = out.chars().take(60).collect();
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() {
        "migration".into()
    } else {
        out
    }
}

/// `YYYY-MM-DD` (UTC) of a Unix time.
pub fn civil_date(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("init"), "init");
        assert_eq!(slug("Añadir notas a reservas!"), "anadir_notas_a_reservas");
        assert_eq!(slug("  --  "), "migration");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(1_764_000_000), "2025-11-24");
        assert_eq!(civil_date(951_782_400), "2000-02-29");
    }
}
