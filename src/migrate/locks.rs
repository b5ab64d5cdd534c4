//! What each statement of a migration does to the tables it touches: the
//! lock it takes (PostgreSQL's table-level lock modes, "Explicit Locking" in
//! the manual) and whether it reads, rewrites or writes the rows while it
//! holds that lock. One table, [`Op::effect`], used by the SQL printer (each
//! statement it writes names its [`Op`]), by `dddc plan`'s lock report, by
//! the migration headers, by the lock timeout, and rendered into
//! `docs/migrations.md`. `tests/lock_audit.rs` checks every entry against
//! `pg_locks` and the statistics of a real PostgreSQL.

use std::fmt;

/// PostgreSQL's table-level lock modes, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, strum::EnumIter)]
pub enum LockLevel {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockLevel {
    /// As the manual and `LOCK TABLE` spell it: `ACCESS EXCLUSIVE`.
    pub fn sql_name(self) -> &'static str {
        match self {
            LockLevel::AccessShare => "ACCESS SHARE",
            LockLevel::RowShare => "ROW SHARE",
            LockLevel::RowExclusive => "ROW EXCLUSIVE",
            LockLevel::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockLevel::Share => "SHARE",
            LockLevel::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockLevel::Exclusive => "EXCLUSIVE",
            LockLevel::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// As `pg_locks.mode` spells it: `AccessExclusiveLock`.
    pub fn pg_locks_mode(self) -> &'static str {
        match self {
            LockLevel::AccessShare => "AccessShareLock",
            LockLevel::RowShare => "RowShareLock",
            LockLevel::RowExclusive => "RowExclusiveLock",
            LockLevel::ShareUpdateExclusive => "ShareUpdateExclusiveLock",
            LockLevel::Share => "ShareLock",
            LockLevel::ShareRowExclusive => "ShareRowExclusiveLock",
            LockLevel::Exclusive => "ExclusiveLock",
            LockLevel::AccessExclusive => "AccessExclusiveLock",
        }
    }

    pub fn from_pg_locks_mode(mode: &str) -> Option<LockLevel> {
        use strum::IntoEnumIterator;
        LockLevel::iter().find(|l| l.pg_locks_mode() == mode)
    }

    /// What the application cannot do on the table while the lock is held.
    pub fn blocks(self) -> &'static str {
        match self {
            LockLevel::AccessShare | LockLevel::RowShare | LockLevel::RowExclusive => "nothing the application does",
            LockLevel::ShareUpdateExclusive => "only other schema changes and VACUUM",
            LockLevel::Share | LockLevel::ShareRowExclusive | LockLevel::Exclusive => "writes (reads continue)",
            LockLevel::AccessExclusive => "reads and writes",
        }
    }

    /// Strong enough that a statement waiting for it queues every later
    /// query on the table behind it: what `lock_timeout` is for.
    pub fn is_strong(self) -> bool {
        self > LockLevel::ShareUpdateExclusive
    }
}

impl fmt::Display for LockLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql_name())
    }
}

/// What a statement does to a table's rows while it holds its lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Work {
    /// Only the catalog changes: as long as the lock is waited for.
    Catalog,
    /// Reads every row (a validation, an index build, a check that values fit).
    Scan,
    /// Writes the table anew (a type change, a volatile default).
    Rewrite,
    /// Updates rows (a backfill).
    Rows,
}

impl Work {
    pub fn describe(self) -> &'static str {
        match self {
            Work::Catalog => "catalog only",
            Work::Scan => "reads every row",
            Work::Rewrite => "rewrites the table",
            Work::Rows => "updates rows",
        }
    }

    /// Takes time proportional to the table.
    pub fn is_long(self) -> bool {
        self != Work::Catalog
    }
}

