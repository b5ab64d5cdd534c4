//! Changes as SQL, each through the renderer of the object it touches
//! ([`super::objects`]). Every statement is idempotent. On a table that
//! already existed, the main migration only changes the catalog: checks and
//! foreign keys are added `NOT VALID`, columns to fill are added optional;
//! the online migration (outside a transaction) builds indexes
//! `CONCURRENTLY`, fills rows, validates, and finishes NOT NULL through a
//! validated check (see `migrate::plan`). An undo, which runs as one script,
//! validates at once (`Context::inline_validation`).

use std::collections::BTreeSet;

use super::objects::{self as o, q};
use super::stmt::Stmt;
use super::types::{column_type, format_type};
use super::{dollar_quote, ident, literal, qualified};
use crate::migrate::change::Change;
use crate::migrate::locks::Op;
use crate::relational::{Column, ColumnType, Schema, TableIndex, TableRef};

pub struct Context<'a> {
    pub target: u32,
    /// The schema before and after the migration's changes: a change that
    /// removes something reads what existed, one that adds reads what will.
    pub before: &'a Schema,
    pub after: &'a Schema,
    /// Tables created in this plan: no online precautions needed.
    pub new_tables: &'a BTreeSet<TableRef>,
    /// Build indexes `CONCURRENTLY` (a migration outside a transaction).
    pub concurrent: bool,
    /// Partitioned tables: PostgreSQL before 18 cannot add a foreign key
    /// `NOT VALID` to them.
    pub partitioned: &'a BTreeSet<TableRef>,
    /// Validate what is added `NOT VALID` in the same script (an undo); a
    /// forward migration leaves that to its online migration.
    pub inline_validation: bool,
    /// `lock_timeout` for the `ALTER TABLE` that lifts row-level security
    /// around a statement run by the table's owner.
    pub lock_timeout: &'a str,
    /// `before` and `after` by table, each built on first use: a migration
    /// of thousands of renames looked each table up by a scan.
    pub at: Lookups<'a>,
}

/// [`Context::at`].
#[derive(Default)]
pub struct Lookups<'a> {
    before: std::sync::OnceLock<TableIndex<'a>>,
    after: std::sync::OnceLock<TableIndex<'a>>,
    /// Every name of a relation (table, partition, index, a partition's
    /// index) and of a constraint, by schema, before and after: what a
    /// name dddc picks itself must not be ([`Context::aside`]).
    names: std::sync::OnceLock<std::collections::HashSet<(&'a str, std::borrow::Cow<'a, str>)>>,
}

impl<'a> Context<'a> {
    fn before_at(&self) -> &TableIndex<'a> {
        self.at.before.get_or_init(|| self.before.index())
    }

    fn after_at(&self) -> &TableIndex<'a> {
        self.at.after.get_or_init(|| self.after.index())
    }

    /// The name `t`'s key `key` has while a swap builds its successor
    /// ([`o::aside`]): one that no constraint and no relation of the
    /// schema has, before or after the migration. Renamed, the key's index
    /// takes the name too, and tables, partitions and indexes share one
    /// namespace per schema. An undo renders with the two schemas swapped,
    /// so it finds the same name.
    fn aside(&self, t: &TableRef, key: &str) -> String {
        use std::borrow::Cow;
        let names = self.at.names.get_or_init(|| {
            let mut out = std::collections::HashSet::new();
            for table in self.before.tables.iter().chain(&self.after.tables) {
                let s = table.schema.as_str();
                out.insert((s, Cow::Borrowed(table.name.as_str())));
                out.extend(table.constraint_and_index_names().map(|n| (s, Cow::Borrowed(n))));
                if let Some(p) = &table.partitioning {
                    out.extend(p.partitions.iter().map(|x| (s, Cow::Borrowed(x.name.as_str()))));
                }
                let indexes = crate::relational::names::partition_indexes(table);
                out.extend(indexes.into_iter().map(|(_, _, n)| (s, Cow::Owned(n))));
            }
            out
        });
        o::aside(key, |name| names.contains(&(t.schema.as_str(), Cow::Borrowed(name))))
    }
}

