//! The model document's view: the domain as the architect wrote it —
//! contexts, aggregates with their entities, value objects and enums,
//! references (within and across contexts), domain events, invariants,
//! roles and publications — linked to the ERDs and the dictionary.

use serde::Serialize;

use super::catalog::Catalog;
use super::dictionary::{enum_view, AllowView, DocItem, EnumView};
use super::erd::{self, ErdView};
use super::labels::{Heading, Labels};
use crate::model::{
    Aggregate, Entity, Field, FieldType, Invariant, PartitionSpec, PublicationItem, ValueObject, ValueShape,
};
use crate::relational::Table;
use crate::sql::expr::{render, Columns};

#[derive(Debug, Hash, Serialize)]
pub struct ModelDocView<'t> {
    #[serde(serialize_with = "super::labels::serialize")]
    pub t: &'t Labels,
    pub name: String,
    pub doc: Option<String>,
    pub target: u32,
    pub naming: String,
    pub defaults: Vec<String>,
    pub extensions: Vec<String>,
    pub audit_log: Option<AuditLogView>,
    /// File name of the dictionary, for links.
    pub dictionary: String,
    pub overview_erd: String,
    /// The overview as a picture.
    pub overview_picture: String,
    pub kernel_values: Vec<ValueView>,
    pub kernel_enums: Vec<EnumView>,
    pub contexts: Vec<ContextView<'t>>,
    /// References whose target is in another context.
    pub context_map: Vec<ReferenceView>,
    pub roles: Vec<RoleView>,
    pub publications: Vec<PublicationView>,
    /// Each context's section, rendered on its own
    /// (`data_model_context.md.j2`); empty until then.
    pub sections: Vec<String>,
}

/// What the built-in `data_model.md.j2` reads of a [`ModelDocView`]: each
/// context's section is in `sections`, so the contexts and their
/// aggregates are only named and linked to (see
/// [`super::dictionary::ContentsView`]); a project that replaces the
/// template gets the whole view.
#[derive(Debug, Serialize)]
pub struct ContentsView<'a, 't> {
    #[serde(serialize_with = "super::labels::serialize")]
    pub t: &'t Labels,
    pub name: &'a str,
    pub doc: &'a Option<String>,
    pub target: u32,
    pub naming: &'a str,
    pub defaults: &'a [String],
    pub extensions: &'a [String],
    pub audit_log: &'a Option<AuditLogView>,
    pub dictionary: &'a str,
    pub overview_erd: &'a str,
    pub overview_picture: &'a str,
    pub kernel_values: &'a [ValueView],
    pub kernel_enums: &'a [EnumView],
    pub contexts: Vec<ContextEntry<'a>>,
    pub context_map: &'a [ReferenceView],
    pub roles: &'a [RoleView],
    pub publications: &'a [PublicationView],
    pub sections: &'a [String],
}

#[derive(Debug, Serialize)]
pub struct ContextEntry<'a> {
    pub name: &'a str,
    pub heading: &'a Heading,
    pub picture: &'a str,
    pub aggregates: Vec<AggregateEntry<'a>>,
}

#[derive(Debug, Serialize)]
pub struct AggregateEntry<'a> {
    pub name: &'a str,
    pub heading: &'a Heading,
}

impl<'t> ModelDocView<'t> {
    pub fn contents(&self) -> ContentsView<'_, 't> {
        ContentsView {
            t: self.t,
            name: &self.name,
            doc: &self.doc,
            target: self.target,
            naming: &self.naming,
            defaults: &self.defaults,
            extensions: &self.extensions,
            audit_log: &self.audit_log,
            dictionary: &self.dictionary,
            overview_erd: &self.overview_erd,
            overview_picture: &self.overview_picture,
            kernel_values: &self.kernel_values,
            kernel_enums: &self.kernel_enums,
            contexts: self
                .contexts
                .iter()
                .map(|c| ContextEntry {
                    name: &c.name,
                    heading: &c.heading,
                    picture: &c.picture,
                    aggregates: c
                        .aggregates
                        .iter()
                        .map(|a| AggregateEntry { name: &a.name, heading: &a.heading })
                        .collect(),
                })
                .collect(),
            context_map: &self.context_map,
            roles: &self.roles,
            publications: &self.publications,
            sections: &self.sections,
        }
    }
}

