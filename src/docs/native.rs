//! The built-in per-context templates written in Rust:
//! `data_dictionary_context.md.j2` and `data_model_context.md.j2`, with
//! the partials they include (`enum.md.j2`, `value_object.md.j2`,
//! `fields.md.j2`, `mermaid_erd.md.j2` and `mermaid_entity.md.j2`), and
//! the PlantUML diagrams, `erd_context.puml.j2` (with
//! `erd_entity.puml.j2`) and `erd_overview.puml.j2`. The same bytes
//! as minijinja renders from the same views, several times faster: the
//! sections are most of the two documents, and rendering them through
//! minijinja was a quarter of a check in full at 2,000 aggregates (issue
//! 14); the diagrams' PlantUML was a tenth of it after that.
//!
//! Used only while the project replaces none of a section's or a
//! diagram's templates (with `[docs] mermaid = true`, the two Mermaid
//! templates included: [`super::generate_with`]); anything else is
//! rendered by minijinja. The templates stay the reference: debug builds
//! (the tests, the fuzzer) render every section and diagram both ways and
//! stop at a difference ([`checked`]), and `tests` below compares the two
//! on every model in the repository, so a change to a template that is
//! not made here too fails.
//!
//! Every `let _ = write!(o, …)` writes into a `String`, which cannot fail.

use std::fmt::Write;

use super::dictionary::{AllowView, EnumView, SectionView};
use super::erd::{ErdColumn, ErdEntity, ErdRelation, ErdView, OverviewView};
use super::labels::{Heading, Labels};
use super::model_doc::{FieldView, InvariantView, SectionView as ModelSection, ValueView};
use super::text::{cell, code, inline, mermaid_text, puml, puml_quoted};

/// A template's `{% if x %}` of an optional text: present and not empty.
fn some(text: &Option<String>) -> Option<&str> {
    text.as_deref().filter(|t| !t.is_empty())
}

/// A heading of `marks` (`###`…) and its doc comment, if any.
fn heading(o: &mut String, marks: &str, title: &str, doc: &Option<String>) {
    let _ = write!(o, "\n{marks} {title}\n");
    if let Some(doc) = some(doc) {
        let _ = write!(o, "\n{doc}\n");
    }
}

/// `items`, each written by `each`, separated by `sep` (a template's
/// `{% if not loop.last %}sep{% endif %}`).
fn joined<T>(o: &mut String, items: &[T], sep: &str, mut each: impl FnMut(&mut String, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            o.push_str(sep);
        }
        each(o, item);
    }
}

fn yes_no(t: &Labels, yes: bool) -> &'static str {
    if yes {
        t.yes
    } else {
        t.no
    }
}

/// The start of a context's section in either document: its heading and
/// doc comment, its diagram, the link to its section in the other
/// document, its tenant column and its `allow`s.
struct Head<'a> {
    heading: &'a Heading,
    doc: &'a Option<String>,
    picture: &'a str,
    erd: &'a str,
    tenant: &'a Option<String>,
}

impl Head<'_> {
    /// `other`: the other document's title, file and anchor.
    fn write(&self, o: &mut String, t: &Labels, other: (&str, &str, &str), allows: &[AllowView]) {
        heading(o, "##", &self.heading.text, self.doc);
        let (title, file, anchor) = other;
        let _ = write!(
            o,
            "\n- **{}:** [{}]({}) ([{}]({}))\n- **{title}:** [{}]({file}#{anchor})\n",
            t.erd,
            code(self.picture),
            self.picture,
            t.erd_source,
            self.erd,
            self.heading.text,
        );
        if let Some(tenant) = some(self.tenant) {
            let _ = writeln!(o, "- **{}:** {}", t.tenant_column, code(tenant));
        }
        if !allows.is_empty() {
            let _ = write!(o, "- **{}:** ", t.allows);
            joined(o, allows, "; ", |o, a| {
                let _ = write!(o, "{} ({})", code(&a.code), inline(&a.reason));
            });
            o.push('\n');
        }
    }
}

/// `**Used by:** a, b` and the `allow`s of an enum or a value object.
fn used_and_allowed(o: &mut String, t: &Labels, used_by: &[String], allows: &[AllowView]) {
    if !used_by.is_empty() {
        let _ = write!(o, "\n**{}:** ", t.used_by);
        joined(o, used_by, ", ", |o, u| o.push_str(&code(u)));
        o.push('\n');
    }
    if !allows.is_empty() {
        o.push('\n');
        for a in allows {
            let _ = writeln!(o, "- **{}:** {}: {}", t.allows, code(&a.code), inline(&a.reason));
        }
    }
}

/// A Markdown table's header row and separator.
fn table(o: &mut String, headers: &[&str]) {
    o.push('|');
    for h in headers {
        let _ = write!(o, " {h} |");
    }
    o.push_str("\n|");
    for _ in headers {
        o.push_str("---|");
    }
    o.push('\n');
}

