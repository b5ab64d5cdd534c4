//! One renderer per database object: the statements that create, alter or
//! drop it, each idempotent (`IF [NOT] EXISTS` where PostgreSQL has it, a
//! guarded `DO` block where it has not). The whole-schema script (`ddl`) and
//! every later migration (`alter`) print objects through these functions
//! only, with the options that differ between them (an existing table, a
//! concurrent build, a constraint added `NOT VALID`).

use super::stmt::Stmt;
use super::types::column_type;
use super::{dollar_quote, ident, literal, qualified};
use crate::migrate::change::CommentOn;
use crate::migrate::locks::Op;
use crate::relational::{
    Check, Column, EnumType, FkAction, ForeignKey, Function, Index, IndexItem, IndexMethod, PartitionBound,
    PartitionDef, PartitionMethod, Policy, PrimaryKey, PublicationDef, Table, TableRef, Trigger, TriggerEvent,
    TriggerTiming, Unique,
};

/// `schema.table`, quoted as needed.
pub fn q(t: &TableRef) -> String {
    qualified(&t.schema, &t.name)
}

pub fn idents(cols: &[String]) -> String {
    cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ")
}

/// `DO` block running `statement` (one or more, each on its own line)
/// only while `condition` holds when it runs: every guard of a statement
/// dddc writes.
pub fn guarded_when(condition: &str, statement: &str) -> String {
    let body = format!("\nBEGIN\n    IF {condition} THEN\n        {statement}\n    END IF;\nEND\n");
    format!("DO {};", dollar_quote(&body))
}

/// `DO` block running `statement` only when `exists_query` finds nothing.
pub fn guarded(exists_query: &str, statement: &str) -> String {
    guarded_when(&format!("NOT EXISTS ({exists_query})"), statement)
}

/// `DO` block running `statement`, ignoring that the object exists already.
pub fn guarded_create(statement: &str) -> String {
    let body =
        format!("\nBEGIN\n    {statement}\nEXCEPTION\n    WHEN duplicate_object OR unique_violation THEN NULL;\nEND\n");
    format!("DO {};", dollar_quote(&body))
}

/// `DO` block renaming only while the old name exists and the new does not.
pub fn guarded_rename(old_exists: &str, new_exists: &str, statement: &str) -> String {
    guarded_when(&format!("EXISTS ({old_exists}) AND NOT EXISTS ({new_exists})"), statement)
}

/// A query finding the constraint `name` of `t`.
pub fn exists_constraint(t: &TableRef, name: &str) -> String {
    format!(
        "SELECT 1 FROM pg_constraint WHERE conname = {} AND conrelid = to_regclass({})",
        literal(name),
        literal(&q(t))
    )
}

// ---------------------------------------------------- schemas and types --

pub fn create_schema(name: &str) -> Stmt {
    Stmt::new(Op::NoTable, None, format!("CREATE SCHEMA IF NOT EXISTS {};", ident(name)))
}

pub fn drop_schema(name: &str) -> Stmt {
    Stmt::new(Op::NoTable, None, format!("DROP SCHEMA IF EXISTS {};", ident(name)))
}

pub fn create_extension(name: &str) -> Stmt {
    Stmt::new(Op::NoTable, None, format!("CREATE EXTENSION IF NOT EXISTS {};", ident(name)))
}

pub fn drop_extension(name: &str) -> Stmt {
    Stmt::new(Op::NoTable, None, format!("DROP EXTENSION IF EXISTS {};", ident(name)))
}

pub fn create_enum_type(e: &EnumType) -> Stmt {
    let values: Vec<String> = e.values.iter().map(|v| literal(v)).collect();
    let plain = format!("CREATE TYPE {} AS ENUM ({});", qualified(&e.schema, &e.name), values.join(", "));
    Stmt::guarded(Op::NoTable, None, plain.clone(), guarded_create(&plain))
}

pub fn drop_enum_type(schema: &str, name: &str) -> Stmt {
    Stmt::new(Op::NoTable, None, format!("DROP TYPE IF EXISTS {};", qualified(schema, name)))
}

pub fn create_function(f: &Function) -> Stmt {
    let security = if f.security_definer { " SECURITY DEFINER SET search_path = pg_catalog, pg_temp" } else { "" };
    let sql = format!(
        "CREATE OR REPLACE FUNCTION {}({}) RETURNS {} LANGUAGE {} {}{security} AS {};",
        qualified(&f.schema, &f.name),
        f.args,
        f.returns,
        f.language,
        f.volatility,
        dollar_quote(&f.body)
    );
    Stmt::new(Op::NoTable, None, sql)
}

/// A `SECURITY DEFINER` function runs with its owner's rights: nobody
/// else may call it (a trigger fires it without the EXECUTE privilege;
/// creating one needs it).
pub fn function_privileges(f: &Function) -> Option<Stmt> {
    f.security_definer.then(|| {
        Stmt::new(
            Op::NoTable,
            None,
            format!("REVOKE EXECUTE ON FUNCTION {}({}) FROM PUBLIC;", qualified(&f.schema, &f.name), f.args),
        )
    })
}

pub fn drop_function(f: &Function) -> Stmt {
    Stmt::new(Op::NoTable, None, format!("DROP FUNCTION IF EXISTS {}({});", qualified(&f.schema, &f.name), f.args))
}

// ---------------------------------------------------------------- tables --

