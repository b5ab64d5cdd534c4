//! Pass 2 — types: enum values, value objects and the fields of every
//! aggregate and entity get their types; identities, flags and annotations
//! are read. `ref` targets and expressions are left to the next passes, which
//! find them through the `pending` lists.

use std::collections::HashMap;

use super::annotations::{decl_annotations, field_annotations, name_override};
use super::resolver::{
    check_sql_identifier, duplicate, seen_before, Decl, EntityLoc, Looked, Owner, PendingExpr, PendingRef, Resolver,
    Slot,
};
use super::*;
use crate::diagnostics::codes::id;
use crate::diagnostics::{did_you_mean, some_names_in};

const SCALARS: &[&str] = &[
    "uuid",
    "text",
    "char",
    "smallint",
    "int",
    "bigint",
    "decimal",
    "float",
    "bool",
    "date",
    "time",
    "interval",
    "timestamp",
    "json",
    "bytes",
    "password_hash",
    "encrypted",
    "geo_point",
];

/// The scalar type a lower-case name stands for, before its arguments.
pub(super) fn scalar_named(name: &str) -> Option<&'static str> {
    SCALARS.iter().find(|s| **s == name).copied()
}

pub(super) fn run(r: &mut Resolver<'_>, halves: Halves) {
    for i in 0..r.enum_asts.len() {
        enum_values(r, EnumId(i));
    }
    for i in 0..r.value_asts.len() {
        value_object(r, ValueId(i));
    }
    value_cycles(r);
    aggregates(r, halves);
    column_limit(r);
}

/// Fewer aggregates than this are read on one thread (a bound chosen,
/// not timed: MiToga's 11 stay on one).
const AGGREGATES_APART: usize = 200;

/// Every aggregate's fields, flags and parts. Each reads its own
/// declaration and what the passes before declared, and writes only its
/// own aggregate and the lists of what it found: from
/// [`AGGREGATES_APART`] of them, the second half is read on another
/// thread by a [`Resolver::fork`] (on this one when no thread can be
/// started), whose findings are appended after the first half's.
fn aggregates(r: &mut Resolver<'_>, halves: Halves) {
    let n = r.aggregate_asts.len();
    if !halves.split(n, AGGREGATES_APART) {
        for i in 0..n {
            aggregate(r, AggregateId(i));
        }
        return;
    }
    let mid = n / 2;
    let mut fork = r.fork();
    let fork = std::thread::scope(|s| {
        let later = crate::threads::beside(s, move || {
            for i in mid..n {
                aggregate(&mut fork, AggregateId(i));
            }
            fork
        });
        for i in 0..mid {
            aggregate(r, AggregateId(i));
        }
        later.join()
    });
    r.join(fork, mid..n);
}

/// PostgreSQL's most columns in one table (`MaxHeapAttributeNumber`).
pub const MAX_TABLE_COLUMNS: u64 = 1600;

/// A table past PostgreSQL's 1,600 columns, found before lowering expands
/// the value objects: each use of a value object repeats its columns, so
/// thirty value objects that each hold the next one twice would embed a
/// billion columns, and expanding them would exhaust the machine. Counted
/// here at least as lowering will (a reference as one column, the
/// generated columns not at all); lowering reports the exact count of a
/// table this misses.
fn column_limit(r: &mut Resolver<'_>) {
    let leaves = value_columns(&r.model.values);
    let of = |f: &Field| match f.ty {
        FieldType::Value(v) => leaves[v.0],
        FieldType::ValueList(_) => 0,
        _ => 1,
    };
    let mut errors = Vec::new();
    for a in &r.model.aggregates {
        let context = &r.model.contexts[a.context.0].name;
        for e in a.root.walk() {
            let mut total: u64 = 0;
            for f in &e.fields {
                total = total.saturating_add(of(f));
                if total > MAX_TABLE_COLUMNS {
                    errors.push(too_many_columns(&format!("{context}.{}", e.name), f, of(f), total));
                    break;
                }
            }
            for f in &e.fields {
                if let FieldType::ValueList(v) = f.ty {
                    if leaves[v.0] > MAX_TABLE_COLUMNS {
                        let table = format!("{context}.{}.{}", e.name, f.name);
                        errors.push(too_many_columns(&table, f, leaves[v.0], leaves[v.0]));
                    }
                }
            }
        }
    }
    for d in errors {
        r.error(d);
    }
}

fn too_many_columns(table: &str, f: &Field, own: u64, total: u64) -> Diagnostic {
    let count = |n: u64| if n == u64::MAX { "2^64 or more".to_string() } else { n.to_string() };
    let label = if own == total {
        format!("`{}` alone gives {} columns", f.name, count(own))
    } else {
        format!("`{}` gives {} column(s), which brings the table to at least {}", f.name, count(own), count(total))
    };
    Diagnostic::error(id::E0602, format!("the table of `{table}` would have more than {MAX_TABLE_COLUMNS} columns"))
        .at(f.span, label)
        .with_help(
            "PostgreSQL allows 1600 columns per table; a value object is repeated at every use (inside another one too): \
             embed fewer, or keep some fields in an entity or a list of their own",
        )
}

/// The columns each value object embeds, as lowering expands it (a nested
/// value object's at every use; a list or a reference inside one adds
/// none), saturating. Found without recursion: a chain of thousands of
/// value objects is a model one can write.
pub(crate) fn value_columns(values: &[ValueObject]) -> Vec<u64> {
    // 0: not reached, 1: its nested value objects are being counted, 2: done.
    let mut state = vec![0u8; values.len()];
    let mut out = vec![0u64; values.len()];
    let parts = |v: usize| match &values[v].shape {
        ValueShape::Fields { fields, .. } => fields.as_slice(),
        ValueShape::Single { .. } => &[],
    };
    for root in 0..values.len() {
        let mut stack = vec![root];
        while let Some(&v) = stack.last() {
            match state[v] {
                0 => {
                    state[v] = 1;
                    stack.extend(parts(v).iter().filter_map(|f| match f.ty {
                        FieldType::Value(t) if state[t.0] == 0 => Some(t.0),
                        _ => None,
                    }));
                }
                1 => {
                    // A nested value object still at 1 would close a cycle
                    // (cut before this pass): it counts as nothing.
                    out[v] = match &values[v].shape {
                        ValueShape::Single { .. } => 1,
                        ValueShape::Fields { fields, .. } => fields.iter().fold(0u64, |n, f| {
                            n.saturating_add(match f.ty {
                                FieldType::Value(t) if state[t.0] == 2 => out[t.0],
                                FieldType::Value(_) | FieldType::ValueList(_) | FieldType::Ref(_) => 0,
                                _ => 1,
                            })
                        }),
                    };
                    state[v] = 2;
                    stack.pop();
                }
                _ => {
                    stack.pop();
                }
            }
        }
    }
    out
}