/// The statements of one change.
pub fn statements(c: &Change, cx: &Context<'_>) -> Vec<Stmt> {
    use Change::*;
    let existing = |t: &TableRef| !cx.new_tables.contains(t);
    match c {
        DropPublication(p) => vec![o::drop_publication(&p.name)],
        DropPolicy { table, policy } => {
            let mut rels = vec![table.name.clone()];
            rels.extend(protected_partitions(cx.before_at(), table));
            rels.iter().map(|r| o::drop_policy(&table.schema, r, &policy.name)).collect()
        }
        DisablePartitionRowLevelSecurity { table, partition } => {
            let mut out: Vec<Stmt> = policies_of(cx.before_at(), table)
                .iter()
                .map(|p| o::drop_policy(&table.schema, partition, &p.name))
                .collect();
            out.extend(o::disable_rls(&table.schema, partition));
            out
        }
        EnablePartitionRowLevelSecurity { table, partition } => protect_partition(cx, table, partition),
        SyncPartitionIndexNames(t) => {
            cx.after_at().table(&t.schema, &t.name).and_then(o::partition_index_names).into_iter().collect()
        }
        DisableRowLevelSecurity(t) => o::disable_rls(&t.schema, &t.name),
        DropTrigger { table, trigger } => vec![o::drop_trigger(table, &trigger.name)],
        DropForeignKey { table, fk } => vec![o::drop_constraint(table, &fk.name).referencing(&fk.target())],
        DropIndex { table, index } if cx.concurrent => vec![o::drop_index(table, &index.name, true)],
        // A unique constraint of the same name may have replaced the index
        // (an undo run twice): its index is not this one to drop.
        DropIndex { table, index } => {
            let plain = o::drop_index(table, &index.name, false);
            let sql = o::guarded(
                &format!(
                    "SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.conname = {} AND n.nspname = {}",
                    literal(&index.name),
                    literal(&table.schema)
                ),
                &plain.sql,
            );
            vec![Stmt::guarded(Op::DropIndex, Some(table), plain.sql, sql)]
        }
        DropCheck { table, check } => vec![o::drop_constraint(table, &check.name)],
        DropUnique { table, unique } => vec![o::drop_constraint(table, &unique.name)],
        // Only while the key is not yet the one the migration makes: the
        // new key takes the same name, and a foreign key made on it
        // stopped a second run ("cannot drop constraint … depends on
        // index"). Compared with the new key's columns (the old key's may
        // be renamed by this very migration, after the drop).
        DropPrimaryKey { table, pk } => {
            let wanted = cx.after_at().table(&table.schema, &table.name).and_then(|t| t.primary_key.as_ref());
            match wanted {
                Some(new) if new.name == pk.name => {
                    let plain =
                        format!("ALTER TABLE IF EXISTS {} DROP CONSTRAINT IF EXISTS {};", q(table), ident(&pk.name));
                    let sql = o::guarded_when(
                        &format!("EXISTS ({})", o::other_columns(table, &pk.name, &new.columns)),
                        &plain,
                    );
                    vec![Stmt::guarded(Op::DropConstraint, Some(table), plain, sql)]
                }
                _ => vec![o::drop_constraint(table, &pk.name)],
            }
        }
        RenameSchema { from, to } => {
            let plain = format!("ALTER SCHEMA {} RENAME TO {};", ident(from), ident(to));
            let sql = o::guarded_rename(
                &format!("SELECT 1 FROM pg_namespace WHERE nspname = {}", literal(from)),
                &format!("SELECT 1 FROM pg_namespace WHERE nspname = {}", literal(to)),
                &plain,
            );
            vec![Stmt::guarded(Op::NoTable, None, plain, sql)]
        }
        RenameTable { schema, from, to } => {
            let table = TableRef { schema: schema.clone(), name: to.clone() };
            let old = TableRef { schema: schema.clone(), name: from.clone() };
            let mut out = vec![Stmt::new(
                Op::Rename,
                Some(&old),
                format!("ALTER TABLE IF EXISTS {} RENAME TO {};", qualified(schema, from), ident(to)),
            )];
            // Columns renamed in the same migration may have their old or
            // their new name at this point (a migration renames the table
            // first, its undo the columns first): both are tried.
            let mut columns = not_null_columns(cx.before_at(), &old);
            for c in not_null_columns(cx.after_at(), &table) {
                if !columns.contains(&c) {
                    columns.push(c);
                }
            }
            let renames: Vec<(String, String)> =
                columns.iter().map(|c| (format!("{from}_{c}_not_null"), format!("{to}_{c}_not_null"))).collect();
            out.extend(rename_not_null_constraints(&table, &renames));
            out.extend(identity_sequence_names(cx, &table, None));
            out
        }
        RenameColumn { table, from, to } => {
            let col = |c: &str| {
                format!(
                    "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({}) AND attname = {} AND NOT attisdropped",
                    literal(&q(table)),
                    literal(c)
                )
            };
            let plain = format!("ALTER TABLE {} RENAME COLUMN {} TO {};", q(table), ident(from), ident(to));
            let mut out = vec![Stmt::guarded(
                Op::Rename,
                Some(table),
                plain.clone(),
                o::guarded_rename(&col(from), &col(to), &plain),
            )];
            // The NOT NULL constraint of the column (PostgreSQL 18), on the
            // table and on each partition, named as V1 would name it.
            let mut renames = Vec::new();
            for rel in std::iter::once(table.name.clone()).chain(partition_names(cx.after_at(), table)) {
                let rel_ref = TableRef { schema: table.schema.clone(), name: rel.clone() };
                renames.push((rel_ref, format!("{rel}_{from}_not_null"), format!("{rel}_{to}_not_null")));
            }
            for (rel, old, new) in renames {
                out.extend(rename_not_null_constraints(&rel, &[(old, new)]));
            }
            out.extend(identity_sequence_names(cx, table, Some(to)));
            out
        }
        RenameConstraint { table, from, to } => {
            let plain = format!("ALTER TABLE {} RENAME CONSTRAINT {} TO {};", q(table), ident(from), ident(to));
            let sql = o::guarded_rename(&o::exists_constraint(table, from), &o::exists_constraint(table, to), &plain);
            vec![Stmt::guarded(Op::Rename, Some(table), plain, sql)]
        }
        RenameIndex { schema, from, to } => vec![Stmt::new(
            Op::RenameIndex,
            None,
            format!("ALTER INDEX IF EXISTS {} RENAME TO {};", qualified(schema, from), ident(to)),
        )],
        RenameTrigger { table, from, to } => {
            let tr = |n: &str| {
                format!(
                    "SELECT 1 FROM pg_trigger WHERE tgname = {} AND tgrelid = to_regclass({})",
                    literal(n),
                    literal(&q(table))
                )
            };
            let plain = format!("ALTER TRIGGER {} ON {} RENAME TO {};", ident(from), q(table), ident(to));
            vec![Stmt::guarded(Op::Rename, Some(table), plain.clone(), o::guarded_rename(&tr(from), &tr(to), &plain))]
        }
        RenameType { schema, from, to } => {
            let ty = |n: &str| {
                format!(
                    "SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = {} AND t.typname = {}",
                    literal(schema),
                    literal(n)
                )
            };
            let plain = format!("ALTER TYPE {} RENAME TO {};", qualified(schema, from), ident(to));
            vec![Stmt::guarded(Op::NoTable, None, plain.clone(), o::guarded_rename(&ty(from), &ty(to), &plain))]
        }
        RenameEnumValue { schema, type_name, from, to } => {
            let v = |n: &str| {
                format!(
                    "SELECT 1 FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = {} AND t.typname = {} AND e.enumlabel = {}",
                    literal(schema),
                    literal(type_name),
                    literal(n)
                )
            };
            let plain = format!(
                "ALTER TYPE {} RENAME VALUE {} TO {};",
                qualified(schema, type_name),
                literal(from),
                literal(to)
            );
            vec![Stmt::guarded(Op::NoTable, None, plain.clone(), o::guarded_rename(&v(from), &v(to), &plain))]
        }
        UpdateEnumValue { table, column, from, to, batch } => {
            let set = format!("{} = {}", ident(column), literal(to));
            let filter = format!("{} = {}", ident(column), literal(from));
            vec![update_rows(cx, table, &set, &filter, *batch)]
        }
        Backfill { table, column, value, batch } => {
            let set = format!("{} = {value}", ident(column));
            let filter = format!("{} IS NULL", ident(column));
            vec![update_rows(cx, table, &set, &filter, *batch)]
        }
        DropGeneratedColumn { table, column, retyped } => vec![drop_generated_column(table, column, retyped)],
        AddGeneratedColumn { table, column } => vec![add_column(table, column)],
        SetIdentity { table, column, identity: false } => vec![Stmt::new(
            Op::AlterColumn,
            Some(table),
            format!("ALTER TABLE {} ALTER COLUMN {} DROP IDENTITY IF EXISTS;", q(table), ident(column)),
        )],
        SetIdentity { table, column, identity: true } => {
            let plain =
                format!("ALTER TABLE {} ALTER COLUMN {} ADD GENERATED ALWAYS AS IDENTITY;", q(table), ident(column));
            let sql = do_block(
                cx,
                &protected_relations(cx, &[table], Reads::Table),
                &format!(
                    "IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({tl}) AND attname = {cl} AND attidentity = '') THEN\n    -- A default the model does not hold (an imported serial's nextval) would make PostgreSQL\n    -- refuse the identity. The serial's sequence goes with it: still owned by the column, it\n    -- would keep the name the identity's takes, and be what pg_get_serial_sequence names.\n    ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT;\n    IF pg_get_serial_sequence({tl}, {cl}) IS NOT NULL THEN\n        EXECUTE 'DROP SEQUENCE ' || pg_get_serial_sequence({tl}, {cl});\n    END IF;\n    {plain}\n    -- The sequence continues after the values the rows already hold.\n    PERFORM setval(pg_get_serial_sequence({tl}, {cl}), greatest(coalesce(max({c}), 0) + 1, 1), false) FROM {t};\nEND IF;",
                    t = q(table),
                    c = ident(column),
                    tl = literal(&q(table)),
                    cl = literal(column),
                ),
            );
            vec![Stmt::guarded(Op::AddIdentity, Some(table), plain, sql).lifting(&protected_relations(
                cx,
                &[table],
                Reads::Table,
            ))]
        }
        CreateSchema(s) => vec![o::create_schema(&s.name)],
        CreateExtension(e) => vec![o::create_extension(e)],
        CreateEnumType(e) => vec![o::create_enum_type(e)],
        // A function's comment comes with it (it has no change of its own).
        CreateFunction(f) => {
            let mut out = vec![o::create_function(f)];
            out.extend(o::function_privileges(f));
            if let Some(text) = &f.comment {
                let on = crate::migrate::change::CommentOn::Function(f.schema.clone(), f.name.clone(), f.args.clone());
                out.push(o::comment_on(&on, Some(text)));
            }
            out
        }
        AddEnumValue { schema, type_name, value, after, before } => {
            let pos = match (after, before) {
                (Some(a), _) => format!(" AFTER {}", literal(a)),
                (None, Some(b)) => format!(" BEFORE {}", literal(b)),
                (None, None) => String::new(),
            };
            vec![Stmt::new(
                Op::NoTable,
                None,
                format!("ALTER TYPE {} ADD VALUE IF NOT EXISTS {}{pos};", qualified(schema, type_name), literal(value)),
            )]
        }
        CreateTable(t) => {
            let r = TableRef::of(t);
            std::iter::once(o::create_table(t))
                .chain(t.partitioning.iter().flat_map(|p| &p.partitions).map(|p| o::create_partition(&r, p)))
                .collect()
        }
        AddPartition { table, partition, column, default } => {
            let create = o::create_partition(table, partition);
            let mut out = match (default, o::partition_condition(column, &partition.bound)) {
                // Rows of the new range that went to the DEFAULT partition
                // move into the new one (PostgreSQL refuses the partition
                // otherwise): detach the default, create, move, attach.
                (Some(d), Some(cond)) if existing(table) => {
                    let (t, dq) = (q(table), qualified(&table.schema, d));
                    let body = format!(
                        "IF to_regclass({}) IS NULL THEN\n    ALTER TABLE {t} DETACH PARTITION {dq};\n    {}\n    {}\n    DELETE FROM {dq} WHERE {cond};\n    ALTER TABLE {t} ATTACH PARTITION {dq} DEFAULT;\nEND IF;",
                        literal(&qualified(&table.schema, &partition.name)),
                        create.sql,
                        move_rows(cx, table, &dq, Some(&cond)),
                    );
                    // The parent, and the DEFAULT partition read by name.
                    let mut rels = protected_relations(cx, &[table], Reads::Table);
                    let default_protected = cx
                        .before_at()
                        .table(&table.schema, &table.name)
                        .and_then(|t| t.partitioning.as_ref())
                        .is_some_and(|p| p.partitions.iter().any(|x| &x.name == d && x.row_level_security));
                    if default_protected {
                        rels.push(dq.clone());
                    }
                    let plain = vec![
                        format!("ALTER TABLE {t} DETACH PARTITION {dq};"),
                        create.sql.clone(),
                        format!("INSERT INTO {t} OVERRIDING SYSTEM VALUE SELECT * FROM {dq} WHERE {cond};"),
                        format!("DELETE FROM {dq} WHERE {cond};"),
                        format!("ALTER TABLE {t} ATTACH PARTITION {dq} DEFAULT;"),
                    ];
                    let plain = quieted(cx, table, plain, 2);
                    let mut s =
                        Stmt::opaque(Op::MovePartitionRows, Some(table), do_block(cx, &rels, &body)).lifting(&rels);
                    s.set_plain(plain);
                    vec![referencing_targets(s, cx.before_at(), table)]
                }
                _ => vec![create],
            };
            if partition.row_level_security {
                out.extend(protect_partition(cx, table, &partition.name));
            }
            out
        }
        // A column to fill on an existing table comes optional; the online
        // migration fills it (`Backfill`) and makes it NOT NULL. An undo
        // (and an older plan) does all of it here.
        AddColumn { table, column, backfill } => match backfill {
            Some(b) if existing(table) => {
                let mut nullable = column.clone();
                nullable.nullable = true;
                let set = format!("{} = {b}", ident(&column.name));
                let filter = format!("{} IS NULL", ident(&column.name));
                let mut out = vec![add_column(table, &nullable), update_rows(cx, table, &set, &filter, None)];
                out.extend(set_not_null(cx, table, &column.name, true));
                out
            }
            _ => vec![add_column(table, column)],
        },
        AlterColumnType { table, column, from, to, default, lossy, .. } => {
            let to_sql = column_type(to);
            // An enum converts through its text: PostgreSQL has no cast
            // from one enum type to another, nor between an enum and a
            // number.
            let enum_of = |t: &crate::relational::ColumnType| matches!(t, crate::relational::ColumnType::Enum { .. });
            let via = if enum_of(from) || enum_of(to) { "::text" } else { "" };
            // Values that would not survive the conversion (a string cut to
            // the new length, a fraction rounded) stop the migration before
            // anything changes: the conversion alone would lose them silently.
            // A value survives when it comes back from the new type
            // unchanged: compared in the old type (compared in the new
            // one, `bigint` to `float` rounded both sides alike and passed
            // every row). An enum compares by its text.
            let c = ident(column);
            let lost = if via.is_empty() {
                format!("{c} IS DISTINCT FROM CAST(CAST({c} AS {to_sql}) AS {})", column_type(from))
            } else {
                format!("{c}{via} IS DISTINCT FROM CAST({c}{via} AS {to_sql}){via}")
            };
            let guard = lossy.then(|| {
                reading_block(
                    cx,
                    table,
                    Op::CheckValuesFit,
                    &format!(
                        "-- Locked first: a row written between the check and the change would be cut or rounded.\nLOCK TABLE {t} IN ACCESS EXCLUSIVE MODE;\nIF EXISTS (SELECT 1 FROM {t} WHERE {lost}) THEN\n    RAISE EXCEPTION 'dddc: %.% holds values that do not fit %; nothing was changed', {tl}, {cl}, {tyl}\n        USING HINT = 'update or delete those rows, then run the migration again';\nEND IF;",
                        t = q(table),
                        tl = literal(&table.to_string()),
                        cl = literal(column),
                        tyl = literal(&to_sql),
                    ),
                )
            });
            // Only while the column has another type: run again, the change
            // would rewrite the table for nothing.
            let plain = format!(
                "ALTER TABLE {} ALTER COLUMN {} TYPE {to_sql} USING {}{via}::{to_sql};",
                q(table),
                ident(column),
                ident(column)
            );
            let sql = o::guarded(
                &format!(
                    "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({}) AND attname = {} AND format_type(atttypid, atttypmod) = {}",
                    literal(&q(table)),
                    literal(column),
                    literal(&format_type(to))
                ),
                &plain,
            );
            let op = match in_catalog(from, to) {
                false => Op::AlterColumnType,
                true if rechecked(cx, table, column) => Op::AlterColumnTypeRecheck,
                true => Op::AlterColumnTypeCatalog,
            };
            let change = Stmt::guarded(op, Some(table), plain, sql);
            let mut out: Vec<Stmt> = guard.into_iter().collect();
            match default {
                // A default of the old type may not cast by itself: drop it
                // around the change.
                Some(d) => out.extend([
                    alter_column(table, column, "DROP DEFAULT"),
                    change,
                    alter_column(table, column, &format!("SET DEFAULT {d}")),
                ]),
                None => out.push(change),
            }
            out
        }
        SetDefault { table, column, default } => vec![match default {
            Some(d) => alter_column(table, column, &format!("SET DEFAULT {d}")),
            None => alter_column(table, column, "DROP DEFAULT"),
        }],
        DropNotNull { table, column } => vec![alter_column(table, column, "DROP NOT NULL")],
        SetNotNull { table, column, backfill } => {
            let mut out = Vec::new();
            if let Some(b) = backfill {
                let set = format!("{} = {b}", ident(column));
                let filter = format!("{} IS NULL", ident(column));
                out.push(update_rows(cx, table, &set, &filter, None));
            }
            if existing(table) {
                out.extend(set_not_null(cx, table, column, true));
            } else {
                out.push(Stmt::new(
                    Op::SetNotNullScan,
                    Some(table),
                    format!("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;", q(table), ident(column)),
                ));
            }
            out
        }
        RestoreNotNull { table, column } => vec![reading_block(
            cx,
            table,
            Op::SetNotNullScan,
            &format!(
                "IF NOT EXISTS (SELECT 1 FROM {t} WHERE {c} IS NULL) THEN\n    ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL;\nEND IF;",
                t = q(table),
                c = ident(column),
            ),
        )],
        FinishNotNull { table, column, backfill } => {
            let mut out = Vec::new();
            let check = not_null_check_name(table, column);
            out.push(o::add_check(table, &not_null_check(&check, column), true));
            // Rows inserted between the backfill and the check.
            if let Some(b) = backfill {
                let set = format!("{} = {b}", ident(column));
                let filter = format!("{} IS NULL", ident(column));
                out.push(update_rows(cx, table, &set, &filter, None));
            }
            out.extend(set_not_null(cx, table, column, false));
            out
        }
        // In the online migration: a key replacing the table's, swapped in
        // once its index is built concurrently (see `migrate::plan`).
        AddPrimaryKey { table, pk, references, uniques } if cx.concurrent => {
            match cx.before_at().table(&table.schema, &table.name).and_then(|t| t.primary_key.as_ref()) {
                Some(old) if old.name == pk.name && old.columns != pk.columns => {
                    let aside = cx.aside(table, &old.name);
                    o::swap_primary_key_concurrently(table, old, pk, &aside, references, uniques)
                }
                // Only a swap carries foreign keys and uniques (the plan
                // makes sure); should one reach here, they still move,
                // after the key, rather than being left out.
                _ => {
                    let mut out = vec![o::add_primary_key(table, pk)];
                    out.extend(o::move_references(table, references, uniques));
                    out
                }
            }
        }
        AddPrimaryKey { table, pk, references, uniques } => {
            let mut out = if cx.before_at().table(&table.schema, &table.name).is_some() {
                vec![o::restore_primary_key_aside(table, pk, &cx.aside(table, &pk.name)), o::add_primary_key(table, pk)]
            } else {
                vec![o::add_primary_key(table, pk)]
            };
            out.extend(o::move_references(table, references, uniques));
            out
        }
        // On an existing table (a migration outside a transaction): the
        // index is built without blocking writes, then becomes the constraint.
        AddUnique { table, unique } if cx.concurrent => o::add_unique_concurrently(table, unique),
        AddUnique { table, unique } => vec![o::add_unique(table, unique)],
        AddCheck { table, check } => {
            if existing(table) {
                let mut out = vec![o::add_check(table, check, true)];
                if cx.inline_validation {
                    out.push(validate(cx, table, &check.name, None));
                }
                out
            } else {
                vec![o::add_check(table, check, false)]
            }
        }
        ReplaceCheck { table, check } => {
            let plain = format!(
                "ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {n}, ADD CONSTRAINT {n} CHECK {} NOT VALID;",
                check.expr,
                t = q(table),
                n = ident(&check.name)
            );
            vec![Stmt::new(Op::AddCheckNotValid, Some(table), plain)]
        }
        ValidateConstraint { table, name, referenced } => vec![validate(cx, table, name, referenced.as_ref())],
        // Only where the table may take it `NOT VALID` (see `migrate::plan`).
        ReplaceForeignKey { table, fk } => vec![o::replace_foreign_key(table, fk)],
        AddForeignKey { table, fk } => {
            let not_valid_allowed = cx.target >= 18 || !cx.partitioned.contains(table);
            let target = fk.target();
            // In the online migration even a table the main migration
            // created has been committed, and may have rows.
            if (existing(table) || cx.concurrent) && not_valid_allowed {
                let mut out = vec![o::add_foreign_key(table, fk, true)];
                if cx.inline_validation {
                    out.push(validate(cx, table, &fk.name, Some(&target)));
                }
                out
            } else {
                // Checked at once: a new table (whose rows, if the online
                // migration runs this, may exist already), or a partitioned
                // table before 18. The check reads both tables: as the
                // owner, every tenant's rows.
                let add = o::add_foreign_key(table, fk, false);
                let rels = protected_relations(cx, &[table, &target], Reads::Partitions);
                if rels.is_empty() {
                    vec![add]
                } else {
                    let body = format!(
                        "IF NOT EXISTS ({}) THEN\n    ALTER TABLE {} ADD {};\nEND IF;",
                        o::exists_constraint(table, &fk.name),
                        q(table),
                        o::foreign_key_clause(fk)
                    );
                    vec![add.wrapped(|_| do_block(cx, &rels, &body)).lifting(&rels)]
                }
            }
        }
        CreateIndex { table, index } if cx.concurrent => {
            vec![o::drop_invalid_index(table, &index.name), o::create_index(table, index, true)]
        }
        CreateIndex { table, index } => vec![o::create_index(table, index, false)],
        CreateTrigger { table, trigger } => o::create_trigger(cx.target, table, trigger),
        EnableRowLevelSecurity(t) => o::enable_rls(&t.schema, &t.name),
        CreatePolicy { table, policy } => {
            let mut rels = vec![table.name.clone()];
            rels.extend(protected_partitions(cx.after_at(), table));
            rels.iter().flat_map(|r| o::create_policy(&table.schema, r, policy)).collect()
        }
        CreateRole(r) => {
            let mut out = vec![o::create_role(&r.name)];
            if let Some(text) = &r.comment {
                out.push(o::comment_on(&crate::migrate::change::CommentOn::Role(r.name.clone()), Some(text)));
            }
            out
        }
        Grant { role, schema, write } => o::grants(role, schema, *write),
        Revoke { role, schema, write } => o::revokes(role, schema, *write),
        CreatePublication(p) => vec![o::create_publication(p)],
        SetPublicationTables(p) => {
            let tables = o::publication_tables(p);
            if tables.is_empty() {
                vec![
                    o::drop_publication(&p.name),
                    Stmt::new(Op::NoTable, None, format!("CREATE PUBLICATION {};", ident(&p.name))),
                ]
            } else {
                vec![Stmt::new(
                    Op::Publication,
                    None,
                    format!("ALTER PUBLICATION {} SET TABLE {};", ident(&p.name), tables.join(", ")),
                )]
            }
        }
        SetComment { on, text } => vec![o::comment_on(on, text.as_deref())],
        DropRole(r) => {
            let def = cx.before.roles.iter().find(|x| &x.name == r);
            let schemas: Vec<String> =
                def.map(|d| d.read.iter().chain(&d.write).cloned().collect()).unwrap_or_default();
            vec![o::drop_role(r, &schemas)]
        }
        DropColumn { table, column } => vec![Stmt::new(
            Op::Drop,
            Some(table),
            format!("ALTER TABLE {} DROP COLUMN IF EXISTS {};", q(table), ident(&column.name)),
        )],
        DropPartition { partition, table, into_default: None } => {
            let mut s = o::drop_table(&table.schema, &partition.name);
            s.table = Some(table.clone());
            vec![referencing_targets(s, cx.before_at(), table)]
        }
        // Its rows move into the DEFAULT partition: detached, copied back
        // through the table (the range is no longer a partition's, so they
        // land in the default), dropped.
        DropPartition { partition, table, into_default: Some(_) } => {
            let (t, pq) = (q(table), qualified(&table.schema, &partition.name));
            let plain = vec![
                format!("ALTER TABLE {t} DETACH PARTITION {pq};"),
                format!("INSERT INTO {t} OVERRIDING SYSTEM VALUE SELECT * FROM {pq};"),
                format!("DROP TABLE {pq};"),
            ];
            let body = format!(
                "IF EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass({pl}) AND inhparent = to_regclass({tl})) THEN\n    {}\nEND IF;\nIF to_regclass({pl}) IS NOT NULL THEN\n    {}\n    {}\nEND IF;",
                plain[0],
                move_rows(cx, table, &pq, None),
                plain[2],
                pl = literal(&pq),
                tl = literal(&t),
            );
            let mut rels = protected_relations(cx, &[table], Reads::Table);
            if partition.row_level_security {
                rels.push(pq.clone());
            }
            let mut s = Stmt::opaque(Op::MovePartitionRows, Some(table), do_block(cx, &rels, &body)).lifting(&rels);
            s.set_plain(quieted(cx, table, plain, 1));
            vec![referencing_targets(s, cx.before_at(), table)]
        }
        DropTable(t) => vec![referencing_targets(o::drop_table(&t.schema, &t.name), cx.before_at(), &TableRef::of(t))],
        DropFunction(f) => vec![o::drop_function(f)],
        DropEnumType(e) => vec![o::drop_enum_type(&e.schema, &e.name)],
        DropExtension(e) => vec![o::drop_extension(e)],
        // `public` belongs to the database, not to the model.
        DropSchema(s) if s.name == "public" => Vec::new(),
        DropSchema(s) => vec![o::drop_schema(&s.name)],
    }
}

