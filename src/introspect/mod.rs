//! The live database: its catalog read into the compiler's typed
//! [`Schema`](crate::relational::Schema), and compared with the schema a
//! model (or a lock's snapshot) says it should hold.
//!
//! [`catalog::read`] runs read-only queries; [`canonical_schema`] puts a
//! schema in one comparable form (sorted, with what SQL cannot see cleared
//! and every SQL expression spelled by [`canon::canonical`]), so that the
//! text dddc wrote and the text PostgreSQL prints back compare equal;
//! [`compare`] lists the differences as a reviewer would word them.
//! `dddc verify`, `dddc drift` and `dddc import` stand on these three.

pub mod canon;
pub mod catalog;
pub mod drift;
pub mod import;
pub mod verify;

use crate::migrate::Change;
use crate::relational::{PartitionBound, Schema};

pub use catalog::{read, Scope, Unsupported};

/// Whether `comment` is the one PostgreSQL gives its `public` schema
/// (`initdb`'s): no one's documentation, and `COMMENT ON SCHEMA public`
/// needs its owner, so an imported model does not repeat it and verify
/// takes it for no comment.
pub fn is_builtin_comment(schema: &str, comment: Option<&str>) -> bool {
    schema == "public" && comment == Some("standard public schema")
}

/// `schema` in the form two equal databases share: sorted, model-only
/// knowledge (kinds, origins, the target version, generated columns'
/// dependencies) cleared, expressions canonical.
pub fn canonical_schema(schema: &Schema) -> Schema {
    let mut s = crate::migrate::normalized(schema);
    s.target = 0;
    for schema in &mut s.schemas {
        if is_builtin_comment(&schema.name, schema.comment.as_deref()) {
            schema.comment = None;
        }
    }
    for f in &mut s.functions {
        f.returns = f.returns.to_lowercase();
        f.language = f.language.to_lowercase();
        f.body = f.body.trim().to_string();
    }
    for t in &mut s.tables {
        let t = std::sync::Arc::make_mut(t);
        for c in &mut t.columns {
            c.default = c.default.as_deref().map(canon::canonical);
            // `DEFAULT NULL` is no default: PostgreSQL keeps none.
            if c.default.as_deref() == Some("NULL") {
                c.default = None;
            }
            // A `jsonb` literal as PostgreSQL prints it back.
            if c.ty == crate::relational::ColumnType::Jsonb {
                if let Some(d) = &mut c.default {
                    let json = d.strip_prefix('\'').and_then(|d| d.strip_suffix('\''));
                    if let Some(printed) = json.and_then(|j| crate::jsonb::jsonb(&j.replace("''", "'"))) {
                        *d = format!("'{}'", printed.replace('\'', "''"));
                    }
                }
            }
            c.generated = c.generated.as_deref().map(canon::canonical);
            c.depends_on.clear();
        }
        for c in &mut t.checks {
            c.expr = canon::canonical(&c.expr);
        }
        for i in &mut t.indexes {
            for item in &mut i.items {
                if let crate::relational::IndexItem::Expr(e) = item {
                    *e = canon::canonical(e);
                }
            }
            i.predicate = i.predicate.as_deref().map(canon::canonical);
        }
        for p in &mut t.policies {
            p.using = canon::canonical(&p.using);
            p.with_check = canon::canonical(&p.with_check);
        }
        for trigger in &mut t.triggers {
            trigger.events.sort_by_key(|e| format!("{e:?}"));
        }
        if let Some(p) = &mut t.partitioning {
            for part in &mut p.partitions {
                part.bound = match std::mem::replace(&mut part.bound, PartitionBound::Default) {
                    PartitionBound::Range { from, to } => {
                        PartitionBound::Range { from: canon::canonical(&from), to: canon::canonical(&to) }
                    }
                    PartitionBound::List(values) => {
                        PartitionBound::List(values.iter().map(|v| canon::canonical(v)).collect())
                    }
                    other => other,
                };
            }
        }
    }
    s
}

/// Whether the database has something the expected schema does not, lacks
/// something it has, or holds it differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceKind {
    Added,
    Missing,
    Changed,
}

/// One difference between the database and what it should hold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Difference {
    pub kind: DifferenceKind,
    /// The table (`schema.table`) or other object the difference is in.
    pub object: String,
    /// The column, constraint, index, trigger or policy of that table the
    /// difference is about, when it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// A sentence for a reviewer: what the database holds, compared with
    /// what it should.
    pub message: String,
}

