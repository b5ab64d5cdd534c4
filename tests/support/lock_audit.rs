//! The lock audit: a migration run statement by statement the way Flyway
//! runs it (inside its transaction, or each statement on its own when its
//! `.conf` says so), reading after every statement what PostgreSQL says it
//! did: the locks the backend holds (`pg_locks`), the sequential scans and
//! row changes of the transaction (`pg_stat_xact_user_tables`), the scans
//! through each index (`pg_stat_get_xact_numscans`) and whether a table was
//! rewritten (`pg_class.relfilenode`). It fails when
//!
//! - a statement reads, rewrites or updates an existing table while the
//!   transaction holds a lock on it that blocks writes (`SHARE` or
//!   stronger), and the migration's header does not declare it;
//! - a statement takes a lock stronger than the lock table
//!   (`dddc::migrate::locks`) says, or a strong lock on a table it does not
//!   name;
//! - a statement said to change only the catalog reads or rewrites a table.
//!
//! [`Audit::finish`] then checks the other direction: for every kind of
//! statement seen acting on an existing table, the strongest lock observed
//! is exactly the one the table claims.

use std::collections::{BTreeMap, BTreeSet};

use dddc::build::FileReport;
use dddc::migrate::locks::{LockLevel, Op, Work};

/// A table as PostgreSQL knows it during the audit.
#[derive(Debug, Clone)]
struct Rel {
    name: String,
    /// The partitioned table it belongs to, if it is a partition.
    parent: Option<String>,
    relfilenode: u32,
    /// Sequential scans of it in the transaction.
    seq_scans: i64,
    /// Scans through each of its indexes in the transaction, by the
    /// index's oid: compared index by index, since an index the statement
    /// drops takes its scans out of the table's sum
    /// (`pg_stat_xact_user_tables.idx_scan`).
    index_scans: BTreeMap<u32, i64>,
    rows: i64,
}

/// What the audit saw of each kind of statement, over every migration.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    pub count: usize,
    /// The strongest lock it took on the existing table it is about.
    pub strongest: Option<LockLevel>,
    /// Whether it read, rewrote or updated an existing table.
    pub long: bool,
}

#[derive(Default)]
pub struct Audit {
    pub seen: BTreeMap<Op, Seen>,
    pub statements: usize,
}

impl Rel {
    /// Whether an index it has now was scanned more than before (one it
    /// no longer has says nothing: its scans left with it).
    fn scanned_more_than(&self, before: &Rel) -> bool {
        self.index_scans.iter().any(|(ix, &n)| n > before.index_scans.get(ix).copied().unwrap_or(0))
    }
}

fn relations(db: &mut postgres::Client) -> Result<BTreeMap<u32, Rel>, String> {
    let rows = db
        .query(
            "SELECT c.oid, n.nspname || '.' || c.relname, \
                    (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent \
                       JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid LIMIT 1), \
                    c.relfilenode, \
                    coalesce(s.seq_scan, 0), \
                    coalesce(s.n_tup_ins, 0) + coalesce(s.n_tup_upd, 0) + coalesce(s.n_tup_del, 0) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_stat_xact_user_tables s ON s.relid = c.oid \
             WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'",
            &[],
        )
        .map_err(|e| e.to_string())?;
    let mut out: BTreeMap<u32, Rel> = rows
        .iter()
        .map(|r| {
            let oid: u32 = r.get(0);
            let rel = Rel {
                name: r.get(1),
                parent: r.get(2),
                relfilenode: r.get(3),
                seq_scans: r.get(4),
                index_scans: BTreeMap::new(),
                rows: r.get(5),
            };
            (oid, rel)
        })
        .collect();
    let indexes = db
        .query("SELECT i.indrelid, i.indexrelid, pg_stat_get_xact_numscans(i.indexrelid) FROM pg_index i", &[])
        .map_err(|e| e.to_string())?;
    for r in &indexes {
        if let Some(rel) = out.get_mut(&r.get::<_, u32>(0)) {
            rel.index_scans.insert(r.get(1), r.get(2));
        }
    }
    Ok(out)
}

/// Relation locks this backend holds: oid → modes.
fn locks(db: &mut postgres::Client) -> Result<BTreeMap<u32, BTreeSet<LockLevel>>, String> {
    let rows = db
        .query(
            "SELECT relation, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted",
            &[],
        )
        .map_err(|e| e.to_string())?;
    let mut out: BTreeMap<u32, BTreeSet<LockLevel>> = BTreeMap::new();
    for r in rows {
        let oid: u32 = r.get(0);
        let mode: String = r.get(1);
        if let Some(l) = LockLevel::from_pg_locks_mode(&mode) {
            out.entry(oid).or_default().insert(l);
        }
    }
    Ok(out)
}