fn enum_values(r: &mut Resolver<'_>, eid: EnumId) {
    let ast = r.enum_asts[eid.0];
    let (was, allows) = decl_annotations(r, &ast.annotations, "enum");
    let mut values = Vec::new();
    let mut seen: HashMap<String, Span> = HashMap::new();
    for v in &ast.values {
        if let Some(first) = seen_before(&mut seen, v.name.name.clone(), v.name.span) {
            duplicate(r, "enum value", &v.name, first);
            continue;
        }
        let (vwas, _) = decl_annotations(r, &v.annotations, "enum value");
        values.push(EnumValue {
            name: v.name.name.clone(),
            doc: v.doc.as_ref().map(|d| d.text.clone()),
            span: v.name.span,
            was: vwas,
        });
    }
    if values.is_empty() {
        r.error(
            Diagnostic::error(id::E0507, format!("enum `{}` has no values", ast.name.name))
                .at(ast.name.span, "empty enum")
                .with_help("list its values in UPPER_SNAKE case, one per line"),
        );
    }
    let e = &mut r.model.enums[eid.0];
    e.values = values;
    e.was = was;
    e.allows = allows;
}

fn value_object(r: &mut Resolver<'_>, vid: ValueId) {
    let ast = r.value_asts[vid.0];
    let scope = r.model.values[vid.0].context;
    let (_, allows) = decl_annotations(r, &ast.annotations, "value object");
    let shape = match &ast.body {
        ast::ValueBody::Single { ty, check } => {
            let scalar = match ty {
                ast::TypeExpr::Named(t) if !t.array && !t.optional && t.flag.is_none() && t.name.parts.len() == 1 => {
                    scalar(r, t)
                }
                _ => None,
            };
            let Some(scalar) = scalar else {
                if !matches!(ty, ast::TypeExpr::Named(t) if t.name.parts.len() == 1 && scalar_named(&t.name.parts[0].name).is_some())
                {
                    r.error(
                        Diagnostic::error(id::E0102, "a single-column value object needs a scalar type")
                            .at(ty.span(), "expected a scalar type like `text(255)` or `decimal(12, 2)`")
                            .with_help(
                                "write the other fields as a multi-field value object: `value X { a: T  b: U }`",
                            ),
                    );
                }
                return;
            };
            if let Some(c) = check {
                r.pending_exprs.push(PendingExpr { owner: Owner::Value(vid), slot: Slot::ValueCheck, ast: c });
            }
            ValueShape::Single { ty: scalar, check: None }
        }
        ast::ValueBody::Fields(items) => {
            let mut fields = Vec::new();
            let mut invariants = Vec::new();
            let mut seen: HashMap<&str, Span> = HashMap::new();
            let mut seen_invariants: HashMap<&str, Span> = HashMap::new();
            for item in items {
                match item {
                    ast::ValueItem::Field(f) => {
                        if f.name.name == "id" {
                            r.error(
                                Diagnostic::error(
                                    id::E0201,
                                    format!("value object `{}` has an `id` field", ast.name.name),
                                )
                                .at(f.name.span, "value objects have no identity")
                                .with_help(
                                    "rename the field, or make this an entity or aggregate if it needs an identity",
                                ),
                            );
                            continue;
                        }
                        if let Some(first) = seen_before(&mut seen, &f.name.name, f.name.span) {
                            duplicate(r, "field", &f.name, first);
                            continue;
                        }
                        if let ast::TypeExpr::Ref(rt) = &f.ty {
                            r.error(
                                Diagnostic::error(id::E0305, "a value object cannot hold a `ref`")
                                    .at(rt.span, "references belong to aggregates and entities")
                                    .with_help("move the reference to the aggregate that embeds this value object"),
                            );
                            continue;
                        }
                        let owner = Owner::Value(vid);
                        if let Some(field) = field(r, f, scope, &owner, fields.len(), true) {
                            fields.push(field);
                        }
                    }
                    ast::ValueItem::Invariant(inv) => {
                        let idx = invariants.len();
                        if let Some(i) = invariant(r, inv, &mut seen_invariants) {
                            r.pending_exprs.push(PendingExpr {
                                owner: Owner::Value(vid),
                                slot: Slot::Invariant(idx),
                                ast: &inv.expr,
                            });
                            invariants.push(i);
                        }
                    }
                }
            }
            if fields.is_empty() && !items.is_empty() {
                // Every field had an error, already reported.
            } else if fields.is_empty() {
                r.error(
                    Diagnostic::error(id::E0507, format!("value object `{}` has no fields", ast.name.name))
                        .at(ast.name.span, "empty value object")
                        .with_help("give it fields, or write it as a single-column value: `value X: text(50)`"),
                );
            }
            ValueShape::Fields { fields, invariants }
        }
    };
    let v = &mut r.model.values[vid.0];
    v.shape = shape;
    v.allows = allows;
}