/// One kind of statement, as far as locks go. Statements on tables created
/// in the same migration lock nothing anyone else can see; they still name
/// an op, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, strum::EnumIter)]
pub enum Op {
    /// `CREATE SCHEMA`/`TYPE`/`FUNCTION`/`EXTENSION`/`ROLE`/`PUBLICATION`,
    /// `ALTER TYPE … ADD VALUE`, grants, and their drops: no table lock.
    NoTable,
    /// `CREATE TABLE`: on the tables its foreign keys reference.
    CreateTable,
    /// `CREATE TABLE … PARTITION OF`.
    CreatePartition,
    /// `ALTER TABLE … ADD COLUMN` without a default or with a constant one.
    AddColumn,
    /// `ADD COLUMN` that fills every row: a volatile default, an identity,
    /// a stored generated column.
    AddColumnRewrite,
    /// `ADD COLUMN … NOT NULL` with no default, which only
    /// `--allow-destructive` writes on an existing table: PostgreSQL reads
    /// the table to prove it has no rows (and fails if it has).
    AddColumnRequired,
    /// `ALTER COLUMN … TYPE`: a rewrite, or at least a scan that re-checks
    /// the constraints on the column, and the indexes on it rebuilt.
    AlterColumnType,
    /// `ALTER COLUMN … TYPE` to a wider `varchar` (or `text`) or `numeric`
    /// of the same scale: binary-coercible, PostgreSQL changes the catalog
    /// only (no rewrite, the indexes kept).
    AlterColumnTypeCatalog,
    /// The same widening of a column a `CHECK`, a foreign key or an index's
    /// expression or condition names: PostgreSQL keeps the table's file but
    /// checks those again (reads every row).
    AlterColumnTypeRecheck,
    /// The check, before a narrowing type change, that every value fits.
    CheckValuesFit,
    /// `SET DEFAULT`, `DROP DEFAULT`, `DROP NOT NULL`, `DROP IDENTITY`.
    AlterColumn,
    /// `SET NOT NULL` once a validated `CHECK (c IS NOT NULL)` proves it:
    /// PostgreSQL skips the scan.
    SetNotNullProven,
    /// `SET NOT NULL` that scans (only on a table created in the migration,
    /// or in an undo).
    SetNotNullScan,
    /// `ADD GENERATED ALWAYS AS IDENTITY` and the sequence moved past the
    /// highest value.
    AddIdentity,
    /// `ADD CONSTRAINT … CHECK … NOT VALID`.
    AddCheckNotValid,
    /// `ADD CONSTRAINT … CHECK` checked at once (a new table, or an undo).
    AddCheckScan,
    /// `ADD CONSTRAINT … FOREIGN KEY … NOT VALID`: on both tables.
    AddForeignKeyNotValid,
    /// `ADD … FOREIGN KEY` checked at once (a partitioned table before
    /// PostgreSQL 18, which cannot add one `NOT VALID`).
    AddForeignKeyScan,
    /// `DROP CONSTRAINT` of a foreign key and `ADD` of its replacement
    /// `NOT VALID`, in one statement: both tables.
    ReplaceForeignKeyNotValid,
    /// `DROP CONSTRAINT` of a unique and of the foreign keys on it, added
    /// back `NOT VALID` onto the table's new key, in one block: the table
    /// and every referencing table.
    MoveForeignKeysOffUnique,
    /// `VALIDATE CONSTRAINT`.
    ValidateConstraint,
    /// `VALIDATE CONSTRAINT` of a foreign key: reads the referenced table too.
    ValidateForeignKey,
    /// `ADD CONSTRAINT … UNIQUE` building its index.
    AddConstraintWithIndex,
    /// `ADD CONSTRAINT … PRIMARY KEY` building its index.
    AddPrimaryKeyWithIndex,
    /// `ADD CONSTRAINT … UNIQUE USING INDEX` (the index built concurrently).
    AttachUniqueIndex,
    /// `DROP CONSTRAINT` of the old primary key and `ADD CONSTRAINT …
    /// PRIMARY KEY USING INDEX` (the index built concurrently, on columns
    /// `NOT NULL` already), in one statement.
    AttachPrimaryKeyIndex,
    /// `CREATE INDEX`.
    CreateIndex,
    /// `CREATE INDEX CONCURRENTLY`.
    CreateIndexConcurrently,
    /// `DROP INDEX`.
    DropIndex,
    /// `DROP INDEX CONCURRENTLY`.
    DropIndexConcurrently,
    /// `DROP CONSTRAINT` (a foreign key's also locks the referenced table).
    DropConstraint,
    /// Renames of tables, columns and constraints.
    Rename,
    /// `ALTER INDEX … RENAME`: on the index only.
    RenameIndex,
    /// `CREATE TRIGGER`.
    CreateTrigger,
    /// `DROP TRIGGER`.
    DropTrigger,
    /// `ENABLE`/`FORCE`/`DISABLE ROW LEVEL SECURITY`, `CREATE`/`DROP POLICY`.
    RowSecurity,
    /// `COMMENT ON TABLE`/`COLUMN`/`INDEX`.
    Comment,
    /// `ALTER PUBLICATION … SET TABLE`.
    Publication,
    /// `UPDATE` of existing rows (a backfill, a renamed enum value), in
    /// batches of its own transaction each when the table may be large.
    Backfill,
    /// A new partition whose range was in the DEFAULT partition: the
    /// default is detached, its rows of the range moved, and attached again.
    MovePartitionRows,
    /// `DROP COLUMN`, `DROP TABLE`.
    Drop,
}