/// A statement that commits by itself (a batched backfill) or cannot run
/// in a transaction block: run as is, not observed.
fn unobservable(op: Op, sql: &str) -> bool {
    op.outside_transaction() || sql.contains("\n        COMMIT;\n")
}

impl Audit {
    /// Adds what another audit saw.
    pub fn merge(&mut self, other: Audit) {
        self.statements += other.statements;
        for (op, s) in other.seen {
            let e = self.seen.entry(op).or_default();
            e.count += s.count;
            e.strongest = e.strongest.max(s.strongest);
            e.long |= s.long;
        }
    }

    /// Runs `report`'s migration on `db`, auditing each statement. `text`
    /// is the migration file: the report's statements must be its
    /// statements, in order.
    pub fn run(&mut self, db: &mut postgres::Client, report: &FileReport, text: &str) -> Result<(), String> {
        let mut rest = text;
        for s in report.prelude.iter().chain(report.statements.iter().map(|s| &s.sql)) {
            match rest.find(s.as_str()) {
                Some(at) => rest = &rest[at + s.len()..],
                None => return Err(format!("the report's statement is not next in the file: {s}")),
            }
        }
        let before = relations(db)?;
        let existing: BTreeSet<String> = before.values().map(|r| r.name.clone()).collect();
        let result = if report.transactional {
            db.batch_execute("BEGIN").map_err(|e| e.to_string())?;
            let r = self.statements_in(db, report, &existing, &mut BTreeMap::new());
            match r {
                Ok(()) => db.batch_execute("COMMIT").map_err(|e| e.to_string()),
                Err(e) => {
                    let _ = db.batch_execute("ROLLBACK");
                    Err(e)
                }
            }
        } else {
            for p in &report.prelude {
                db.batch_execute(p).map_err(|e| e.to_string())?;
            }
            let mut out = Ok(());
            for (i, s) in report.statements.iter().enumerate() {
                if unobservable(s.op, &s.sql) {
                    if let Err(e) = db.batch_execute(&s.sql) {
                        out = Err(format!("{e}\n  in: {}", s.sql));
                        break;
                    }
                    continue;
                }
                db.batch_execute("BEGIN").map_err(|e| e.to_string())?;
                let single = FileReport { statements: vec![s.clone()], ..report.clone() };
                let r = self.statements_in(db, &single, &existing, &mut BTreeMap::new());
                if let Err(e) = r {
                    let _ = db.batch_execute("ROLLBACK");
                    out = Err(format!("statement {}: {e}", i + 1));
                    break;
                }
                db.batch_execute("COMMIT").map_err(|e| e.to_string())?;
            }
            out
        };
        result.map_err(|e| format!("{}: {e}", report.file))
    }