pub fn column_definition(c: &Column) -> String {
    let mut s = format!("{} {}", ident(&c.name), column_type(&c.ty));
    if let Some(g) = &c.generated {
        s.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
        return s;
    }
    if !c.nullable {
        s.push_str(" NOT NULL");
    }
    if c.identity {
        s.push_str(" GENERATED ALWAYS AS IDENTITY");
    }
    if let Some(d) = &c.default {
        s.push_str(" DEFAULT ");
        s.push_str(d);
    }
    s
}

/// `CREATE TABLE` with its columns, primary key, unique constraints and
/// checks (its partitions are created by [`create_partition`]).
///
/// What squawk's review reads of it ([`Stmt::unread`]) is the table's
/// name, its partitioning, its first column, and each other column whose
/// type and clauses no other column read before it in the text had (a
/// first column is read but not remembered): of a first
/// migration's 3.3 MB of tables at 2,000 generated aggregates, 0.24 MB
/// linted as one text (the checks alone, left out before, were 48 %). Its
/// rules read of a new table its name (an index or a constraint on it
/// later locks nothing anyone waits for), whether a column or constraint
/// references another table (a statement that may be slow), and its
/// columns' types (`prefer-text-field` and the like, conventions that the
/// file's ignore explains wherever they fire); the two that walk every
/// node read names (dddc refuses one past 63 bytes) and a column assigned
/// twice (a table has none). So the keys and uniques are left out, and
/// each check and each column whose text is plainly one expression
/// ([`super::stmt::unread_by_squawk`]): read whole, one could hold a
/// comment, a statement or a name too long. A table with a check that is
/// not plainly one expression is read whole.
pub fn create_table(t: &Table) -> Stmt {
    let columns = t.columns.len();
    let mut lines: Vec<String> = t.columns.iter().map(column_definition).collect();
    if let Some(pk) = &t.primary_key {
        lines.push(format!("CONSTRAINT {} PRIMARY KEY ({})", ident(&pk.name), idents(&pk.columns)));
    }
    for u in &t.uniques {
        lines.push(format!("CONSTRAINT {} UNIQUE ({})", ident(&u.name), idents(&u.columns)));
    }
    for c in &t.checks {
        lines.push(format!("CONSTRAINT {} CHECK {}", ident(&c.name), c.expr));
    }
    let partition = t
        .partitioning
        .as_ref()
        .map(|p| format!(" PARTITION BY {} ({})", partition_method(p.method), ident(&p.column)))
        .unwrap_or_default();
    const SEP: &str = ",\n    ";
    let head = format!("CREATE TABLE IF NOT EXISTS {} (\n    ", qualified(&t.schema, &t.name));
    let sql = format!("{head}{}\n){partition};", lines.join(SEP));
    let stmt = Stmt::new(Op::CreateTable, Some(&TableRef::of(t)), sql);
    // A check that could hold more than one expression (the `sql "…"`
    // escape) has the whole statement read: what squawk makes of it may
    // involve the columns (`CHECK (a, b > c)` is read as a list of them).
    if !t.checks.iter().all(|c| super::stmt::unread_by_squawk(&c.expr)) {
        return stmt;
    }
    // Each line after the first, with the separator before it.
    let mut skips = Vec::new();
    let mut at = head.len() + lines.first().map_or(0, String::len);
    for (i, line) in lines.iter().enumerate().skip(1) {
        let (from, to) = (at, at + SEP.len() + line.len());
        at = to;
        // A column's name, then its shape, left out when the shape was read
        // before; the keys, uniques and checks always.
        let skip = if i < columns {
            let name = ident(&t.columns[i].name).len();
            super::stmt::unread_by_squawk(&line[name..]).then_some(Some(from + SEP.len() + name))
        } else {
            Some(None)
        };
        if let Some(shape) = skip {
            let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
            skips.push(crate::sql::stmt::Skip { from: n(from), to: n(to), shape: shape.map(n) });
        }
    }
    stmt.unread(skips)
}

pub fn drop_table(schema: &str, name: &str) -> Stmt {
    let t = TableRef { schema: schema.to_string(), name: name.to_string() };
    Stmt::new(Op::Drop, Some(&t), format!("DROP TABLE IF EXISTS {};", qualified(schema, name)))
}

pub fn partition_method(m: PartitionMethod) -> &'static str {
    match m {
        PartitionMethod::Range => "RANGE",
        PartitionMethod::List => "LIST",
        PartitionMethod::Hash => "HASH",
    }
}

pub fn partition_bound(b: &PartitionBound) -> String {
    match b {
        PartitionBound::Range { from, to } => format!("FOR VALUES FROM ({from}) TO ({to})"),
        PartitionBound::List(values) => format!("FOR VALUES IN ({})", values.join(", ")),
        PartitionBound::Hash { modulus, remainder } => {
            format!("FOR VALUES WITH (MODULUS {modulus}, REMAINDER {remainder})")
        }
        PartitionBound::Default => "DEFAULT".into(),
    }
}

pub fn create_partition(t: &TableRef, p: &PartitionDef) -> Stmt {
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS {} PARTITION OF {} {};",
        qualified(&t.schema, &p.name),
        q(t),
        partition_bound(&p.bound)
    );
    Stmt::new(Op::CreatePartition, Some(t), sql).creating(TableRef { schema: t.schema.clone(), name: p.name.clone() })
}