impl Op {
    /// The lock the statement takes on the table it is about, and what it
    /// does to the rows meanwhile. `None`: no lock on a table.
    pub fn effect(self) -> Option<(LockLevel, Work)> {
        use LockLevel::*;
        use Op::*;
        use Work::*;
        Some(match self {
            NoTable => return None,
            CreateTable => (ShareRowExclusive, Catalog),
            CreatePartition => (AccessExclusive, Catalog),
            AddColumn => (AccessExclusive, Catalog),
            AddColumnRewrite => (AccessExclusive, Rewrite),
            AddColumnRequired => (AccessExclusive, Scan),
            AlterColumnType => (AccessExclusive, Rewrite),
            AlterColumnTypeCatalog => (AccessExclusive, Catalog),
            AlterColumnTypeRecheck => (AccessExclusive, Scan),
            // Locked before the scan: a row written after it would be
            // converted unchecked (a `varchar` cut, a `numeric` rounded).
            CheckValuesFit => (AccessExclusive, Scan),
            AlterColumn => (AccessExclusive, Catalog),
            SetNotNullProven => (AccessExclusive, Catalog),
            SetNotNullScan => (AccessExclusive, Scan),
            AddIdentity => (AccessExclusive, Scan),
            AddCheckNotValid => (AccessExclusive, Catalog),
            AddCheckScan => (AccessExclusive, Scan),
            AddForeignKeyNotValid => (ShareRowExclusive, Catalog),
            AddForeignKeyScan => (ShareRowExclusive, Scan),
            ReplaceForeignKeyNotValid | MoveForeignKeysOffUnique => (AccessExclusive, Catalog),
            ValidateConstraint => (ShareUpdateExclusive, Scan),
            ValidateForeignKey => (ShareUpdateExclusive, Scan),
            AddConstraintWithIndex | AddPrimaryKeyWithIndex => (AccessExclusive, Scan),
            AttachUniqueIndex | AttachPrimaryKeyIndex => (AccessExclusive, Catalog),
            CreateIndex => (Share, Scan),
            CreateIndexConcurrently => (ShareUpdateExclusive, Scan),
            DropIndex => (AccessExclusive, Catalog),
            DropIndexConcurrently => (ShareUpdateExclusive, Catalog),
            DropConstraint => (AccessExclusive, Catalog),
            Rename => (AccessExclusive, Catalog),
            RenameIndex => return None,
            CreateTrigger => (ShareRowExclusive, Catalog),
            DropTrigger => (AccessExclusive, Catalog),
            RowSecurity => (AccessExclusive, Catalog),
            Comment => (ShareUpdateExclusive, Catalog),
            Publication => (ShareUpdateExclusive, Catalog),
            Backfill => (RowExclusive, Rows),
            MovePartitionRows => (AccessExclusive, Rows),
            Drop => (AccessExclusive, Catalog),
        })
    }