/// The differences between `expected` (the model's or a snapshot's schema)
/// and `actual` (the catalog), both compared in canonical form.
pub fn compare(expected: &Schema, actual: &Schema) -> Vec<Difference> {
    compare_with(expected, actual, false)
}

/// [`compare`] after an undo: values an enum type has beyond the expected
/// ones are not differences. PostgreSQL cannot remove a value from an enum
/// type, so an undo of a value added leaves it in place (docs/migrations.md):
/// every native enum widened made `verify` fail on its undo.
pub fn compare_undone(expected: &Schema, actual: &Schema) -> Vec<Difference> {
    compare_with(expected, actual, true)
}

fn compare_with(expected: &Schema, actual: &Schema, values_may_stay: bool) -> Vec<Difference> {
    let (expected, actual) = (canonical_schema(expected), canonical_schema(actual));
    // The changes that would turn the expected schema into the database's.
    let changes = crate::migrate::diff::diff(&expected, &actual);
    let (expected, actual) = (Indexed::new(&expected), Indexed::new(&actual));
    let mut out: Vec<Difference> = changes
        .iter()
        .filter(|c| !(values_may_stay && matches!(c, crate::migrate::Change::AddEnumValue { .. })))
        .filter_map(|c| difference(c, &expected, &actual).map(|d| Difference { part: part_of(c), ..d }))
        .collect();
    out.dedup();
    out
}

/// A schema and its tables by name: each change looks its table up, and a
/// scan per change grew with the square of a large drift (a database one
/// migration behind on every table).
struct Indexed<'a> {
    schema: &'a Schema,
    tables: crate::relational::TableIndex<'a>,
}

impl<'a> Indexed<'a> {
    fn new(schema: &'a Schema) -> Indexed<'a> {
        Indexed { schema, tables: schema.index() }
    }

    /// [`Schema::table`], by the index.
    fn table(&self, schema: &str, name: &str) -> Option<&'a crate::relational::Table> {
        self.tables.table(schema, name)
    }
}

impl std::ops::Deref for Indexed<'_> {
    type Target = Schema;
    fn deref(&self) -> &Schema {
        self.schema
    }
}