/// The rows a range or list partition holds, as a condition on the key.
pub fn partition_condition(column: &str, bound: &PartitionBound) -> Option<String> {
    let col = ident(column);
    match bound {
        PartitionBound::Range { from, to } => Some(format!("{col} >= {from} AND {col} < {to}")),
        PartitionBound::List(values) => Some(format!("{col} IN ({})", values.join(", "))),
        PartitionBound::Hash { .. } | PartitionBound::Default => None,
    }
}

// ----------------------------------------------------------- constraints --

pub fn fk_action(a: FkAction) -> &'static str {
    match a {
        FkAction::Restrict => "RESTRICT",
        FkAction::Cascade => "CASCADE",
        FkAction::SetNull => "SET NULL",
        FkAction::SetDefault => "SET DEFAULT",
        FkAction::NoAction => "NO ACTION",
    }
}

pub fn foreign_key_clause(f: &ForeignKey) -> String {
    let cleared =
        if f.on_delete_columns.is_empty() { String::new() } else { format!(" ({})", idents(&f.on_delete_columns)) };
    format!(
        "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}{cleared} ON UPDATE {}",
        ident(&f.name),
        idents(&f.columns),
        qualified(&f.ref_schema, &f.ref_table),
        idents(&f.ref_columns),
        fk_action(f.on_delete),
        fk_action(f.on_update)
    )
}

/// `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY`, `NOT VALID` when asked.
/// A constraint added only when the table does not have it yet.
fn add_constraint(op: Op, t: &TableRef, name: &str, plain: String) -> Stmt {
    let sql = guarded(&exists_constraint(t, name), &plain);
    Stmt::guarded(op, Some(t), plain, sql)
}

/// `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY`, `NOT VALID` when asked.
pub fn add_foreign_key(t: &TableRef, f: &ForeignKey, not_valid: bool) -> Stmt {
    let (suffix, op) = if not_valid { (" NOT VALID", Op::AddForeignKeyNotValid) } else { ("", Op::AddForeignKeyScan) };
    let stmt = add_constraint(op, t, &f.name, format!("ALTER TABLE {} ADD {}{suffix};", q(t), foreign_key_clause(f)))
        .referencing(&f.target());
    if not_valid {
        stmt
    } else {
        stmt.unread_on_new()
    }
}

/// A foreign key that replaces the one of its name on other columns:
/// dropped and added `NOT VALID` in one statement, so that no row is
/// written unchecked in between; only while the constraint of that name
/// is missing or still on other columns.
pub fn replace_foreign_key(t: &TableRef, f: &ForeignKey) -> Stmt {
    let plain = format!(
        "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}, ADD {} NOT VALID;",
        q(t),
        ident(&f.name),
        foreign_key_clause(f)
    );
    let sql = guarded_when(
        &format!(
            "NOT EXISTS ({}) OR EXISTS ({})",
            exists_constraint(t, &f.name),
            other_columns(t, &f.name, &f.columns)
        ),
        &plain,
    );
    Stmt::guarded(Op::ReplaceForeignKeyNotValid, Some(t), plain, sql).referencing(&f.target())
}

pub fn add_check(t: &TableRef, c: &Check, not_valid: bool) -> Stmt {
    let (suffix, op) = if not_valid { (" NOT VALID", Op::AddCheckNotValid) } else { ("", Op::AddCheckScan) };
    add_constraint(
        op,
        t,
        &c.name,
        format!("ALTER TABLE {} ADD CONSTRAINT {} CHECK {}{suffix};", q(t), ident(&c.name), c.expr),
    )
}

pub fn add_unique(t: &TableRef, u: &Unique) -> Stmt {
    add_constraint(
        Op::AddConstraintWithIndex,
        t,
        &u.name,
        format!("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({});", q(t), ident(&u.name), idents(&u.columns)),
    )
}

/// A unique constraint built without blocking writes: its index
/// concurrently (a half-built one a failed run left behind dropped first),
/// then attached.
pub fn add_unique_concurrently(t: &TableRef, u: &Unique) -> Vec<Stmt> {
    let build = format!(
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({});",
        ident(&u.name),
        q(t),
        idents(&u.columns)
    );
    vec![
        drop_invalid_index(t, &u.name),
        Stmt::new(Op::CreateIndexConcurrently, Some(t), build),
        add_constraint(
            Op::AttachUniqueIndex,
            t,
            &u.name,
            format!("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {};", q(t), ident(&u.name), ident(&u.name)),
        ),
    ]
}

pub fn add_primary_key(t: &TableRef, pk: &PrimaryKey) -> Stmt {
    add_constraint(
        Op::AddPrimaryKeyWithIndex,
        t,
        &pk.name,
        format!("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({});", q(t), ident(&pk.name), idents(&pk.columns)),
    )
}

/// The name a key swapped in online ([`swap_primary_key_concurrently`])
/// has while its successor's index is built: `<key>_old`, or `<key>_old2`,
/// `<key>_old3`… when `taken` says the schema has a constraint or a
/// relation (table, partition, index) of that name already (the rename
/// would fail on it: the key's index takes the name, in the namespace the
/// schema's relations share).
pub fn aside(key: &str, taken: impl Fn(&str) -> bool) -> String {
    let fit = crate::relational::names::fit;
    std::iter::once(fit(&format!("{key}_old")))
        .chain((2..).map(|n| fit(&format!("{key}_old{n}"))))
        .find(|name| !taken(name))
        .expect("an endless list of names has a free one")
}