    /// The lock on the other tables a statement names: the table a
    /// foreign key references (adding one adds triggers there, dropping
    /// one removes them); for a dropped table or a detached partition,
    /// the tables its foreign keys reference.
    pub fn referenced_lock(self) -> Option<LockLevel> {
        match self {
            Op::CreateTable | Op::AddForeignKeyNotValid | Op::AddForeignKeyScan => Some(LockLevel::ShareRowExclusive),
            Op::ValidateForeignKey => Some(LockLevel::RowShare),
            Op::DropConstraint
            | Op::ReplaceForeignKeyNotValid
            | Op::MoveForeignKeysOffUnique
            | Op::Drop
            | Op::MovePartitionRows => Some(LockLevel::AccessExclusive),
            _ => None,
        }
    }

    /// Must run outside a transaction block.
    pub fn outside_transaction(self) -> bool {
        matches!(self, Op::CreateIndexConcurrently | Op::DropIndexConcurrently)
    }

    /// A short name for the docs table.
    pub fn statement(self) -> &'static str {
        use Op::*;
        match self {
            NoTable => "schemas, types, functions, roles, grants, enum values",
            CreateTable => "`CREATE TABLE` (on the tables it references)",
            CreatePartition => "`CREATE TABLE … PARTITION OF` (on the parent)",
            AddColumn => "`ADD COLUMN` (no default, or a constant one)",
            AddColumnRewrite => "`ADD COLUMN` with a volatile default, identity or stored generated column",
            AddColumnRequired => "`ADD COLUMN … NOT NULL` without a default (`--allow-destructive`)",
            AlterColumnType => "`ALTER COLUMN … TYPE`",
            AlterColumnTypeCatalog => "`ALTER COLUMN … TYPE` to a longer `varchar`, `text` or a wider `numeric`",
            AlterColumnTypeRecheck => {
                "the same, on a column a check, foreign key or index expression or condition names"
            }
            CheckValuesFit => "check that values fit a narrower type",
            AlterColumn => "`SET`/`DROP DEFAULT`, `DROP NOT NULL`, `DROP IDENTITY`",
            SetNotNullProven => "`SET NOT NULL` after a validated `CHECK (c IS NOT NULL)`",
            SetNotNullScan => "`SET NOT NULL` without such a check",
            AddIdentity => "`ADD GENERATED ALWAYS AS IDENTITY` (and `setval`)",
            AddCheckNotValid => "`ADD CONSTRAINT … CHECK … NOT VALID`",
            AddCheckScan => "`ADD CONSTRAINT … CHECK`",
            AddForeignKeyNotValid => "`ADD … FOREIGN KEY … NOT VALID` (also on the referenced table)",
            AddForeignKeyScan => "`ADD … FOREIGN KEY` (partitioned table, PostgreSQL < 18)",
            ReplaceForeignKeyNotValid => {
                "`DROP CONSTRAINT` of a foreign key and `ADD` of the one replacing it `NOT VALID`, in one statement (also on the referenced table)"
            }
            MoveForeignKeysOffUnique => {
                "`DROP CONSTRAINT` of a unique and of the foreign keys on it, and their `ADD … NOT VALID` onto the new key, in one block (also on the referencing tables)"
            }
            ValidateConstraint => "`VALIDATE CONSTRAINT` (check)",
            ValidateForeignKey => "`VALIDATE CONSTRAINT` (foreign key; `ROW SHARE` on the referenced table)",
            AddConstraintWithIndex => "`ADD … UNIQUE` building its index",
            AddPrimaryKeyWithIndex => "`ADD PRIMARY KEY` building its index",
            AttachUniqueIndex => "`ADD CONSTRAINT … UNIQUE USING INDEX`",
            AttachPrimaryKeyIndex => "`ADD CONSTRAINT … PRIMARY KEY USING INDEX`",
            CreateIndex => "`CREATE INDEX`",
            CreateIndexConcurrently => "`CREATE INDEX CONCURRENTLY`",
            DropIndex => "`DROP INDEX`",
            DropIndexConcurrently => "`DROP INDEX CONCURRENTLY`",
            DropConstraint => "`DROP CONSTRAINT` (a foreign key: also on the referenced table)",
            Rename => "`RENAME` of a table, column or constraint",
            RenameIndex => "`ALTER INDEX … RENAME` (on the index only)",
            CreateTrigger => "`CREATE TRIGGER`",
            DropTrigger => "`DROP TRIGGER`",
            RowSecurity => "row-level security and policies",
            Comment => "`COMMENT ON`",
            Publication => "`ALTER PUBLICATION … SET TABLE`",
            Backfill => "`UPDATE` of existing rows (backfill)",
            MovePartitionRows => "rows moved out of the DEFAULT partition",
            Drop => "`DROP COLUMN`, `DROP TABLE`",
        }
    }
}

