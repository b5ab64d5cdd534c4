//! `dddc drift`: a deployed database compared with the lock. Which
//! migrations Flyway's history says are applied, whether their checksums are
//! the lock's, and every object added, missing or different compared with
//! the snapshot at the version the database is at. Read-only.

use postgres::Client;

use super::{compare, Difference, Scope, Unsupported};
use crate::lock::Lock;

#[derive(Debug, Clone, Default)]
pub struct Report {
    /// `schema.flyway_schema_history`, when found.
    pub history_table: Option<String>,
    /// The last version the history records as applied (or baselined).
    pub applied: Option<String>,
    /// There is no Flyway history: `applied` is the lock's last version,
    /// assumed.
    pub assumed: bool,
    /// The lock's migrations the history does not record, in order.
    pub pending: Vec<String>,
    /// Problems of the history itself: checksums, unknown or failed versions.
    pub history: Vec<String>,
    pub differences: Vec<Difference>,
    pub unsupported: Vec<Unsupported>,
}

struct Row {
    version: Option<String>,
    script: String,
    kind: String,
    checksum: Option<i32>,
    success: bool,
}

/// Finds Flyway's history table: `given` (`schema.table` or `table`), else
/// the one `flyway_schema_history` in the database.
/// Returns `(schema, table, "schema.table" quoted for SQL)`.
fn history_table(db: &mut Client, given: Option<&str>) -> Result<Option<(String, String, String)>, String> {
    let (schema, table) = match given {
        Some(g) => match g.split_once('.') {
            Some((s, t)) => (Some(s.to_string()), t.to_string()),
            None => (None, g.to_string()),
        },
        None => (None, "flyway_schema_history".to_string()),
    };
    let rows = db
        .query(
            "SELECT n.nspname::text, c.relname::text, format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = $1 AND c.relkind IN ('r', 'p') AND ($2::text IS NULL OR n.nspname = $2) ORDER BY 1",
            &[&table, &schema],
        )
        .map_err(|e| crate::pg::describe_error(&e))?;
    match rows.len() {
        0 if given.is_some() => Err(format!("there is no table {} in the database", given.unwrap_or_default())),
        0 => Ok(None),
        1 => Ok(Some((rows[0].get(0), rows[0].get(1), rows[0].get(2)))),
        _ => {
            let names: Vec<String> = rows.iter().map(|r| r.get(2)).collect();
            Err(format!("several Flyway history tables ({}): name one with `--history-table`", names.join(", ")))
        }
    }
}

/// The drift of the database `db` from `lock` (whose snapshot file is
/// `snapshot_text`).
pub fn drift(db: &mut Client, lock: &Lock, snapshot_text: &str, given: Option<&str>) -> Result<Report, String> {
    let history = history_table(db, given)?;
    let mut report = Report { history_table: history.as_ref().map(|h| h.2.clone()), ..Report::default() };
    let mut rows = Vec::new();
    if let Some((_, _, table)) = &history {
        for r in db
            .query(
                &format!("SELECT version, script, type, checksum, success FROM {table} ORDER BY installed_rank"),
                &[],
            )
            .map_err(|e| crate::pg::describe_error(&e))?
        {
            // A table of that name that is not Flyway's is an error, not a panic.
            let row = (|| -> Result<Row, postgres::Error> {
                Ok(Row {
                    version: r.try_get(0)?,
                    script: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    checksum: r.try_get(3)?,
                    success: r.try_get(4)?,
                })
            })()
            .map_err(|e| format!("{table} does not have the columns of Flyway's history table: {e}"))?;
            rows.push(row);
        }
    }
    // Which of the lock's migrations are applied.
    let mut applied_index: Option<usize> = None;
    for row in &rows {
        let Some(version) = &row.version else { continue };
        if !row.success {
            report.history.push(format!(
                "{} (version {version}) failed when it was applied: the history marks it unsuccessful; repair it (`flyway repair`) before migrating again",
                row.script
            ));
            continue;
        }
        let Some((i, m)) = lock.migrations.iter().enumerate().find(|(_, m)| m.version == *version) else {
            if row.kind != "BASELINE" {
                report.history.push(format!(
                    "version {version} ({}) is applied, but the lock has no such migration (applied from another branch?)",
                    row.script
                ));
            }
            continue;
        };
        if row.kind != "BASELINE" {
            if row.script != m.file.name {
                report.history.push(format!(
                    "version {version} was applied from {}; the lock's file is {}",
                    row.script, m.file.name
                ));
            }
            if !m.is_pending() && row.checksum != Some(m.file.flyway_checksum) {
                report.history.push(format!(
                    "{} was applied with checksum {}; the lock records {} (edited after it was applied?)",
                    m.file.name,
                    row.checksum.map(|c| c.to_string()).unwrap_or_else(|| "none".into()),
                    m.file.flyway_checksum
                ));
            }
        }
        applied_index = Some(applied_index.map_or(i, |a| a.max(i)));
    }
    // No history at all: a database migrated by other means (or whose
    // history lives elsewhere) is compared with the lock's last schema.
    if report.history_table.is_none() && !lock.migrations.is_empty() {
        report.assumed = true;
        applied_index = Some(lock.migrations.len() - 1);
    }
    let applied_upto = applied_index.map_or(0, |i| i + 1);
    for (i, m) in lock.migrations.iter().enumerate() {
        let recorded = rows.iter().any(|r| r.version.as_deref() == Some(m.version.as_str()));
        if i < applied_upto && !recorded && !report.assumed && !rows.iter().any(|r| r.kind == "BASELINE") {
            report.history.push(format!("{} is not in the history, but a later migration is", m.file.name));
        }
        if i >= applied_upto {
            report.pending.push(m.file.name.clone());
        }
    }
    report.applied = applied_index.map(|i| lock.migrations[i].version.clone());
    // What the database should hold at that version.
    let expected = match applied_index {
        Some(i) => crate::team::schema_after(lock, snapshot_text, i)?,
        None => crate::relational::Schema::default(),
    };
    let scope = Scope { public: expected.schemas.iter().any(|s| s.name == "public"), ..Scope::default() };
    let (mut actual, unsupported) = super::read(db, &scope)?;
    report.unsupported = unsupported;
    // Flyway's own table is not the model's, nor a schema that holds only
    // it (Flyway's `defaultSchema`).
    if let Some((schema, table, _)) = &history {
        actual.tables.retain(|t| !(t.schema == *schema && t.name == *table));
        let emptied = !actual.tables.iter().any(|t| t.schema == *schema);
        if emptied && !expected.schemas.iter().any(|s| s.name == *schema) {
            actual.schemas.retain(|s| s.name != *schema);
        }
    }
    report.differences = compare(&expected, &actual);
    // A column the catalog reader left out (a type the language cannot
    // say) is not missing: it is there, of another type than the lock's
    // (`ADD COLUMN IF NOT EXISTS` of a field of that name skipped it).
    for d in &mut report.differences {
        let Some(column) =
            d.message.strip_prefix("column ").and_then(|m| m.strip_suffix(" is missing from the database"))
        else {
            continue;
        };
        if let Some(u) = report.unsupported.iter().find(|u| u.object == column) {
            d.message = format!("column {column} is in the database, but not as the lock says: {}", u.reason);
        }
    }
    Ok(report)
}
