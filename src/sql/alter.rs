//! Changes as SQL. Every statement is idempotent, and on a table that
//! already existed the online-safe form is used: foreign keys and checks
//! added `NOT VALID` then validated (a short lock, then a scan that does not
//! block writes); NOT NULL through a validated CHECK; indexes built
//! `CONCURRENTLY` (in a migration of their own, outside a transaction).

use std::collections::BTreeSet;

use super::ddl::{column_definition, create_index, foreign_key_clause, guarded, idents};
use super::{dollar_quote, ident, literal, qualified};
use crate::migrate::change::{Change, CommentOn, TableRef};
use crate::relational::Table;

pub struct Context<'a> {
    pub target: u32,
    /// Tables created in this plan: no online precautions needed.
    pub new_tables: &'a BTreeSet<TableRef>,
    /// Build indexes `CONCURRENTLY` (a migration outside a transaction).
    pub concurrent: bool,
    /// Partitioned tables: PostgreSQL before 18 cannot add a foreign key
    /// `NOT VALID` to them.
    pub partitioned: &'a BTreeSet<TableRef>,
}

fn q(t: &TableRef) -> String {
    qualified(&t.schema, &t.name)
}

fn exists_constraint(t: &TableRef, name: &str) -> String {
    format!(
        "SELECT 1 FROM pg_constraint WHERE conname = {} AND conrelid = to_regclass({})",
        literal(name),
        literal(&q(t))
    )
}