/// The statement, naming the tables `table`'s foreign keys reference (in
/// `schema`) as tables it locks: dropping or detaching the table removes
/// its triggers there.
fn referencing_targets(mut s: Stmt, schema: &TableIndex<'_>, table: &TableRef) -> Stmt {
    if let Some(t) = schema.table(&table.schema, &table.name) {
        for fk in &t.foreign_keys {
            let target = fk.target();
            if &target != table {
                s = s.referencing(&target);
            }
        }
    }
    s
}

/// The statement (inside a `DO` block) that copies the rows of `from` (a
/// partition, detached) back into the partitioned `table`, those matching
/// `cond` when given. `SELECT *` when the table has no generated column;
/// with one (a `search` vector), PostgreSQL refuses a value for it, so the
/// columns are listed, as the catalog has them when it runs (renamed or
/// added by the same migration), generated ones left out.
fn move_rows(cx: &Context<'_>, table: &TableRef, from: &str, cond: Option<&str>) -> String {
    let t = q(table);
    let filter = cond.map(|c| format!(" WHERE {c}")).unwrap_or_default();
    let generated = |i: &TableIndex<'_>| {
        i.table(&table.schema, &table.name).is_some_and(|t| t.columns.iter().any(|c| c.generated.is_some()))
    };
    let insert = if !generated(cx.before_at()) && !generated(cx.after_at()) {
        format!("INSERT INTO {t} OVERRIDING SYSTEM VALUE SELECT * FROM {from}{filter};")
    } else {
        let esc = |x: &str| x.replace('%', "%%");
        let statement = format!(
            "INSERT INTO {} (%1$s) OVERRIDING SYSTEM VALUE SELECT %1$s FROM {}{}",
            esc(&t),
            esc(from),
            esc(&filter)
        );
        format!(
            "EXECUTE format({}, (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = to_regclass({}) AND attnum > 0 AND NOT attisdropped AND attgenerated = ''));",
            literal(&statement),
            literal(&t)
        )
    };
    let (off, on) = quiet_audit(cx, table, true);
    [off, vec![insert], on].concat().join("\n    ")
}