/// The lock table as Markdown, for `docs/migrations.md`.
pub fn markdown_table() -> String {
    use strum::IntoEnumIterator;
    let mut out = String::from("| statement | lock on the table | blocks | work while locked |\n|---|---|---|---|\n");
    for op in Op::iter() {
        let (lock, blocks, work) = match op.effect() {
            Some((l, w)) => (format!("`{}`", l.sql_name()), l.blocks(), w.describe()),
            None => ("none".to_string(), "nothing", "catalog only"),
        };
        out.push_str(&format!("| {} | {lock} | {blocks} | {work} |\n", op.statement()));
    }
    out
}

/// PostgreSQL's lock table with the default settings:
/// `max_locks_per_transaction` (64) × `max_connections` (100), the figure
/// its manual gives. The table holds a little more (the server's other
/// processes, some slack), and every session's locks share it.
pub const DEFAULT_LOCK_TABLE: usize = 64 * 100;

/// The words before the count in a migration's header when it warns about
/// the lock table (`holds locks on about N objects`): written by `build`,
/// read back by `verify` to size its throwaway server.
pub const HEADER_LOCKS: &str = "holds locks on about ";

/// The count a migration's header declares after [`HEADER_LOCKS`], if any.
pub fn declared_in_header(sql: &str) -> Option<usize> {
    let (_, rest) = sql.split_once(HEADER_LOCKS)?;
    rest.split_once(' ')?.0.parse().ok()
}

/// The `max_locks_per_transaction` a server with `connections` connections
/// needs for one transaction that locks `objects`: a quarter more than that
/// over the connections, rounded up to a multiple of 64 (the default).
/// `tests/db_v1.rs` applies a migration on a server set so.
pub fn locks_per_transaction_needed(objects: usize, connections: usize) -> usize {
    (objects + objects / 4).div_ceil(connections.max(1)).div_ceil(64) * 64
}

/// The catalogs a migration writes (pg_class, pg_attribute, …) and the
/// transaction's own entries: a few dozen.
const CATALOGS: usize = 64;

/// The objects creating `t` locks: the table, each partition, each index
/// on each of them, a TOAST table and its index (counted for every table
/// with storage: only a table of fixed-width columns has none), an
/// identity's sequence, each check it comments on.
fn objects_of_new_table(t: &crate::relational::Table) -> usize {
    let indexes = index_count(t);
    let sequences = t.columns.iter().filter(|c| c.identity).count();
    let comments = t.checks.iter().filter(|c| c.comment.is_some()).count();
    let relation = 1 + indexes + 2;
    let partitions = t.partitioning.as_ref().map_or(0, |p| p.partitions.len());
    // A partitioned table has no storage of its own: no TOAST table.
    let parent = if partitions > 0 { 1 + indexes } else { relation };
    parent + partitions * relation + sequences + comments
}

/// The indexes of `t` (and of each of its partitions): its primary key's,
/// each unique constraint's, each index.
fn index_count(t: &crate::relational::Table) -> usize {
    usize::from(t.primary_key.is_some()) + t.uniques.len() + t.indexes.len()
}