/// The statements of one change.
pub fn statements(c: &Change, cx: &Context<'_>) -> Vec<String> {
    use Change::*;
    let existing = |t: &TableRef| !cx.new_tables.contains(t);
    match c {
        DropPublication(p) => vec![format!("DROP PUBLICATION IF EXISTS {};", ident(&p.name))],
        DropPolicy { table, policy } => vec![format!("DROP POLICY IF EXISTS {} ON {};", ident(&policy.name), q(table))],
        DisableRowLevelSecurity(t) => vec![
            format!("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY;", q(t)),
            format!("ALTER TABLE {} DISABLE ROW LEVEL SECURITY;", q(t)),
        ],
        DropTrigger { table, trigger } => {
            vec![format!("DROP TRIGGER IF EXISTS {} ON {};", ident(&trigger.name), q(table))]
        }
        DropForeignKey { table, fk } => vec![drop_constraint(table, &fk.name)],
        DropIndex { table, index } if cx.concurrent => {
            vec![format!("DROP INDEX CONCURRENTLY IF EXISTS {};", qualified(&table.schema, &index.name))]
        }
        // A unique constraint of the same name may have replaced the index
        // (an undo run twice): its index is not this one to drop.
        DropIndex { table, index } => vec![guarded(
            &format!(
                "SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.conname = {} AND n.nspname = {}",
                literal(&index.name),
                literal(&table.schema)
            ),
            &format!("DROP INDEX IF EXISTS {};", qualified(&table.schema, &index.name)),
        )],
        DropCheck { table, check } => vec![drop_constraint(table, &check.name)],
        DropUnique { table, unique } => vec![drop_constraint(table, &unique.name)],
        DropPrimaryKey { table, pk } => vec![drop_constraint(table, &pk.name)],
        RenameSchema { from, to } => vec![guarded_rename(
            &format!("SELECT 1 FROM pg_namespace WHERE nspname = {}", literal(from)),
            &format!("SELECT 1 FROM pg_namespace WHERE nspname = {}", literal(to)),
            &format!("ALTER SCHEMA {} RENAME TO {};", ident(from), ident(to)),
        )],
        RenameTable { schema, from, to } => vec![
            format!("ALTER TABLE IF EXISTS {} RENAME TO {};", qualified(schema, from), ident(to)),
            rename_not_null_constraints(&TableRef { schema: schema.clone(), name: to.clone() }, from, to, None),
        ],
        RenameColumn { table, from, to } => {
            let col = |c: &str| {
                format!(
                    "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({}) AND attname = {} AND NOT attisdropped",
                    literal(&q(table)),
                    literal(c)
                )
            };
            vec![
                guarded_rename(
                    &col(from),
                    &col(to),
                    &format!("ALTER TABLE {} RENAME COLUMN {} TO {};", q(table), ident(from), ident(to)),
                ),
                rename_not_null_constraints(table, &table.name, &table.name, Some((from, to))),
            ]
        }
        RenameConstraint { table, from, to } => vec![guarded_rename(
            &exists_constraint(table, from),
            &exists_constraint(table, to),
            &format!("ALTER TABLE {} RENAME CONSTRAINT {} TO {};", q(table), ident(from), ident(to)),
        )],
        RenameIndex { schema, from, to } => {
            vec![format!("ALTER INDEX IF EXISTS {} RENAME TO {};", qualified(schema, from), ident(to))]
        }
        RenameTrigger { table, from, to } => {
            let tr = |n: &str| {
                format!(
                    "SELECT 1 FROM pg_trigger WHERE tgname = {} AND tgrelid = to_regclass({})",
                    literal(n),
                    literal(&q(table))
                )
            };
            vec![guarded_rename(
                &tr(from),
                &tr(to),
                &format!("ALTER TRIGGER {} ON {} RENAME TO {};", ident(from), q(table), ident(to)),
            )]
        }
        RenameType { schema, from, to } => {
            let ty = |n: &str| {
                format!(
                    "SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = {} AND t.typname = {}",
                    literal(schema),
                    literal(n)
                )
            };
            vec![guarded_rename(
                &ty(from),
                &ty(to),
                &format!("ALTER TYPE {} RENAME TO {};", qualified(schema, from), ident(to)),
            )]
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
            vec![guarded_rename(
                &v(from),
                &v(to),
                &format!(
                    "ALTER TYPE {} RENAME VALUE {} TO {};",
                    qualified(schema, type_name),
                    literal(from),
                    literal(to)
                ),
            )]
        }
        UpdateEnumValue { table, column, from, to } => {
            vec![format!(
                "UPDATE {} SET {} = {} WHERE {} = {};",
                q(table),
                ident(column),
                literal(to),
                ident(column),
                literal(from)
            )]
        }
        CreateSchema(s) => vec![format!("CREATE SCHEMA IF NOT EXISTS {};", ident(&s.name))],
        CreateExtension(e) => vec![format!("CREATE EXTENSION IF NOT EXISTS {};", ident(e))],
        CreateEnumType(_) | CreateFunction(_) => {
            super::ddl::create_statements(&single(c)).into_iter().flat_map(|(_, s)| s).collect()
        }
        AddEnumValue { schema, type_name, value, after, before } => {
            let pos = match (after, before) {
                (Some(a), _) => format!(" AFTER {}", literal(a)),
                (None, Some(b)) => format!(" BEFORE {}", literal(b)),
                (None, None) => String::new(),
            };
            vec![format!(
                "ALTER TYPE {} ADD VALUE IF NOT EXISTS {}{pos};",
                qualified(schema, type_name),
                literal(value)
            )]
        }
        CreateTable(t) => {
            let mut only = t.clone();
            only.comment = None;
            for col in &mut only.columns {
                col.comment = None;
            }
            for ch in &mut only.checks {
                ch.comment = None;
            }
            let s = crate::relational::Schema { target: cx.target, tables: vec![only], ..Default::default() };
            super::ddl::create_statements(&s).into_iter().flat_map(|(_, s)| s).collect()
        }
        AddPartition { table, partition, column, default } => {
            let create = format!(
                "CREATE TABLE IF NOT EXISTS {} PARTITION OF {} {};",
                qualified(&table.schema, &partition.name),
                q(table),
                partition.bound
            );
            match (default, partition_condition(column, &partition.bound)) {
                // Rows of the new range that went to the DEFAULT partition
                // move into the new one (PostgreSQL refuses the partition
                // otherwise): detach the default, create, move, attach.
                (Some(d), Some(cond)) if existing(table) => {
                    let (t, dq) = (q(table), qualified(&table.schema, d));
                    let body = format!(
                        "\nBEGIN\n    IF to_regclass({}) IS NULL THEN\n        ALTER TABLE {t} DETACH PARTITION {dq};\n        {create}\n        INSERT INTO {t} OVERRIDING SYSTEM VALUE SELECT * FROM {dq} WHERE {cond};\n        DELETE FROM {dq} WHERE {cond};\n        ALTER TABLE {t} ATTACH PARTITION {dq} DEFAULT;\n    END IF;\nEND\n",
                        literal(&qualified(&table.schema, &partition.name))
                    );
                    vec![format!("DO {};", dollar_quote(&body))]
                }
                _ => vec![create],
            }
        }
        AddColumn { table, column, backfill } => match backfill {
            Some(b) if existing(table) => {
                let mut nullable = column.clone();
                nullable.nullable = true;
                let mut out = vec![
                    format!("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {};", q(table), column_definition(&nullable)),
                    format!(
                        "UPDATE {} SET {} = {b} WHERE {} IS NULL;",
                        q(table),
                        ident(&column.name),
                        ident(&column.name)
                    ),
                ];
                out.extend(set_not_null(table, &column.name));
                out
            }
            _ => vec![format!("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {};", q(table), column_definition(column))],
        },
        AlterColumnType { table, column, to, default, .. } => {
            let change = format!(
                "ALTER TABLE {} ALTER COLUMN {} TYPE {to} USING {}::{to};",
                q(table),
                ident(column),
                ident(column)
            );
            match default {
                // A default of the old type may not cast by itself: drop it
                // around the change.
                Some(d) => vec![
                    format!("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;", q(table), ident(column)),
                    change,
                    format!("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {d};", q(table), ident(column)),
                ],
                None => vec![change],
            }
        }
        SetDefault { table, column, default } => vec![match default {
            Some(d) => format!("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {d};", q(table), ident(column)),
            None => format!("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;", q(table), ident(column)),
        }],
        DropNotNull { table, column } => {
            vec![format!("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL;", q(table), ident(column))]
        }
        SetNotNull { table, column, backfill } => {
            let mut out = Vec::new();
            if let Some(b) = backfill {
                out.push(format!("UPDATE {} SET {} = {b} WHERE {} IS NULL;", q(table), ident(column), ident(column)));
            }
            if existing(table) {
                out.extend(set_not_null(table, column));
            } else {
                out.push(format!("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;", q(table), ident(column)));
            }
            out
        }
        AddPrimaryKey { table, pk } => vec![guarded(
            &exists_constraint(table, &pk.name),
            &format!(
                "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({});",
                q(table),
                ident(&pk.name),
                idents(&pk.columns)
            ),
        )],
        // On an existing table (a migration outside a transaction): the
        // index is built without blocking writes, then becomes the constraint.
        AddUnique { table, unique } if cx.concurrent => vec![
            format!(
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({});",
                ident(&unique.name),
                q(table),
                idents(&unique.columns)
            ),
            guarded(
                &exists_constraint(table, &unique.name),
                &format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {};",
                    q(table),
                    ident(&unique.name),
                    ident(&unique.name)
                ),
            ),
        ],
        AddUnique { table, unique } => vec![guarded(
            &exists_constraint(table, &unique.name),
            &format!(
                "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({});",
                q(table),
                ident(&unique.name),
                idents(&unique.columns)
            ),
        )],
        AddCheck { table, check } => {
            if existing(table) {
                vec![
                    guarded(
                        &exists_constraint(table, &check.name),
                        &format!(
                            "ALTER TABLE {} ADD CONSTRAINT {} CHECK {} NOT VALID;",
                            q(table),
                            ident(&check.name),
                            check.expr
                        ),
                    ),
                    format!("ALTER TABLE {} VALIDATE CONSTRAINT {};", q(table), ident(&check.name)),
                ]
            } else {
                vec![guarded(
                    &exists_constraint(table, &check.name),
                    &format!("ALTER TABLE {} ADD CONSTRAINT {} CHECK {};", q(table), ident(&check.name), check.expr),
                )]
            }
        }
        AddForeignKey { table, fk } => {
            let not_valid_allowed = cx.target >= 18 || !cx.partitioned.contains(table);
            if existing(table) && not_valid_allowed {
                vec![
                    guarded(
                        &exists_constraint(table, &fk.name),
                        &format!("ALTER TABLE {} ADD {} NOT VALID;", q(table), foreign_key_clause(fk)),
                    ),
                    format!("ALTER TABLE {} VALIDATE CONSTRAINT {};", q(table), ident(&fk.name)),
                ]
            } else {
                vec![guarded(
                    &exists_constraint(table, &fk.name),
                    &format!("ALTER TABLE {} ADD {};", q(table), foreign_key_clause(fk)),
                )]
            }
        }
        CreateIndex { table, index } => {
            let t = Table { schema: table.schema.clone(), name: table.name.clone(), ..empty_table() };
            let sql = create_index(&t, index);
            if cx.concurrent {
                vec![sql.replacen("INDEX IF NOT EXISTS", "INDEX CONCURRENTLY IF NOT EXISTS", 1)]
            } else {
                vec![sql]
            }
        }
        CreateTrigger { table, trigger } => {
            let mut t = Table { schema: table.schema.clone(), name: table.name.clone(), ..empty_table() };
            t.triggers.push(trigger.clone());
            let s = crate::relational::Schema { target: cx.target, tables: vec![t], ..Default::default() };
            super::ddl::create_statements(&s)
                .into_iter()
                .filter(|(title, _)| title == "Triggers")
                .flat_map(|(_, s)| s)
                .collect()
        }
        EnableRowLevelSecurity(t) => vec![
            format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;", q(t)),
            format!("ALTER TABLE {} FORCE ROW LEVEL SECURITY;", q(t)),
        ],
        CreatePolicy { table, policy } => vec![
            format!("DROP POLICY IF EXISTS {} ON {};", ident(&policy.name), q(table)),
            format!(
                "CREATE POLICY {} ON {} USING {} WITH CHECK {};",
                ident(&policy.name),
                q(table),
                policy.using,
                policy.with_check
            ),
        ],
        CreateRole(r) => {
            let mut bare = r.clone();
            bare.read.clear();
            bare.write.clear();
            bare.comment = None;
            let s = crate::relational::Schema { roles: vec![bare], ..Default::default() };
            super::ddl::create_statements(&s).into_iter().flat_map(|(_, s)| s).collect()
        }
        Grant { role, schema, write } => super::ddl::grants(role, schema, *write),
        Revoke { role, schema, write } => {
            let (r, s) = (ident(role), ident(schema));
            let privileges = if *write { "INSERT, UPDATE, DELETE" } else { "SELECT" };
            let mut out = vec![
                format!("REVOKE {privileges} ON ALL TABLES IN SCHEMA {s} FROM {r};"),
                format!("ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE {privileges} ON TABLES FROM {r};"),
            ];
            if !*write {
                out.push(format!("REVOKE USAGE ON SCHEMA {s} FROM {r};"));
            }
            out
        }
        CreatePublication(p) => {
            let s = crate::relational::Schema { publications: vec![p.clone()], ..Default::default() };
            super::ddl::create_statements(&s).into_iter().flat_map(|(_, s)| s).collect()
        }
        SetPublicationTables(p) => {
            let tables = super::ddl::publication_tables(p);
            if tables.is_empty() {
                vec![
                    format!("DROP PUBLICATION IF EXISTS {};", ident(&p.name)),
                    format!("CREATE PUBLICATION {};", ident(&p.name)),
                ]
            } else {
                vec![format!("ALTER PUBLICATION {} SET TABLE {};", ident(&p.name), tables.join(", "))]
            }
        }
        SetComment { on, text } => {
            let what = match on {
                CommentOn::Schema(s) => format!("SCHEMA {}", ident(s)),
                CommentOn::Table(t) => format!("TABLE {}", q(t)),
                CommentOn::Column(t, c) => format!("COLUMN {}.{}", q(t), ident(c)),
                CommentOn::Constraint(t, c) => format!("CONSTRAINT {} ON {}", ident(c), q(t)),
                CommentOn::Index(s, i) => format!("INDEX {}", qualified(s, i)),
                CommentOn::Type(s, n) => format!("TYPE {}", qualified(s, n)),
            };
            vec![format!("COMMENT ON {what} IS {};", text.as_ref().map_or("NULL".to_string(), |t| literal(t)))]
        }
        DropRole(r) => {
            let s = crate::relational::Schema {
                roles: vec![crate::relational::RoleDef { name: r.clone(), read: vec![], write: vec![], comment: None }],
                ..Default::default()
            };
            super::ddl::drop_statements(&s).into_iter().flat_map(|(_, s)| s).collect()
        }
        DropColumn { table, column } => {
            vec![format!("ALTER TABLE {} DROP COLUMN IF EXISTS {};", q(table), ident(&column.name))]
        }
        DropPartition { partition, table } => {
            vec![format!("DROP TABLE IF EXISTS {};", qualified(&table.schema, &partition.name))]
        }
        DropTable(t) => vec![format!("DROP TABLE IF EXISTS {};", qualified(&t.schema, &t.name))],
        DropFunction(f) => vec![format!("DROP FUNCTION IF EXISTS {}({});", qualified(&f.schema, &f.name), f.args)],
        DropEnumType(e) => vec![format!("DROP TYPE IF EXISTS {};", qualified(&e.schema, &e.name))],
        DropExtension(e) => vec![format!("DROP EXTENSION IF EXISTS {};", ident(e))],
        DropSchema(s) => vec![format!("DROP SCHEMA IF EXISTS {};", ident(&s.name))],
    }
}