/// `plain` with the audit triggers silenced around its statement `at`
/// (the move of the rows), as [`move_rows`] does in its block.
fn quieted(cx: &Context<'_>, table: &TableRef, mut plain: Vec<String>, at: usize) -> Vec<String> {
    let (off, on) = quiet_audit(cx, table, false);
    plain.splice(at + 1..at + 1, on);
    plain.splice(at..at, off);
    plain
}

/// The statements that silence the audit triggers of `table` around a move
/// of its rows between partitions, and wake them after: the rows are not
/// inserted, only moved, and the log would hold an `INSERT` for each (and
/// no `DELETE`). The triggers named in the schema before or after the
/// migration, each only if it is on the table when the move runs (`guard`,
/// inside a `DO` block). The table is locked `ACCESS EXCLUSIVE` by the
/// `DETACH` before them; `DISABLE TRIGGER` recurses and adds `SHARE ROW
/// EXCLUSIVE` on the other partitions (`pg_locks`, in `tests/db_edits.rs`): a writer naming one of them directly waits until the migration
/// commits (one through the table waits for the `DETACH` anyway).
fn quiet_audit(cx: &Context<'_>, table: &TableRef, guard: bool) -> (Vec<String>, Vec<String>) {
    let mut names: Vec<&str> = [cx.before_at(), cx.after_at()]
        .iter()
        .filter_map(|i| i.table(&table.schema, &table.name))
        .flat_map(|t| t.audit_triggers())
        .collect();
    names.sort_unstable();
    names.dedup();
    let t = q(table);
    let statement = |word: &str, name: &str| {
        let alter = format!("ALTER TABLE {t} {word} TRIGGER {};", ident(name));
        if !guard {
            return alter;
        }
        // Only a trigger in its ordinary state ('O') is silenced, and only a
        // silenced one ('D') woken: one a replication setup made `ENABLE
        // REPLICA` or `ALWAYS` keeps its mode (and fires during the move).
        let state = if word == "DISABLE" { "O" } else { "D" };
        format!(
            "IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass({}) AND tgname = {} AND tgenabled = '{state}') THEN {alter} END IF;",
            literal(&t),
            literal(name)
        )
    };
    (names.iter().map(|n| statement("DISABLE", n)).collect(), names.iter().map(|n| statement("ENABLE", n)).collect())
}