/// A value object that embeds itself, directly or not, has infinitely many
/// columns.
fn value_cycles(r: &mut Resolver<'_>) {
    let n = r.model.values.len();
    let edges: Vec<Vec<(ValueId, Span)>> = r
        .model
        .values
        .iter()
        .map(|v| match &v.shape {
            ValueShape::Fields { fields, .. } => fields
                .iter()
                .filter_map(|f| match f.ty {
                    FieldType::Value(t) | FieldType::ValueList(t) => Some((t, f.span)),
                    _ => None,
                })
                .collect(),
            ValueShape::Single { .. } => Vec::new(),
        })
        .collect();
    let mut reported = vec![false; n];
    // Each search starts only from a value object that may be on a cycle,
    // and a node's path is kept as a link to the node it was reached from:
    // a chain of 4,000 value objects took 91 s when every value object was
    // searched from, each pushed node carrying a copy of its path.
    let candidates = maybe_on_cycle(&edges);
    let mut seen = vec![usize::MAX; n];
    let mut from = vec![usize::MAX; n];
    for start in 0..n {
        if !candidates[start] || reported[start] {
            continue;
        }
        // Depth-first search for a path back to `start`.
        let mut stack = vec![ValueId(start)];
        while let Some(v) = stack.pop() {
            for (t, span) in &edges[v.0] {
                if t.0 == start && !reported[start] {
                    reported[start] = true;
                    // `start`, then the nodes that led to `v`, then `v`.
                    let (mut path, mut at) = (vec![v.0], v.0);
                    while at != start {
                        at = from[at];
                        path.push(at);
                    }
                    path.reverse();
                    // One error per cycle: its other members are not
                    // searched again (a cycle of 4,000 value objects gave
                    // 4,000 errors of 4,000 names each, 157 MB).
                    for &member in &path {
                        reported[member] = true;
                    }
                    let names: Vec<String> =
                        path.iter().chain(std::iter::once(&start)).map(|i| r.model.values[*i].name.clone()).collect();
                    let first_span =
                        edges[start].iter().find(|(t2, _)| path.get(1).map_or(t2.0 == start, |p| t2.0 == *p));
                    let span = first_span.map_or(*span, |(_, s)| *s);
                    r.error(
                        Diagnostic::error(id::E0205, format!("value object `{}` contains itself", r.model.values[start].name))
                            .at(span, format!("{} → …", names.join(" → ")))
                            .with_help("a value object is embedded as columns, so it cannot contain itself; break the cycle with an aggregate and a `ref`"),
                    );
                } else if seen[t.0] != start {
                    seen[t.0] = start;
                    from[t.0] = v.0;
                    stack.push(*t);
                }
            }
        }
    }
    // Cut the cycles so that later passes never loop.
    for (i, cut) in reported.iter().enumerate() {
        if *cut {
            if let ValueShape::Fields { fields, .. } = &mut r.model.values[i].shape {
                fields.retain(|f| !matches!(f.ty, FieldType::Value(_) | FieldType::ValueList(_)));
            }
        }
    }
}

/// Which nodes may lie on a cycle: what remains after repeatedly removing
/// the nodes nothing points to, and then those that point nowhere (what
/// remains includes every cycle, and on an acyclic graph nothing does).
fn maybe_on_cycle(edges: &[Vec<(ValueId, Span)>]) -> Vec<bool> {
    let n = edges.len();
    let mut alive = vec![true; n];
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (v, out) in edges.iter().enumerate() {
        for (t, _) in out {
            preds[t.0].push(v);
        }
    }
    // Nodes without a live predecessor, then nodes without a live successor.
    let mut indegree: Vec<usize> = preds.iter().map(Vec::len).collect();
    let mut queue: Vec<usize> = (0..n).filter(|&v| indegree[v] == 0).collect();
    while let Some(v) = queue.pop() {
        alive[v] = false;
        for (t, _) in &edges[v] {
            indegree[t.0] -= 1;
            if indegree[t.0] == 0 {
                queue.push(t.0);
            }
        }
    }
    let mut outdegree: Vec<usize> = edges.iter().map(|out| out.iter().filter(|(t, _)| alive[t.0]).count()).collect();
    let mut queue: Vec<usize> = (0..n).filter(|&v| alive[v] && outdegree[v] == 0).collect();
    while let Some(v) = queue.pop() {
        alive[v] = false;
        for &p in &preds[v] {
            if alive[p] {
                outdegree[p] -= 1;
                if outdegree[p] == 0 {
                    queue.push(p);
                }
            }
        }
    }
    alive
}

fn aggregate(r: &mut Resolver<'_>, aid: AggregateId) {
    let ast = r.aggregate_asts[aid.0];
    let ctx = r.model.aggregates[aid.0].context;
    let loc = EntityLoc { aggregate: aid, path: Vec::new() };
    let timestamps = r.model.defaults.timestamps;
    let mut agg = r.model.aggregates[aid.0].clone();
    agg.soft_delete = r.model.defaults.soft_delete;
    let decl = EntityDecl {
        name: &ast.name,
        doc: ast.doc.as_ref(),
        table_as: ast.table_as.as_ref(),
        one: false,
        annotations: &ast.annotations,
        items: &ast.items,
    };
    let root = entity_body(r, decl, ctx, &loc, timestamps, Some(&mut agg));
    agg.root = root;
    if let Some(column) = r.model.contexts[ctx.0].tenant_by.clone() {
        agg.tenant = Some(column);
    }
    r.model.aggregates[aid.0] = agg;
}

/// A declaration of an aggregate root or entity, as `entity_body` reads it.
struct EntityDecl<'a> {
    name: &'a ast::Ident,
    doc: Option<&'a ast::Doc>,
    table_as: Option<&'a ast::Ident>,
    one: bool,
    annotations: &'a [ast::Annotation],
    items: &'a [ast::AggregateItem],
}

/// What reading an entity's items gathers besides the entity itself.
struct EntityState<'a, 'r> {
    e: Entity,
    loc: EntityLoc,
    ctx: ContextId,
    owner: Owner,
    /// The aggregate, when this is its root: root-only items set it.
    root: Option<&'r mut Aggregate>,
    seen_fields: HashMap<&'a str, Span>,
    seen_invariants: HashMap<&'a str, Span>,
    key: Option<(&'a ast::Ident, Vec<ast::Ident>, Span)>,
    id_field: Option<&'a ast::Field>,
    once: HashMap<&'static str, Span>,
}

impl EntityState<'_, '_> {
    /// `what` may appear once per entity: reports the second.
    fn once(&mut self, r: &mut Resolver<'_>, what: &'static str, span: Span) -> bool {
        if let Some(first) = seen_before(&mut self.once, what, span) {
            r.error(
                Diagnostic::error(id::E0507, format!("`{what}` declared more than once"))
                    .at(span, "declared again here")
                    .with_secondary(first, "first declared here")
                    .with_help(format!("keep one `{what}`")),
            );
            return false;
        }
        true
    }