/// A level-4 heading `title` and a [`table`] under it.
fn titled_table(o: &mut String, title: &str, headers: &[&str]) {
    let _ = write!(o, "\n#### {title}\n\n");
    table(o, headers);
}

/// `data_dictionary_context.md.j2`.
pub fn dictionary_section(v: &SectionView<'_, '_>) -> String {
    let (t, c) = (v.t, v.c);
    let mut o = String::with_capacity(4096);
    let head = Head { heading: &c.heading, doc: &c.doc, picture: &c.picture, erd: &c.erd, tenant: &c.tenant };
    head.write(&mut o, t, (t.model_doc_title, v.model_doc, &c.model_anchor), &c.allows);
    for e in &c.enums {
        enum_section(&mut o, t, e);
    }
    for tb in &c.tables {
        heading(&mut o, "###", &tb.heading.text, &tb.doc);
        let _ = write!(o, "\n- **{}:** {}\n", t.kind, tb.kind);
        if let Some(a) = &tb.aggregate {
            let _ = writeln!(o, "- **{}:** [{}]({}#{})", t.aggregate, code(&a.name), v.model_doc, a.anchor);
        }
        if let Some(pk) = &tb.primary_key {
            let _ = write!(o, "- **{}:** {} (", t.primary_key, code(&pk.name));
            joined(&mut o, &pk.columns, ", ", |o, c| o.push_str(&code(c)));
            o.push_str(")\n");
        }
        if tb.row_level_security {
            let _ = writeln!(o, "- **{}:** {}", t.rls, t.rls_enabled);
        }
        if !tb.pii.is_empty() {
            let _ = write!(o, "- **{}:** ", t.pii_columns);
            joined(&mut o, &tb.pii, ", ", |o, c| o.push_str(&code(c)));
            o.push('\n');
        }
        titled_table(&mut o, t.columns, &[t.column, t.type_, t.null, t.default, t.constraints, t.description]);
        for col in &tb.columns {
            let _ = write!(
                o,
                "| {} | {} | {} | {} | ",
                cell(&code(&col.name)),
                cell(&code(&col.ty)),
                yes_no(t, col.nullable),
                some(&col.default).map(|d| cell(&code(d))).unwrap_or_default()
            );
            joined(&mut o, &col.constraints, "<br>", |o, k| {
                o.push_str(&k.label);
                if let Some(kc) = some(&k.code) {
                    o.push(' ');
                    o.push_str(&cell(&code(kc)));
                }
            });
            o.push_str(" | ");
            if let Some(doc) = some(&col.doc) {
                o.push_str(&cell(doc));
            }
            if let Some(origin) = some(&col.origin) {
                if some(&col.doc).is_some() {
                    o.push_str("<br>");
                }
                let _ = write!(o, "*{}: {}*", t.origin, cell(origin));
            }
            o.push_str(" |\n");
        }
        if !tb.checks.is_empty() {
            let _ = write!(o, "\n#### {}\n\n", t.checks);
            for k in &tb.checks {
                let _ = write!(o, "- {}", code(&k.name));
                if let Some(doc) = some(&k.doc) {
                    let _ = write!(o, ": {}", inline(doc));
                }
                let _ = write!(o, "\n  - {}: ", t.in_the_model);
                if let Some(words) = some(&k.model_words) {
                    o.push_str(words);
                    if some(&k.model_code).is_some() {
                        o.push_str(": ");
                    }
                }
                if let Some(mc) = some(&k.model_code) {
                    o.push_str(&code(mc));
                }
                let _ = writeln!(o, "\n  - SQL: {}", code(&format!("CHECK {}", k.sql)));
            }
        }
        if !tb.uniques.is_empty() {
            titled_table(&mut o, t.uniques, &[t.name, t.columns]);
            for u in &tb.uniques {
                let _ = write!(o, "| {} | ", cell(&code(&u.name)));
                joined(&mut o, &u.columns, ", ", |o, c| o.push_str(&cell(&code(c))));
                o.push_str(" |\n");
            }
        }
        if !tb.indexes.is_empty() {
            titled_table(&mut o, t.indexes, &[t.name, t.method, t.unique, t.index_items, t.condition, t.description]);
            for i in &tb.indexes {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} |",
                    cell(&code(&i.name)),
                    i.method,
                    yes_no(t, i.unique),
                    cell(&code(&i.items)),
                    some(&i.predicate).map(|p| cell(&code(p))).unwrap_or_default(),
                    some(&i.doc).map(cell).unwrap_or_default()
                );
            }
        }
        if !tb.foreign_keys.is_empty() {
            titled_table(&mut o, t.foreign_keys, &[t.name, t.columns, t.references, t.on_delete, t.on_update]);
            for f in &tb.foreign_keys {
                let _ = writeln!(
                    o,
                    "| {} | {} | [{}](#{}) | {} | {} |",
                    cell(&code(&f.name)),
                    cell(&code(&f.columns)),
                    cell(&code(&f.target)),
                    f.target_heading.anchor,
                    f.on_delete,
                    f.on_update
                );
            }
        }
        if !tb.loose_references.is_empty() {
            let _ = write!(o, "\n#### {}\n\n{}\n\n", t.loose_references, t.loose_explained);
            table(&mut o, &[t.columns, t.references]);
            for l in &tb.loose_references {
                o.push_str("| ");
                joined(&mut o, &l.columns, ", ", |o, c| o.push_str(&cell(&code(c))));
                let _ = writeln!(o, " | [{}](#{}) |", cell(&code(&l.target)), l.target_heading.anchor);
            }
        }
        if !tb.event_types.is_empty() {
            titled_table(&mut o, t.event_types, &[t.event, t.description]);
            for e in &tb.event_types {
                let _ = writeln!(o, "| {} | {} |", cell(&code(&e.name)), some(&e.doc).map(cell).unwrap_or_default());
            }
        }
        if !tb.triggers.is_empty() {
            titled_table(&mut o, t.triggers, &[t.name, t.when, t.function, t.purpose]);
            for tr in &tb.triggers {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} |",
                    cell(&code(&tr.name)),
                    tr.when,
                    cell(&code(&tr.function)),
                    some(&tr.purpose).map(cell).unwrap_or_default()
                );
            }
        }
        if !tb.policies.is_empty() {
            titled_table(&mut o, t.policies, &[t.name, "USING", "WITH CHECK"]);
            for p in &tb.policies {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} |",
                    cell(&code(&p.name)),
                    cell(&code(&p.using)),
                    cell(&code(&p.with_check))
                );
            }
        }
        if let Some(p) = &tb.partitioning {
            let _ = write!(o, "\n#### {}\n\n{} ({})\n\n", t.partitioning, p.method, code(&p.column));
            table(&mut o, &[t.partition, t.bound]);
            for part in &p.partitions {
                let bound = part.columns.first().map(|b| cell(&code(b))).unwrap_or_default();
                let _ = writeln!(o, "| {} | {} |", cell(&code(&part.name)), bound);
            }
        }
        if !tb.allows.is_empty() {
            titled_table(&mut o, t.allows, &[t.code, t.declared_on, t.reason]);
            for a in &tb.allows {
                allow_row(&mut o, a);
            }
        }
    }
    o
}