/// A `DO` block whose `body` reads every row of `table` (under FORCE
/// ROW LEVEL SECURITY lifted for it, when the migration runs as the owner).
fn reading_block(cx: &Context<'_>, table: &TableRef, op: Op, body: &str) -> Stmt {
    let rels = protected_relations(cx, &[table], Reads::Table);
    Stmt::opaque(op, Some(table), do_block(cx, &rels, body)).lifting(&rels)
}

fn add_column(table: &TableRef, column: &Column) -> Stmt {
    // Filled for every row at once: the table is rewritten.
    let rewrite = column.identity || column.generated.is_some() || column.default.as_deref().is_some_and(volatile);
    // Required with no value for existing rows (refused, E0703, unless
    // --allow-destructive): the table is read to prove it has none.
    let required = !column.nullable && column.default.is_none() && !rewrite;
    Stmt::new(
        if rewrite {
            Op::AddColumnRewrite
        } else if required {
            Op::AddColumnRequired
        } else {
            Op::AddColumn
        },
        Some(table),
        format!("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {};", q(table), o::column_definition(column)),
    )
}

/// A default PostgreSQL evaluates per row (so `ADD COLUMN` with it rewrites
/// the table): the generators of ids and random values. `now()` and the
/// constants are evaluated once.
fn volatile(default: &str) -> bool {
    ["gen_random_uuid(", "uuidv7(", "uuid_generate_v", "random(", "clock_timestamp(", "nextval("]
        .iter()
        .any(|f| default.contains(f))
}