    /// `what` applies to a whole aggregate: reports it inside an entity.
    fn root_only(&self, r: &mut Resolver<'_>, what: &str, span: Span) -> bool {
        if self.root.is_none() {
            r.error(
                Diagnostic::error(id::E0504, format!("`{what}` inside an entity"))
                    .at(span, "allowed on an aggregate root only")
                    .with_help(format!("move `{what}` to the aggregate root: it applies to the whole aggregate")),
            );
        }
        self.root.is_some()
    }
}

/// An aggregate root (with `root`) or an entity: its items, one function
/// each, then its identity.
fn entity_body<'a>(
    r: &mut Resolver<'a>,
    decl: EntityDecl<'a>,
    ctx: ContextId,
    loc: &EntityLoc,
    inherited_timestamps: bool,
    root: Option<&mut Aggregate>,
) -> Entity {
    let kind = if root.is_some() { "aggregate" } else { "entity" };
    let (was, allows) = decl_annotations(r, decl.annotations, kind);
    if let Some(t) = decl.table_as {
        r.check_identifier(t, "table name");
    }
    // Each list sized at once from the items (a field is 384 bytes, and a
    // model of 2,000 aggregates has 26,000: grown by doubling, a list of 13
    // was allocated three times, its fields copied about once each, and 3
    // of its 16 places stayed empty).
    let count = |is: fn(&ast::AggregateItem) -> bool| decl.items.iter().filter(|i| is(i)).count();
    let fields = count(|i| matches!(i, ast::AggregateItem::Field(_)));
    let invariants = count(|i| matches!(i, ast::AggregateItem::Invariant(_)));
    let e = Entity {
        name: decl.name.name.clone(),
        doc: decl.doc.map(|d| d.text.clone()),
        span: decl.name.span,
        table_as: decl.table_as.map(|t| t.name.clone()),
        one: decl.one,
        identity: Identity::Uuid,
        fields: Vec::with_capacity(fields),
        invariants: Vec::with_capacity(invariants),
        indexes: Vec::with_capacity(count(|i| matches!(i, ast::AggregateItem::Index(_)))),
        entities: Vec::new(),
        timestamps: inherited_timestamps,
        search: None,
        was,
        allows,
    };
    let mut st = EntityState {
        e,
        loc: loc.clone(),
        ctx,
        owner: Owner::Entity(loc.clone()),
        root,
        seen_fields: HashMap::with_capacity(fields),
        seen_invariants: HashMap::with_capacity(invariants),
        key: None,
        id_field: None,
        once: HashMap::new(),
    };
    for item in decl.items {
        match item {
            ast::AggregateItem::Field(f) => entity_field(r, &mut st, f),
            ast::AggregateItem::Flag(flag) => entity_flag(r, &mut st, flag),
            ast::AggregateItem::ExpectedRows { rows, span, .. } => {
                if st.once(r, "expected_rows", *span) && st.root_only(r, "expected_rows", *span) {
                    if let Some(a) = st.root.as_deref_mut() {
                        a.expected_rows = Some(*rows);
                    }
                }
            }
            ast::AggregateItem::Key { columns, span } => {
                if st.once(r, "key", *span) {
                    st.key = Some((decl.name, columns.clone(), *span));
                }
            }
            ast::AggregateItem::Invariant(inv) => entity_invariant(r, &mut st, inv),
            ast::AggregateItem::Index(ix) => {
                let idx = st.e.indexes.len();
                st.e.indexes.push(index(r, ix, &st.owner, idx));
            }
            ast::AggregateItem::Entity(child) => child_entity(r, &mut st, child),
            ast::AggregateItem::Events(ev) => {
                if st.once(r, "events", ev.span) && st.root_only(r, "events", ev.span) {
                    let ev_model = events(r, ev);
                    if let Some(a) = st.root.as_deref_mut() {
                        a.events = Some(ev_model);
                    }
                }
            }
            ast::AggregateItem::Partition(p) => entity_partition(r, &mut st, p),
            ast::AggregateItem::Search(s) => {
                if st.once(r, "search", s.span) {
                    r.search_asts.push((st.loc.clone(), s));
                    st.e.search = Some(Search { config: s.config.name.clone(), items: Vec::new(), span: s.span });
                }
            }
        }
    }
    if st.key.is_some() {
        // With a natural key, `id` is an ordinary field.
        let has_flag = |f: &ast::Field| matches!(&f.ty, ast::TypeExpr::Named(t) if t.flag.is_some());
        if let Some(f) = st.id_field.filter(|f| !has_flag(f)) {
            let idx = st.e.fields.len();
            if let Some(field) = field(r, f, Some(ctx), &st.owner, idx, false) {
                st.e.fields.push(field);
            }
        }
    }
    st.e.identity = identity(r, &st.e, st.key, st.id_field);
    st.e
}

fn entity_field<'a>(r: &mut Resolver<'a>, st: &mut EntityState<'a, '_>, f: &'a ast::Field) {
    if let Some(first) = seen_before(&mut st.seen_fields, &f.name.name, f.name.span) {
        duplicate(r, "field", &f.name, first);
        return;
    }
    if f.name.name == "id" {
        st.id_field = Some(f);
        return;
    }
    let idx = st.e.fields.len();
    if let ast::TypeExpr::Ref(rt) = &f.ty {
        r.pending_refs.push(PendingRef { loc: st.loc.clone(), field: idx, ast: rt, scope: st.ctx });
    }
    if let Some(field) = field(r, f, Some(st.ctx), &st.owner, idx, false) {
        st.e.fields.push(field);
    }
}

