//! The entity-relationship views: one per context (every table with all its
//! columns, grouped by aggregate, with stubs for the tables of other
//! contexts it references), one per aggregate (its tables and their
//! neighbours, for the site) and the overview (contexts, their aggregates
//! and the references between them). The PlantUML templates, the Mermaid
//! blocks of the model document and the SVG pictures ([`super::diagrams`])
//! draw the same views.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::catalog::{Catalog, RelationKind, TableKey};
use super::labels::Labels;
use super::text;
use crate::relational::{Table, TableKind};

#[derive(Debug, Hash, Serialize)]
pub struct ErdView<'t> {
    #[serde(serialize_with = "super::labels::serialize")]
    pub t: &'t Labels,
    pub model: String,
    pub context: String,
    /// Aggregates of the context in schema order, each with its tables; a
    /// group without a title holds tables outside any aggregate (the audit
    /// log).
    pub groups: Vec<ErdGroup>,
    /// Tables of other contexts this one references, by context.
    pub stubs: Vec<ErdStubGroup>,
    pub relations: Vec<ErdRelation>,
}

#[derive(Debug, Hash, Serialize)]
pub struct ErdGroup {
    /// The aggregate's name; `None` for tables outside any aggregate.
    pub aggregate: Option<String>,
    pub entities: Vec<ErdEntity>,
}

#[derive(Debug, Hash, Serialize)]
pub struct ErdStubGroup {
    pub context: String,
    /// The frame's title: `Contexto pagos`, or `Agregado pagos.Pago` when
    /// the neighbours of an aggregate are grouped by theirs.
    pub label: String,
    pub entities: Vec<ErdEntity>,
}

#[derive(Debug, Hash, Serialize)]
pub struct ErdEntity {
    /// A valid identifier: `autenticacion_usuarios`.
    pub alias: String,
    /// `autenticacion.usuarios`.
    pub name: String,
    /// What the table stores, in the document's language.
    pub stereotype: String,
    /// Primary-key columns (drawn above the line).
    pub keys: Vec<ErdColumn>,
    /// The other columns, in table order (empty for a stub).
    pub columns: Vec<ErdColumn>,
    /// A table of another context, drawn as a stub (key columns only).
    pub external: bool,
    /// What the table stores (the colour of its box in a picture).
    #[serde(skip)]
    pub kind: TableKind,
}

#[derive(Debug, Hash, Serialize)]
pub struct ErdColumn {
    pub name: String,
    /// The PostgreSQL type as created.
    pub ty: String,
    /// `NOT NULL`.
    pub required: bool,
    /// `PK`, `FK`, `UQ`.
    pub markers: Vec<&'static str>,
    /// The type as one Mermaid word (`VARCHAR_255`).
    pub mermaid_type: String,
    /// The name, renamed when Mermaid would read it as a key word.
    pub mermaid_name: String,
    /// `PK`, `FK`, `UK`, comma-separated; empty when none.
    pub mermaid_keys: String,
    /// The exact type when the Mermaid word differs, and `NULL` when
    /// nullable; empty when neither.
    pub mermaid_comment: String,
}

#[derive(Debug, Hash, Serialize)]
pub struct ErdRelation {
    pub left: String,
    /// Crow's-foot operator, e.g. `}o--||`.
    pub op: &'static str,
    pub right: String,
    /// Empty when the line needs no label.
    pub label: String,
    /// Which end owns or references which (`op` in words).
    #[serde(skip)]
    pub kind: RelationKind,
}

#[derive(Debug, Hash, Serialize)]
pub struct OverviewView<'t> {
    #[serde(serialize_with = "super::labels::serialize")]
    pub t: &'t Labels,
    pub model: String,
    pub contexts: Vec<OverviewContext>,
    pub relations: Vec<ErdRelation>,
}

#[derive(Debug, Hash, Serialize)]
pub struct OverviewContext {
    pub name: String,
    pub nodes: Vec<OverviewNode>,
}

/// An aggregate (or a table outside any aggregate) of the overview.
#[derive(Debug, Hash, Serialize)]
pub struct OverviewNode {
    pub alias: String,
    pub name: String,
    pub stereotype: String,
    /// Its tables, root first.
    pub tables: Vec<String>,
    /// Soft delete, audited, tenant, partitioning…
    pub traits: Vec<String>,
    /// `Context.Aggregate` of an aggregate; `None` for a table outside any.
    #[serde(skip)]
    pub aggregate: Option<String>,
    /// What the node's (root) table stores.
    #[serde(skip)]
    pub kind: TableKind,
}

