//! The data dictionary's view: every context, enum and table of the schema,
//! every column with its type, nullability, default, constraints,
//! description and origin, then checks (in the model's words and as SQL),
//! indexes, foreign keys, triggers, policies, partitioning, personal data
//! and lint exceptions.

use serde::Serialize;

use super::catalog::{Catalog, Role};
use super::labels::{Heading, Labels};
use crate::model::{Allow, Enum};
use crate::relational::{Column, Table, TableKind};
use crate::sql::objects as o;

#[derive(Debug, Hash, Serialize)]
pub struct DictionaryView<'t> {
    #[serde(serialize_with = "super::labels::serialize")]
    pub t: &'t Labels,
    pub model: String,
    pub target: u32,
    /// File name of the model document, for links.
    pub model_doc: String,
    pub extensions: Vec<String>,
    /// Enums of the shared kernel (declared outside any context).
    pub shared_enums: Vec<EnumView>,
    pub contexts: Vec<ContextView>,
    pub functions: Vec<FunctionView>,
    /// Each context's section, rendered on its own
    /// (`data_dictionary_context.md.j2`); empty until then.
    pub sections: Vec<String>,
}

/// What the built-in `data_dictionary.md.j2` reads of a [`DictionaryView`]:
/// each context's section is in `sections`, so the contexts' tables are
/// only named and linked to. Converting the whole view into the template's
/// values was 60 ms of a check of the 2,000-aggregate model, for a table of
/// contents; a project that replaces the template gets the whole view.
#[derive(Debug, Serialize)]
pub struct ContentsView<'a, 't> {
    #[serde(serialize_with = "super::labels::serialize")]
    pub t: &'t Labels,
    pub model: &'a str,
    pub target: u32,
    pub model_doc: &'a str,
    pub extensions: &'a [String],
    pub shared_enums: &'a [EnumView],
    pub contexts: Vec<ContextEntry<'a>>,
    pub functions: &'a [FunctionView],
    pub sections: &'a [String],
}

#[derive(Debug, Serialize)]
pub struct ContextEntry<'a> {
    pub heading: &'a Heading,
    pub tables: Vec<TableEntry<'a>>,
}

#[derive(Debug, Serialize)]
pub struct TableEntry<'a> {
    pub name: &'a str,
    pub heading: &'a Heading,
}

/// What the table of contents needs of a context: its heading and its
/// tables' names and headings.
#[derive(Debug)]
pub struct Outline {
    heading: Heading,
    tables: Vec<(String, Heading)>,
}

impl<'t> DictionaryView<'t> {
    /// [`DictionaryView::contents`] for a view made without its contexts
    /// ([`shell`]), from their outlines.
    pub fn contents_of<'a>(&'a self, outlines: &'a [Outline]) -> ContentsView<'a, 't> {
        ContentsView {
            contexts: outlines
                .iter()
                .map(|o| ContextEntry {
                    heading: &o.heading,
                    tables: o.tables.iter().map(|(name, heading)| TableEntry { name, heading }).collect(),
                })
                .collect(),
            ..self.contents()
        }
    }

    pub fn contents(&self) -> ContentsView<'_, 't> {
        ContentsView {
            t: self.t,
            model: &self.model,
            target: self.target,
            model_doc: &self.model_doc,
            extensions: &self.extensions,
            shared_enums: &self.shared_enums,
            contexts: self
                .contexts
                .iter()
                .map(|c| ContextEntry {
                    heading: &c.heading,
                    tables: c.tables.iter().map(|tb| TableEntry { name: &tb.name, heading: &tb.heading }).collect(),
                })
                .collect(),
            functions: &self.functions,
            sections: &self.sections,
        }
    }
}

/// What a context's section is rendered from.
#[derive(Debug, Hash, Serialize)]
pub struct SectionView<'a, 't> {
    #[serde(serialize_with = "super::labels::serialize")]
    pub t: &'t Labels,
    pub model_doc: &'a str,
    pub c: &'a ContextView,
}