fn entity_flag(r: &mut Resolver<'_>, st: &mut EntityState<'_, '_>, flag: &ast::Flag) {
    let on = !flag.negated;
    match flag.kind {
        ast::FlagKind::Timestamps => st.e.timestamps = on,
        ast::FlagKind::SoftDelete => {
            if st.root_only(r, "soft_delete", flag.span) {
                if let Some(a) = st.root.as_deref_mut() {
                    a.soft_delete = on;
                }
            }
        }
        ast::FlagKind::Audited => {
            if st.root_only(r, "audited", flag.span) {
                if let Some(a) = st.root.as_deref_mut() {
                    a.audited = on;
                }
            }
        }
        ast::FlagKind::TenantScoped => {
            if st.root_only(r, "tenant_scoped", flag.span) {
                if let Some(a) = st.root.as_deref_mut() {
                    a.tenant = on.then(|| "tenant_id".to_string());
                }
            }
        }
    }
}

fn entity_invariant<'a>(r: &mut Resolver<'a>, st: &mut EntityState<'a, '_>, inv: &'a ast::Invariant) {
    let idx = st.e.invariants.len();
    if let Some(i) = invariant(r, inv, &mut st.seen_invariants) {
        r.pending_exprs.push(PendingExpr { owner: st.owner.clone(), slot: Slot::Invariant(idx), ast: &inv.expr });
        st.e.invariants.push(i);
    }
}

fn child_entity<'a>(r: &mut Resolver<'a>, st: &mut EntityState<'a, '_>, child: &'a ast::Entity) {
    let mut child_loc = st.loc.clone();
    child_loc.path.push(st.e.entities.len());
    let decl = EntityDecl {
        name: &child.name,
        doc: child.doc.as_ref(),
        table_as: child.table_as.as_ref(),
        one: child.one.is_some(),
        annotations: &child.annotations,
        items: &child.items,
    };
    let child_entity = entity_body(r, decl, st.ctx, &child_loc, st.e.timestamps, None);
    st.e.entities.push(child_entity);
}

fn entity_partition<'a>(r: &mut Resolver<'a>, st: &mut EntityState<'a, '_>, p: &'a ast::Partition) {
    if !(st.once(r, "partition", p.span) && st.root_only(r, "partition", p.span)) {
        return;
    }
    let spec = match &p.kind {
        ast::PartitionKind::Range { range } => PartitionSpec::Range(range.map(month_range)),
        ast::PartitionKind::Hash { modulus, .. } => PartitionSpec::Hash(*modulus),
        ast::PartitionKind::List { parts } => PartitionSpec::List(
            parts
                .iter()
                .map(|lp| ListPartition {
                    name: lp.name.name.clone(),
                    values: lp
                        .values
                        .iter()
                        .filter_map(|v| match &v.kind {
                            ast::ExprKind::Literal(l) => Some(Literal::from(l)),
                            _ => None,
                        })
                        .collect(),
                })
                .collect(),
        ),
    };
    if let Some(a) = st.root.as_deref_mut() {
        a.partition = Some(Partition { column: p.column.name.clone(), spec, span: p.span });
    }
    r.partition_asts.push((st.loc.aggregate, p));
}

fn identity(
    r: &mut Resolver<'_>,
    e: &Entity,
    key: Option<(&ast::Ident, Vec<ast::Ident>, Span)>,
    id_field: Option<&ast::Field>,
) -> Identity {
    if let Some((_, columns, span)) = key {
        if let Some(f) = id_field {
            if let ast::TypeExpr::Named(t) = &f.ty {
                if let Some((_, fspan)) = t.flag {
                    r.error(
                        Diagnostic::error(id::E0506, "a natural key together with a generated `id`")
                            .at(fspan, "this `id` would be generated")
                            .with_secondary(span, "but the table is identified by this key")
                            .with_help("remove `key (…)` to use the generated id, or remove the flag from `id`"),
                    );
                }
            }
        }
        let mut cols = Vec::new();
        for c in &columns {
            match e.field(&c.name) {
                Some(f) if f.nullable => r.error(
                    Diagnostic::error(id::E0506, format!("key field `{}` is optional", c.name))
                        .at(c.span, "a primary key column cannot be NULL")
                        .with_secondary(f.span, "declared optional here")
                        .with_help(format!("remove the `?` from `{}`", c.name)),
                ),
                Some(f) => match &f.ty {
                    FieldType::Scalar(_) | FieldType::Enum(_) => cols.push(f.column.clone()),
                    FieldType::Value(v) if matches!(r.model.values[v.0].shape, ValueShape::Single { .. }) => {
                        cols.push(f.column.clone())
                    }
                    _ => r.error(
                        Diagnostic::error(id::E0506, format!("key field `{}` is not a plain column", c.name))
                            .at(c.span, "keys are made of scalar, enum or single-column value fields")
                            .with_help("use a surrogate `id` instead, and `unique (…)` on these fields"),
                    ),
                },
                None => unknown_field(r, &c.name, c.span, e.fields.iter().map(|f| f.name.as_str())),
            }
        }
        return Identity::Natural(cols);
    }
    let Some(f) = id_field else {
        return Identity::Uuid;
    };
    let ast::TypeExpr::Named(t) = &f.ty else {
        r.error(
            Diagnostic::error(id::E0203, "`id` cannot be a reference")
                .at(f.ty.span(), "the identity of a table is its own")
                .with_help("name the reference field differently, e.g. `owner: ref X`"),
        );
        return Identity::Uuid;
    };
    if t.optional {
        r.error(
            Diagnostic::error(id::E0203, "`id` cannot be optional")
                .at(t.span, "a primary key is never NULL")
                .with_help("remove the `?`"),
        );
    }
    let scalar_ty = if t.name.parts.len() == 1 && !t.array { scalar(r, t) } else { None };
    let Some(s) = scalar_ty else {
        r.error(
            Diagnostic::error(id::E0203, "`id` must have a scalar type")
                .at(t.span, "expected `uuid`, `bigint identity`, `uuid v7` or another scalar")
                .with_help("write `id: bigint identity` or `id: uuid v7`, or leave `id` out for a random UUID"),
        );
        return Identity::Uuid;
    };
    match (t.flag, s) {
        (None, Scalar::Uuid) => Identity::Uuid,
        (Some((ast::TypeFlag::V7, _)), Scalar::Uuid) => Identity::UuidV7,
        (Some((ast::TypeFlag::Identity, _)), Scalar::SmallInt | Scalar::Int | Scalar::BigInt) => Identity::Identity(s),
        (None, other) => Identity::Supplied(other),
        (Some((flag, span)), other) => {
            let (word, fits) = match flag {
                ast::TypeFlag::V7 => ("v7", "`uuid`"),
                ast::TypeFlag::Identity => ("identity", "`smallint`, `int` or `bigint`"),
            };
            r.error(
                Diagnostic::error(id::E0203, format!("`{word}` on a `{}` id", other.ddd()))
                    .at(span, format!("`{word}` applies to {fits} only"))
                    .with_help("write `id: bigint identity` or `id: uuid v7`"),
            );
            Identity::Supplied(other)
        }
    }
}

