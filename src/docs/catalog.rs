//! Which model declaration each table of the schema stores, and the
//! relationships between tables, as the diagrams and documents need them.
//!
//! Lowering decides every table name (`relational::names`); this module
//! follows the same rules to find, for each aggregate, entity, value list and
//! event stream, its table in the schema. A table the walk does not find is
//! still documented (from the schema alone); a relationship whose table is
//! missing is left out, and the tests check that every foreign key of the
//! schema is drawn.

use std::collections::BTreeMap;

use crate::model::{self, Aggregate, AggregateId, Entity, Field, FieldType, Model, TableNaming, ValueShape};
use crate::relational::names::table_name;
use crate::relational::{Schema, Table};

/// `(schema, table)`.
pub type TableKey = (String, String);

/// What a table stores.
#[derive(Debug, Clone, Copy)]
pub enum Role<'a> {
    Root {
        aggregate: &'a Aggregate,
    },
    Entity {
        entity: &'a Entity,
    },
    /// The element table of a value-object list field.
    ValueList {
        aggregate: &'a Aggregate,
        field: &'a Field,
    },
    Events {
        events: &'a model::Events,
    },
}

impl<'a> Role<'a> {
    /// The entity whose fields fill the table (root or child).
    pub fn entity(&self) -> Option<&'a Entity> {
        match *self {
            Role::Root { aggregate } => Some(&aggregate.root),
            Role::Entity { entity, .. } => Some(entity),
            _ => None,
        }
    }
}

/// How two tables relate, which decides the crow's-foot ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelationKind {
    /// Child entity rows belong to one parent row: `||--o{`, or `||--o|` for
    /// an `entity X one` (at most one per parent).
    Child { one: bool },
    /// Element rows of a value-object list: `||--o{`.
    ValueList,
    /// Domain events of the aggregate; no foreign key (the events outlive
    /// the row and are partitioned): `||..o{`.
    Events,
    /// A `ref` field: many (or, when `unique`, at most one) rows point at one
    /// target row (`||`) or at none (`o|`, nullable); dashed when `loose`.
    Reference { nullable: bool, unique: bool, loose: bool },
}

impl RelationKind {
    /// The PlantUML / Mermaid crow's-foot operator, written from the
    /// relation's `left` end to its `right` end.
    pub fn operator(self) -> &'static str {
        match self {
            RelationKind::Child { one: false } | RelationKind::ValueList => "||--o{",
            RelationKind::Child { one: true } => "||--o|",
            RelationKind::Events => "||..o{",
            RelationKind::Reference { nullable, unique, loose } => match (unique, loose, nullable) {
                (false, false, false) => "}o--||",
                (false, false, true) => "}o--o|",
                (false, true, false) => "}o..||",
                (false, true, true) => "}o..o|",
                (true, false, false) => "|o--||",
                (true, false, true) => "|o--o|",
                (true, true, false) => "|o..||",
                (true, true, true) => "|o..o|",
            },
        }
    }
}

/// One line between two tables. For `Child`, `ValueList` and `Events`,
/// `left` is the owner; for `Reference`, `left` is the referencing table.
#[derive(Debug, Clone)]
pub struct Relation<'a> {
    pub left: TableKey,
    pub right: TableKey,
    pub kind: RelationKind,
    /// The reference field, for `Reference` and `ValueList`.
    pub field: Option<&'a Field>,
}

/// The fields using each enum and each value object, by id.
type Users = (Vec<Vec<String>>, Vec<Vec<String>>);

pub struct Catalog<'a> {
    pub model: &'a Model,
    pub schema: &'a Schema,
    tables: crate::relational::TableIndex<'a>,
    /// The tables of each aggregate (`context.Aggregate`), in schema order.
    by_aggregate: std::collections::HashMap<&'a str, Vec<&'a Table>>,
    /// The tables of each schema, in schema order.
    by_schema: std::collections::HashMap<&'a str, Vec<&'a Table>>,
    /// [`Catalog::users`].
    users: std::sync::OnceLock<Users>,
    /// [`Catalog::publications_of`].
    publications: std::sync::OnceLock<Vec<Vec<&'a str>>>,
    roles: BTreeMap<TableKey, Role<'a>>,
    /// The root table of each aggregate, by `AggregateId`.
    roots: Vec<TableKey>,
    /// Every relation, in schema table order (the `left`-most table first
    /// for owners, the referencing table for references).
    pub relations: Vec<Relation<'a>>,
    /// The relations by their `left` table's context, and by each table
    /// at either end: positions in `relations`, in its order.
    relations_from: std::collections::HashMap<String, Vec<usize>>,
    relations_at: std::collections::HashMap<TableKey, Vec<usize>>,
    /// Aggregates, enums and value objects by context (the last list:
    /// those of no context), in model order: a loop over the contexts that
    /// scanned the model for each grew with the square of a model of many
    /// contexts.
    in_context: [Vec<Vec<usize>>; 3],
}