/// Aliases unique within one diagram.
#[derive(Default)]
struct Aliases {
    by_key: BTreeMap<TableKey, String>,
    used: BTreeSet<String>,
}

impl Aliases {
    fn get(&mut self, key: &TableKey) -> String {
        if let Some(a) = self.by_key.get(key) {
            return a.clone();
        }
        let base = text::alias(&[&key.0, &key.1]);
        let mut alias = base.clone();
        let mut n = 2;
        while self.used.contains(&alias) {
            alias = format!("{base}_{n}");
            n += 1;
        }
        self.used.insert(alias.clone());
        self.by_key.insert(key.clone(), alias.clone());
        alias
    }
}

pub fn context_view<'t>(cat: &Catalog<'_>, context: &str, t: &'t Labels) -> ErdView<'t> {
    let mut aliases = Aliases::default();
    let mut groups: Vec<ErdGroup> = Vec::new();
    // Each aggregate's group, by name (a context of thousands of aggregates
    // searched the groups for each table).
    let mut group_of: std::collections::HashMap<Option<String>, usize> = std::collections::HashMap::new();
    for table in cat.tables_of(context) {
        let aggregate = table.aggregate.as_deref().map(|a| a.rsplit('.').next().unwrap_or(a).to_string());
        let entity = entity(table, &mut aliases, t, false);
        match group_of.get(&aggregate) {
            Some(&g) => groups[g].entities.push(entity),
            None => {
                group_of.insert(aggregate.clone(), groups.len());
                groups.push(ErdGroup { aggregate, entities: vec![entity] });
            }
        }
    }
    let mut stubs: Vec<ErdStubGroup> = Vec::new();
    // Each other context's frame, by name (a search of the frames per
    // relation grew with relations × contexts referenced).
    let mut stub_at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut relations = Vec::new();
    for r in cat.relations_from(context) {
        if r.right.0 != context && !aliases.by_key.contains_key(&r.right) {
            let Some(target) = cat.table(&r.right) else {
                continue;
            };
            let stub = entity(target, &mut aliases, t, true);
            match stub_at.get(r.right.0.as_str()) {
                Some(&g) => stubs[g].entities.push(stub),
                None => {
                    stub_at.insert(&r.right.0, stubs.len());
                    stubs.push(ErdStubGroup {
                        context: r.right.0.clone(),
                        label: format!("{} {}", t.context, r.right.0),
                        entities: vec![stub],
                    });
                }
            }
        }
        relations.push(relation(r, &mut aliases, t));
    }
    ErdView { t, model: cat.model.name.clone(), context: context.to_string(), groups, stubs, relations }
}

/// An aggregate and its neighbourhood: its tables with every column, and
/// each table one of them references or is referenced by, drawn as a stub
/// in a frame of its own aggregate (or context, outside any). `path` is
/// `context.Aggregate`.
pub fn aggregate_view<'t>(cat: &Catalog<'_>, path: &str, t: &'t Labels) -> ErdView<'t> {
    let mut aliases = Aliases::default();
    let context = path.split('.').next().unwrap_or(path).to_string();
    let name = path.rsplit('.').next().unwrap_or(path).to_string();
    let own: &[&Table] = cat.tables_of_aggregate(path);
    let entities: Vec<ErdEntity> = own.iter().map(|tb| entity(tb, &mut aliases, t, false)).collect();
    // The aggregate's tables as a set: an aggregate of thousands of
    // entities scanned them for each end of each relation.
    let own_keys: std::collections::HashSet<(&str, &str)> =
        own.iter().map(|tb| (tb.schema.as_str(), tb.name.as_str())).collect();
    let is_own = |k: &TableKey| own_keys.contains(&(k.0.as_str(), k.1.as_str()));
    let mut stubs: Vec<ErdStubGroup> = Vec::new();
    let mut stub_at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut relations = Vec::new();
    for r in cat.relations_at(own) {
        for end in [&r.left, &r.right] {
            if is_own(end) || aliases.by_key.contains_key(end) {
                continue;
            }
            let Some(other) = cat.table(end) else {
                continue;
            };
            let label = match &other.aggregate {
                Some(a) => format!("{} {a}", t.aggregate),
                None => format!("{} {}", t.context, other.schema),
            };
            let stub = entity(other, &mut aliases, t, true);
            // The group by its label through a map: a search of the groups
            // per relation grew with the square on the page of an
            // aggregate every other one references.
            match stub_at.get(&label) {
                Some(&g) => stubs[g].entities.push(stub),
                None => {
                    stub_at.insert(label.clone(), stubs.len());
                    stubs.push(ErdStubGroup { context: other.schema.clone(), label, entities: vec![stub] });
                }
            }
        }
        relations.push(relation(r, &mut aliases, t));
    }
    let groups = vec![ErdGroup { aggregate: Some(name), entities }];
    ErdView { t, model: cat.model.name.clone(), context, groups, stubs, relations }
}