fn single(c: &Change) -> crate::relational::Schema {
    let mut s = crate::relational::Schema::default();
    match c {
        Change::CreateEnumType(e) => {
            let mut e = e.clone();
            e.comment = None;
            s.enum_types.push(e);
        }
        // A function has no comment change of its own: its comment comes
        // with it.
        Change::CreateFunction(f) => s.functions.push(f.clone()),
        _ => {}
    }
    s
}

fn empty_table() -> Table {
    Table {
        schema: String::new(),
        name: String::new(),
        comment: None,
        kind: crate::relational::TableKind::AggregateRoot,
        aggregate: None,
        columns: vec![],
        primary_key: None,
        uniques: vec![],
        checks: vec![],
        foreign_keys: vec![],
        indexes: vec![],
        triggers: vec![],
        row_level_security: false,
        policies: vec![],
        partitioning: None,
        origin: Default::default(),
    }
}

/// The rows a partition bound covers: `FOR VALUES FROM (a) TO (b)` or
/// `FOR VALUES IN (…)`.
fn partition_condition(column: &str, bound: &str) -> Option<String> {
    let col = ident(column);
    if let Some(rest) = bound.strip_prefix("FOR VALUES FROM (") {
        let (from, rest) = rest.split_once(") TO (")?;
        let to = rest.strip_suffix(')')?;
        return Some(format!("{col} >= {from} AND {col} < {to}"));
    }
    bound.strip_prefix("FOR VALUES IN ").map(|list| format!("{col} IN {list}"))
}