fn difference(change: &Change, expected: &Indexed<'_>, actual: &Indexed<'_>) -> Option<Difference> {
    use Change::*;
    use DifferenceKind::*;
    let d = |kind, object: String, message: String| Some(Difference { kind, object, part: None, message });
    match change {
        // What the comparison of a new table's parts repeats.
        SetComment { on, text } => {
            let what = on.to_string();
            let message = match text {
                Some(t) => format!("the comment on {what} is {t:?} in the database, not what the model says"),
                None => format!("the comment on {what} is missing from the database"),
            };
            d(Changed, what, message)
        }
        CreateSchema(s) => d(Added, s.name.clone(), format!("schema {} is in the database but not in the model", s.name)),
        DropSchema(s) => d(Missing, s.name.clone(), format!("schema {} is missing from the database", s.name)),
        CreateExtension(e) => d(Added, e.clone(), format!("extension {e} is installed but the model does not need it")),
        DropExtension(e) => d(Missing, e.clone(), format!("extension {e} is not installed")),
        CreateEnumType(e) => {
            let name = format!("{}.{}", e.schema, e.name);
            let was = expected.enum_types.iter().any(|o| o.schema == e.schema && o.name == e.name);
            if was {
                d(Changed, name.clone(), format!("type {name} has the values {:?} in the database", e.values))
            } else {
                d(Added, name.clone(), format!("type {name} is in the database but not in the model"))
            }
        }
        DropEnumType(e) => {
            let name = format!("{}.{}", e.schema, e.name);
            if actual.enum_types.iter().any(|o| o.schema == e.schema && o.name == e.name) {
                None
            } else {
                d(Missing, name.clone(), format!("type {name} is missing from the database"))
            }
        }
        AddEnumValue { type_name, value, .. } => {
            d(Changed, type_name.clone(), format!("type {type_name} has the value {value:?}, which the model does not"))
        }
        CreateFunction(f) => {
            let name = format!("{}.{}", f.schema, f.name);
            if expected.functions.iter().any(|o| o.schema == f.schema && o.name == f.name) {
                d(Changed, name.clone(), format!("function {name}() differs from the one dddc writes (edited by hand?)"))
            } else {
                d(Added, name.clone(), format!("function {name}() is in the database but not in the model"))
            }
        }
        DropFunction(f) => {
            let name = format!("{}.{}", f.schema, f.name);
            if actual.functions.iter().any(|o| o.schema == f.schema && o.name == f.name) {
                None
            } else {
                d(Missing, name.clone(), format!("function {name}() is missing from the database"))
            }
        }
        CreateTable(t) => {
            d(Added, t.qualified(), format!("table {} is in the database but not in the model", t.qualified()))
        }
        DropTable(t) => d(Missing, t.qualified(), format!("table {} is missing from the database", t.qualified())),
        // A column of the model's name that the plan drops and adds again
        // (generated in one, plain in the other) is one difference, said
        // by the drop.
        AddColumn { table, column, .. } | AddGeneratedColumn { table, column }
            if expected.table(&table.schema, &table.name).is_some_and(|t| t.column(&column.name).is_some()) =>
        {
            None
        }
        AddColumn { table, column, .. } | AddGeneratedColumn { table, column } => d(
            Added,
            table.to_string(),
            format!("column {table}.{} is in the database but not in the model (added by hand?)", column.name),
        ),
        DropColumn { table, column } => match actual.table(&table.schema, &table.name).and_then(|t| t.column(&column.name)) {
            Some(c) => d(
                Changed,
                table.to_string(),
                match &c.generated {
                    Some(g) => format!("column {table}.{} is generated as {g} in the database, a plain column in the model", column.name),
                    None => format!("column {table}.{} is a plain column in the database, generated in the model", column.name),
                },
            ),
            None => d(Missing, table.to_string(), format!("column {table}.{} is missing from the database", column.name)),
        },
        DropGeneratedColumn { table, column, .. } => {
            // Followed by an AddGeneratedColumn when only its expression differs.
            let t = actual.table(&table.schema, &table.name);
            match t.and_then(|t| t.column(&column.name)) {
                Some(c) => d(
                    Changed,
                    table.to_string(),
                    format!(
                        "column {table}.{} is generated as {} in the database, not as the model says",
                        column.name,
                        c.generated.as_deref().unwrap_or("nothing")
                    ),
                ),
                None => d(Missing, table.to_string(), format!("column {table}.{} is missing", column.name)),
            }
        }
        AlterColumnType { table, column, from, to, .. } => d(
            Changed,
            table.to_string(),
            format!("column {table}.{column} is {} in the database; the model says {}", to, from),
        ),
        SetDefault { table, column, default } => {
            let model = expected
                .table(&table.schema, &table.name)
                .and_then(|t| t.column(column))
                .and_then(|c| c.default.clone())
                .unwrap_or_else(|| "no default".into());
            d(
                Changed,
                table.to_string(),
                match default {
                    Some(v) => format!("column {table}.{column} defaults to {v} in the database; the model says {model}"),
                    None => format!("column {table}.{column} has no default in the database; the model says {model}"),
                },
            )
        }
        DropNotNull { table, column } => {
            d(Changed, table.to_string(), format!("column {table}.{column} accepts NULL in the database; the model requires it"))
        }
        SetNotNull { table, column, .. } => {
            d(Changed, table.to_string(), format!("column {table}.{column} is NOT NULL in the database; the model allows NULL"))
        }
        SetIdentity { table, column, identity } => d(
            Changed,
            table.to_string(),
            format!(
                "column {table}.{column} {} an identity in the database",
                if *identity { "is" } else { "is not" }
            ),
        ),
        AddPrimaryKey { table, pk, .. } => {
            let was = expected.table(&table.schema, &table.name).and_then(|t| t.primary_key.as_ref());
            match was {
                Some(_) => d(Changed, table.to_string(), format!("the primary key of {table} is ({}) in the database", pk.columns.join(", "))),
                None => d(Added, table.to_string(), format!("{table} has a primary key {} the model does not", pk.name)),
            }
        }
        DropPrimaryKey { table, pk } => {
            if actual.table(&table.schema, &table.name).is_some_and(|t| t.primary_key.is_some()) {
                None
            } else {
                d(Missing, table.to_string(), format!("the primary key {} of {table} is missing from the database", pk.name))
            }
        }
        AddUnique { table, unique } => pair(expected, table, &unique.name, "unique constraint", Added),
        DropUnique { table, unique } => missing_or_skip(actual, table, &unique.name, "unique constraint"),
        AddCheck { table, check } => match find_constraint(expected, table, &check.name) {
            true => {
                let model = expected
                    .table(&table.schema, &table.name)
                    .and_then(|t| t.checks.iter().find(|c| c.name == check.name))
                    .map(|c| c.expr.clone())
                    .unwrap_or_default();
                d(
                    Changed,
                    table.to_string(),
                    format!("check {} on {table} is `{}` in the database; the model says `{model}`", check.name, check.expr),
                )
            }
            false => d(Added, table.to_string(), format!("check {} on {table} is in the database but not in the model", check.name)),
        },
        DropCheck { table, check } => missing_or_skip(actual, table, &check.name, "check"),
        AddForeignKey { table, fk } => pair(expected, table, &fk.name, "foreign key", Added),
        DropForeignKey { table, fk } => missing_or_skip(actual, table, &fk.name, "foreign key"),
        CreateIndex { table, index, .. } => {
            let was = expected.table(&table.schema, &table.name).is_some_and(|t| t.indexes.iter().any(|i| i.name == index.name));
            if was {
                let model = expected
                    .table(&table.schema, &table.name)
                    .and_then(|t| t.indexes.iter().find(|i| i.name == index.name))
                    .map(index_text)
                    .unwrap_or_default();
                d(
                    Changed,
                    table.to_string(),
                    format!(
                        "index {} on {table} is {} in the database; the model says {model}",
                        index.name,
                        index_text(index)
                    ),
                )
            } else {
                d(Added, table.to_string(), format!("index {} on {table} is in the database but not in the model", index.name))
            }
        }
        DropIndex { table, index } => {
            if actual.table(&table.schema, &table.name).is_some_and(|t| t.indexes.iter().any(|i| i.name == index.name)) {
                None
            } else {
                d(Missing, table.to_string(), format!("index {} on {table} is missing from the database", index.name))
            }
        }
        CreateTrigger { table, trigger } => d(
            Added,
            table.to_string(),
            format!("trigger {} on {table} is in the database but not in the model", trigger.name),
        ),
        DropTrigger { table, trigger } => {
            if actual.table(&table.schema, &table.name).is_some_and(|t| t.triggers.iter().any(|x| x.name == trigger.name)) {
                None
            } else {
                d(Missing, table.to_string(), format!("trigger {} on {table} is missing from the database", trigger.name))
            }
        }
        EnableRowLevelSecurity(t) => d(
            Changed,
            t.to_string(),
            format!("row-level security is enabled and forced on {t} in the database; the model does not ask for it"),
        ),
        DisableRowLevelSecurity(t) => d(
            Changed,
            t.to_string(),
            format!("row-level security is not enabled and forced on {t}: tenants can read each other's rows"),
        ),
        EnablePartitionRowLevelSecurity { table, partition } => d(
            Changed,
            table.to_string(),
            format!("row-level security is enabled on partition {partition} of {table}, which the model does not ask for"),
        ),
        DisablePartitionRowLevelSecurity { table, partition } => d(
            Changed,
            table.to_string(),
            format!("row-level security is not enabled and forced on partition {partition} of {table}: tenants can read each other's rows through it"),
        ),
        CreatePolicy { table, policy } => {
            let was = expected.table(&table.schema, &table.name).is_some_and(|t| t.policies.iter().any(|p| p.name == policy.name));
            if was {
                d(Changed, table.to_string(), format!("policy {} on {table} is `{}` in the database", policy.name, policy.using))
            } else {
                d(Added, table.to_string(), format!("policy {} on {table} is in the database but not in the model", policy.name))
            }
        }
        DropPolicy { table, policy } => {
            if actual.table(&table.schema, &table.name).is_some_and(|t| t.policies.iter().any(|p| p.name == policy.name)) {
                None
            } else {
                d(Missing, table.to_string(), format!("policy {} on {table} is missing from the database", policy.name))
            }
        }
        AddPartition { table, partition, .. } => d(
            Added,
            table.to_string(),
            format!("partition {} of {table} is in the database but not in the model", partition.name),
        ),
        DropPartition { table, partition, .. } => {
            d(Missing, table.to_string(), format!("partition {} of {table} is missing from the database", partition.name))
        }
        CreateRole(r) => d(Added, r.name.clone(), format!("role {} has privileges the model does not give", r.name)),
        DropRole(r) => d(Missing, r.clone(), format!("role {r} has none of the privileges the model gives it")),
        Grant { role, schema, write } => d(
            Changed,
            role.clone(),
            format!("role {role} may {} {schema} in the database; the model does not say so", if *write { "write" } else { "read" }),
        ),
        Revoke { role, schema, write } => d(
            Changed,
            role.clone(),
            format!("role {role} may not {} {schema} in the database", if *write { "write" } else { "read" }),
        ),
        CreatePublication(p) => d(Added, p.name.clone(), format!("publication {} is in the database but not in the model", p.name)),
        DropPublication(p) => {
            if actual.publications.iter().any(|x| x.name == p.name) {
                None
            } else {
                d(Missing, p.name.clone(), format!("publication {} is missing from the database", p.name))
            }
        }
        SetPublicationTables(p) => {
            let list = |tables: &[crate::relational::TableRef]| {
                tables.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
            };
            let model = expected.publications.iter().find(|x| x.name == p.name).map(|x| list(&x.tables)).unwrap_or_default();
            d(
                Changed,
                p.name.clone(),
                format!("publication {} publishes {} in the database; the model says {model}", p.name, list(&p.tables)),
            )
        }
        other => d(Changed, other.table().map(|t| t.to_string()).unwrap_or_default(), format!("the database differs: {}", other.describe())),
    }
}