fn relation(r: &super::catalog::Relation<'_>, aliases: &mut Aliases, t: &Labels) -> ErdRelation {
    ErdRelation {
        left: aliases.get(&r.left),
        op: r.kind.operator(),
        right: aliases.get(&r.right),
        label: relation_label(r.kind, r.field.map(|f| f.name.as_str()), t),
        kind: r.kind,
    }
}

fn relation_label(kind: RelationKind, field: Option<&str>, t: &Labels) -> String {
    match (kind, field) {
        (RelationKind::Events, _) => t.erd_events.to_string(),
        (RelationKind::Reference { loose: true, .. }, Some(f)) => {
            format!("{f} ({})", t.erd_loose)
        }
        (_, Some(f)) => f.to_string(),
        (_, None) => String::new(),
    }
}

fn entity(table: &Table, aliases: &mut Aliases, t: &Labels, stub: bool) -> ErdEntity {
    let key = (table.schema.clone(), table.name.clone());
    let pk: &[String] = table.primary_key.as_ref().map_or(&[], |pk| pk.columns.as_slice());
    let mut keys = Vec::new();
    let mut columns = Vec::new();
    // Key columns in primary-key order, then the others in table order.
    for name in pk {
        if let Some(c) = table.column(name) {
            keys.push(column(table, c));
        }
    }
    if !stub {
        for c in table.columns.iter().filter(|c| !pk.contains(&c.name)) {
            columns.push(column(table, c));
        }
    }
    ErdEntity {
        alias: aliases.get(&key),
        name: table.qualified(),
        stereotype: if stub { t.erd_external.to_string() } else { t.table_kind(table.kind).to_string() },
        keys,
        columns,
        external: stub,
        kind: table.kind,
    }
}

fn column(table: &Table, c: &crate::relational::Column) -> ErdColumn {
    let mut markers = Vec::new();
    let in_pk = table.primary_key.as_ref().is_some_and(|pk| pk.columns.contains(&c.name));
    if in_pk {
        markers.push("PK");
    }
    if table.foreign_keys.iter().any(|f| f.columns.contains(&c.name)) {
        markers.push("FK");
    }
    if is_unique(table, &c.name) {
        markers.push("UQ");
    }
    let ty = crate::sql::types::column_type(&c.ty);
    let mermaid_type = text::mermaid_word(&ty);
    let mut comment = Vec::new();
    if mermaid_type != ty {
        comment.push(ty.clone());
    }
    if c.nullable {
        comment.push("NULL".to_string());
    }
    let mermaid_name = if ["pk", "fk", "uk"].contains(&c.name.to_ascii_lowercase().as_str()) {
        format!("{}_", c.name)
    } else {
        c.name.clone()
    };
    ErdColumn {
        name: c.name.clone(),
        ty,
        required: !c.nullable,
        mermaid_keys: markers.iter().map(|m| if *m == "UQ" { "UK" } else { m }).collect::<Vec<_>>().join(", "),
        markers,
        mermaid_type,
        mermaid_name,
        mermaid_comment: text::mermaid_text(&comment.join(" ")),
    }
}

/// The column alone is unique: a one-column unique constraint, or a unique
/// index on it alone that is whole or only skips soft-deleted rows (a
/// unique under another condition is in the dictionary, not the diagram).
fn is_unique(table: &Table, column: &str) -> bool {
    // The condition soft delete adds, as the lowering wrote it.
    let live_rows = crate::sql::fragments::live_rows(None);
    let live_only = |p: &Option<String>| p.as_ref().is_none_or(|p| *p == live_rows);
    table.uniques.iter().any(|u| u.columns.len() == 1 && u.columns[0] == column)
        || table
            .indexes
            .iter()
            .any(|i| i.unique && i.items.len() == 1 && i.items[0].column() == Some(column) && live_only(&i.predicate))
}