fn drop_constraint(t: &TableRef, name: &str) -> String {
    format!("ALTER TABLE IF EXISTS {} DROP CONSTRAINT IF EXISTS {};", q(t), ident(name))
}

fn guarded_rename(old_exists: &str, new_exists: &str, statement: &str) -> String {
    let body = format!("\nBEGIN\n    IF EXISTS ({old_exists}) AND NOT EXISTS ({new_exists}) THEN\n        {statement}\n    END IF;\nEND\n");
    format!("DO {};", dollar_quote(&body))
}

/// PostgreSQL 18 names the NOT NULL constraint of a column
/// `<table>_<column>_not_null`, and keeps that name when the table or the
/// column is renamed; a fresh V1 would have the new name. The names follow
/// here (a no-op before 18, which has no such constraints).
fn rename_not_null_constraints(
    table: &TableRef,
    old_table: &str,
    new_table: &str,
    column: Option<(&str, &str)>,
) -> String {
    let (old_col, new_col) = column.map_or(("%".to_string(), None), |(f, t)| (f.replace('_', "\\_"), Some(t)));
    let pattern = format!("{}\\_{old_col}\\_not\\_null", old_table.replace('_', "\\_"));
    let new_name = match new_col {
        Some(c) => literal(&format!("{new_table}_{c}_not_null")),
        None => format!("{} || substr(r.conname, {})", literal(new_table), old_table.len() + 1),
    };
    let body = format!(
        "\nDECLARE\n    r record;\nBEGIN\n    FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = to_regclass({}) AND contype = 'n' AND conname LIKE {} LOOP\n        IF length({new_name}) <= 63 THEN\n            EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', {}, r.conname, {new_name});\n        END IF;\n    END LOOP;\nEND\n",
        literal(&q(table)),
        literal(&pattern),
        literal(&q(table)),
    );
    format!("DO {};", dollar_quote(&body))
}

/// SET NOT NULL without a long exclusive lock: a CHECK added NOT VALID and
/// validated (no write lock during the scan), then SET NOT NULL, which uses
/// the validated check instead of scanning, then the check dropped.
fn set_not_null(t: &TableRef, column: &str) -> Vec<String> {
    // Not `<table>_<column>_not_null`: PostgreSQL 18 gives that name to the
    // NOT NULL constraint itself, and would rename its own to avoid ours.
    let check = crate::relational::names::fit(&format!("{}_{}_nn_check", t.name, column));
    vec![
        guarded(
            &exists_constraint(t, &check),
            &format!(
                "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID;",
                q(t),
                ident(&check),
                ident(column)
            ),
        ),
        format!("ALTER TABLE {} VALIDATE CONSTRAINT {};", q(t), ident(&check)),
        format!("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;", q(t), ident(column)),
        format!("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {};", q(t), ident(&check)),
    ]
}