/// The column, constraint, index, trigger or policy a change is about.
fn part_of(change: &Change) -> Option<String> {
    use Change::*;
    Some(match change {
        AddColumn { column, .. } | AddGeneratedColumn { column, .. } | DropColumn { column, .. } => column.name.clone(),
        DropGeneratedColumn { column, .. } => column.name.clone(),
        AlterColumnType { column, .. }
        | SetDefault { column, .. }
        | DropNotNull { column, .. }
        | SetNotNull { column, .. }
        | RestoreNotNull { column, .. }
        | SetIdentity { column, .. } => column.clone(),
        AddPrimaryKey { pk, .. } | DropPrimaryKey { pk, .. } => pk.name.clone(),
        AddUnique { unique, .. } | DropUnique { unique, .. } => unique.name.clone(),
        AddCheck { check, .. } | DropCheck { check, .. } => check.name.clone(),
        AddForeignKey { fk, .. } | DropForeignKey { fk, .. } => fk.name.clone(),
        CreateIndex { index, .. } | DropIndex { index, .. } => index.name.clone(),
        CreateTrigger { trigger, .. } | DropTrigger { trigger, .. } => trigger.name.clone(),
        CreatePolicy { policy, .. } | DropPolicy { policy, .. } => policy.name.clone(),
        _ => return None,
    })
}