fn unknown_field<'b>(r: &mut Resolver<'_>, name: &str, span: Span, candidates: impl Iterator<Item = &'b str>) {
    let names: Vec<&str> = candidates.collect();
    let close = did_you_mean(name, names.iter().copied());
    r.error(unknown_field_error(name, span, close, names.into_iter()));
}

/// [`unknown_field`]'s diagnostic, given the name `close` to it among
/// `names`, the names here (only the first dozen are read).
pub(super) fn unknown_field_error<'b>(
    name: &str,
    span: Span,
    close: Option<&str>,
    names: impl ExactSizeIterator<Item = &'b str>,
) -> Diagnostic {
    let d = Diagnostic::error(id::E0105, format!("unknown field `{name}`")).at(span, "no such field here");
    match close {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None if names.len() == 0 => d.with_help("declare the field first"),
        None => d.with_help(format!("the fields here are: {}", some_names_in(names))),
    }
}

fn month_range(r: ast::MonthRange) -> MonthRange {
    MonthRange {
        from: Month { year: r.from.year, month: r.from.month },
        to: Month { year: r.to.year, month: r.to.month },
    }
}

fn events(r: &mut Resolver<'_>, ev: &ast::Events) -> Events {
    let (_, allows) = decl_annotations(r, &ev.annotations, "events");
    if let Some(t) = &ev.table_as {
        r.check_identifier(t, "table name");
    }
    let mut seen: HashMap<String, Span> = HashMap::new();
    let mut names = Vec::new();
    for n in &ev.names {
        if let Some(first) = seen_before(&mut seen, n.name.name.clone(), n.name.span) {
            duplicate(r, "event", &n.name, first);
            continue;
        }
        names.push(EventDef {
            name: n.name.name.clone(),
            doc: n.doc.as_ref().map(|d| d.text.clone()),
            span: n.name.span,
        });
    }
    if names.is_empty() {
        r.error(
            Diagnostic::error(id::E0507, "`events` lists no event")
                .at(ev.span, "empty events block")
                .with_help("list the event names, e.g. `RESERVA_CREADA`"),
        );
    }
    Events {
        table_as: ev.table_as.as_ref().map(|t| t.name.clone()),
        outbox: ev.outbox.is_some(),
        range: ev.range.map(month_range),
        names,
        doc: ev.doc.as_ref().map(|d| d.text.clone()),
        span: ev.span,
        allows,
    }
}

/// An invariant of an entity or value object; `None` when `seen` already
/// has its name.
fn invariant<'a>(
    r: &mut Resolver<'_>,
    inv: &'a ast::Invariant,
    seen: &mut HashMap<&'a str, Span>,
) -> Option<Invariant> {
    if let Some(first) = seen_before(seen, &inv.name.name, inv.name.span) {
        duplicate(r, "invariant", &inv.name, first);
        return None;
    }
    let (_, allows) = decl_annotations(r, &inv.annotations, "invariant");
    let constraint_name = name_override(r, &inv.annotations);
    Some(Invariant {
        name: inv.name.name.clone(),
        constraint_name,
        doc: inv.doc.as_ref().map(|d| d.text.clone()),
        span: inv.name.span,
        source: crate::syntax::fmt::expr_to_string(&inv.expr),
        expr: placeholder(inv.expr.span),
        allows,
    })
}

pub(super) fn placeholder(span: Span) -> TExpr {
    TExpr { kind: TExprKind::Literal(Literal::Bool(true)), ty: ExprType::Bool, nullable: false, span }
}

fn index<'a>(r: &mut Resolver<'a>, ix: &'a ast::IndexDecl, owner: &Owner, idx: usize) -> Index {
    let method = match &ix.method {
        None => IndexMethod::Btree,
        Some(m) => match m.name.as_str() {
            "btree" => IndexMethod::Btree,
            "gin" => IndexMethod::Gin,
            "gist" => IndexMethod::Gist,
            "brin" => IndexMethod::Brin,
            "hash" => IndexMethod::Hash,
            other => {
                let mut d = Diagnostic::error(id::E0107, format!("unknown index method `{other}`"))
                    .at(m.span, "expected btree, gin, gist, brin or hash");
                if let Some(s) = did_you_mean(other, ["btree", "gin", "gist", "brin", "hash"]) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                } else {
                    d = d.with_help("index methods are btree (default), gin, gist, brin and hash");
                }
                r.error(d);
                IndexMethod::Btree
            }
        },
    };
    if ix.unique && !matches!(method, IndexMethod::Btree) {
        if let Some(m) = &ix.method {
            r.error(
                Diagnostic::error(id::E0107, format!("a unique index cannot use `{}`", m.name))
                    .at(m.span, "PostgreSQL enforces uniqueness with btree indexes only")
                    .with_help("remove `using …` from this `unique`"),
            );
        }
    }
    for (i, item) in ix.items.iter().enumerate() {
        r.pending_exprs.push(PendingExpr { owner: owner.clone(), slot: Slot::IndexItem(idx, i), ast: item });
    }
    if let Some(w) = &ix.where_clause {
        r.pending_exprs.push(PendingExpr { owner: owner.clone(), slot: Slot::IndexWhere(idx), ast: w });
    }
    let (_, allows) = decl_annotations(r, &ix.annotations, if ix.unique { "unique" } else { "index" });
    Index {
        unique: ix.unique,
        method,
        items: ix.items.iter().map(|e| placeholder(e.span)).collect(),
        where_clause: None,
        including_deleted: ix.including_deleted.is_some(),
        name: name_override(r, &ix.annotations),
        doc: ix.doc.as_ref().map(|d| d.text.clone()),
        span: ix.span,
        allows,
    }
}