/// About how many objects a transaction that creates the whole of `schema`
/// holds a lock on until it commits: an upper bound (checked against
/// `pg_locks` in `tests/db_v1.rs`). Each new table's objects (see
/// [`objects_of_new_table`]), each schema and function, and the catalogs.
pub fn objects_locked_creating(schema: &crate::relational::Schema) -> usize {
    let tables: usize = schema.tables.iter().map(|t| objects_of_new_table(t)).sum();
    tables + schema.schemas.len() + schema.functions.len() + CATALOGS
}

/// [`objects_locked_creating`] for one transaction of `changes`, which
/// end at `after`: each table it creates, as there; each existing table it
/// changes, with each of its partitions; for each change what it drops or
/// indexes on the table and each partition, or else one object (a
/// constraint commented, say); each existing table a new foreign key
/// references, opened with its indexes; a new partition with its indexes.
/// `tests/db_v1.rs` checks it against `pg_locks` for tables added and for tables changed.
pub fn objects_locked_changing(changes: &[crate::migrate::Change], after: &crate::relational::Schema) -> usize {
    use crate::migrate::Change;
    use crate::relational::TableRef;
    let index = after.index();
    let created: std::collections::HashSet<TableRef> = changes
        .iter()
        .filter_map(|c| if let Change::CreateTable(t) = c { Some(TableRef::of(t)) } else { None })
        .collect();
    let mut existing: std::collections::HashSet<&TableRef> = std::collections::HashSet::new();
    let mut n = CATALOGS;
    for c in changes {
        match c {
            Change::CreateTable(t) => {
                n += objects_of_new_table(index.table(&t.schema, &t.name).unwrap_or(t));
                continue;
            }
            Change::CreateSchema(_) | Change::CreateFunction(_) | Change::CreateEnumType(_) => n += 1,
            _ => {}
        }
        let Some(t) = c.table() else { continue };
        if created.contains(t) {
            continue;
        }
        let table = index.table(&t.schema, &t.name);
        // The table and each of its partitions.
        let spread = 1 + table.and_then(|t| t.partitioning.as_ref()).map_or(0, |p| p.partitions.len());
        if existing.insert(t) {
            n += spread;
        }
        n += match c {
            // The partition, its TOAST table and index, and its indexes.
            Change::AddPartition { .. } => 3 + table.map_or(0, index_count),
            // What is dropped is locked first, on the table and on each
            // partition; a new index is built on each too; a column's type
            // or nullability changed locks its NOT NULL constraint on each
            // (PostgreSQL 18 keeps them in pg_constraint).
            Change::AlterColumnType { .. }
            | Change::SetNotNull { .. }
            | Change::RestoreNotNull { .. }
            | Change::DropNotNull { .. }
            | Change::DropCheck { .. }
            | Change::DropUnique { .. }
            | Change::DropForeignKey { .. }
            | Change::DropPrimaryKey { .. }
            | Change::DropIndex { .. }
            | Change::DropTrigger { .. }
            | Change::DropPolicy { .. }
            | Change::DropColumn { .. }
            | Change::ReplaceCheck { .. }
            | Change::ReplaceForeignKey { .. }
            | Change::AddUnique { .. }
            | Change::AddPrimaryKey { .. }
            | Change::CreateIndex { .. } => spread,
            // A constraint added or commented, a column added or changed
            // (the table has its TOAST table already): at most one more.
            _ => 1,
        };
    }
    // The existing tables new foreign keys reference: opened with their
    // indexes (to find the key), each locked.
    let referenced: std::collections::HashSet<TableRef> = changes
        .iter()
        .filter_map(|c| match c {
            Change::AddForeignKey { fk, .. } | Change::ReplaceForeignKey { fk, .. } => Some(fk.target()),
            _ => None,
        })
        .filter(|r| !created.contains(r))
        .collect();
    n + referenced.iter().map(|t| index.table(&t.schema, &t.name).map_or(1, objects_of_new_table)).sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_names_round_trip() {
        use strum::IntoEnumIterator;
        for l in LockLevel::iter() {
            assert_eq!(LockLevel::from_pg_locks_mode(l.pg_locks_mode()), Some(l));
        }
        assert!(LockLevel::AccessExclusive.is_strong());
        assert!(!LockLevel::ShareUpdateExclusive.is_strong());
    }
}