/// A query that finds the constraint `name` of `t` while its columns are
/// other than `columns` (in order): a key that is not yet the one a
/// migration makes.
pub fn other_columns(t: &TableRef, name: &str, columns: &[String]) -> String {
    let columns: Vec<String> = columns.iter().map(|c| literal(c)).collect();
    format!(
        "SELECT 1 FROM pg_constraint c WHERE c.conname = {} AND c.conrelid = to_regclass({}) AND ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n) IS DISTINCT FROM ARRAY[{}]::text[]",
        literal(name),
        literal(&q(t)),
        columns.join(", ")
    )
}

/// Before a primary key is added to a table that existed: the table's old
/// key, if a swap ([`swap_primary_key_concurrently`]) that failed half-way
/// left it renamed aside, gets its name back, and the index the swap was
/// building (invalid, or built but not yet attached) goes. An undo run after
/// such a failure then finds the key it puts back in place, instead of
/// adding a second primary key ("multiple primary keys … are not
/// allowed"). Nothing when there is no key aside.
pub fn restore_primary_key_aside(t: &TableRef, pk: &PrimaryKey, aside: &str) -> Stmt {
    let rename = format!("ALTER TABLE {} RENAME CONSTRAINT {} TO {};", q(t), ident(aside), ident(&pk.name));
    let sql = guarded_when(
        &format!(
            "EXISTS (SELECT 1 FROM pg_constraint WHERE conname = {} AND conrelid = to_regclass({}) AND contype = 'p')",
            literal(aside),
            literal(&q(t))
        ),
        &format!("DROP INDEX IF EXISTS {};\n        {rename}", qualified(&t.schema, &pk.name)),
    );
    Stmt::guarded(Op::Rename, Some(t), rename, sql)
}

/// A primary key that replaces the table's key of the same name (other
/// columns) without blocking writes while its index is built, in a
/// migration outside a transaction: the old key renamed out of the way
/// (its index with it; the table keeps it, and its uniqueness, until the
/// swap), the new key's index built concurrently under the key's name (a
/// half-built one a failed run left behind dropped first), then in one
/// statement the old key dropped and the index attached as the key. Each
/// step only while it is still to do: run again, it changes nothing, and
/// after a failure (a duplicate of the new key) it takes up where it
/// stopped. The key's columns are `NOT NULL` already (the plan makes sure),
/// so attaching the index reads no rows.
///
/// `references`, the foreign keys of other tables that move from the old
/// key to the new one, are each replaced in one statement
/// ([`replace_foreign_key`]) between the build and the attach: until then
/// the old key's index holds them, and from then the new index does (a
/// foreign key may reference the columns of a unique index that is not
/// yet a constraint; attaching it keeps the foreign key on it). Neither
/// table is ever without the rule, and the old key has nothing left on it
/// when it is dropped.
///
/// `uniques`, the table's uniques on the new key's columns that go with
/// the old key, have the foreign keys PostgreSQL tied to them: those of
/// `references` then move in one block instead (each dropped, the
/// uniques dropped, each added back `NOT VALID`), run while a unique is
/// left, since a foreign key added while one stands could take its index
/// again.
pub fn swap_primary_key_concurrently(
    t: &TableRef,
    old: &PrimaryKey,
    pk: &PrimaryKey,
    aside: &str,
    references: &[(TableRef, ForeignKey)],
    uniques: &[Unique],
) -> Vec<Stmt> {
    let rename = format!("ALTER TABLE {} RENAME CONSTRAINT {} TO {};", q(t), ident(&old.name), ident(aside));
    let rename_sql = guarded_when(&format!("EXISTS ({})", other_columns(t, &old.name, &pk.columns)), &rename);
    let build = format!(
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({});",
        ident(&pk.name),
        q(t),
        idents(&pk.columns)
    );
    let attach = format!(
        "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}, ADD CONSTRAINT {} PRIMARY KEY USING INDEX {};",
        q(t),
        ident(aside),
        ident(&pk.name),
        ident(&pk.name)
    );
    let mut out = vec![
        Stmt::guarded(Op::Rename, Some(t), rename, rename_sql),
        drop_invalid_index(t, &pk.name),
        Stmt::new(Op::CreateIndexConcurrently, Some(t), build),
    ];
    out.extend(move_references(t, references, uniques));
    out.push(add_constraint(Op::AttachPrimaryKeyIndex, t, &pk.name, attach));
    out
}

/// The foreign keys `references` moved onto the unique index on their
/// columns, with `uniques` of `t` dropped: each replaced in one statement
/// ([`replace_foreign_key`]), or, when the uniques hold them, in one block
/// ([`move_foreign_keys_off_uniques`]). The swap runs it between the new
/// key's build and its attach; a key added without a swap, after the key.
pub fn move_references(t: &TableRef, references: &[(TableRef, ForeignKey)], uniques: &[Unique]) -> Vec<Stmt> {
    if uniques.is_empty() {
        references.iter().map(|(table, fk)| replace_foreign_key(table, fk)).collect()
    } else {
        vec![move_foreign_keys_off_uniques(t, uniques, references)]
    }
}