/// What a context's section is rendered from.
#[derive(Debug, Hash, Serialize)]
pub struct SectionView<'a, 't> {
    #[serde(serialize_with = "super::labels::serialize")]
    pub t: &'t Labels,
    pub dictionary: &'a str,
    pub c: &'a ContextView<'t>,
}

#[derive(Debug, Hash, Serialize)]
pub struct AuditLogView {
    pub table: String,
    pub heading: Heading,
    /// `2025-11 … 2026-12`, when monthly partitions are created ahead.
    pub months: Option<String>,
    /// Aggregates whose changes it records.
    pub audited: Vec<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct ContextView<'t> {
    pub name: String,
    pub heading: Heading,
    pub doc: Option<String>,
    pub erd: String,
    /// The same diagram as a picture.
    pub picture: String,
    pub dictionary_anchor: String,
    pub tenant: Option<String>,
    pub aggregates_summary: Vec<Heading>,
    pub enums: Vec<EnumView>,
    pub values: Vec<ValueView>,
    pub aggregates: Vec<AggregateView>,
    pub allows: Vec<AllowView>,
    /// The context's diagram as Mermaid, when `[docs] mermaid = true`.
    pub mermaid: Option<ErdView<'t>>,
}

#[derive(Debug, Hash, Serialize)]
pub struct ValueView {
    pub name: String,
    pub heading: Heading,
    pub doc: Option<String>,
    /// Single-column value: its type and check.
    pub single: Option<SingleValue>,
    pub fields: Vec<FieldView>,
    pub invariants: Vec<InvariantView>,
    pub allows: Vec<AllowView>,
    /// Fields of this type (or lists of it).
    pub used_by: Vec<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct SingleValue {
    pub ty: String,
    /// The check on the value, as SQL over the column `value`.
    pub check: Option<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct AggregateView {
    pub name: String,
    pub heading: Heading,
    pub doc: Option<String>,
    pub root_table: Heading,
    pub tables: Vec<Heading>,
    pub traits: Vec<String>,
    /// In the model's notation: `50M`.
    pub expected_rows: Option<String>,
    pub partition: Option<String>,
    pub identity: String,
    pub fields: Vec<FieldView>,
    pub invariants: Vec<InvariantView>,
    pub entities: Vec<EntityView>,
    pub references: Vec<ReferenceView>,
    pub events: Option<EventsView>,
    /// Publications that replicate this aggregate.
    pub publications: Vec<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct EntityView {
    /// `Reserva › Sesion › Material`.
    pub path: String,
    pub name: String,
    pub doc: Option<String>,
    pub table: Option<Heading>,
    /// `zero or more per Sesion`, `at most one per Reserva`.
    pub cardinality: String,
    pub identity: String,
    pub fields: Vec<FieldView>,
    pub invariants: Vec<InvariantView>,
}

#[derive(Debug, Hash, Serialize)]
pub struct FieldView {
    pub name: String,
    /// In the model's words: `text(255)`, `Email`, `ref marketplace.Tutor`.
    pub ty: String,
    /// `value object`, `enum`, `reference`, … when the type is not a scalar.
    pub ty_kind: Option<String>,
    pub required: bool,
    /// `unique`, `indexed`, `PII`, `default …`, `loose`.
    pub traits: Vec<String>,
    pub doc: Option<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct InvariantView {
    pub name: String,
    pub source: String,
    pub doc: Option<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct ReferenceView {
    /// `Reserva.tutor` (entity and field).
    pub from: String,
    pub from_context: String,
    /// `marketplace.Tutor`.
    pub to: String,
    pub to_heading: Heading,
    pub required: bool,
    pub loose: bool,
    pub on_delete: String,
    pub doc: Option<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct EventsView {
    pub table: Option<Heading>,
    pub outbox: bool,
    pub doc: Option<String>,
    pub names: Vec<DocItem>,
}

#[derive(Debug, Hash, Serialize)]
pub struct RoleView {
    pub name: String,
    pub doc: Option<String>,
    pub read: Vec<String>,
    pub write: Vec<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct PublicationView {
    pub name: String,
    pub doc: Option<String>,
    pub items: Vec<String>,
    pub tables: Vec<String>,
}

pub fn view<'t>(cat: &Catalog<'_>, t: &'t Labels, dictionary: &str, mermaid: bool) -> ModelDocView<'t> {
    let model = cat.model;
    let mut context_map = Vec::new();
    let contexts = model
        .contexts
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let ci = crate::model::ContextId(ci);
            let aggregates: Vec<AggregateView> =
                cat.aggregates_in(ci).map(|(id, a)| aggregate(cat, id, a, t)).collect();
            context_map.extend(
                aggregates
                    .iter()
                    .flat_map(|a| a.references.iter())
                    .filter(|r| !r.to.starts_with(&format!("{}.", c.name)))
                    .map(clone_ref),
            );
            ContextView {
                name: c.name.clone(),
                heading: t.heading_context(&c.name),
                doc: c.doc.clone(),
                erd: super::erd_file(&c.name),
                picture: super::svg_file(Some(&c.name)),
                dictionary_anchor: t.heading_context(&c.name).anchor,
                tenant: c.tenant_by.clone(),
                aggregates_summary: aggregates.iter().map(|a| a.heading.clone()).collect(),
                enums: cat.enums_in(Some(ci)).map(|(id, e)| enum_view(cat, id, e, t)).collect(),
                values: cat.values_in(Some(ci)).map(|(id, v)| value(cat, id, v, t)).collect(),
                aggregates,
                allows: allows(&c.allows, t.subject_context, &c.name),
                mermaid: mermaid.then(|| erd::context_view(cat, &c.name, t)),
            }
        })
        .collect();
    let audit_log = model.audit_log.as_ref().map(|log| {
        let table = format!("{}.{}", model.contexts[log.context.0].name, log.table);
        AuditLogView {
            heading: t.heading_table(&table),
            table,
            months: log
                .range
                .map(|r| format!("{:04}-{:02} … {:04}-{:02}", r.from.year, r.from.month, r.to.year, r.to.month)),
            audited: model
                .aggregates
                .iter()
                .filter(|a| a.audited)
                .map(|a| format!("{}.{}", model.contexts[a.context.0].name, a.name))
                .collect(),
        }
    });
    let mut defaults = Vec::new();
    if model.defaults.timestamps {
        defaults.push(t.trait_timestamps.to_string());
    }
    if model.defaults.soft_delete {
        defaults.push(t.trait_soft_delete.to_string());
    }
    ModelDocView {
        t,
        name: model.name.clone(),
        doc: model.doc.clone(),
        target: model.target,
        naming: match model.tables {
            crate::model::TableNaming::Snake => "snake",
            crate::model::TableNaming::PluralEn => "plural_en",
            crate::model::TableNaming::PluralEs => "plural_es",
        }
        .to_string(),
        defaults,
        extensions: cat.schema.extensions.clone(),
        audit_log,
        dictionary: dictionary.to_string(),
        overview_erd: super::OVERVIEW_ERD.to_string(),
        overview_picture: super::svg_file(None),
        kernel_values: cat.values_in(None).map(|(id, v)| value(cat, id, v, t)).collect(),
        kernel_enums: cat.enums_in(None).map(|(id, e)| enum_view(cat, id, e, t)).collect(),
        contexts,
        context_map,
        roles: model
            .roles
            .iter()
            .map(|r| RoleView {
                name: r.name.clone(),
                doc: r.doc.clone(),
                read: r.read.iter().map(|c| model.contexts[c.0].name.clone()).collect(),
                write: r.write.iter().map(|c| model.contexts[c.0].name.clone()).collect(),
            })
            .collect(),
        publications: model
            .publications
            .iter()
            .map(|p| PublicationView {
                name: p.name.clone(),
                doc: p.doc.clone(),
                items: p
                    .items
                    .iter()
                    .map(|i| match i {
                        PublicationItem::Context(c) => model.contexts[c.0].name.clone(),
                        PublicationItem::Aggregate(a) => cat.aggregate_path(*a),
                    })
                    .collect(),
                tables: cat
                    .schema
                    .publications
                    .iter()
                    .find(|d| d.name == p.name)
                    .map(|d| d.tables.iter().map(ToString::to_string).collect())
                    .unwrap_or_default(),
            })
            .collect(),
        sections: Vec::new(),
    }
}

fn clone_ref(r: &ReferenceView) -> ReferenceView {
    ReferenceView {
        from: r.from.clone(),
        from_context: r.from_context.clone(),
        to: r.to.clone(),
        to_heading: r.to_heading.clone(),
        required: r.required,
        loose: r.loose,
        on_delete: r.on_delete.clone(),
        doc: r.doc.clone(),
    }
}

fn allows(list: &[crate::model::Allow], kind: &str, subject: &str) -> Vec<AllowView> {
    list.iter()
        .map(|a| AllowView {
            code: a.code.clone(),
            subject_kind: kind.to_string(),
            subject: subject.to_string(),
            reason: a.reason.clone(),
        })
        .collect()
}

fn value(cat: &Catalog<'_>, id: crate::model::ValueId, v: &ValueObject, t: &Labels) -> ValueView {
    let name = match v.context {
        Some(c) => format!("{}.{}", cat.model.contexts[c.0].name, v.name),
        None => v.name.clone(),
    };
    let (single, fields, invariants) = match &v.shape {
        ValueShape::Single { ty, check } => (
            Some(SingleValue {
                ty: ty.ddd(),
                check: check.as_ref().map(|c| render(c, &Columns { prefix: "", subject: Some("value") })),
            }),
            Vec::new(),
            Vec::new(),
        ),
        ValueShape::Fields { fields, invariants } => {
            (None, fields.iter().map(|f| field(cat, f, None, t)).collect(), invariants.iter().map(invariant).collect())
        }
    };
    ValueView {
        heading: t.heading_value(&name),
        name,
        doc: v.doc.clone(),
        single,
        fields,
        invariants,
        allows: allows(&v.allows, t.subject_value, &v.name),
        used_by: cat.value_used_by(id),
    }
}

fn invariant(i: &Invariant) -> InvariantView {
    InvariantView { name: i.name.clone(), source: i.source.clone(), doc: i.doc.clone() }
}

fn aggregate(cat: &Catalog<'_>, id: crate::model::AggregateId, a: &Aggregate, t: &Labels) -> AggregateView {
    let model = cat.model;
    let ctx = &model.contexts[a.context.0].name;
    let path = format!("{ctx}.{}", a.name);
    let tables: &[&Table] = cat.tables_of_aggregate(&path);
    // Each entity's table (the first that stores it), by the entity's
    // address: found once, as an aggregate of thousands of entities made
    // a scan of its tables per entity take seconds.
    let mut by_entity: std::collections::HashMap<*const Entity, &Table> = std::collections::HashMap::new();
    for tb in tables {
        if let Some(e) = cat.role(tb).and_then(|r| r.entity()) {
            by_entity.entry(std::ptr::from_ref(e)).or_insert(tb);
        }
    }
    let table_of = |e: &Entity| by_entity.get(&std::ptr::from_ref(e)).copied();
    let root_table = table_of(&a.root);
    let mut references = Vec::new();
    let mut entities = Vec::new();
    collect_entities(cat, a, &a.root, &a.name, &mut entities, &mut references, &table_of, t);
    let publications = cat.publications_of(id).iter().map(|p| p.to_string()).collect();
    let events = a.events.as_ref().map(|ev| EventsView {
        table: tables
            .iter()
            .find(|tb| tb.kind == crate::relational::TableKind::Events)
            .map(|tb| t.heading_table(&tb.qualified())),
        outbox: ev.outbox,
        doc: ev.doc.clone(),
        names: ev.names.iter().map(|n| DocItem { name: n.name.clone(), doc: n.doc.clone() }).collect(),
    });
    AggregateView {
        name: a.name.clone(),
        heading: t.heading_aggregate(&path),
        doc: a.root.doc.clone(),
        root_table: root_table
            .map_or_else(|| t.heading_table(&format!("{ctx}.?")), |tb| t.heading_table(&tb.qualified())),
        tables: tables.iter().map(|tb| t.heading_table(&tb.qualified())).collect(),
        traits: erd::aggregate_traits(a, t),
        expected_rows: a.expected_rows.map(rows),
        partition: a.partition.as_ref().map(|p| match &p.spec {
            PartitionSpec::Range(_) => format!("RANGE ({})", p.column),
            PartitionSpec::List(_) => format!("LIST ({})", p.column),
            PartitionSpec::Hash(n) => format!("HASH ({}) × {n}", p.column),
        }),
        identity: identity(a, &a.root, t),
        fields: a.root.fields.iter().map(|f| field(cat, f, root_table, t)).collect(),
        invariants: a.root.invariants.iter().map(invariant).collect(),
        entities,
        references,
        events,
        publications,
    }
}

#[allow(clippy::too_many_arguments)]
fn collect_entities<'a>(
    cat: &Catalog<'_>,
    a: &Aggregate,
    e: &'a Entity,
    path: &str,
    entities: &mut Vec<EntityView>,
    references: &mut Vec<ReferenceView>,
    table_of: &dyn Fn(&Entity) -> Option<&'a Table>,
    t: &Labels,
) {
    let model = cat.model;
    let ctx = &model.contexts[a.context.0].name;
    for f in &e.fields {
        if let FieldType::Ref(r) = &f.ty {
            let to = cat.aggregate_path(r.target);
            references.push(ReferenceView {
                from: format!("{}.{}", e.name, f.name),
                from_context: ctx.clone(),
                to_heading: t.heading_aggregate(&to),
                to,
                required: !f.nullable,
                loose: r.loose,
                on_delete: if r.loose { "—".to_string() } else { r.on_delete.words().to_uppercase() },
                doc: f.doc.clone(),
            });
        }
    }
    for child in &e.entities {
        let child_path = format!("{path} › {}", child.name);
        let table = table_of(child);
        entities.push(EntityView {
            path: child_path.clone(),
            name: child.name.clone(),
            doc: child.doc.clone(),
            table: table.map(|tb| t.heading_table(&tb.qualified())),
            cardinality: if child.one {
                format!("{} {}", t.card_at_most_one, e.name)
            } else {
                format!("{} {}", t.card_many, e.name)
            },
            identity: identity(a, child, t),
            fields: child.fields.iter().map(|f| field(cat, f, table, t)).collect(),
            invariants: child.invariants.iter().map(invariant).collect(),
        });
        collect_entities(cat, a, child, &child_path, entities, references, table_of, t);
    }
}

fn identity(_a: &Aggregate, e: &Entity, t: &Labels) -> String {
    use crate::model::Identity;
    match &e.identity {
        Identity::Uuid => format!("`id` UUID ({})", t.id_generated),
        Identity::UuidV7 => format!("`id` UUID v7 ({})", t.id_generated),
        Identity::Identity(s) => format!("`id` {} identity", s.ddd()),
        Identity::Supplied(s) => format!("`id` {} ({})", s.ddd(), t.id_supplied),
        Identity::Natural(cols) => {
            format!("{} ({})", t.id_natural, cols.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "))
        }
    }
}

fn field(cat: &Catalog<'_>, f: &Field, table: Option<&Table>, t: &Labels) -> FieldView {
    let model = cat.model;
    let (ty, ty_kind) = match &f.ty {
        FieldType::Scalar(s) => (s.ddd(), None),
        FieldType::Array(s) => (format!("{}[]", s.ddd()), None),
        FieldType::Enum(e) => (model.enums[e.0].name.clone(), Some(t.kind_enum.to_string())),
        FieldType::Value(v) => (model.values[v.0].name.clone(), Some(t.kind_value.to_string())),
        FieldType::ValueList(v) => (format!("{}[]", model.values[v.0].name), Some(t.kind_value_list.to_string())),
        FieldType::Ref(r) => (format!("ref {}", cat.aggregate_path(r.target)), Some(t.kind_reference.to_string())),
    };
    let mut traits = Vec::new();
    if let FieldType::Ref(r) = &f.ty {
        if r.loose {
            traits.push(t.trait_loose.to_string());
        }
        if !r.loose {
            traits.push(super::text::code(&format!("on delete {}", r.on_delete.words())));
        }
    }
    if f.unique {
        traits.push(t.trait_unique.to_string());
    }
    if f.indexed {
        traits.push(t.trait_indexed.to_string());
    }
    if f.pii {
        traits.push(t.c_pii.to_string());
    }
    if f.default.is_some() {
        let sql = table.and_then(|tb| tb.column(&f.column)).and_then(|c| c.default.clone());
        if let Some(sql) = sql {
            traits.push(format!("{} {}", t.trait_default, super::text::code(&sql)));
        }
    }
    for a in &f.allows {
        traits.push(format!("{}: {}", super::text::code(&format!("@allow({})", a.code)), a.reason));
    }
    FieldView { name: f.name.clone(), ty, ty_kind, required: !f.nullable, traits, doc: f.doc.clone() }
}

/// A row count in the model's notation: `50M`, `2500M`, `12k`, `900`.
fn rows(n: u64) -> String {
    match n {
        0 => "0".into(),
        n if n % 1_000_000_000 == 0 => format!("{}G", n / 1_000_000_000),
        n if n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}