    fn statements_in(
        &mut self,
        db: &mut postgres::Client,
        report: &FileReport,
        existing: &BTreeSet<String>,
        _held: &mut BTreeMap<u32, LockLevel>,
    ) -> Result<(), String> {
        if report.transactional {
            for p in &report.prelude {
                db.batch_execute(p).map_err(|e| e.to_string())?;
            }
        }
        let declared: BTreeSet<&str> = report.declared.iter().map(String::as_str).collect();
        for s in &report.statements {
            self.statements += 1;
            let rels_before = relations(db)?;
            let locks_before = locks(db)?;
            db.batch_execute(&s.sql).map_err(|e| format!("{e}\n  in: {}", s.sql))?;
            let rels_after = relations(db)?;
            let locks_after = locks(db)?;
            let claimed = s.effect();
            let table = s.table.as_ref().map(|t| t.to_string());
            let referenced: Vec<String> = s.referenced.iter().map(|t| t.to_string()).collect();
            // The table a relation counts as: itself, or its partitioned table.
            let owner_of = |oid: &u32| -> Option<(String, Option<String>)> {
                let r = rels_after.get(oid).or_else(|| rels_before.get(oid))?;
                Some((r.name.clone(), r.parent.clone()))
            };
            let is_existing = |name: &str, parent: &Option<String>| {
                existing.contains(name) || parent.as_ref().is_some_and(|p| existing.contains(p))
            };
            let names = |name: &str, parent: &Option<String>, target: &Option<String>| {
                target.as_deref().is_some_and(|t| t == name || parent.as_deref() == Some(t))
            };
            let mut seen_lock: Option<LockLevel> = None;
            let mut seen_long = false;
            for (oid, modes) in &locks_after {
                let Some((name, parent)) = owner_of(oid) else { continue };
                if !is_existing(&name, &parent) {
                    continue;
                }
                let new: Option<LockLevel> =
                    modes.iter().filter(|m| !locks_before.get(oid).is_some_and(|b| b.contains(m))).max().copied();
                let held = modes.iter().max().copied();
                // What the statement did to the rows.
                let (b, a) = (rels_before.get(oid), rels_after.get(oid));
                let work = match (b, a) {
                    (Some(b), Some(a)) if a.relfilenode != b.relfilenode => Some(Work::Rewrite),
                    (Some(b), Some(a)) if a.rows != b.rows => Some(Work::Rows),
                    (Some(b), Some(a)) if a.seq_scans != b.seq_scans || a.scanned_more_than(b) => Some(Work::Scan),
                    _ => None,
                };
                let on_table = names(&name, &parent, &table);
                let on_referenced = referenced.iter().any(|r| names(&name, &parent, &Some(r.clone())));
                if let Some(level) = new {
                    // A statement about no one table (a publication's
                    // tables) claims its lock on each table it names.
                    let allowed = if on_table || (table.is_none() && claimed.is_some()) {
                        claimed.map(|(l, _)| l)
                    } else if on_referenced {
                        s.op.referenced_lock()
                    } else {
                        None
                    };
                    let over = match allowed {
                        Some(a) => level > a,
                        None => level > LockLevel::RowExclusive,
                    };
                    if over {
                        return Err(format!(
                            "took {} on {name}, more than the lock table says ({:?} claims {}):\n  {}",
                            level.sql_name(),
                            s.op,
                            allowed.map_or("no lock".to_string(), |l| l.sql_name().to_string()),
                            s.sql
                        ));
                    }
                    // What a statement takes shows only when the table was
                    // not locked before it: a lock already held is not
                    // taken again.
                    if on_table && !locks_before.contains_key(oid) {
                        seen_lock = seen_lock.max(Some(level));
                    }
                }
                if let Some(w) = work {
                    if on_table {
                        seen_long = true;
                    }
                    if claimed.is_some_and(|(_, cw)| cw == Work::Catalog) && on_table && w != Work::Rows {
                        return Err(format!(
                            "{:?} is said to change only the catalog, but it {} {name}:\n  {}",
                            s.op,
                            w.describe(),
                            s.sql
                        ));
                    }
                    let blocking = held.is_some_and(|h| h >= LockLevel::Share);
                    let declared_here =
                        declared.contains(name.as_str()) || parent.as_deref().is_some_and(|p| declared.contains(p));
                    if blocking && !declared_here {
                        return Err(format!(
                            "{} {name} while holding {} on it (writes blocked), undeclared:\n  {}",
                            w.describe(),
                            held.map_or("", |h| h.sql_name()),
                            s.sql
                        ));
                    }
                }
            }
            let e = self.seen.entry(s.op).or_default();
            e.count += 1;
            e.strongest = e.strongest.max(seen_lock);
            e.long |= seen_long;
        }
        Ok(())
    }

    /// The lock table is exact where the audit saw it act: a kind of
    /// statement's strongest observed lock on an existing table is the one
    /// claimed. Returns a summary for the test's output.
    pub fn finish(&self) -> Result<String, String> {
        let mut out = format!("lock audit: {} statements\n", self.statements);
        let mut problems = Vec::new();
        use strum::IntoEnumIterator;
        for op in Op::iter() {
            let claimed = op.effect();
            match self.seen.get(&op) {
                Some(seen) => {
                    out.push_str(&format!(
                        "  {op:?}: {} run(s), strongest lock seen {}, claimed {}{}\n",
                        seen.count,
                        seen.strongest.map_or("-", |l| l.sql_name()),
                        claimed.map_or("-", |(l, _)| l.sql_name()),
                        if seen.long { ", read or wrote rows" } else { "" }
                    ));
                    if let (Some(s), Some((c, _))) = (seen.strongest, claimed) {
                        if s != c {
                            problems.push(format!("{op:?}: claims {}, PostgreSQL took {}", c.sql_name(), s.sql_name()));
                        }
                    }
                }
                None => out.push_str(&format!("  {op:?}: not exercised on an existing table\n")),
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(format!("{out}\nthe lock table is not exact:\n  {}", problems.join("\n  ")))
        }
    }
}