pub fn overview_view<'t>(cat: &Catalog<'_>, t: &'t Labels) -> OverviewView<'t> {
    let model = cat.model;
    let mut used = BTreeSet::new();
    let mut alias_of = |parts: &[&str]| {
        let base = text::alias(parts);
        let mut alias = base.clone();
        let mut n = 2;
        while used.contains(&alias) {
            alias = format!("{base}_{n}");
            n += 1;
        }
        used.insert(alias.clone());
        alias
    };
    let mut agg_alias = BTreeMap::new();
    let mut contexts = Vec::new();
    for (ci, ctx) in model.contexts.iter().enumerate() {
        let mut nodes = Vec::new();
        for (id, a) in cat.aggregates_in(crate::model::ContextId(ci)) {
            let ai = id.0;
            let alias = alias_of(&["agg", &ctx.name, &a.name]);
            agg_alias.insert(ai, alias.clone());
            let path = format!("{}.{}", ctx.name, a.name);
            let tables = cat.tables_of_aggregate(&path).iter().map(|tb| tb.name.clone()).collect();
            nodes.push(OverviewNode {
                alias,
                name: a.name.clone(),
                stereotype: t.erd_aggregate.to_string(),
                tables,
                traits: aggregate_traits(a, t).into_iter().chain(partition_trait(a, t)).collect(),
                aggregate: Some(path),
                kind: TableKind::AggregateRoot,
            });
        }
        for tb in cat.tables_of(&ctx.name).filter(|tb| tb.aggregate.is_none()) {
            nodes.push(OverviewNode {
                alias: alias_of(&["tbl", &tb.schema, &tb.name]),
                name: tb.qualified(),
                stereotype: t.table_kind(tb.kind).to_string(),
                tables: vec![tb.name.clone()],
                traits: Vec::new(),
                aggregate: None,
                kind: tb.kind,
            });
        }
        contexts.push(OverviewContext { name: ctx.name.clone(), nodes });
    }
    // References between aggregates, from every entity's fields, in model
    // order.
    let mut relations = Vec::new();
    for (ai, a) in model.aggregates.iter().enumerate() {
        for e in a.root.walk() {
            for f in &e.fields {
                let crate::model::FieldType::Ref(r) = &f.ty else {
                    continue;
                };
                let (Some(left), Some(right)) = (agg_alias.get(&ai), agg_alias.get(&r.target.0)) else {
                    continue;
                };
                let kind = RelationKind::Reference { nullable: f.nullable, unique: f.unique, loose: r.loose };
                let field = if std::ptr::eq(e, &a.root) { f.name.clone() } else { format!("{}.{}", e.name, f.name) };
                relations.push(ErdRelation {
                    left: left.clone(),
                    op: kind.operator(),
                    right: right.clone(),
                    label: relation_label(kind, Some(&field), t),
                    kind,
                });
            }
        }
    }
    OverviewView { t, model: model.name.clone(), contexts, relations }
}

/// Short words for what an aggregate's storage does beyond plain tables
/// (partitioning apart: see [`partition_trait`]).
pub fn aggregate_traits(a: &crate::model::Aggregate, t: &Labels) -> Vec<String> {
    let mut out = Vec::new();
    if a.soft_delete {
        out.push(t.trait_soft_delete.to_string());
    }
    if a.audited {
        out.push(t.trait_audited.to_string());
    }
    if let Some(col) = &a.tenant {
        out.push(format!("{} ({col})", t.trait_tenant));
    }
    if let Some(ev) = &a.events {
        out.push(if ev.outbox { t.trait_events_outbox.to_string() } else { t.trait_events.to_string() });
    }
    out
}

/// `partitioned by range (registrado_at)`.
pub fn partition_trait(a: &crate::model::Aggregate, t: &Labels) -> Option<String> {
    let p = a.partition.as_ref()?;
    let method = match p.spec {
        crate::model::PartitionSpec::Range(_) => "range",
        crate::model::PartitionSpec::List(_) => "list",
        crate::model::PartitionSpec::Hash(_) => "hash",
    };
    Some(format!("{} {method} ({})", t.trait_partitioned, p.column))
}