/// The block of [`swap_primary_key_concurrently`] that drops `uniques`
/// of `t` with the foreign keys `references` on them, and adds those
/// back `NOT VALID` onto the one unique index left on their columns, in
/// one transaction: only while one of the uniques stands, or one of the
/// foreign keys is missing (a unique dropped by hand `CASCADE` took them
/// with it: they are put back rather than left out for good).
fn move_foreign_keys_off_uniques(t: &TableRef, uniques: &[Unique], references: &[(TableRef, ForeignKey)]) -> Stmt {
    let drops = references.iter().map(|(table, fk)| drop_constraint(table, &fk.name).sql);
    let uniques_gone = uniques.iter().map(|u| drop_constraint(t, &u.name).sql);
    let adds = references.iter().flat_map(|(table, fk)| add_foreign_key(table, fk, true).plain().to_vec());
    let plain: Vec<String> = drops.chain(uniques_gone).chain(adds).collect();
    let standing = uniques.iter().map(|u| format!("EXISTS ({})", exists_constraint(t, &u.name)));
    let missing = references.iter().map(|(table, fk)| format!("NOT EXISTS ({})", exists_constraint(table, &fk.name)));
    let to_do: Vec<String> = standing.chain(missing).collect();
    let sql = guarded_when(&to_do.join(" OR "), &plain.join("\n        "));
    let mut stmt = Stmt::guarded(Op::MoveForeignKeysOffUnique, Some(t), plain[0].clone(), sql);
    stmt.set_plain(plain);
    references.iter().filter(|(table, _)| table != t).fold(stmt, |s, (table, _)| s.referencing(table))
}

/// `VALIDATE CONSTRAINT`, only while the constraint is not validated: run
/// again after a later statement dropped it (the check that proves a NOT
/// NULL), it does nothing.
pub fn validate_constraint(t: &TableRef, name: &str, referenced: Option<&TableRef>) -> Stmt {
    let plain = format!("ALTER TABLE {} VALIDATE CONSTRAINT {};", q(t), ident(name));
    let sql = guarded_when(&format!("EXISTS ({} AND NOT convalidated)", exists_constraint(t, name)), &plain);
    match referenced {
        Some(r) => Stmt::guarded(Op::ValidateForeignKey, Some(t), plain, sql).referencing(r),
        None => Stmt::guarded(Op::ValidateConstraint, Some(t), plain, sql),
    }
}

pub fn drop_constraint(t: &TableRef, name: &str) -> Stmt {
    Stmt::new(
        Op::DropConstraint,
        Some(t),
        format!("ALTER TABLE IF EXISTS {} DROP CONSTRAINT IF EXISTS {};", q(t), ident(name)),
    )
    .unread_in_transaction()
}

// --------------------------------------------------------------- indexes --

pub fn index_method(m: IndexMethod) -> &'static str {
    match m {
        IndexMethod::Btree => "btree",
        IndexMethod::Gin => "gin",
        IndexMethod::Gist => "gist",
        IndexMethod::Brin => "brin",
        IndexMethod::Hash => "hash",
    }
}

pub fn index_item(i: &IndexItem) -> String {
    match i {
        IndexItem::Column(c) => ident(c),
        IndexItem::Expr(sql) => sql.clone(),
    }
}

/// `CREATE [UNIQUE] INDEX [CONCURRENTLY] IF NOT EXISTS …`.
pub fn create_index(t: &TableRef, i: &Index, concurrently: bool) -> Stmt {
    let using =
        if i.method == IndexMethod::Btree { String::new() } else { format!(" USING {}", index_method(i.method)) };
    let predicate = i.predicate.as_ref().map(|p| format!(" WHERE {p}")).unwrap_or_default();
    let items: Vec<String> = i.items.iter().map(index_item).collect();
    let sql = format!(
        "CREATE {}INDEX {}IF NOT EXISTS {} ON {}{using} ({}){predicate};",
        if i.unique { "UNIQUE " } else { "" },
        if concurrently { "CONCURRENTLY " } else { "" },
        ident(&i.name),
        q(t),
        items.join(", ")
    );
    let stmt = Stmt::new(if concurrently { Op::CreateIndexConcurrently } else { Op::CreateIndex }, Some(t), sql);
    let plain = i
        .items
        .iter()
        .filter_map(|x| match x {
            IndexItem::Expr(e) => Some(e),
            IndexItem::Column(_) => None,
        })
        .chain(&i.predicate)
        .all(|e| super::stmt::unread_by_squawk(e));
    if plain && !concurrently {
        stmt.unread_on_new()
    } else {
        stmt
    }
}

/// Drops the index `name` of `t` if a failed concurrent build left it
/// invalid: `CREATE INDEX CONCURRENTLY IF NOT EXISTS` would otherwise keep
/// the broken one. A plain `DROP INDEX` (a catalog change; the concurrent
/// form cannot run in a `DO` block).
pub fn drop_invalid_index(t: &TableRef, name: &str) -> Stmt {
    let plain = format!("DROP INDEX IF EXISTS {};", qualified(&t.schema, name));
    let sql = guarded_when(
        &format!(
            "EXISTS (SELECT 1 FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = {} AND c.relname = {} AND NOT x.indisvalid)",
            literal(&t.schema),
            literal(name)
        ),
        &plain,
    );
    Stmt::guarded(Op::DropIndex, Some(t), plain, sql)
}