fn find_constraint(s: &Indexed<'_>, table: &crate::relational::TableRef, name: &str) -> bool {
    s.table(&table.schema, &table.name).is_some_and(|t| {
        t.checks.iter().any(|c| c.name == name)
            || t.uniques.iter().any(|c| c.name == name)
            || t.foreign_keys.iter().any(|c| c.name == name)
            || t.primary_key.as_ref().is_some_and(|p| p.name == name)
    })
}

/// An added constraint: changed when the expected schema has one of that
/// name (the drop that precedes it is then skipped).
fn pair(
    expected: &Indexed<'_>,
    table: &crate::relational::TableRef,
    name: &str,
    what: &str,
    kind: DifferenceKind,
) -> Option<Difference> {
    if find_constraint(expected, table, name) {
        Some(Difference {
            kind: DifferenceKind::Changed,
            object: table.to_string(),
            part: None,
            message: format!("{what} {name} on {table} is defined differently in the database"),
        })
    } else {
        Some(Difference {
            kind,
            object: table.to_string(),
            part: None,
            message: format!("{what} {name} on {table} is in the database but not in the model"),
        })
    }
}

fn missing_or_skip(
    actual: &Indexed<'_>,
    table: &crate::relational::TableRef,
    name: &str,
    what: &str,
) -> Option<Difference> {
    if find_constraint(actual, table, name) {
        None
    } else {
        Some(Difference {
            kind: DifferenceKind::Missing,
            object: table.to_string(),
            part: None,
            message: format!("{what} {name} on {table} is missing from the database"),
        })
    }
}

/// An index as a reviewer reads it: `UNIQUE btree (a, (lower(b))) WHERE …`.
fn index_text(i: &crate::relational::Index) -> String {
    let items: Vec<&str> = i
        .items
        .iter()
        .map(|x| match x {
            crate::relational::IndexItem::Column(c) => c.as_str(),
            crate::relational::IndexItem::Expr(e) => e.as_str(),
        })
        .collect();
    format!(
        "{}{} ({}){}",
        if i.unique { "UNIQUE " } else { "" },
        crate::sql::objects::index_method(i.method),
        items.join(", "),
        i.predicate.as_ref().map(|p| format!(" WHERE {p}")).unwrap_or_default()
    )
}