fn allow_row(o: &mut String, a: &AllowView) {
    let _ = writeln!(
        o,
        "| {} | {} {} | {} |",
        cell(&code(&a.code)),
        a.subject_kind,
        cell(&code(&a.subject)),
        cell(&a.reason)
    );
}

/// `enum.md.j2`.
fn enum_section(o: &mut String, t: &Labels, e: &EnumView) {
    heading(o, "###", &e.heading.text, &e.doc);
    let words = if e.native { t.enum_native } else { t.enum_check };
    let _ = write!(o, "\n{} {}.\n\n", words, code(&e.storage));
    table(o, &[t.value, t.description]);
    for v in &e.values {
        let _ = writeln!(o, "| {} | {} |", cell(&code(&v.name)), some(&v.doc).map(cell).unwrap_or_default());
    }
    used_and_allowed(o, t, &e.used_by, &e.allows);
}

/// `data_model_context.md.j2` (with `value_object.md.j2`, `fields.md.j2`,
/// `enum.md.j2`, and `mermaid_erd.md.j2` with `mermaid_entity.md.j2` for a
/// context with a Mermaid diagram).
pub fn model_section(v: &ModelSection<'_, '_>) -> String {
    let (t, c, dictionary) = (v.t, v.c, v.dictionary);
    let mut o = String::with_capacity(4096);
    let head = Head { heading: &c.heading, doc: &c.doc, picture: &c.picture, erd: &c.erd, tenant: &c.tenant };
    head.write(&mut o, t, (t.dictionary_title, dictionary, &c.dictionary_anchor), &c.allows);
    let _ = write!(o, "\n![{} {}]({})\n", t.erd, c.name, c.picture);
    if let Some(erd) = &c.mermaid {
        o.push('\n');
        mermaid_erd(&mut o, erd);
    }
    for value in &c.values {
        value_object(&mut o, t, value);
    }
    for e in &c.enums {
        enum_section(&mut o, t, e);
    }
    for a in &c.aggregates {
        heading(&mut o, "###", &a.heading.text, &a.doc);
        let _ = write!(
            o,
            "\n- **{}:** [{}]({}#{})\n",
            t.root_table,
            code(&a.root_table.name),
            dictionary,
            a.root_table.anchor
        );
        if a.tables.len() > 1 {
            let _ = write!(o, "- **{}:** ", t.tables);
            joined(&mut o, &a.tables, ", ", |o, tb| {
                let _ = write!(o, "[{}]({}#{})", code(&tb.name), dictionary, tb.anchor);
            });
            o.push('\n');
        }
        let _ = writeln!(o, "- **{}:** {}", t.identity, a.identity);
        if !a.traits.is_empty() {
            let _ = writeln!(o, "- **{}:** {}", t.storage, a.traits.join(", "));
        }
        if let Some(partition) = some(&a.partition) {
            let _ = writeln!(o, "- **{}:** {}", t.partitioning, code(partition));
        }
        if let Some(rows) = some(&a.expected_rows) {
            let _ = writeln!(o, "- **{}:** {}", t.expected_rows, rows);
        }
        if !a.publications.is_empty() {
            let _ = write!(o, "- **{}:** ", t.publications);
            joined(&mut o, &a.publications, ", ", |o, p| o.push_str(&code(p)));
            o.push('\n');
        }
        if !a.fields.is_empty() {
            o.push('\n');
            fields(&mut o, t, &a.fields);
        }
        invariants(&mut o, t, &a.invariants);
        for e in &a.entities {
            heading(&mut o, "####", &format!("{} {}", t.entity, code(&e.path)), &e.doc);
            let _ = write!(o, "\n- **{}:** {}\n", t.cardinality, e.cardinality);
            if let Some(table) = &e.table {
                let _ = writeln!(o, "- **{}:** [{}]({}#{})", t.table, code(&table.name), dictionary, table.anchor);
            }
            let _ = writeln!(o, "- **{}:** {}", t.identity, e.identity);
            if !e.fields.is_empty() {
                o.push('\n');
                fields(&mut o, t, &e.fields);
            }
            invariants(&mut o, t, &e.invariants);
        }
        if !a.references.is_empty() {
            let _ = write!(o, "\n#### {} {}\n\n", t.references_of, code(&a.name));
            table(&mut o, &[t.field, t.to, t.required, t.integrity, t.on_delete]);
            for r in &a.references {
                let _ = writeln!(
                    o,
                    "| {} | [{}](#{}) | {} | {} | {} |",
                    cell(&code(&r.from)),
                    cell(&code(&r.to)),
                    r.to_heading.anchor,
                    yes_no(t, r.required),
                    if r.loose { t.loose_reference } else { t.foreign_key },
                    r.on_delete
                );
            }
        }
        if let Some(events) = &a.events {
            heading(&mut o, "####", &format!("{} {}", t.domain_events_of, code(&a.name)), &events.doc);
            o.push('\n');
            if let Some(table) = &events.table {
                let _ = writeln!(o, "- **{}:** [{}]({}#{})", t.table, code(&table.name), dictionary, table.anchor);
            }
            let _ = write!(o, "- **{}:** {}\n\n", t.delivery, if events.outbox { t.outbox } else { t.events_stored });
            table(&mut o, &[t.event, t.description]);
            for ev in &events.names {
                let _ = writeln!(o, "| {} | {} |", cell(&code(&ev.name)), some(&ev.doc).map(cell).unwrap_or_default());
            }
        }
    }
    o
}