pub fn drop_index(t: &TableRef, name: &str, concurrently: bool) -> Stmt {
    let (c, op) = if concurrently { ("CONCURRENTLY ", Op::DropIndexConcurrently) } else { ("", Op::DropIndex) };
    Stmt::new(op, Some(t), format!("DROP INDEX {c}IF EXISTS {};", qualified(&t.schema, name)))
}

/// Renames each partition's copy of the table's indexes (primary key and
/// unique constraints included) to the name the compiler decided, whatever
/// PostgreSQL called it. Found through `pg_inherits`, so it works whatever
/// order the indexes were created in, and does nothing when the names are
/// right already.
pub fn partition_index_names(t: &Table) -> Option<Stmt> {
    let names = crate::relational::names::partition_indexes(t);
    if names.is_empty() {
        return None;
    }
    let rows: Vec<String> = names
        .iter()
        .map(|(parent, part, want)| format!("({}, {}, {})", literal(parent), literal(part), literal(want)))
        .collect();
    let schema = literal(&t.schema);
    let body = format!(
        "\nDECLARE\n    r record;\nBEGIN\n    FOR r IN\n        SELECT c.relname AS have, w.want\n        FROM (VALUES\n            {}\n        ) AS w (parent, part, want)\n        JOIN pg_namespace n ON n.nspname = {schema}\n        JOIN pg_class pc ON pc.relname = w.parent AND pc.relnamespace = n.oid\n        JOIN pg_inherits i ON i.inhparent = pc.oid\n        JOIN pg_class c ON c.oid = i.inhrelid\n        JOIN pg_index x ON x.indexrelid = c.oid\n        JOIN pg_class pt ON pt.oid = x.indrelid AND pt.relname = w.part AND pt.relnamespace = n.oid\n        WHERE c.relname <> w.want\n    LOOP\n        EXECUTE format('ALTER INDEX %I.%I RENAME TO %I', {schema}, r.have, r.want);\n    END LOOP;\nEND\n",
        rows.join(",\n            ")
    );
    Some(Stmt::opaque(Op::RenameIndex, Some(&TableRef::of(t)), format!("DO {};", dollar_quote(&body))))
}

// -------------------------------------------------------------- triggers --

pub fn trigger_when(tr: &Trigger) -> String {
    let timing = match tr.timing {
        TriggerTiming::Before => "BEFORE",
        TriggerTiming::After => "AFTER",
    };
    let events: Vec<&str> = tr
        .events
        .iter()
        .map(|e| match e {
            TriggerEvent::Insert => "INSERT",
            TriggerEvent::Update => "UPDATE",
            TriggerEvent::Delete => "DELETE",
        })
        .collect();
    format!("{timing} {}", events.join(" OR "))
}

/// The call of a trigger's function: `schema.function(args)`.
pub fn function_call(f: &crate::relational::FunctionCall) -> String {
    format!("{}({})", qualified(&f.schema, &f.name), f.args.join(", "))
}

/// `CREATE OR REPLACE TRIGGER` (PostgreSQL 14 on), or drop and create.
///
/// squawk's review reads none of a `CREATE TRIGGER` whose arguments are
/// plainly literals ([`super::stmt::unread_by_squawk`]): of its rules,
/// only `require-timeout-settings` looks at one (a statement that may be
/// slow, after the timeouts every migration sets first) and the two that
/// walk every node (a name past 63 bytes, which dddc refuses; a column
/// assigned twice, which a trigger cannot hold). A test lints each form on
/// its own; 2,500 of them are 0.35 MB of a first build's text at 2,000
/// generated aggregates.
pub fn create_trigger(target: u32, t: &TableRef, tr: &Trigger) -> Vec<Stmt> {
    let call = function_call(&tr.function);
    let body = format!("{} ON {} FOR EACH ROW EXECUTE FUNCTION {call}", trigger_when(tr), q(t));
    let create = |sql: String| {
        let stmt = Stmt::new(Op::CreateTrigger, Some(t), sql);
        if tr.function.args.iter().all(|a| super::stmt::unread_by_squawk(a)) {
            stmt.unread_anywhere()
        } else {
            stmt
        }
    };
    if target >= 14 {
        vec![create(format!("CREATE OR REPLACE TRIGGER {} {body};", ident(&tr.name)))]
    } else {
        vec![drop_trigger(t, &tr.name), create(format!("CREATE TRIGGER {} {body};", ident(&tr.name)))]
    }
}

pub fn drop_trigger(t: &TableRef, name: &str) -> Stmt {
    Stmt::new(Op::DropTrigger, Some(t), format!("DROP TRIGGER IF EXISTS {} ON {};", ident(name), q(t)))
}

// --------------------------------------------------- row-level security --

/// The table and its partitions under row-level security: every relation
/// a query can name, so every one its policies must cover.
pub fn rls_relations(t: &Table) -> Vec<String> {
    let parts = t.partitioning.iter().flat_map(|p| p.partitions.iter().filter(|x| x.row_level_security));
    std::iter::once(t.name.clone()).filter(|_| t.row_level_security).chain(parts.map(|x| x.name.clone())).collect()
}

fn relation(schema: &str, table: &str) -> TableRef {
    TableRef { schema: schema.to_string(), name: table.to_string() }
}