impl<'a> Catalog<'a> {
    pub fn new(model: &'a Model, schema: &'a Schema) -> Catalog<'a> {
        let roots: Vec<TableKey> = model
            .aggregates
            .iter()
            .map(|a| {
                let ctx = model.contexts[a.context.0].name.clone();
                let name = a.root.table_as.clone().unwrap_or_else(|| table_name(&a.root.name, model.tables));
                (ctx, name)
            })
            .collect();
        let mut cat = Catalog {
            model,
            schema,
            tables: schema.index(),
            by_aggregate: std::collections::HashMap::new(),
            users: std::sync::OnceLock::new(),
            publications: std::sync::OnceLock::new(),
            by_schema: std::collections::HashMap::new(),
            roles: BTreeMap::new(),
            roots,
            relations: Vec::new(),
            relations_from: std::collections::HashMap::new(),
            relations_at: std::collections::HashMap::new(),
            in_context: Default::default(),
        };
        let slot = |c: Option<crate::model::ContextId>| c.map_or(model.contexts.len(), |c| c.0);
        cat.in_context = [
            group(model.contexts.len(), model.aggregates.iter().map(|a| slot(Some(a.context)))),
            group(model.contexts.len(), model.enums.iter().map(|e| slot(e.context))),
            group(model.contexts.len(), model.values.iter().map(|v| slot(v.context))),
        ];
        for t in &schema.tables {
            cat.by_schema.entry(t.schema.as_str()).or_default().push(t);
            if let Some(a) = &t.aggregate {
                cat.by_aggregate.entry(a.as_str()).or_default().push(t);
            }
        }
        let mut found: Vec<(TableKey, Role<'a>, Vec<Relation<'a>>)> = Vec::new();
        for (i, a) in model.aggregates.iter().enumerate() {
            let root = cat.roots[i].clone();
            cat.walk(a, &a.root, root.clone(), None, &mut found);
            if let Some(ev) = &a.events {
                let suffix = if model.tables == TableNaming::PluralEs { "eventos" } else { "events" };
                let name = ev.table_as.clone().unwrap_or_else(|| format!("{}_{suffix}", root.1));
                let key = (root.0.clone(), name);
                let rel = Relation { left: root.clone(), right: key.clone(), kind: RelationKind::Events, field: None };
                found.push((key, Role::Events { events: ev }, vec![rel]));
            }
        }
        let mut by_table: BTreeMap<TableKey, Vec<Relation<'a>>> = BTreeMap::new();
        for (key, role, rels) in found {
            if cat.tables.table(&key.0, &key.1).is_some() {
                cat.roles.insert(key.clone(), role);
                by_table.entry(key).or_default().extend(rels);
            }
        }
        for t in &schema.tables {
            let key = (t.schema.clone(), t.name.clone());
            for r in by_table.remove(&key).unwrap_or_default() {
                let ends_exist = [&r.left, &r.right].iter().all(|k| cat.tables.table(&k.0, &k.1).is_some());
                if ends_exist {
                    cat.relations.push(r);
                }
            }
        }
        for (i, r) in cat.relations.iter().enumerate() {
            cat.relations_from.entry(r.left.0.clone()).or_default().push(i);
            cat.relations_at.entry(r.left.clone()).or_default().push(i);
            if r.right != r.left {
                cat.relations_at.entry(r.right.clone()).or_default().push(i);
            }
        }
        cat
    }

    /// The relations whose `left` table is in `context`, in order.
    pub fn relations_from(&self, context: &str) -> impl Iterator<Item = &Relation<'a>> {
        self.relations_from.get(context).into_iter().flatten().map(|&i| &self.relations[i])
    }

    /// The relations with one of `tables` at either end, in order.
    pub fn relations_at(&self, tables: &[&Table]) -> Vec<&Relation<'a>> {
        let mut at: Vec<usize> = tables
            .iter()
            .filter_map(|t| self.relations_at.get(&(t.schema.clone(), t.name.clone())))
            .flatten()
            .copied()
            .collect();
        at.sort_unstable();
        at.dedup();
        at.into_iter().map(|i| &self.relations[i]).collect()
    }

    /// The publications that hold an aggregate (listed, or its context
    /// listed), each once, in model order. Made once for every aggregate: a
    /// scan of every publication's items per aggregate grew with the square
    /// of a model that publishes every aggregate.
    pub fn publications_of(&self, id: AggregateId) -> &[&'a str] {
        let all = self.publications.get_or_init(|| {
            let model = self.model;
            let mut of: Vec<Vec<&'a str>> = vec![Vec::new(); model.aggregates.len()];
            // The last publication each aggregate was given: each once,
            // however often it holds the aggregate.
            let mut last = vec![usize::MAX; model.aggregates.len()];
            for (pi, p) in model.publications.iter().enumerate() {
                let mut add = |a: usize| {
                    if let (Some(to), Some(seen)) = (of.get_mut(a), last.get_mut(a)) {
                        if *seen != pi {
                            *seen = pi;
                            to.push(&p.name);
                        }
                    }
                };
                for item in &p.items {
                    match item {
                        model::PublicationItem::Context(c) => {
                            for &a in self.in_context[0].get(c.0).map_or(&[][..], Vec::as_slice) {
                                add(a);
                            }
                        }
                        model::PublicationItem::Aggregate(a) => add(a.0),
                    }
                }
            }
            of
        });
        all.get(id.0).map_or(&[], Vec::as_slice)
    }

    /// The aggregates of a context, in model order.
    pub fn aggregates_in(
        &self,
        context: crate::model::ContextId,
    ) -> impl Iterator<Item = (AggregateId, &'a Aggregate)> + '_ {
        let model = self.model;
        self.in_context[0][context.0].iter().map(move |&i| (AggregateId(i), &model.aggregates[i]))
    }

    /// The enums of a context (`None`: the shared kernel's), in model order.
    pub fn enums_in(
        &self,
        context: Option<crate::model::ContextId>,
    ) -> impl Iterator<Item = (model::EnumId, &'a model::Enum)> + '_ {
        let model = self.model;
        let slot = context.map_or(model.contexts.len(), |c| c.0);
        self.in_context[1][slot].iter().map(move |&i| (model::EnumId(i), &model.enums[i]))
    }

    /// The value objects of a context (`None`: the shared kernel's).
    pub fn values_in(
        &self,
        context: Option<crate::model::ContextId>,
    ) -> impl Iterator<Item = (model::ValueId, &'a model::ValueObject)> + '_ {
        let model = self.model;
        let slot = context.map_or(model.contexts.len(), |c| c.0);
        self.in_context[2][slot].iter().map(move |&i| (model::ValueId(i), &model.values[i]))
    }

    /// Records `e`'s table (and its lists and children) with the relations
    /// for which it is the child or the referencing side.
    fn walk(
        &self,
        a: &'a Aggregate,
        e: &'a Entity,
        key: TableKey,
        parent: Option<TableKey>,
        found: &mut Vec<(TableKey, Role<'a>, Vec<Relation<'a>>)>,
    ) {
        let mut rels = Vec::new();
        let role = match &parent {
            None => Role::Root { aggregate: a },
            Some(pkey) => {
                rels.push(Relation {
                    left: pkey.clone(),
                    right: key.clone(),
                    kind: RelationKind::Child { one: e.one },
                    field: None,
                });
                Role::Entity { entity: e }
            }
        };
        let mut lists = Vec::new();
        for f in &e.fields {
            match &f.ty {
                FieldType::Ref(r) => {
                    let target = self.roots[r.target.0].clone();
                    rels.push(Relation {
                        left: key.clone(),
                        right: target,
                        kind: RelationKind::Reference { nullable: f.nullable, unique: f.unique, loose: r.loose },
                        field: Some(f),
                    });
                }
                FieldType::ValueList(_) => {
                    let list = (key.0.clone(), format!("{}_{}", key.1, f.column));
                    let rel = Relation {
                        left: key.clone(),
                        right: list.clone(),
                        kind: RelationKind::ValueList,
                        field: Some(f),
                    };
                    lists.push((list, Role::ValueList { aggregate: a, field: f }, vec![rel]));
                }
                _ => {}
            }
        }
        found.push((key.clone(), role, rels));
        found.extend(lists);
        for child in &e.entities {
            let name = child
                .table_as
                .clone()
                .unwrap_or_else(|| format!("{}_{}", key.1, table_name(&child.name, self.model.tables)));
            let child_key = (key.0.clone(), name);
            self.walk(a, child, child_key, Some(key.clone()), found);
        }
    }

    /// The tables of an aggregate (`context.Aggregate`), in schema order.
    pub fn tables_of_aggregate(&self, path: &str) -> &[&'a Table] {
        self.by_aggregate.get(path).map_or(&[], Vec::as_slice)
    }

    /// A table of the schema by `(schema, name)`.
    pub fn table(&self, key: &TableKey) -> Option<&'a Table> {
        self.tables.table(&key.0, &key.1)
    }

    pub fn role(&self, t: &Table) -> Option<Role<'a>> {
        self.roles.get(&(t.schema.clone(), t.name.clone())).copied()
    }

    /// The root table of an aggregate.
    pub fn root_table(&self, id: AggregateId) -> &TableKey {
        &self.roots[id.0]
    }

    /// The tables of a context (schema), in schema order.
    pub fn tables_of<'s>(&'s self, context: &'s str) -> impl Iterator<Item = &'a Table> + 's {
        self.by_schema.get(context).into_iter().flatten().copied()
    }

    /// `Context.Aggregate` of an aggregate id.
    pub fn aggregate_path(&self, id: AggregateId) -> String {
        let a = &self.model.aggregates[id.0];
        format!("{}.{}", self.model.contexts[a.context.0].name, a.name)
    }

    /// Where an enum is used: every field of the model of that type, as
    /// `context.Aggregate.field`, `context.Aggregate › Entity.field` or
    /// `ValueObject.field`, in model order.
    pub fn enum_used_by(&self, id: model::EnumId) -> Vec<String> {
        self.users().0.get(id.0).cloned().unwrap_or_default()
    }

    /// Where a value object is used (as a field's type or a list's
    /// element), as [`Catalog::enum_used_by`].
    pub fn value_used_by(&self, id: model::ValueId) -> Vec<String> {
        self.users().1.get(id.0).cloned().unwrap_or_default()
    }

    /// Every field that uses each enum and each value object, found in one
    /// walk of the model (once: the documents ask for every type).
    fn users(&self) -> &Users {
        self.users.get_or_init(|| {
            let model = self.model;
            let mut enums = vec![Vec::new(); model.enums.len()];
            let mut values = vec![Vec::new(); model.values.len()];
            let mut record = |ty: &FieldType, who: &dyn Fn() -> String| match ty {
                FieldType::Enum(id) => enums[id.0].push(who()),
                FieldType::Value(id) | FieldType::ValueList(id) => values[id.0].push(who()),
                _ => {}
            };
            for a in &model.aggregates {
                let ctx = &model.contexts[a.context.0].name;
                for e in a.root.walk() {
                    for f in &e.fields {
                        record(&f.ty, &|| {
                            if std::ptr::eq(e, &a.root) {
                                format!("{ctx}.{}.{}", a.name, f.name)
                            } else {
                                format!("{ctx}.{} › {}.{}", a.name, e.name, f.name)
                            }
                        });
                    }
                }
            }
            for v in &model.values {
                if let ValueShape::Fields { fields, .. } = &v.shape {
                    for f in fields {
                        record(&f.ty, &|| match v.context {
                            Some(c) => format!("{}.{}.{}", model.contexts[c.0].name, v.name, f.name),
                            None => format!("{}.{}", v.name, f.name),
                        });
                    }
                }
            }
            (enums, values)
        })
    }

    /// The columns a field fills in its entity's table, in table order
    /// (value objects expanded, references to their key columns; nothing
    /// for a value-object list, which has a table of its own).
    pub fn field_columns(&self, f: &Field) -> Vec<String> {
        let mut out = Vec::new();
        self.leaf_columns(f, "", &mut out);
        out
    }

    fn leaf_columns(&self, f: &Field, prefix: &str, out: &mut Vec<String>) {
        match &f.ty {
            FieldType::Ref(_) => out.extend(f.ref_columns().into_iter().map(|(c, _)| c)),
            FieldType::ValueList(_) => {}
            FieldType::Value(v) => match &self.model.values[v.0].shape {
                ValueShape::Single { .. } => out.push(format!("{prefix}{}", f.column)),
                ValueShape::Fields { fields, .. } => {
                    let inner = format!("{prefix}{}_", f.column);
                    for part in fields {
                        if !matches!(part.ty, FieldType::Ref(_)) {
                            self.leaf_columns(part, &inner, out);
                        }
                    }
                }
            },
            _ => out.push(format!("{prefix}{}", f.column)),
        }
    }
}

/// The positions `0..contexts + 1` (the last: no context) of items whose
/// slots are `slots`, each list in the items' order.
fn group(contexts: usize, slots: impl Iterator<Item = usize>) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); contexts + 1];
    for (i, slot) in slots.enumerate() {
        out[slot].push(i);
    }
    out
}