fn alter_column(table: &TableRef, column: &str, action: &str) -> Stmt {
    Stmt::new(
        Op::AlterColumn,
        Some(table),
        format!("ALTER TABLE {} ALTER COLUMN {} {action};", q(table), ident(column)),
    )
}

/// `VALIDATE CONSTRAINT`; a foreign key's reads its target too, as the
/// owner every tenant's rows.
fn validate(cx: &Context<'_>, table: &TableRef, name: &str, referenced: Option<&TableRef>) -> Stmt {
    let stmt = o::validate_constraint(table, name, referenced);
    let rels = match referenced {
        Some(r) => protected_relations(cx, &[table, r], Reads::Partitions),
        None => protected_relations(cx, &[table], Reads::Table),
    };
    if rels.is_empty() {
        return stmt;
    }
    let plain = stmt.plain().first().cloned().unwrap_or_default();
    let body =
        format!("IF EXISTS ({} AND NOT convalidated) THEN\n    {plain}\nEND IF;", o::exists_constraint(table, name));
    stmt.wrapped(|_| do_block(cx, &rels, &body)).lifting(&rels)
}

/// Whether PostgreSQL makes the type change in the catalog alone: a
/// binary-coercible widening (a longer `varchar`, `varchar` to `text`, a
/// `numeric` of more digits and the same scale, or unconstrained). Every
/// other change rewrites the table (arrays included: not claimed).
fn in_catalog(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType::*;
    match (from, to) {
        (Varchar(n), Varchar(m)) => m >= n,
        (Varchar(_), Text) => true,
        (Numeric(Some((p, s))), Numeric(Some((p2, s2)))) => p2 >= p && s2 == s,
        (Numeric(Some(_)), Numeric(None)) => true,
        _ => false,
    }
}

/// Whether PostgreSQL checks something again when `column` of `table`
/// changes type: a `CHECK` or an index's expression or condition that
/// names it, or a foreign key over it (seen before or after the
/// migration: one dropped around the change may stay if the file is run
/// in parts). Plain index columns and keys keep their index.
fn rechecked(cx: &Context<'_>, table: &TableRef, column: &str) -> bool {
    let names = |sql: &str| sql.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| w == column);
    [cx.before_at(), cx.after_at()].iter().filter_map(|i| i.table(&table.schema, &table.name)).any(|t| {
        t.checks.iter().any(|c| names(&c.expr))
            || t.foreign_keys.iter().any(|f| f.columns.iter().any(|c| c == column))
            || t.indexes.iter().any(|i| {
                i.predicate.as_deref().is_some_and(names)
                    || i.items.iter().any(|x| matches!(x, crate::relational::IndexItem::Expr(e) if names(e)))
            })
    })
}

/// `UPDATE table SET set WHERE filter`: one statement, or (`batch`) a loop
/// over the primary key that commits every `batch` rows — only in a
/// migration outside a transaction. Run again, it finds only the rows
/// still to change.
fn update_rows(cx: &Context<'_>, table: &TableRef, set: &str, filter: &str, batch: Option<u64>) -> Stmt {
    let plain = format!("UPDATE {} SET {set} WHERE {filter};", q(table));
    let rels = protected_relations(cx, &[table], Reads::Table);
    let key: Vec<String> = cx
        .after_at()
        .table(&table.schema, &table.name)
        .and_then(|t| t.primary_key.as_ref())
        .map(|pk| pk.columns.clone())
        .unwrap_or_default();
    let (Some(n), false) = (batch, key.is_empty()) else {
        let sql = if rels.is_empty() { plain.clone() } else { do_block(cx, &rels, &plain) };
        return Stmt::guarded(Op::Backfill, Some(table), plain, sql).lifting(&rels);
    };
    let cols = key.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
    let desc = key.iter().map(|c| format!("{} DESC", ident(c))).collect::<Vec<_>>().join(", ");
    let upto = key.iter().map(|c| format!("hi.{}", ident(c))).collect::<Vec<_>>().join(", ");
    let from = key.iter().map(|c| format!("lo.{}", ident(c))).collect::<Vec<_>>().join(", ");
    let t = q(table);
    let next = |after: bool| {
        let cond = if after { format!(" WHERE ({cols}) > ({from})") } else { String::new() };
        format!("SELECT {cols} INTO hi FROM (SELECT {cols} FROM {t}{cond} ORDER BY {cols} LIMIT {n}) AS batch ORDER BY {desc} LIMIT 1;")
    };
    let lift = |word: &str| {
        rels.iter()
            .map(|r| format!("            ALTER TABLE IF EXISTS {r} {word} ROW LEVEL SECURITY;\n"))
            .collect::<String>()
    };
    let (on, off) = if rels.is_empty() {
        (String::new(), String::new())
    } else {
        (
            format!(
                "        IF lift THEN\n            PERFORM set_config('lock_timeout', {}, true);\n{}        END IF;\n",
                literal(cx.lock_timeout),
                lift("NO FORCE")
            ),
            format!("        IF lift THEN\n{}        END IF;\n", lift("FORCE")),
        )
    };
    let off_exit: String = off.lines().map(|l| format!("    {l}\n")).collect();
    let declare_lift = if rels.is_empty() {
        String::new()
    } else {
        "    -- FORCE ROW LEVEL SECURITY hides other tenants' rows from a table owner\n    -- that neither is superuser nor has BYPASSRLS: lifted batch by batch.\n    lift boolean := NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user);\n".to_string()
    };
    let body = format!(
        "\n-- In batches of {n} rows along the primary key, each committed on its own.\nDECLARE\n    lo record;\n    hi record;\n    first boolean := true;\n{declare_lift}BEGIN\n    LOOP\n{on}        IF first THEN\n            {}\n        ELSE\n            {}\n        END IF;\n        IF NOT FOUND THEN\n{off_exit}            EXIT;\n        END IF;\n        IF first THEN\n            UPDATE {t} SET {set} WHERE ({cols}) <= ({upto}) AND {filter};\n        ELSE\n            UPDATE {t} SET {set} WHERE ({cols}) > ({from}) AND ({cols}) <= ({upto}) AND {filter};\n        END IF;\n{off}        COMMIT;\n        lo := hi;\n        first := false;\n    END LOOP;\nEND\n",
        next(false),
        next(true),
    );
    Stmt::guarded(Op::Backfill, Some(table), plain, format!("DO {};", dollar_quote(&body))).lifting(&rels)
}