/// Row-level security enabled and forced. squawk's review leaves both out
/// of a migration run in a transaction: of its rules only
/// `prefer-robust-stmts` reads them (an `ALTER TABLE` outside a
/// transaction) and `require-timeout-settings` (after the timeouts every
/// migration sets first); the same for [`disable_rls`].
pub fn enable_rls(schema: &str, table: &str) -> Vec<Stmt> {
    let (q, t) = (qualified(schema, table), relation(schema, table));
    vec![
        Stmt::new(Op::RowSecurity, Some(&t), format!("ALTER TABLE {q} ENABLE ROW LEVEL SECURITY;"))
            .unread_in_transaction(),
        Stmt::new(Op::RowSecurity, Some(&t), format!("ALTER TABLE {q} FORCE ROW LEVEL SECURITY;"))
            .unread_in_transaction(),
    ]
}

pub fn disable_rls(schema: &str, table: &str) -> Vec<Stmt> {
    let (q, t) = (qualified(schema, table), relation(schema, table));
    vec![
        Stmt::new(Op::RowSecurity, Some(&t), format!("ALTER TABLE {q} NO FORCE ROW LEVEL SECURITY;"))
            .unread_in_transaction(),
        Stmt::new(Op::RowSecurity, Some(&t), format!("ALTER TABLE {q} DISABLE ROW LEVEL SECURITY;"))
            .unread_in_transaction(),
    ]
}

/// A policy, dropped first. squawk's review reads neither (when the
/// policy's expressions are plainly expressions,
/// [`super::stmt::unread_by_squawk`]): of its rules only
/// `require-timeout-settings` looks at a policy (after the timeouts every
/// migration sets first) and the two that walk every node (a name past 63
/// bytes, which dddc refuses; a column assigned twice, which an expression
/// cannot hold).
pub fn create_policy(schema: &str, table: &str, p: &Policy) -> Vec<Stmt> {
    let q = qualified(schema, table);
    let create = Stmt::new(
        Op::RowSecurity,
        Some(&relation(schema, table)),
        format!("CREATE POLICY {} ON {q} USING {} WITH CHECK {};", ident(&p.name), p.using, p.with_check),
    );
    let plain = super::stmt::unread_by_squawk(&p.using) && super::stmt::unread_by_squawk(&p.with_check);
    vec![drop_policy(schema, table, &p.name), if plain { create.unread_anywhere() } else { create }]
}

/// `DROP POLICY IF EXISTS`, which squawk's review does not read (see
/// [`create_policy`]).
pub fn drop_policy(schema: &str, table: &str, name: &str) -> Stmt {
    Stmt::new(
        Op::RowSecurity,
        Some(&relation(schema, table)),
        format!("DROP POLICY IF EXISTS {} ON {};", ident(name), qualified(schema, table)),
    )
    .unread_anywhere()
}

// ------------------------------------------------- roles, publications --

pub fn create_role(name: &str) -> Stmt {
    let plain = format!("CREATE ROLE {} NOLOGIN;", ident(name));
    Stmt::guarded(Op::NoTable, None, plain.clone(), guarded_create(&plain))
}

/// A role's privileges on a context: USAGE and SELECT (read), plus
/// INSERT, UPDATE, DELETE and the sequences (write), for the tables there
/// and those created later.
pub fn grants(role: &str, schema: &str, write: bool) -> Vec<Stmt> {
    let (r, s) = (ident(role), ident(schema));
    let privileges = if write { "SELECT, INSERT, UPDATE, DELETE" } else { "SELECT" };
    let mut out = vec![
        format!("GRANT USAGE ON SCHEMA {s} TO {r};"),
        format!("GRANT {privileges} ON ALL TABLES IN SCHEMA {s} TO {r};"),
        format!("ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {privileges} ON TABLES TO {r};"),
    ];
    if write {
        out.push(format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r};"));
        out.push(format!("ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r};"));
    }
    out.into_iter().map(|s| Stmt::new(Op::NoTable, None, s)).collect()
}

/// The privileges [`grants`] gave that a narrower grant takes back: a
/// writer's writes and sequences, or a reader's SELECT and USAGE (a role
/// no longer given a context it wrote gets both).
pub fn revokes(role: &str, schema: &str, write: bool) -> Vec<Stmt> {
    let (r, s) = (ident(role), ident(schema));
    let privileges = if write { "INSERT, UPDATE, DELETE" } else { "SELECT" };
    let mut out = vec![
        format!("REVOKE {privileges} ON ALL TABLES IN SCHEMA {s} FROM {r};"),
        format!("ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE {privileges} ON TABLES FROM {r};"),
    ];
    if write {
        out.push(format!("REVOKE USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} FROM {r};"));
        out.push(format!("ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE USAGE, SELECT ON SEQUENCES FROM {r};"));
    } else {
        out.push(format!("REVOKE USAGE ON SCHEMA {s} FROM {r};"));
    }
    out.into_iter().map(|s| Stmt::new(Op::NoTable, None, s)).collect()
}