/// `mermaid_erd.md.j2` (with `mermaid_entity.md.j2`): a context's diagram
/// as a Mermaid `erDiagram` block.
fn mermaid_erd(o: &mut String, erd: &ErdView<'_>) {
    o.push_str("```mermaid\nerDiagram\n");
    let entities = erd.groups.iter().flat_map(|g| &g.entities).chain(erd.stubs.iter().flat_map(|s| &s.entities));
    for e in entities {
        let _ = writeln!(o, "    {} {{", e.alias);
        for c in e.keys.iter().chain(&e.columns) {
            let _ = write!(o, "        {} {}", c.mermaid_type, c.mermaid_name);
            if !c.mermaid_keys.is_empty() {
                let _ = write!(o, " {}", c.mermaid_keys);
            }
            if !c.mermaid_comment.is_empty() {
                let _ = write!(o, " \"{}\"", c.mermaid_comment);
            }
            o.push('\n');
        }
        o.push_str("    }\n");
    }
    for r in &erd.relations {
        let _ = writeln!(o, "    {} {} {} : \"{}\"", r.left, r.op, r.right, mermaid_text(&r.label));
    }
    o.push_str("```\n");
}

/// `value_object.md.j2`.
fn value_object(o: &mut String, t: &Labels, v: &ValueView) {
    heading(o, "###", &v.heading.text, &v.doc);
    o.push('\n');
    match &v.single {
        Some(single) => {
            let _ = write!(o, "{} {}", t.value_single, code(&single.ty));
            if let Some(check) = some(&single.check) {
                let _ = write!(o, ", {} {}", t.value_check, code(check));
            }
            o.push_str(".\n");
        }
        None => {
            let _ = write!(o, "{}\n\n", t.value_embedded);
            fields(o, t, &v.fields);
            invariants(o, t, &v.invariants);
        }
    }
    used_and_allowed(o, t, &v.used_by, &v.allows);
}