/// The partitions of a table that have row-level security in `schema`.
fn protected_partitions(schema: &TableIndex<'_>, t: &TableRef) -> Vec<String> {
    schema
        .table(&t.schema, &t.name)
        .and_then(|t| t.partitioning.as_ref())
        .map(|p| p.partitions.iter().filter(|x| x.row_level_security).map(|x| x.name.clone()).collect())
        .unwrap_or_default()
}

/// Every partition of a table in `schema`.
fn partition_names(schema: &TableIndex<'_>, t: &TableRef) -> Vec<String> {
    schema
        .table(&t.schema, &t.name)
        .and_then(|t| t.partitioning.as_ref())
        .map(|p| p.partitions.iter().map(|x| x.name.clone()).collect())
        .unwrap_or_default()
}

fn policies_of<'s>(schema: &TableIndex<'s>, t: &TableRef) -> &'s [crate::relational::Policy] {
    schema.table(&t.schema, &t.name).map_or(&[], |t| t.policies.as_slice())
}

/// Row-level security on one partition: enabled, forced, and its table's
/// policies.
fn protect_partition(cx: &Context<'_>, table: &TableRef, partition: &str) -> Vec<Stmt> {
    let mut out = o::enable_rls(&table.schema, partition);
    for p in policies_of(cx.after_at(), table) {
        out.extend(o::create_policy(&table.schema, partition, p));
    }
    out
}

/// Which relations a statement reads under row-level security.
#[derive(Clone, Copy)]
enum Reads {
    /// Through the table only (`UPDATE t`): a partition's own policies do
    /// not apply to rows reached through its parent.
    Table,
    /// The table and each of its partitions by name (a foreign key is
    /// validated partition by partition).
    Partitions,
}

/// Relations of `tables` under row-level security (before or after the
/// migration), quoted.
fn protected_relations(cx: &Context<'_>, tables: &[&TableRef], reads: Reads) -> Vec<String> {
    let mut out = Vec::new();
    // What is listed, as a set (a table of a thousand partitions searched
    // the list once per partition).
    let mut listed = std::collections::HashSet::new();
    for t in tables {
        let def = cx.before_at().table(&t.schema, &t.name).or_else(|| cx.after_at().table(&t.schema, &t.name));
        let Some(def) = def else { continue };
        let rels = match reads {
            Reads::Table if def.row_level_security => vec![def.name.clone()],
            Reads::Table => Vec::new(),
            Reads::Partitions => o::rls_relations(def),
        };
        for rel in rels {
            let q = qualified(&def.schema, &rel);
            if listed.insert(q.clone()) {
                out.push(q);
            }
        }
    }
    out
}