/// A field of an aggregate, entity or value object (not `id`, not a ref's
/// target: those are resolved elsewhere).
fn field<'a>(
    r: &mut Resolver<'a>,
    f: &'a ast::Field,
    scope: Option<ContextId>,
    owner: &Owner,
    idx: usize,
    in_value: bool,
) -> Option<Field> {
    let mut out = Field {
        name: f.name.name.clone(),
        column: f.name.name.clone(),
        column_explicit: false,
        column_span: None,
        doc: f.doc.as_ref().map(|d| d.text.clone()),
        span: f.name.span,
        ty: FieldType::Scalar(Scalar::Text(None)),
        nullable: f.ty.is_optional(),
        default: None,
        unique: f.unique.is_some(),
        indexed: f.indexed.is_some(),
        was: None,
        pii: false,
        backfill: None,
        name_override: None,
        allows: Vec::new(),
    };
    field_annotations(r, f, &mut out, owner, idx);
    check_sql_identifier(&mut r.diagnostics, &out.column, out.column_span.unwrap_or(f.name.span), "column name");
    out.ty = match &f.ty {
        ast::TypeExpr::Ref(rt) => {
            if let Some(d) = &f.default {
                r.error(
                    Diagnostic::error(id::E0204, "a reference cannot have a default")
                        .at(d.span, "no default for a reference")
                        .with_help("remove the default; make the reference optional (`ref X?`) if it may be absent"),
                );
            }
            FieldType::Ref(Ref {
                target: AggregateId(usize::MAX),
                on_delete: rt.on_delete.map_or(RefAction::Restrict, |a| a.0.into()),
                on_update: rt.on_update.map_or(RefAction::Restrict, |a| a.0.into()),
                loose: rt.loose.is_some(),
                key: Vec::new(),
            })
        }
        ast::TypeExpr::Named(t) => match named_type(r, t, scope, in_value) {
            Some(ty) => ty,
            None => {
                r.poisoned.push((owner.clone(), f.name.name.clone()));
                return None;
            }
        },
    };
    if let Some((flag, span)) = match &f.ty {
        ast::TypeExpr::Named(t) => t.flag,
        _ => None,
    } {
        let word = if flag == ast::TypeFlag::V7 { "v7" } else { "identity" };
        r.error(
            Diagnostic::error(id::E0203, format!("`{word}` on field `{}`", f.name.name))
                .at(span, "only the `id` field can be generated this way")
                .with_help(format!("name the field `id`, or remove `{word}`")),
        );
    }
    if let Some(span) = f.unique.or(f.indexed) {
        let word = if f.unique.is_some() { "unique" } else { "indexed" };
        if matches!(out.ty, FieldType::ValueList(_)) {
            r.error(
                Diagnostic::error(id::E0207, format!("`{word}` on a list"))
                    .at(span, "a list is a table of its own")
                    .with_help("declare a `unique (…)` inside the owner instead, or remove the modifier"),
            );
        } else if f.unique.is_some()
            && matches!(out.ty, FieldType::Scalar(Scalar::Json | Scalar::GeoPoint | Scalar::Encrypted))
        {
            r.error(
                Diagnostic::error(id::E0207, format!("`unique` on a `{}` field", type_word(&out.ty)))
                    .at(span, "uniqueness of this type is not meaningful")
                    .with_help("remove `unique`, or make it unique on an expression with `unique (…)`"),
            );
        } else if in_value {
            r.error(
                Diagnostic::error(id::E0207, format!("`{word}` inside a value object"))
                    .at(span, "a value object has no table of its own")
                    .with_help("put `unique`/`indexed` on the field that embeds the value object, or use `index (field.part)` in the owner"),
            );
        }
    }
    if let Some(d) = &f.default {
        if matches!(out.ty, FieldType::ValueList(_)) || is_multi_value(r, &out.ty) {
            r.error(
                Diagnostic::error(id::E0204, "a value object with several fields cannot have a default")
                    .at(d.span, "no single value to default to")
                    .with_help("give defaults to the value object's parts instead"),
            );
        } else {
            r.pending_exprs.push(PendingExpr { owner: owner.clone(), slot: Slot::Default(idx), ast: d });
        }
    }
    Some(out)
}

fn is_multi_value(r: &Resolver<'_>, ty: &FieldType) -> bool {
    matches!(ty, FieldType::Value(v) if matches!(r.model.values[v.0].shape, ValueShape::Fields { .. }))
}

fn type_word(ty: &FieldType) -> String {
    match ty {
        FieldType::Scalar(s) | FieldType::Array(s) => s.ddd(),
        _ => "composite".into(),
    }
}

