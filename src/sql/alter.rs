//! Changes as SQL, each through the renderer of the object it touches
//! ([`super::objects`]). Every statement is idempotent, and on a table that
//! already existed the online-safe form is used: foreign keys and checks
//! added `NOT VALID` then validated; NOT NULL through a validated CHECK;
//! indexes built `CONCURRENTLY` (in a migration of their own, outside a
//! transaction).

use std::collections::BTreeSet;

use super::objects::{self as o, q};
use super::types::{column_type, format_type};
use super::{dollar_quote, ident, literal, qualified};
use crate::migrate::change::Change;
use crate::relational::{Column, ColumnType, Schema, TableRef};

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
}

/// The statements of one change.
pub fn statements(c: &Change, cx: &Context<'_>) -> Vec<String> {
    use Change::*;
    let existing = |t: &TableRef| !cx.new_tables.contains(t);
    match c {
        DropPublication(p) => vec![o::drop_publication(&p.name)],
        DropPolicy { table, policy } => {
            let mut rels = vec![table.name.clone()];
            rels.extend(protected_partitions(cx.before, table));
            rels.iter().map(|r| o::drop_policy(&table.schema, r, &policy.name)).collect()
        }
        DisablePartitionRowLevelSecurity { table, partition } => {
            let mut out: Vec<String> =
                policies_of(cx.before, table).iter().map(|p| o::drop_policy(&table.schema, partition, &p.name)).collect();
            out.extend(o::disable_rls(&table.schema, partition));
            out
        }
        EnablePartitionRowLevelSecurity { table, partition } => protect_partition(cx, table, partition),
        SyncPartitionIndexNames(t) => {
            cx.after.table(&t.schema, &t.name).and_then(o::partition_index_names).into_iter().collect()
        }
        DisableRowLevelSecurity(t) => o::disable_rls(&t.schema, &t.name),
        DropTrigger { table, trigger } => vec![o::drop_trigger(table, &trigger.name)],
        DropForeignKey { table, fk } => vec![o::drop_constraint(table, &fk.name)],
        DropIndex { table, index } if cx.concurrent => vec![o::drop_index(&table.schema, &index.name, true)],
        // A unique constraint of the same name may have replaced the index
        // (an undo run twice): its index is not this one to drop.
        DropIndex { table, index } => vec![o::guarded(
            &format!(
                "SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.conname = {} AND n.nspname = {}",
                literal(&index.name),
                literal(&table.schema)
            ),
            &o::drop_index(&table.schema, &index.name, false),
        )],
        DropCheck { table, check } => vec![o::drop_constraint(table, &check.name)],
        DropUnique { table, unique } => vec![o::drop_constraint(table, &unique.name)],
        DropPrimaryKey { table, pk } => vec![o::drop_constraint(table, &pk.name)],
        RenameSchema { from, to } => vec![o::guarded_rename(
            &format!("SELECT 1 FROM pg_namespace WHERE nspname = {}", literal(from)),
            &format!("SELECT 1 FROM pg_namespace WHERE nspname = {}", literal(to)),
            &format!("ALTER SCHEMA {} RENAME TO {};", ident(from), ident(to)),
        )],
        RenameTable { schema, from, to } => {
            let table = TableRef { schema: schema.clone(), name: to.clone() };
            let mut out = vec![
                format!("ALTER TABLE IF EXISTS {} RENAME TO {};", qualified(schema, from), ident(to)),
                rename_not_null_constraints(&table, from, to, None),
            ];
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
            vec![
                o::guarded_rename(
                    &col(from),
                    &col(to),
                    &format!("ALTER TABLE {} RENAME COLUMN {} TO {};", q(table), ident(from), ident(to)),
                ),
                rename_not_null_constraints(table, &table.name, &table.name, Some((from, to))),
            ]
            .into_iter()
            .chain(identity_sequence_names(cx, table, Some(to)))
            .collect()
        }
        RenameConstraint { table, from, to } => vec![o::guarded_rename(
            &o::exists_constraint(table, from),
            &o::exists_constraint(table, to),
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
            vec![o::guarded_rename(
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
            vec![o::guarded_rename(
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
            vec![o::guarded_rename(
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
        UpdateEnumValue { table, column, from, to } => vec![as_owner(
            cx,
            &[table],
            Reads::Table,
            format!(
                "UPDATE {} SET {} = {} WHERE {} = {};",
                q(table),
                ident(column),
                literal(to),
                ident(column),
                literal(from)
            ),
        )],
        DropGeneratedColumn { table, column, retyped } => vec![drop_generated_column(table, column, retyped)],
        AddGeneratedColumn { table, column } => vec![add_column(table, column)],
        SetIdentity { table, column, identity: false } => {
            vec![format!("ALTER TABLE {} ALTER COLUMN {} DROP IDENTITY IF EXISTS;", q(table), ident(column))]
        }
        SetIdentity { table, column, identity: true } => vec![do_block(
            &protected_relations(cx, &[table], Reads::Table),
            &format!(
                "IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({tl}) AND attname = {cl} AND attidentity = '') THEN\n    ALTER TABLE {t} ALTER COLUMN {c} ADD GENERATED ALWAYS AS IDENTITY;\n    -- The sequence continues after the values the rows already hold.\n    PERFORM setval(pg_get_serial_sequence({tl}, {cl}), coalesce(max({c}), 0) + 1, false) FROM {t};\nEND IF;",
                t = q(table),
                c = ident(column),
                tl = literal(&q(table)),
                cl = literal(column),
            ),
        )],
        CreateSchema(s) => vec![o::create_schema(&s.name)],
        CreateExtension(e) => vec![o::create_extension(e)],
        CreateEnumType(e) => vec![o::create_enum_type(e)],
        // A function's comment comes with it (it has no change of its own).
        CreateFunction(f) => {
            let mut out = vec![o::create_function(f)];
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
            vec![format!(
                "ALTER TYPE {} ADD VALUE IF NOT EXISTS {}{pos};",
                qualified(schema, type_name),
                literal(value)
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
                        "IF to_regclass({}) IS NULL THEN\n    ALTER TABLE {t} DETACH PARTITION {dq};\n    {create}\n    INSERT INTO {t} OVERRIDING SYSTEM VALUE SELECT * FROM {dq} WHERE {cond};\n    DELETE FROM {dq} WHERE {cond};\n    ALTER TABLE {t} ATTACH PARTITION {dq} DEFAULT;\nEND IF;",
                        literal(&qualified(&table.schema, &partition.name))
                    );
                    // The parent, and the DEFAULT partition read by name.
                    let mut rels = protected_relations(cx, &[table], Reads::Table);
                    let default_protected = cx
                        .before
                        .table(&table.schema, &table.name)
                        .and_then(|t| t.partitioning.as_ref())
                        .is_some_and(|p| p.partitions.iter().any(|x| &x.name == d && x.row_level_security));
                    if default_protected {
                        rels.push(dq.clone());
                    }
                    vec![do_block(&rels, &body)]
                }
                _ => vec![create],
            };
            if partition.row_level_security {
                out.extend(protect_partition(cx, table, &partition.name));
            }
            out
        }
        AddColumn { table, column, backfill } => match backfill {
            Some(b) if existing(table) => {
                let mut nullable = column.clone();
                nullable.nullable = true;
                let mut out = vec![
                    add_column(table, &nullable),
                    as_owner(
                        cx,
                        &[table],
                        Reads::Table,
                        format!(
                            "UPDATE {} SET {} = {b} WHERE {} IS NULL;",
                            q(table),
                            ident(&column.name),
                            ident(&column.name)
                        ),
                    ),
                ];
                out.extend(set_not_null(table, &column.name));
                out
            }
            _ => vec![add_column(table, column)],
        },
        AlterColumnType { table, column, to, default, lossy, .. } => {
            let to_sql = column_type(to);
            // Values that would not survive the conversion (a string cut to
            // the new length, a fraction rounded) stop the migration before
            // anything changes: the conversion alone would lose them silently.
            let guard = lossy.then(|| {
                do_block(
                    &protected_relations(cx, &[table], Reads::Table),
                    &format!(
                        "IF EXISTS (SELECT 1 FROM {t} WHERE {c} IS DISTINCT FROM CAST({c} AS {to_sql})) THEN\n    RAISE EXCEPTION 'dddc: %.% holds values that do not fit %; nothing was changed', {tl}, {cl}, {tyl}\n        USING HINT = 'update or delete those rows, then run the migration again';\nEND IF;",
                        t = q(table),
                        c = ident(column),
                        tl = literal(&table.to_string()),
                        cl = literal(column),
                        tyl = literal(&to_sql),
                    ),
                )
            });
            // Only while the column has another type: run again, the change
            // would rewrite the table for nothing.
            let change = o::guarded(
                &format!(
                    "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({}) AND attname = {} AND format_type(atttypid, atttypmod) = {}",
                    literal(&q(table)),
                    literal(column),
                    literal(&format_type(to))
                ),
                &format!(
                    "ALTER TABLE {} ALTER COLUMN {} TYPE {to_sql} USING {}::{to_sql};",
                    q(table),
                    ident(column),
                    ident(column)
                ),
            );
            let mut out: Vec<String> = guard.into_iter().collect();
            match default {
                // A default of the old type may not cast by itself: drop it
                // around the change.
                Some(d) => out.extend([
                    format!("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;", q(table), ident(column)),
                    change,
                    format!("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {d};", q(table), ident(column)),
                ]),
                None => out.push(change),
            }
            out
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
                out.push(as_owner(
                    cx,
                    &[table],
                    Reads::Table,
                    format!("UPDATE {} SET {} = {b} WHERE {} IS NULL;", q(table), ident(column), ident(column)),
                ));
            }
            if existing(table) {
                out.extend(set_not_null(table, column));
            } else {
                out.push(format!("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;", q(table), ident(column)));
            }
            out
        }
        AddPrimaryKey { table, pk } => vec![o::add_primary_key(table, pk)],
        // On an existing table (a migration outside a transaction): the
        // index is built without blocking writes, then becomes the constraint.
        AddUnique { table, unique } if cx.concurrent => o::add_unique_concurrently(table, unique),
        AddUnique { table, unique } => vec![o::add_unique(table, unique)],
        AddCheck { table, check } => {
            if existing(table) {
                vec![o::add_check(table, check, true), o::validate_constraint(table, &check.name)]
            } else {
                vec![o::add_check(table, check, false)]
            }
        }
        AddForeignKey { table, fk } => {
            let not_valid_allowed = cx.target >= 18 || !cx.partitioned.contains(table);
            let target = fk.target();
            if existing(table) && not_valid_allowed {
                vec![
                    o::add_foreign_key(table, fk, true),
                    as_owner(cx, &[table, &target], Reads::Partitions, o::validate_constraint(table, &fk.name)),
                ]
            } else if existing(table) {
                // Added and checked at once (a partitioned table before 18):
                // the check reads both tables.
                vec![do_block(
                    &protected_relations(cx, &[table, &target], Reads::Partitions),
                    &format!(
                        "IF NOT EXISTS ({}) THEN\n    ALTER TABLE {} ADD {};\nEND IF;",
                        o::exists_constraint(table, &fk.name),
                        q(table),
                        o::foreign_key_clause(fk)
                    ),
                )]
            } else {
                vec![o::add_foreign_key(table, fk, false)]
            }
        }
        CreateIndex { table, index } => vec![o::create_index(table, index, cx.concurrent)],
        CreateTrigger { table, trigger } => vec![o::create_trigger(cx.target, table, trigger)],
        EnableRowLevelSecurity(t) => o::enable_rls(&t.schema, &t.name),
        CreatePolicy { table, policy } => {
            let mut rels = vec![table.name.clone()];
            rels.extend(protected_partitions(cx.after, table));
            rels.iter().flat_map(|r| o::create_policy(&table.schema, r, policy)).collect()
        }
        CreateRole(r) => vec![o::create_role(&r.name)],
        Grant { role, schema, write } => o::grants(role, schema, *write),
        Revoke { role, schema, write } => o::revokes(role, schema, *write),
        CreatePublication(p) => vec![o::create_publication(p)],
        SetPublicationTables(p) => {
            let tables = o::publication_tables(p);
            if tables.is_empty() {
                vec![o::drop_publication(&p.name), format!("CREATE PUBLICATION {};", ident(&p.name))]
            } else {
                vec![format!("ALTER PUBLICATION {} SET TABLE {};", ident(&p.name), tables.join(", "))]
            }
        }
        SetComment { on, text } => vec![o::comment_on(on, text.as_deref())],
        DropRole(r) => vec![o::drop_role(r)],
        DropColumn { table, column } => {
            vec![format!("ALTER TABLE {} DROP COLUMN IF EXISTS {};", q(table), ident(&column.name))]
        }
        DropPartition { partition, table } => vec![o::drop_table(&table.schema, &partition.name)],
        DropTable(t) => vec![o::drop_table(&t.schema, &t.name)],
        DropFunction(f) => vec![o::drop_function(f)],
        DropEnumType(e) => vec![o::drop_enum_type(&e.schema, &e.name)],
        DropExtension(e) => vec![o::drop_extension(e)],
        DropSchema(s) => vec![o::drop_schema(&s.name)],
    }
}

fn add_column(table: &TableRef, column: &Column) -> String {
    format!("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {};", q(table), o::column_definition(column))
}

/// The partitions of a table that have row-level security in `schema`.
fn protected_partitions(schema: &Schema, t: &TableRef) -> Vec<String> {
    schema
        .table(&t.schema, &t.name)
        .and_then(|t| t.partitioning.as_ref())
        .map(|p| p.partitions.iter().filter(|x| x.row_level_security).map(|x| x.name.clone()).collect())
        .unwrap_or_default()
}

fn policies_of<'s>(schema: &'s Schema, t: &TableRef) -> &'s [crate::relational::Policy] {
    schema.table(&t.schema, &t.name).map_or(&[], |t| t.policies.as_slice())
}

/// Row-level security on one partition: enabled, forced, and its table's
/// policies.
fn protect_partition(cx: &Context<'_>, table: &TableRef, partition: &str) -> Vec<String> {
    let mut out = o::enable_rls(&table.schema, partition);
    for p in policies_of(cx.after, table) {
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
    for t in tables {
        let def = cx.before.table(&t.schema, &t.name).or_else(|| cx.after.table(&t.schema, &t.name));
        let Some(def) = def else { continue };
        let rels = match reads {
            Reads::Table if def.row_level_security => vec![def.name.clone()],
            Reads::Table => Vec::new(),
            Reads::Partitions => o::rls_relations(def),
        };
        for rel in rels {
            let q = qualified(&def.schema, &rel);
            if !out.contains(&q) {
                out.push(q);
            }
        }
    }
    out
}

/// A statement that reads or writes the rows of tables under row-level
/// security, as the role running the migration sees all of them. `FORCE ROW
/// LEVEL SECURITY` applies to the tables' owner, so when that role is the
/// owner without superuser or `BYPASSRLS`, it is lifted around the statement
/// inside the statement's transaction (the `ALTER TABLE` lock keeps every
/// other session out until the table is forced again). Other statements are
/// returned unchanged.
fn as_owner(cx: &Context<'_>, tables: &[&TableRef], reads: Reads, statement: String) -> String {
    let rels = protected_relations(cx, tables, reads);
    if rels.is_empty() {
        return statement;
    }
    do_block(&rels, &statement)
}

/// A `DO` block running plpgsql `body`, with row-level security lifted on
/// `rels` for the migration's role as [`as_owner`] explains.
fn do_block(rels: &[String], body: &str) -> String {
    let indent = |text: &str| text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n");
    if rels.is_empty() {
        return format!("DO {};", dollar_quote(&format!("\nBEGIN\n{}\nEND\n", indent(body))));
    }
    let toggle = |word: &str| {
        rels.iter()
            .map(|r| format!("        ALTER TABLE IF EXISTS {r} {word} ROW LEVEL SECURITY;"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let text = format!(
        "\nDECLARE\n    -- FORCE ROW LEVEL SECURITY hides other tenants' rows from a table owner\n    -- that neither is superuser nor has BYPASSRLS: lifted for this statement.\n    lift boolean := NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user);\nBEGIN\n    IF lift THEN\n{}\n    END IF;\n{}\n    IF lift THEN\n{}\n    END IF;\nEND\n",
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
fn drop_generated_column(table: &TableRef, column: &Column, retyped: &[(String, ColumnType)]) -> String {
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
    format!("DO {};", dollar_quote(&body))
}

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

/// PostgreSQL names an identity column's sequence `<table>_<column>_seq` and
/// keeps that name when the table or the column is renamed; a fresh V1
/// would have the new name. The sequence follows (names that PostgreSQL
/// would have to shorten are left as they are).
fn identity_sequence_names(cx: &Context<'_>, table: &TableRef, column: Option<&str>) -> Option<String> {
    let t = cx.after.table(&table.schema, &table.name)?;
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
    any.then(|| format!("DO {};", dollar_quote(&body)))
}

/// SET NOT NULL without a long exclusive lock: a CHECK added NOT VALID and
/// validated (no write lock during the scan), then SET NOT NULL, which uses
/// the validated check instead of scanning, then the check dropped.
fn set_not_null(t: &TableRef, column: &str) -> Vec<String> {
    // Not `<table>_<column>_not_null`: PostgreSQL 18 gives that name to the
    // NOT NULL constraint itself, and would rename its own to avoid ours.
    let check = crate::relational::names::fit(&format!("{}_{}_nn_check", t.name, column));
    vec![
        o::guarded(
            &o::exists_constraint(t, &check),
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