/// A `DO` block running plpgsql `body`. When `rels` (tables under row-level
/// security) is not empty, `FORCE ROW LEVEL SECURITY` is lifted on them
/// around the body for a migration role that is their owner without
/// superuser or `BYPASSRLS` (forced policies would hide other tenants'
/// rows from it), inside the statement's transaction: the `ALTER TABLE`
/// lock keeps every other session out until the table is forced again,
/// and `lock_timeout` bounds the wait for it.
fn do_block(cx: &Context<'_>, rels: &[String], body: &str) -> String {
    let indent = |text: &str| {
        let mut out = String::with_capacity(text.len() + 4 * text.lines().count());
        for (i, l) in text.lines().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str("    ");
            out.push_str(l);
        }
        out
    };
    if rels.is_empty() {
        return format!("DO {};", dollar_quote(&format!("\nBEGIN\n{}\nEND\n", indent(body))));
    }
    // Only where it is forced when the statement runs, and forced again
    // only there: an undo that turned a table's row-level security off
    // earlier in its script had it forced again by a later statement's
    // lift, run by the owner (left forced, with no policy enabled).
    let toggle = |word: &str| {
        rels.iter()
            .map(|r| {
                format!(
                    "        IF to_regclass({}) = ANY (forced) THEN\n            ALTER TABLE {r} {word} ROW LEVEL SECURITY;\n        END IF;",
                    literal(r)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let regclasses: Vec<String> = rels.iter().map(|r| format!("to_regclass({})", literal(r))).collect();
    let text = format!(
        "\nDECLARE\n    -- FORCE ROW LEVEL SECURITY hides other tenants' rows from a table owner\n    -- that neither is superuser nor has BYPASSRLS: lifted for this statement.\n    lift boolean := NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user);\n    forced oid[];\nBEGIN\n    IF lift THEN\n        PERFORM set_config('lock_timeout', {}, true);\n        forced := ARRAY(SELECT oid FROM pg_class WHERE oid IN ({}) AND relforcerowsecurity);\n{}\n    END IF;\n{}\n    IF lift THEN\n{}\n    END IF;\nEND\n",
        literal(cx.lock_timeout),
        regclasses.join(", "),
        toggle("NO FORCE"),
        indent(body),
        toggle("FORCE")
    );
    format!("DO {};", dollar_quote(&text))
}

/// Drops a generated column that is to be rebuilt, unless the database
/// holds the wanted one already (the migration ran before): every column it
/// reads has its new type, and its expression is the wanted one as
/// PostgreSQL prints it (learnt by building the wanted column on a
/// temporary copy of the table's columns).
fn drop_generated_column(table: &TableRef, column: &Column, retyped: &[(String, ColumnType)]) -> Stmt {
    let (t, tl, cl) = (q(table), literal(&q(table)), literal(&column.name));
    let expr_of = |rel: &str| {
        format!(
            "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = to_regclass({rel}) AND a.attname = {cl} AND NOT a.attisdropped"
        )
    };
    let mut body = format!(
        "\nDECLARE\n    stale boolean := false;\n    have text;\n    want text;\nBEGIN\n    have := ({});\n    IF have IS NULL THEN\n        RETURN;\n    END IF;\n",
        expr_of(&tl)
    );
    for (col, ty) in retyped {
        body.push_str(&format!(
            "    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({tl}) AND attname = {} AND NOT attisdropped AND format_type(atttypid, atttypmod) <> {}) THEN\n        stale := true;\n    END IF;\n",
            literal(col),
            literal(&format_type(ty))
        ));
    }
    body.push_str(&format!(
        "    IF NOT stale THEN\n        BEGIN\n            CREATE TEMPORARY TABLE dddc_probe (LIKE {t});\n            ALTER TABLE pg_temp.dddc_probe DROP COLUMN {c};\n            ALTER TABLE pg_temp.dddc_probe ADD COLUMN {def};\n            want := ({probe});\n            DROP TABLE pg_temp.dddc_probe;\n            stale := want IS DISTINCT FROM have;\n        EXCEPTION WHEN OTHERS THEN\n            -- The wanted column cannot even be built on today's columns.\n            stale := true;\n        END;\n    END IF;\n    IF stale THEN\n        ALTER TABLE {t} DROP COLUMN {c};\n    END IF;\nEND\n",
        c = ident(&column.name),
        def = o::column_definition(column),
        probe = expr_of("'pg_temp.dddc_probe'"),
    ));
    Stmt::guarded(
        Op::Drop,
        Some(table),
        format!("ALTER TABLE {t} DROP COLUMN {};", ident(&column.name)),
        format!("DO {};", dollar_quote(&body)),
    )
}

/// The NOT NULL columns of a table (or of a partition's table) in `schema`.
fn not_null_columns(schema: &TableIndex<'_>, t: &TableRef) -> Vec<String> {
    // A partition renamed with its table: its parent's columns.
    let table = schema.table(&t.schema, &t.name).or_else(|| {
        schema
            .tables()
            .iter()
            .find(|x| {
                x.schema == t.schema
                    && x.partitioning.as_ref().is_some_and(|p| p.partitions.iter().any(|p| p.name == t.name))
            })
            .map(|x| &**x)
    });
    table.map(|t| t.columns.iter().filter(|c| !c.nullable).map(|c| c.name.clone()).collect()).unwrap_or_default()
}

/// PostgreSQL 18 names a column's NOT NULL constraint
/// `<table>_<column>_not_null` and keeps the name when the table or the
/// column is renamed; a fresh V1 would have the new name. Each constraint
/// in `renames` (old, new) that exists under its old name, and whose new
/// name is free and fits, is renamed; run again, nothing matches.
/// PostgreSQL before 18 has no such constraints: nothing happens.
fn rename_not_null_constraints(table: &TableRef, renames: &[(String, String)]) -> Option<Stmt> {
    let pairs: Vec<String> = renames
        .iter()
        .filter(|(old, new)| old != new && new.len() <= crate::relational::names::MAX_IDENTIFIER)
        .map(|(old, new)| format!("({}, {})", literal(old), literal(new)))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let tl = literal(&q(table));
    let body = format!(
        "\nDECLARE\n    r record;\nBEGIN\n    FOR r IN\n        SELECT w.have, w.want FROM (VALUES\n            {}\n        ) AS w (have, want)\n        WHERE EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass({tl}) AND contype = 'n' AND conname = w.have)\n          AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass({tl}) AND conname = w.want)\n    LOOP\n        EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', {tl}, r.have, r.want);\n    END LOOP;\nEND\n",
        pairs.join(",\n            "),
    );
    Some(Stmt::opaque(Op::Rename, Some(table), format!("DO {};", dollar_quote(&body))))
}

/// PostgreSQL names an identity column's sequence `<table>_<column>_seq` and
/// keeps that name when the table or the column is renamed; a fresh V1
/// would have the new name. The sequence follows (names that PostgreSQL
/// would have to shorten are left as they are).
fn identity_sequence_names(cx: &Context<'_>, table: &TableRef, column: Option<&str>) -> Option<Stmt> {
    let t = cx.after_at().table(&table.schema, &table.name)?;
    let cols: Vec<&str> = t
        .columns
        .iter()
        .filter(|c| c.identity && column.is_none_or(|x| x == c.name))
        .map(|c| c.name.as_str())
        .collect();
    let mut body = String::from("\nDECLARE\n    have text;\nBEGIN\n");
    let mut any = false;
    for c in cols {
        let want = format!("{}_{c}_seq", table.name);
        if want.len() > crate::relational::names::MAX_IDENTIFIER {
            continue;
        }
        any = true;
        body.push_str(&format!(
            "    SELECT s.relname INTO have FROM pg_class s WHERE s.oid = pg_get_serial_sequence({}, {})::regclass;\n    IF have IS NOT NULL AND have <> {w} THEN\n        EXECUTE format('ALTER SEQUENCE %I.%I RENAME TO %I', {}, have, {w});\n    END IF;\n",
            literal(&q(table)),
            literal(c),
            literal(&table.schema),
            w = literal(&want),
        ));
    }
    body.push_str("END\n");
    any.then(|| Stmt::opaque(Op::NoTable, None, format!("DO {};", dollar_quote(&body))))
}

/// Not `<table>_<column>_not_null`: PostgreSQL 18 gives that name to the
/// NOT NULL constraint itself, and would rename its own to avoid ours.
fn not_null_check_name(t: &TableRef, column: &str) -> String {
    crate::relational::names::fit(&format!("{}_{}_nn_check", t.name, column))
}

fn not_null_check(name: &str, column: &str) -> crate::relational::Check {
    crate::relational::Check {
        name: name.to_string(),
        expr: format!("({} IS NOT NULL)", ident(column)),
        source: crate::relational::CheckSource::Invariant { source: String::new() },
        comment: None,
        origin: Default::default(),
    }
}

/// SET NOT NULL without a scan under an exclusive lock: a CHECK added NOT
/// VALID (`add`: here; else an earlier statement did) and validated (a
/// scan that blocks no writes), then SET NOT NULL, which the validated
/// check proves without scanning, then the check dropped.
fn set_not_null(cx: &Context<'_>, t: &TableRef, column: &str, add: bool) -> Vec<Stmt> {
    let check = not_null_check_name(t, column);
    let mut out = Vec::new();
    if add {
        out.push(o::add_check(t, &not_null_check(&check, column), true));
    }
    out.push(validate(cx, t, &check, None));
    out.push(Stmt::new(
        Op::SetNotNullProven,
        Some(t),
        format!("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;", q(t), ident(column)),
    ));
    out.push(o::drop_constraint(t, &check));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relational::{FkAction, ForeignKey, PrimaryKey, Unique};

    fn t(name: &str) -> TableRef {
        TableRef { schema: "billing".into(), name: name.into() }
    }

    /// A key's change carries foreign keys and uniques only when the plan
    /// swaps the key in online; one that reached any other branch would
    /// have left them out. They move after the key instead.
    #[test]
    fn a_key_added_without_a_swap_still_moves_what_it_carries() {
        let (invoices, payments) = (t("invoices"), t("payments"));
        let pk = PrimaryKey { name: "invoices_pkey".into(), columns: vec!["tenant_id".into(), "series".into()] };
        let fk = ForeignKey {
            name: "fk_payments_invoice_id".into(),
            columns: vec!["tenant_id".into(), "invoice_id".into()],
            ref_schema: "billing".into(),
            ref_table: "invoices".into(),
            ref_columns: pk.columns.clone(),
            on_delete: FkAction::Restrict,
            on_update: FkAction::NoAction,
            on_delete_columns: Vec::new(),
            origin: Default::default(),
        };
        let unique =
            Unique { name: "uq_invoices_series".into(), columns: pk.columns.clone(), origin: Default::default() };
        let (before, after) = (Schema::default(), Schema::default());
        let new_tables = BTreeSet::new();
        for concurrent in [false, true] {
            let cx = Context {
                target: 15,
                before: &before,
                after: &after,
                new_tables: &new_tables,
                concurrent,
                partitioned: &new_tables,
                inline_validation: false,
                lock_timeout: "5s",
                at: Lookups::default(),
            };
            for uniques in [vec![], vec![unique.clone()]] {
                let change = Change::AddPrimaryKey {
                    table: invoices.clone(),
                    pk: pk.clone(),
                    references: vec![(payments.clone(), fk.clone())],
                    uniques: uniques.clone(),
                };
                let sql: Vec<String> = statements(&change, &cx).into_iter().map(|s| s.sql).collect();
                let at = |needle: &str| sql.iter().position(|s| s.contains(needle));
                let key = at("PRIMARY KEY").expect("the key is added");
                let moved = at("ADD CONSTRAINT fk_payments_invoice_id FOREIGN KEY (tenant_id, invoice_id)")
                    .unwrap_or_else(|| panic!("the reference is left out (concurrent {concurrent}):\n{sql:#?}"));
                assert!(key < moved, "{sql:#?}");
                if !uniques.is_empty() {
                    assert!(at("DROP CONSTRAINT IF EXISTS uq_invoices_series").is_some(), "{sql:#?}");
                }
            }
        }
    }
}
