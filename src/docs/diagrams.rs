//! The entity-relationship views ([`super::erd`]) as SVG [`Diagram`]s: the
//! same tables, columns, frames and lines the PlantUML files draw, for
//! pictures that need no Java. A node may link to its page of the site.

use super::catalog::RelationKind;
use super::erd::{ErdEntity, ErdRelation, ErdView, OverviewView};
use super::svg::{Diagram, Edge, End, Group, KeyMark, Node, NodeKind, Row};
use crate::relational::TableKind;

/// Where a node links to, by the table's qualified name (`schema.table`)
/// or, in an overview, the aggregate's path (`context.Aggregate`).
pub type Href<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A context's or an aggregate's diagram: each aggregate in a frame, the
/// tables of other aggregates or contexts as stubs in theirs.
pub fn tables(view: &ErdView<'_>, title: String, href: Href<'_>) -> Diagram {
    let mut d = Diagram { title, ..Diagram::default() };
    for g in &view.groups {
        let group = g.aggregate.as_ref().map(|a| {
            d.groups.push(Group { id: format!("g{}", d.groups.len()), label: format!("{} {a}", view.t.aggregate) });
            d.groups.len() - 1
        });
        d.nodes.extend(g.entities.iter().map(|e| node(e, group, href)));
    }
    for s in &view.stubs {
        d.groups.push(Group { id: format!("g{}", d.groups.len()), label: s.label.clone() });
        let group = Some(d.groups.len() - 1);
        d.nodes.extend(s.entities.iter().map(|e| node(e, group, href)));
    }
    d.edges = view.relations.iter().map(edge).collect();
    d
}

/// The overview: a frame per context, a box per aggregate listing its
/// tables and traits, a line per reference between aggregates.
pub fn overview(view: &OverviewView<'_>, title: String, href: Href<'_>) -> Diagram {
    let mut d = Diagram { title, ..Diagram::default() };
    for (i, c) in view.contexts.iter().enumerate() {
        d.groups.push(Group { id: format!("g{i}"), label: format!("{} {}", view.t.context, c.name) });
        for n in &c.nodes {
            let target = n.aggregate.as_deref().unwrap_or(&n.name);
            d.nodes.push(Node {
                id: n.alias.clone(),
                title: n.name.clone(),
                subtitle: Some(n.stereotype.clone()),
                group: Some(i),
                kind: kind(n.kind),
                rows: n.tables.iter().map(|t| Row { name: t.clone(), ..Row::default() }).collect(),
                notes: n.traits.clone(),
                href: href(target),
            });
        }
    }
    d.edges = view.relations.iter().map(edge).collect();
    d
}

fn kind(k: TableKind) -> NodeKind {
    match k {
        TableKind::AggregateRoot => NodeKind::Root,
        TableKind::Entity => NodeKind::Entity,
        TableKind::ValueList => NodeKind::ValueList,
        TableKind::Events => NodeKind::Events,
        TableKind::AuditLog => NodeKind::AuditLog,
    }
}

fn node(e: &ErdEntity, group: Option<usize>, href: Href<'_>) -> Node {
    let row = |c: &super::erd::ErdColumn| {
        let has = |m: &str| c.markers.contains(&m);
        let key = match (has("PK"), has("FK"), has("UQ")) {
            (true, true, _) => KeyMark::PkFk,
            (true, false, _) => KeyMark::Pk,
            (false, true, _) => KeyMark::Fk,
            (false, false, true) => KeyMark::Unique,
            (false, false, false) => KeyMark::None,
        };
        Row { name: c.name.clone(), ty: c.ty.clone(), key, nullable: !c.required }
    };
    Node {
        id: e.alias.clone(),
        title: e.name.clone(),
        subtitle: Some(e.stereotype.clone()),
        group,
        kind: if e.external { NodeKind::External } else { kind(e.kind) },
        rows: e.keys.iter().chain(&e.columns).map(row).collect(),
        notes: Vec::new(),
        href: href(&e.name),
    }
}

/// A relation as an edge from the referencing (or child) table to the
/// referenced (or parent) one, so that owners are drawn above what they own.
fn edge(r: &ErdRelation) -> Edge {
    let owned = |from_end: End, dashed: bool| Edge {
        from: r.right.clone(),
        to: r.left.clone(),
        from_end,
        to_end: End::One,
        dashed,
        label: Some(r.label.clone()).filter(|l| !l.is_empty()),
    };
    match r.kind {
        RelationKind::Child { one: true } => owned(End::ZeroOrOne, false),
        RelationKind::Child { one: false } | RelationKind::ValueList => owned(End::ZeroOrMany, false),
        RelationKind::Events => owned(End::ZeroOrMany, true),
        RelationKind::Reference { nullable, unique, loose } => Edge {
            from: r.left.clone(),
            to: r.right.clone(),
            from_end: if unique { End::ZeroOrOne } else { End::ZeroOrMany },
            to_end: if nullable { End::ZeroOrOne } else { End::One },
            dashed: loose,
            label: Some(r.label.clone()).filter(|l| !l.is_empty()),
        },
    }
}