/// Undoes a role: revokes what [`grants`] gave it on `schemas` (those that
/// still exist), then drops it — unless it can log in (dddc only creates
/// `NOLOGIN` roles: one that logs in existed before and is not ours to
/// drop) or something else still depends on it (kept, with a notice).
/// Never `DROP OWNED BY`, which would drop whatever a pre-existing role of
/// the same name owns, and which an ordinary table owner may not run.
pub fn drop_role(name: &str, schemas: &[String]) -> Stmt {
    let r = ident(name);
    let lit = literal(name);
    let mut revokes = String::new();
    for s in schemas {
        let q = ident(s);
        revokes.push_str(&format!(
            "        IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = {sl}) THEN\n            REVOKE ALL ON ALL TABLES IN SCHEMA {q} FROM {r};\n            REVOKE ALL ON ALL SEQUENCES IN SCHEMA {q} FROM {r};\n            REVOKE ALL ON SCHEMA {q} FROM {r};\n            ALTER DEFAULT PRIVILEGES IN SCHEMA {q} REVOKE ALL ON TABLES FROM {r};\n            ALTER DEFAULT PRIVILEGES IN SCHEMA {q} REVOKE ALL ON SEQUENCES FROM {r};\n        END IF;\n",
            sl = literal(s)
        ));
    }
    let body = format!(
        "\nBEGIN\n    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {lit}) THEN\n{revokes}        IF (SELECT rolcanlogin FROM pg_roles WHERE rolname = {lit}) THEN\n            RAISE NOTICE 'role % can log in: dddc did not create it, kept', {lit};\n        ELSE\n            BEGIN\n                DROP ROLE {r};\n            EXCEPTION\n                WHEN dependent_objects_still_exist THEN\n                    RAISE NOTICE 'role % still has privileges or objects elsewhere; kept', {lit};\n            END;\n        END IF;\n    END IF;\nEND\n"
    );
    Stmt::guarded(Op::NoTable, None, format!("DROP ROLE {r};"), format!("DO {};", dollar_quote(&body)))
}

/// An index's items as SQL, comma-separated.
pub fn index_items(i: &Index) -> String {
    i.items.iter().map(index_item).collect::<Vec<_>>().join(", ")
}

/// The tables of a publication, quoted.
pub fn publication_tables(p: &PublicationDef) -> Vec<String> {
    p.tables.iter().map(q).collect()
}

pub fn create_publication(p: &PublicationDef) -> Stmt {
    let tables = publication_tables(p);
    let create = if tables.is_empty() {
        format!("CREATE PUBLICATION {};", ident(&p.name))
    } else {
        format!("CREATE PUBLICATION {} FOR TABLE {};", ident(&p.name), tables.join(", "))
    };
    let sql = guarded(&format!("SELECT 1 FROM pg_publication WHERE pubname = {}", literal(&p.name)), &create);
    Stmt::guarded(Op::NoTable, None, create, sql)
}

pub fn drop_publication(name: &str) -> Stmt {
    Stmt::new(Op::NoTable, None, format!("DROP PUBLICATION IF EXISTS {};", ident(name)))
}

// -------------------------------------------------------------- comments --

/// `COMMENT ON … IS …` (`NULL` removes it).
pub fn comment_on(on: &CommentOn, text: Option<&str>) -> Stmt {
    use super::{push_ident, push_literal, push_qualified};
    // One buffer, sized once: a first build of 2,000 aggregates writes
    // 48,000 comments.
    let mut sql = String::with_capacity(160 + text.map_or(0, str::len));
    sql.push_str("COMMENT ON ");
    match on {
        CommentOn::Schema(s) => {
            sql.push_str("SCHEMA ");
            push_ident(&mut sql, s);
        }
        CommentOn::Table(t) => {
            sql.push_str("TABLE ");
            push_qualified(&mut sql, &t.schema, &t.name);
        }
        CommentOn::Column(t, c) => {
            sql.push_str("COLUMN ");
            push_qualified(&mut sql, &t.schema, &t.name);
            sql.push('.');
            push_ident(&mut sql, c);
        }
        CommentOn::Constraint(t, c) => {
            sql.push_str("CONSTRAINT ");
            push_ident(&mut sql, c);
            sql.push_str(" ON ");
            push_qualified(&mut sql, &t.schema, &t.name);
        }
        CommentOn::Index(s, i) => {
            sql.push_str("INDEX ");
            push_qualified(&mut sql, s, i);
        }
        CommentOn::Type(s, n) => {
            sql.push_str("TYPE ");
            push_qualified(&mut sql, s, n);
        }
        CommentOn::Function(s, n, args) => {
            sql.push_str("FUNCTION ");
            push_qualified(&mut sql, s, n);
            sql.push('(');
            sql.push_str(args);
            sql.push(')');
        }
        CommentOn::Role(r) => {
            sql.push_str("ROLE ");
            push_ident(&mut sql, r);
        }
    }
    sql.push_str(" IS ");
    match text {
        Some(t) => push_literal(&mut sql, t),
        None => sql.push_str("NULL"),
    }
    sql.push(';');
    let table = match on {
        // On a constraint, only ACCESS SHARE.
        CommentOn::Table(t) | CommentOn::Column(t, _) => Some(t),
        _ => None,
    };
    let op = if table.is_some() { Op::Comment } else { Op::NoTable };
    Stmt::comment(op, table, sql)
}

/// `SET [LOCAL] name = 'value';`: a session (or, with `local`,
/// transaction) setting of a migration's prelude.
pub fn set_setting(name: &str, value: &str, local: bool) -> String {
    format!("SET {}{name} = {};", if local { "LOCAL " } else { "" }, crate::sql::literal(value))
}

/// `RESET name;`: a session setting back to its default.
pub fn reset_setting(name: &str) -> String {
    format!("RESET {name};")
}