/// `fields.md.j2`.
fn fields(o: &mut String, t: &Labels, fields: &[FieldView]) {
    table(o, &[t.field, t.type_, t.required, t.details, t.description]);
    for f in fields {
        let _ = write!(o, "| {} | {}", cell(&code(&f.name)), cell(&code(&f.ty)));
        if let Some(kind) = some(&f.ty_kind) {
            let _ = write!(o, " ({kind})");
        }
        let _ = writeln!(
            o,
            " | {} | {} | {} |",
            yes_no(t, f.required),
            cell(&f.traits.join(", ")),
            some(&f.doc).map(cell).unwrap_or_default()
        );
    }
}

/// The invariants of an aggregate, an entity or a value object.
fn invariants(o: &mut String, t: &Labels, invariants: &[InvariantView]) {
    if invariants.is_empty() {
        return;
    }
    let _ = write!(o, "\n**{}**\n\n", t.invariants);
    for i in invariants {
        let _ = write!(o, "- {}: {}", code(&i.name), code(&i.source));
        if let Some(doc) = some(&i.doc) {
            let _ = write!(o, ". {}", inline(doc));
        }
        o.push('\n');
    }
}

/// The lines every PlantUML diagram starts with, to its title and the
/// empty line after it.
fn puml_head(o: &mut String, t: &Labels, title: &str, of: &str) {
    let _ = write!(
        o,
        "@startuml\n' {}\n' {}\n' {}\nscale max 4096*4096\nhide circle\nhide empty members\n\
         set namespaceSeparator none\nskinparam shadowing false\ntitle {} {}\n\n",
        t.generated_puml,
        t.erd_legend,
        t.erd_scale_note,
        puml(title),
        puml(of)
    );
}

/// `erd_entity.puml.j2`: one table's box.
fn erd_entity(o: &mut String, e: &ErdEntity) {
    let _ = write!(o, "  entity \"{}\" as {} <<{}>>", puml_quoted(&e.name), e.alias, puml(&e.stereotype));
    o.push_str(if e.external { " #EEEEEE {\n" } else { " {\n" });
    let column = |o: &mut String, c: &ErdColumn| {
        let required = if c.required { "* " } else { "" };
        let _ = write!(o, "    {required}{} : {}", puml(&c.name), puml(&c.ty));
        for m in &c.markers {
            let _ = write!(o, " <<{m}>>");
        }
        o.push('\n');
    };
    for c in &e.keys {
        column(o, c);
    }
    if !e.columns.is_empty() {
        o.push_str("    --\n");
    }
    for c in &e.columns {
        column(o, c);
    }
    o.push_str("  }\n");
}

/// The relation lines at the end of both diagrams, and their end.
fn puml_relations(o: &mut String, relations: &[ErdRelation]) {
    for r in relations {
        let _ = write!(o, "{} {} {}", r.left, r.op, r.right);
        if !r.label.is_empty() {
            let _ = write!(o, " : {}", puml(&r.label));
        }
        o.push('\n');
    }
    o.push_str("@enduml\n");
}

/// `erd_context.puml.j2` (with `erd_entity.puml.j2`): a context's tables.
pub fn erd_context(view: &ErdView<'_>) -> String {
    let t = view.t;
    let mut o = String::new();
    puml_head(&mut o, t, t.erd_title_context, &view.context);
    for g in &view.groups {
        if let Some(aggregate) = &g.aggregate {
            let _ = writeln!(o, "package \"{} {}\" <<Rectangle>> {{", puml_quoted(t.aggregate), puml_quoted(aggregate));
        }
        for e in &g.entities {
            erd_entity(&mut o, e);
        }
        if g.aggregate.is_some() {
            o.push_str("}\n");
        }
        o.push('\n');
    }
    for stub in &view.stubs {
        let _ = writeln!(o, "package \"{} {}\" <<Frame>> {{", puml_quoted(t.context), puml_quoted(&stub.context));
        for e in &stub.entities {
            erd_entity(&mut o, e);
        }
        o.push_str("}\n\n");
    }
    puml_relations(&mut o, &view.relations);
    o
}