fn named_type(r: &mut Resolver<'_>, t: &ast::NamedType, scope: Option<ContextId>, in_value: bool) -> Option<FieldType> {
    let is_scalar_name = t.name.parts.len() == 1 && scalar_named(&t.name.parts[0].name).is_some();
    if is_scalar_name {
        let s = scalar(r, t)?;
        return Some(if t.array { FieldType::Array(s) } else { FieldType::Scalar(s) });
    }
    if !t.args.is_empty() {
        r.error(
            Diagnostic::error(id::E0202, format!("`{}` takes no arguments", t.name.text()))
                .at(t.args[0].1, "unexpected argument")
                .with_help("only text, char and decimal take arguments"),
        );
    }
    let Some((decl, _)) = r.lookup_type(scope, &t.name) else {
        if t.name.parts.len() <= 2 && (t.name.parts.len() == 1 || r.contexts.contains_key(&t.name.parts[0].name)) {
            let name = t.name.parts.last().map_or(String::new(), |p| p.name.clone());
            let (close, declared_in) = {
                // The scalars, the top level's types and the scope's.
                let index = r.name_index();
                let close = index.closest(Looked::Type, scope, &name, |index| {
                    let visible =
                        [Some(None), scope.map(Some)].into_iter().flatten().filter_map(|c| index.types_in.get(&c));
                    SCALARS.iter().copied().chain(visible.flatten().map(String::as_str)).collect()
                });
                let declared_in = index.contexts_of.get(&name).cloned().unwrap_or_default();
                (close, declared_in)
            };
            let mut d =
                Diagnostic::error(id::E0102, format!("unknown type `{}`", t.name.text())).at(t.name.span, "not a type");
            // Declared in another context: say how to name it.
            let elsewhere: Vec<&str> = declared_in
                .iter()
                .filter(|c| Some(**c) != scope)
                .map(|c| r.model.contexts[c.0].name.as_str())
                .collect();
            d = match (elsewhere.iter().min(), close) {
                (Some(ctx), _) if t.name.parts.len() == 1 => {
                    d.with_help(format!("`{name}` is declared in context `{ctx}`: write `{ctx}.{name}`"))
                }
                (_, Some(s)) => d.with_help(format!("did you mean `{s}`?")),
                _ => d.with_help("declare it as an enum or value object, or use a scalar type such as `text` or `int`"),
            };
            r.error(d);
        } else if t.name.parts.len() > 2 {
            r.error(
                Diagnostic::error(id::E0102, format!("unknown type `{}`", t.name.text()))
                    .at(t.name.span, "a type is `Name` or `context.Name`")
                    .with_help("write `context.Type`"),
            );
        }
        return None;
    };
    match decl {
        Decl::Aggregate(_) => {
            r.error(
                Diagnostic::error(id::E0304, format!("aggregate `{}` used as a field type", t.name.text()))
                    .at(t.name.span, "an aggregate is referenced, not embedded")
                    .with_help(format!("write `ref {}`", t.name.text())),
            );
            None
        }
        Decl::Enum(e) => {
            if t.array {
                r.error(
                    Diagnostic::error(id::E0206, "a list of enum values is not supported")
                        .at(t.span, "enum arrays cannot be checked by a named CHECK")
                        .with_help("model the list as a value object list with one enum field: `value X { v: Enum }` then `xs: X[]`"),
                );
                return None;
            }
            Some(FieldType::Enum(e))
        }
        Decl::Value(v) => {
            if t.array {
                if t.optional {
                    r.error(
                        Diagnostic::error(id::E0206, "an optional list")
                            .at(t.span, "a list is empty or not: `?` means nothing here")
                            .with_help("remove the `?`"),
                    );
                }
                if in_value {
                    r.error(
                        Diagnostic::error(id::E0206, "a list inside a value object")
                            .at(t.span, "a value object is embedded as columns; it cannot own a table")
                            .with_help("move the list to the aggregate or entity"),
                    );
                    return None;
                }
                return Some(FieldType::ValueList(v));
            }
            Some(FieldType::Value(v))
        }
    }
}

/// A scalar type with its arguments checked.
fn scalar(r: &mut Resolver<'_>, t: &ast::NamedType) -> Option<Scalar> {
    let name = t.name.parts.first()?.name.as_str();
    let args: Vec<u64> = t.args.iter().map(|(v, _)| *v).collect();
    let arg_err = |r: &mut Resolver<'_>, span: Span, msg: String, help: &str| {
        r.error(Diagnostic::error(id::E0202, msg).at(span, "invalid argument").with_help(help.to_string()));
    };
    let first_span = t.args.first().map_or(t.span, |a| a.1);
    let s = match (name, args.as_slice()) {
        ("text", []) => Scalar::Text(None),
        ("text", [n]) => {
            if *n == 0 || *n > 10_485_760 {
                arg_err(r, first_span, format!("`text({n})` is out of range"), "a length is between 1 and 10485760");
                return None;
            }
            Scalar::Text(Some(*n as u32))
        }
        ("char", [n]) => {
            if *n == 0 || *n > 10_485_760 {
                arg_err(r, first_span, format!("`char({n})` is out of range"), "a length is between 1 and 10485760");
                return None;
            }
            Scalar::Char(*n as u32)
        }
        ("char", []) => {
            arg_err(
                r,
                t.name.span,
                "`char` needs a length".into(),
                "write `char(2)`, or `text` for text of any length",
            );
            return None;
        }
        ("decimal", []) => Scalar::Decimal(None),
        ("decimal", [p, s]) => {
            if *p == 0 || *p > 1000 || s > p {
                arg_err(
                    r,
                    first_span,
                    format!("`decimal({p}, {s})` is out of range"),
                    "precision is 1..1000 and the scale is at most the precision: `decimal(12, 2)`",
                );
                return None;
            }
            Scalar::Decimal(Some((*p as u32, *s as u32)))
        }
        ("decimal", [p]) => {
            if *p == 0 || *p > 1000 {
                arg_err(r, first_span, format!("`decimal({p})` is out of range"), "precision is 1..1000");
                return None;
            }
            Scalar::Decimal(Some((*p as u32, 0)))
        }
        (_, []) => match name {
            "uuid" => Scalar::Uuid,
            "smallint" => Scalar::SmallInt,
            "int" => Scalar::Int,
            "bigint" => Scalar::BigInt,
            "float" => Scalar::Float,
            "bool" => Scalar::Bool,
            "date" => Scalar::Date,
            "time" => Scalar::Time,
            "interval" => Scalar::Interval,
            "timestamp" => Scalar::Timestamp,
            "json" => Scalar::Json,
            "bytes" => Scalar::Bytes,
            "password_hash" => Scalar::PasswordHash,
            "encrypted" => Scalar::Encrypted,
            "geo_point" => Scalar::GeoPoint,
            _ => return None,
        },
        (_, _) => {
            arg_err(
                r,
                first_span,
                format!("wrong arguments for `{name}`"),
                "text(n), char(n) and decimal(p, s) take arguments; other types take none",
            );
            return None;
        }
    };
    Some(s)
}