#[derive(Debug, Hash, Serialize)]
pub struct ContextView {
    pub name: String,
    pub heading: Heading,
    pub doc: Option<String>,
    /// `erd/<context>.puml`.
    pub erd: String,
    /// `erd/<context>.svg`, the same diagram as a picture.
    pub picture: String,
    /// The model document's anchor for this context.
    pub model_anchor: String,
    pub tenant: Option<String>,
    pub allows: Vec<AllowView>,
    pub enums: Vec<EnumView>,
    pub tables: Vec<TableView>,
}

#[derive(Debug, Hash, Serialize)]
pub struct EnumView {
    pub name: String,
    pub heading: Heading,
    pub doc: Option<String>,
    /// `VARCHAR(22)` + check, or the native type.
    pub storage: String,
    pub native: bool,
    pub values: Vec<DocItem>,
    pub allows: Vec<AllowView>,
    /// Fields of this type.
    pub used_by: Vec<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct DocItem {
    pub name: String,
    pub doc: Option<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct AllowView {
    pub code: String,
    /// What the exception is declared on, in words (`column`, `invariant`…).
    pub subject_kind: String,
    pub subject: String,
    pub reason: String,
}

#[derive(Debug, Hash, Serialize)]
pub struct TableView {
    pub name: String,
    pub heading: Heading,
    pub doc: Option<String>,
    pub kind: String,
    /// The aggregate's name and its anchor in the model document.
    pub aggregate: Option<Heading>,
    pub primary_key: Option<KeyView>,
    pub row_level_security: bool,
    pub columns: Vec<ColumnView>,
    pub uniques: Vec<KeyView>,
    pub checks: Vec<CheckView>,
    pub indexes: Vec<IndexView>,
    pub foreign_keys: Vec<ForeignKeyView>,
    /// `loose` references: a column and an index, no foreign key.
    pub loose_references: Vec<LooseView>,
    pub triggers: Vec<TriggerView>,
    pub policies: Vec<PolicyView>,
    pub partitioning: Option<PartitioningView>,
    /// Columns holding personal data (`@pii`).
    pub pii: Vec<String>,
    /// Event types of a domain-event table, with their docs.
    pub event_types: Vec<DocItem>,
    pub allows: Vec<AllowView>,
}

#[derive(Debug, Hash, Serialize)]
pub struct KeyView {
    pub name: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct ColumnView {
    pub name: String,
    pub ty: String,
    pub nullable: bool,
    pub default: Option<String>,
    pub constraints: Vec<Tag>,
    pub doc: Option<String>,
    /// Where the column comes from (value object, reference, timestamps…).
    pub origin: Option<String>,
}

/// A constraint on a column: words, then optional SQL shown as code.
#[derive(Debug, Hash, Serialize)]
pub struct Tag {
    pub label: String,
    pub code: Option<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct CheckView {
    pub name: String,
    /// What it enforces, in words (`enum EstadoUsuario`, a value object's
    /// name), and in the model's own text, shown as code.
    pub model_words: Option<String>,
    pub model_code: Option<String>,
    pub sql: String,
    pub doc: Option<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct IndexView {
    pub name: String,
    pub unique: bool,
    pub method: String,
    pub items: String,
    pub predicate: Option<String>,
    pub doc: Option<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct ForeignKeyView {
    pub name: String,
    pub columns: String,
    pub target: String,
    pub target_heading: Heading,
    pub on_delete: String,
    pub on_update: String,
}

#[derive(Debug, Hash, Serialize)]
pub struct LooseView {
    pub columns: Vec<String>,
    pub target: String,
    pub target_heading: Heading,
}

#[derive(Debug, Hash, Serialize)]
pub struct TriggerView {
    pub name: String,
    pub when: String,
    pub function: String,
    /// The called function's comment.
    pub purpose: Option<String>,
}

#[derive(Debug, Hash, Serialize)]
pub struct PolicyView {
    pub name: String,
    pub using: String,
    pub with_check: String,
}

#[derive(Debug, Hash, Serialize)]
pub struct PartitioningView {
    pub method: String,
    pub column: String,
    pub partitions: Vec<KeyView>,
}

#[derive(Debug, Hash, Serialize)]
pub struct FunctionView {
    pub name: String,
    pub returns: String,
    pub language: String,
    pub doc: Option<String>,
}

pub fn view<'t>(cat: &Catalog<'_>, t: &'t Labels, model_doc: &str) -> DictionaryView<'t> {
    DictionaryView {
        contexts: (0..cat.model.contexts.len()).map(|ci| context(cat, t, ci)).collect(),
        ..shell(cat, t, model_doc)
    }
}

/// The view of the `ci`th context of the model.
pub fn context(cat: &Catalog<'_>, t: &Labels, ci: usize) -> ContextView {
    let c = &cat.model.contexts[ci];
    ContextView {
        name: c.name.clone(),
        heading: t.heading_context(&c.name),
        doc: c.doc.clone(),
        erd: super::erd_file(&c.name),
        picture: super::svg_file(Some(&c.name)),
        model_anchor: t.heading_context(&c.name).anchor,
        tenant: c.tenant_by.clone(),
        allows: allows(&c.allows, t.subject_context, &c.name),
        enums: cat.enums_in(Some(crate::model::ContextId(ci))).map(|(id, e)| enum_view(cat, id, e, t)).collect(),
        tables: cat.tables_of(&c.name).map(|tb| table(cat, tb, t)).collect(),
    }
}

/// Each context's [`Outline`], as its view ([`context`]) would leave it,
/// made without the views: a check renders the table of contents before
/// the sections, and compares each with the file as it is made.
pub fn outlines(cat: &Catalog<'_>, t: &Labels) -> Vec<Outline> {
    cat.model
        .contexts
        .iter()
        .map(|c| Outline {
            heading: t.heading_context(&c.name),
            tables: cat
                .tables_of(&c.name)
                .map(|tb| {
                    let name = tb.qualified();
                    let heading = t.heading_table(&name);
                    (name, heading)
                })
                .collect(),
        })
        .collect()
}

/// The view without its contexts (each made by [`context`]).
pub fn shell<'t>(cat: &Catalog<'_>, t: &'t Labels, model_doc: &str) -> DictionaryView<'t> {
    let model = cat.model;
    DictionaryView {
        t,
        model: model.name.clone(),
        target: model.target,
        model_doc: model_doc.to_string(),
        extensions: cat.schema.extensions.clone(),
        shared_enums: cat.enums_in(None).map(|(id, e)| enum_view(cat, id, e, t)).collect(),
        contexts: Vec::new(),
        functions: cat
            .schema
            .functions
            .iter()
            .map(|f| FunctionView {
                name: format!("{}.{}({})", f.schema, f.name, f.args),
                returns: f.returns.clone(),
                language: f.language.clone(),
                doc: f.comment.clone(),
            })
            .collect(),
        sections: Vec::new(),
    }
}

pub fn enum_view(cat: &Catalog<'_>, id: crate::model::EnumId, e: &Enum, t: &Labels) -> EnumView {
    let qualified = enum_name(cat, e);
    let storage = if e.native {
        let schema = e.context.map_or("public".to_string(), |c| cat.model.contexts[c.0].name.clone());
        crate::sql::qualified(&schema, &crate::model::snake_case(&e.name))
    } else {
        format!("VARCHAR({})", e.longest_value())
    };
    EnumView {
        heading: t.heading_enum(&qualified),
        name: qualified,
        doc: e.doc.clone(),
        storage,
        native: e.native,
        values: e.values.iter().map(|v| DocItem { name: v.name.clone(), doc: v.doc.clone() }).collect(),
        allows: allows(&e.allows, t.subject_enum, &e.name),
        used_by: cat.enum_used_by(id),
    }
}

/// `context.Enum`, or `Enum` in the shared kernel.
pub fn enum_name(cat: &Catalog<'_>, e: &Enum) -> String {
    match e.context {
        Some(c) => format!("{}.{}", cat.model.contexts[c.0].name, e.name),
        None => e.name.clone(),
    }
}

fn allows(list: &[Allow], kind: &str, subject: &str) -> Vec<AllowView> {
    list.iter()
        .map(|a| AllowView {
            code: a.code.clone(),
            subject_kind: kind.to_string(),
            subject: subject.to_string(),
            reason: a.reason.clone(),
        })
        .collect()
}

fn table(cat: &Catalog<'_>, tb: &Table, t: &Labels) -> TableView {
    let role = cat.role(tb);
    let pii = pii_columns(cat, tb, role);
    let mut table_allows = Vec::new();
    let mut loose_references = Vec::new();
    let mut event_types = Vec::new();
    if let Some(e) = role.and_then(|r| r.entity()) {
        table_allows.extend(allows(&e.allows, t.subject_table, &tb.name));
        for f in &e.fields {
            table_allows.extend(allows(&f.allows, t.subject_field, &f.name));
            if let crate::model::FieldType::Ref(r) = &f.ty {
                if r.loose {
                    let target = cat.root_table(r.target);
                    let qualified = format!("{}.{}", target.0, target.1);
                    loose_references.push(LooseView {
                        columns: cat.field_columns(f),
                        target_heading: t.heading_table(&qualified),
                        target: qualified,
                    });
                }
            }
        }
        for inv in &e.invariants {
            table_allows.extend(allows(&inv.allows, t.subject_invariant, &inv.name));
        }
        for ix in &e.indexes {
            let subject = ix.name.clone().unwrap_or_else(|| {
                let items: Vec<String> =
                    ix.items.iter().map(|i| crate::sql::expr::render(i, &crate::sql::expr::Columns::PLAIN)).collect();
                format!("({})", items.join(", "))
            });
            table_allows.extend(allows(&ix.allows, t.subject_index, &subject));
        }
    }
    let columns = tb
        .columns
        .iter()
        .map(|c| {
            let loose = loose_references.iter().find(|l| l.columns.contains(&c.name)).map(|l| l.target.as_str());
            column(tb, c, pii.contains(&c.name), loose, t)
        })
        .collect();
    match role {
        Some(Role::ValueList { field, .. }) => {
            table_allows.extend(allows(&field.allows, t.subject_field, &field.name));
        }
        Some(Role::Events { events, .. }) => {
            table_allows.extend(allows(&events.allows, t.subject_events, &tb.name));
            event_types = events.names.iter().map(|n| DocItem { name: n.name.clone(), doc: n.doc.clone() }).collect();
        }
        _ => {}
    }
    TableView {
        name: tb.qualified(),
        heading: t.heading_table(&tb.qualified()),
        doc: tb.comment.clone(),
        kind: t.table_kind(tb.kind).to_string(),
        aggregate: tb.aggregate.as_deref().map(|a| t.heading_aggregate(a)),
        primary_key: tb.primary_key.as_ref().map(|pk| KeyView { name: pk.name.clone(), columns: pk.columns.clone() }),
        row_level_security: tb.row_level_security,
        columns,
        uniques: tb.uniques.iter().map(|u| KeyView { name: u.name.clone(), columns: u.columns.clone() }).collect(),
        checks: tb
            .checks
            .iter()
            .map(|c| {
                let (model_words, model_code) = t.check_source(&c.source);
                CheckView { name: c.name.clone(), model_words, model_code, sql: c.expr.clone(), doc: c.comment.clone() }
            })
            .collect(),
        indexes: tb
            .indexes
            .iter()
            .map(|i| IndexView {
                name: i.name.clone(),
                unique: i.unique,
                method: o::index_method(i.method).to_string(),
                items: o::index_items(i),
                predicate: i.predicate.clone(),
                doc: i.comment.clone(),
            })
            .collect(),
        foreign_keys: tb
            .foreign_keys
            .iter()
            .map(|f| {
                let target = format!("{}.{}", f.ref_schema, f.ref_table);
                ForeignKeyView {
                    name: f.name.clone(),
                    columns: f.columns.join(", "),
                    target: format!("{target}({})", f.ref_columns.join(", ")),
                    target_heading: t.heading_table(&target),
                    on_delete: o::fk_action(f.on_delete).to_string(),
                    on_update: o::fk_action(f.on_update).to_string(),
                }
            })
            .collect(),
        loose_references,
        triggers: tb
            .triggers
            .iter()
            .map(|tr| TriggerView {
                name: tr.name.clone(),
                when: o::trigger_when(tr),
                function: o::function_call(&tr.function),
                purpose: trigger_purpose(cat, &tr.function),
            })
            .collect(),
        policies: tb
            .policies
            .iter()
            .map(|p| PolicyView { name: p.name.clone(), using: p.using.clone(), with_check: p.with_check.clone() })
            .collect(),
        partitioning: tb.partitioning.as_ref().map(|p| PartitioningView {
            method: o::partition_method(p.method).to_string(),
            column: p.column.clone(),
            partitions: p
                .partitions
                .iter()
                .map(|d| KeyView { name: d.name.clone(), columns: vec![o::partition_bound(&d.bound)] })
                .collect(),
        }),
        pii,
        event_types,
        allows: table_allows,
    }
}

/// The comment of the function a trigger calls (`schema.name(args)`).
fn trigger_purpose(cat: &Catalog<'_>, call: &crate::relational::FunctionCall) -> Option<String> {
    cat.schema.functions.iter().find(|f| f.schema == call.schema && f.name == call.name).and_then(|f| f.comment.clone())
}

/// Columns filled by `@pii` fields.
fn pii_columns(cat: &Catalog<'_>, tb: &Table, role: Option<Role<'_>>) -> Vec<String> {
    match role {
        Some(Role::ValueList { field, aggregate, .. }) if field.pii => {
            let pk: &[String] = tb.primary_key.as_ref().map_or(&[], |pk| pk.columns.as_slice());
            tb.columns
                .iter()
                .filter(|c| !pk.contains(&c.name) && aggregate.tenant.as_ref() != Some(&c.name))
                .map(|c| c.name.clone())
                .collect()
        }
        Some(r) => r
            .entity()
            .map(|e| e.fields.iter().filter(|f| f.pii).flat_map(|f| cat.field_columns(f)).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    }
}

fn column(tb: &Table, c: &Column, pii: bool, loose: Option<&str>, t: &Labels) -> ColumnView {
    let mut constraints = Vec::new();
    let tag = |label: &str, code: Option<String>| Tag { label: label.to_string(), code };
    if tb.primary_key.as_ref().is_some_and(|pk| pk.columns.contains(&c.name)) {
        constraints.push(tag(t.c_primary_key, None));
    }
    if c.identity {
        constraints.push(tag(t.c_identity, None));
    }
    if let Some(g) = &c.generated {
        constraints.push(tag(t.c_generated, Some(g.clone())));
    }
    for f in tb.foreign_keys.iter().filter(|f| f.columns.contains(&c.name)) {
        constraints
            .push(tag(t.c_references, Some(format!("{}.{}({})", f.ref_schema, f.ref_table, f.ref_columns.join(", ")))));
    }
    if tb.uniques.iter().any(|u| u.columns.len() == 1 && u.columns[0] == c.name) {
        constraints.push(tag(t.c_unique, None));
    }
    for i in tb.indexes.iter().filter(|i| i.unique && i.items.len() == 1 && i.items[0].column() == Some(&c.name)) {
        constraints.push(tag(t.c_unique, i.predicate.as_ref().map(|p| format!("WHERE {p}"))));
    }
    if let Some(target) = loose {
        constraints.push(tag(t.c_loose_reference, Some(target.to_string())));
    }
    if tb.kind == TableKind::Events && c.name == "tipo_evento" {
        constraints.push(tag(t.c_event_type, None));
    }
    if pii {
        constraints.push(tag(t.c_pii, None));
    }
    ColumnView {
        name: c.name.clone(),
        ty: crate::sql::types::column_type(&c.ty),
        nullable: c.nullable,
        default: c.default.clone(),
        constraints,
        doc: c.comment.clone(),
        origin: c.source.as_ref().map(|n| t.column_source(n)),
    }
}