/// `erd_overview.puml.j2`: the contexts and their aggregates.
pub fn erd_overview(view: &OverviewView<'_>) -> String {
    let t = view.t;
    let mut o = String::new();
    puml_head(&mut o, t, t.erd_title_overview, &view.model);
    for c in &view.contexts {
        let _ = writeln!(o, "package \"{}\" <<Frame>> {{", puml_quoted(&c.name));
        for n in &c.nodes {
            let _ = writeln!(o, "  entity \"{}\" as {} <<{}>> {{", puml_quoted(&n.name), n.alias, puml(&n.stereotype));
            for table in &n.tables {
                let _ = writeln!(o, "    {}", puml(table));
            }
            if !n.traits.is_empty() {
                o.push_str("    --\n");
                for tr in &n.traits {
                    let _ = writeln!(o, "    {}", puml(tr));
                }
            }
            o.push_str("  }\n");
        }
        o.push_str("}\n\n");
    }
    puml_relations(&mut o, &view.relations);
    o
}

/// `text`, a section written here; debug builds (the
/// tests, the fuzzer) render it through the template `id` too and stop at
/// the first difference.
pub fn checked<V: serde::Serialize>(
    templates: &super::templates::Templates,
    id: super::TemplateId,
    view: &V,
    text: String,
) -> Result<String, String> {
    #[cfg(debug_assertions)]
    {
        let reference = templates.render(id, view)?;
        if reference != text {
            let at = reference.bytes().zip(text.bytes()).take_while(|(a, b)| a == b).count();
            // From the line's start (bytes: `at` may fall inside a character).
            let from = reference.as_bytes()[..at].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            panic!(
                "the Rust rendering of `{}` differs from the template's at byte {at}:\ntemplate: {:?}\nRust:     {:?}",
                id.file_name(),
                reference[from..].chars().take(160).collect::<String>(),
                text[from..].chars().take(160).collect::<String>()
            );
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = (templates, id, view);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::super::{catalog, dictionary, erd, labels, model_doc, templates, TemplateId};
    use crate::config::Language;

    /// The `parts` no model compared had.
    fn missing<'p>(parts: &[&'p str], with: &std::collections::BTreeSet<&str>) -> Vec<&'p str> {
        parts.iter().copied().filter(|p| !with.contains(p)).collect()
    }

    /// Every model of the repository (MiToga's and the tests'), and one
    /// written into `extra` with what none of them declares: a context's
    /// own value of one column with a check.
    fn repository_models(extra: &std::path::Path) -> Vec<std::path::PathBuf> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut models = vec![root.join("examples/mitoga/model.ddd")];
        let mut dirs = vec![root.join("tests")];
        while let Some(dir) = dirs.pop() {
            for path in std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()) {
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|x| x == "ddd") {
                    models.push(path);
                }
            }
        }
        models.sort();
        let own_value = extra.join("own_value.ddd");
        std::fs::write(
            &own_value,
            "model covered {\n  target postgres 16\n}\n\ncontext shop {\n  /// A stock code.\n  \
             value Code: text(12) check matches /^[A-Z]{3}-[0-9]{4}$/\n\n  aggregate Item {\n    code: Code\n  }\n}\n",
        )
        .unwrap();
        models.push(own_value);
        models
    }

    /// `path`'s model and its schema in `language`, when it builds.
    fn compiled(
        path: &std::path::Path,
        language: Language,
    ) -> Option<(crate::model::Model, crate::relational::Schema)> {
        let loaded = crate::loader::load(path, path).ok()?;
        if crate::diagnostics::has_errors(&loaded.diagnostics) {
            return None;
        }
        let analysis = crate::model::analyze(&loaded.files);
        if crate::diagnostics::has_errors(&analysis.diagnostics) {
            return None;
        }
        let model = analysis.model?;
        let schema = crate::relational::lower((&model, language)).ok()?;
        Some((model, schema))
    }

    /// Every model of the repository, in both languages: each context's
    /// PlantUML diagram and the overview written in Rust are the
    /// templates', byte for byte. The test fails unless, between them, the
    /// diagrams have each optional part listed below.
    #[test]
    fn the_diagrams_are_the_templates() {
        let extra = tempfile::tempdir().unwrap();
        let templates = templates::Templates::load(None, crate::config::DEFAULT_TEMPLATE_STEPS).unwrap();
        let (mut diagrams, mut with) = (0, std::collections::BTreeSet::new());
        for path in &repository_models(extra.path()) {
            for language in [Language::En, Language::Es] {
                let Some((model, schema)) = compiled(path, language) else { continue };
                let t = labels::for_language(language);
                let cat = catalog::Catalog::new(&model, &schema);
                for c in &model.contexts {
                    let view = erd::context_view(&cat, &c.name, t);
                    let reference = templates.render(TemplateId::ErdContext, &view).unwrap();
                    assert_eq!(super::erd_context(&view), reference, "{} {} ({language:?})", path.display(), c.name);
                    diagrams += 1;
                    let entities = || view.groups.iter().flat_map(|g| &g.entities);
                    for (part, present) in [
                        ("aggregates", view.groups.iter().any(|g| g.aggregate.is_some())),
                        ("tables outside any aggregate", view.groups.iter().any(|g| g.aggregate.is_none())),
                        ("stubs", !view.stubs.is_empty()),
                        ("columns", entities().any(|e| !e.columns.is_empty())),
                        ("keys only", view.stubs.iter().flat_map(|s| &s.entities).any(|e| e.columns.is_empty())),
                        ("nullable", entities().flat_map(|e| &e.columns).any(|c| !c.required)),
                        ("markers", entities().flat_map(|e| &e.columns).any(|c| !c.markers.is_empty())),
                        ("two markers", entities().flat_map(|e| &e.columns).any(|c| c.markers.len() > 1)),
                        ("labels", view.relations.iter().any(|r| !r.label.is_empty())),
                        ("no label", view.relations.iter().any(|r| r.label.is_empty())),
                    ] {
                        if present {
                            with.insert(part);
                        }
                    }
                }
                let overview = erd::overview_view(&cat, t);
                let reference = templates.render(TemplateId::ErdOverview, &overview).unwrap();
                assert_eq!(super::erd_overview(&overview), reference, "{} ({language:?})", path.display());
                diagrams += 1;
                let nodes = || overview.contexts.iter().flat_map(|c| &c.nodes);
                if nodes().any(|n| !n.traits.is_empty()) {
                    with.insert("traits");
                }
                if nodes().any(|n| n.traits.is_empty()) {
                    with.insert("no traits");
                }
                if overview.relations.iter().any(|r| !r.label.is_empty()) {
                    with.insert("overview labels");
                }
            }
        }
        assert!(diagrams > 100, "only {diagrams} diagrams compared");
        let parts = [
            "aggregates",
            "tables outside any aggregate",
            "stubs",
            "columns",
            "keys only",
            "nullable",
            "markers",
            "two markers",
            "labels",
            "no label",
            "traits",
            "no traits",
            "overview labels",
        ];
        let missing = missing(&parts, &with);
        assert!(missing.is_empty(), "no diagram compared has {missing:?}");
    }

    /// Every model the repository holds that builds (MiToga's and the
    /// tests'), and one with what none declares, in both languages: each
    /// context's sections of the data dictionary and of the model document
    /// written in Rust are the templates', byte for byte. The test fails
    /// unless, between them, the models have each of the 37 optional parts
    /// listed below (enums with doc comments, `allow`s, tenants,
    /// partitions, policies, triggers with purposes, loose references,
    /// events, personal data, checks with and without words, defaults,
    /// index predicates, value objects of one checked column, entities
    /// with tables and invariants…); the absent branch of each is in
    /// almost every section.
    #[test]
    fn the_sections_are_the_templates() {
        let extra = tempfile::tempdir().unwrap();
        let models = repository_models(extra.path());
        let templates = templates::Templates::load(None, crate::config::DEFAULT_TEMPLATE_STEPS).unwrap();
        let (mut sections, mut model_sections, mut with) = (0, 0, std::collections::BTreeSet::new());
        for path in &models {
            for language in [Language::En, Language::Es] {
                let Some((model, schema)) = compiled(path, language) else { continue };
                let (model, schema) = (&model, &schema);
                let t = labels::for_language(language);
                let cat = catalog::Catalog::new(model, schema);
                for mermaid in [false, true] {
                    let view = model_doc::view(&cat, t, t.dictionary_file, mermaid);
                    for c in &view.contexts {
                        let section = model_doc::SectionView { t, dictionary: &view.dictionary, c };
                        let text = super::model_section(&section);
                        let reference = templates.render(TemplateId::DataModelContext, &section).unwrap();
                        assert_eq!(text, reference, "{} ({language:?})", path.display());
                        model_sections += 1;
                        for (part, present) in [
                            ("value objects", !c.values.is_empty()),
                            ("single values", c.values.iter().any(|v| v.single.is_some())),
                            ("entities", c.aggregates.iter().any(|a| !a.entities.is_empty())),
                            ("events", c.aggregates.iter().any(|a| a.events.is_some())),
                            ("references", c.aggregates.iter().any(|a| !a.references.is_empty())),
                            ("publications", c.aggregates.iter().any(|a| !a.publications.is_empty())),
                            ("expected rows", c.aggregates.iter().any(|a| a.expected_rows.is_some())),
                            ("invariants", c.aggregates.iter().any(|a| !a.invariants.is_empty())),
                            ("type kinds", c.aggregates.iter().flat_map(|a| &a.fields).any(|f| f.ty_kind.is_some())),
                            (
                                "checked single values",
                                c.values.iter().any(|v| v.single.as_ref().is_some_and(|s| s.check.is_some())),
                            ),
                            ("aggregates of several tables", c.aggregates.iter().any(|a| a.tables.len() > 1)),
                            ("entity tables", c.aggregates.iter().flat_map(|a| &a.entities).any(|e| e.table.is_some())),
                            (
                                "entity invariants",
                                c.aggregates.iter().flat_map(|a| &a.entities).any(|e| !e.invariants.is_empty()),
                            ),
                            (
                                "events in a table",
                                c.aggregates.iter().any(|a| a.events.as_ref().is_some_and(|e| e.table.is_some())),
                            ),
                            ("mermaid stubs", c.mermaid.as_ref().is_some_and(|m| !m.stubs.is_empty())),
                            (
                                "mermaid keys and comments",
                                c.mermaid.iter().flat_map(|m| &m.groups).flat_map(|g| &g.entities).any(|e| {
                                    e.columns
                                        .iter()
                                        .any(|c| !c.mermaid_keys.is_empty() && !c.mermaid_comment.is_empty())
                                }),
                            ),
                            (
                                "mermaid labels",
                                c.mermaid.iter().flat_map(|m| &m.relations).any(|r| !r.label.is_empty()),
                            ),
                            (
                                "mermaid without labels",
                                c.mermaid.iter().flat_map(|m| &m.relations).any(|r| r.label.is_empty()),
                            ),
                        ] {
                            if present {
                                with.insert(part);
                            }
                        }
                    }
                }
                let view = dictionary::view(&cat, t, t.model_file);
                for c in &view.contexts {
                    let section = dictionary::SectionView { t, model_doc: &view.model_doc, c };
                    let reference = templates.render(TemplateId::DataDictionaryContext, &section).unwrap();
                    assert_eq!(super::dictionary_section(&section), reference, "{} ({language:?})", path.display());
                    sections += 1;
                    for (part, present) in [
                        ("enums", !c.enums.is_empty()),
                        ("allows", !c.allows.is_empty() || c.tables.iter().any(|t| !t.allows.is_empty())),
                        ("tenant", c.tenant.is_some()),
                        ("partitioning", c.tables.iter().any(|t| t.partitioning.is_some())),
                        ("policies", c.tables.iter().any(|t| !t.policies.is_empty())),
                        ("triggers", c.tables.iter().any(|t| !t.triggers.is_empty())),
                        ("loose references", c.tables.iter().any(|t| !t.loose_references.is_empty())),
                        ("event types", c.tables.iter().any(|t| !t.event_types.is_empty())),
                        ("personal data", c.tables.iter().any(|t| !t.pii.is_empty())),
                        ("checks", c.tables.iter().any(|t| !t.checks.is_empty())),
                        ("foreign keys", c.tables.iter().any(|t| !t.foreign_keys.is_empty())),
                        ("uniques", c.tables.iter().any(|t| !t.uniques.is_empty())),
                        ("indexes", c.tables.iter().any(|t| !t.indexes.is_empty())),
                        ("enum allows", c.enums.iter().any(|e| !e.allows.is_empty())),
                        ("origins", c.tables.iter().flat_map(|t| &t.columns).any(|c| c.origin.is_some())),
                        ("enum docs", c.enums.iter().any(|e| e.doc.is_some())),
                        ("check docs", c.tables.iter().flat_map(|t| &t.checks).any(|k| k.doc.is_some())),
                        (
                            "checks without words",
                            c.tables.iter().flat_map(|t| &t.checks).any(|k| k.model_words.is_none()),
                        ),
                        ("defaults", c.tables.iter().flat_map(|t| &t.columns).any(|c| c.default.is_some())),
                        ("primary keys", c.tables.iter().any(|t| t.primary_key.is_some())),
                        ("row-level security", c.tables.iter().any(|t| t.row_level_security)),
                        ("index predicates", c.tables.iter().flat_map(|t| &t.indexes).any(|i| i.predicate.is_some())),
                        ("trigger purposes", c.tables.iter().flat_map(|t| &t.triggers).any(|t| t.purpose.is_some())),
                    ] {
                        if present {
                            with.insert(part);
                        }
                    }
                }
            }
        }
        assert!(sections > 50, "only {sections} sections compared");
        assert!(model_sections > 50, "only {model_sections} sections of the model document compared");
        let parts = [
            "enums",
            "allows",
            "tenant",
            "partitioning",
            "policies",
            "triggers",
            "loose references",
            "event types",
            "personal data",
            "checks",
            "foreign keys",
            "uniques",
            "indexes",
            "enum allows",
            "origins",
            "value objects",
            "single values",
            "entities",
            "events",
            "references",
            "publications",
            "expected rows",
            "invariants",
            "enum docs",
            "check docs",
            "checks without words",
            "defaults",
            "primary keys",
            "row-level security",
            "index predicates",
            "trigger purposes",
            "type kinds",
            "checked single values",
            "aggregates of several tables",
            "entity tables",
            "entity invariants",
            "events in a table",
            "mermaid stubs",
            "mermaid keys and comments",
            "mermaid labels",
            "mermaid without labels",
        ];
        let missing = missing(&parts, &with);
        assert!(missing.is_empty(), "no model compared has {missing:?}");
    }
}
