//! Pass 1 — names: the model block's settings, every declaration collected
//! into its scope (a context, or the top-level shared kernel), duplicates and
//! invalid identifiers reported, ids assigned.

use std::collections::HashMap;

use super::resolver::{duplicate, seen_before, Decl, Resolver};
use super::*;
use crate::diagnostics::codes::id;
use crate::diagnostics::did_you_mean;

pub(super) fn run(r: &mut Resolver<'_>) {
    let files = r.files;
    // The model block and what it holds.
    let mut contexts: Vec<&ast::Context> = Vec::new();
    let mut enums: Vec<(Option<&ast::Context>, &ast::EnumDecl)> = Vec::new();
    let mut values: Vec<(Option<&ast::Context>, &ast::ValueDecl)> = Vec::new();
    let mut model_seen = false;
    for (_, file) in files {
        for item in &file.items {
            match item {
                ast::TopItem::Model(m) if !model_seen => {
                    model_seen = true;
                    model_block(r, m, &mut contexts, &mut enums, &mut values);
                }
                ast::TopItem::Context(c) => contexts.push(c),
                ast::TopItem::Enum(e) => enums.push((None, e)),
                ast::TopItem::Value(v) => values.push((None, v)),
                ast::TopItem::Role(role) => r.role_asts.push(role),
                ast::TopItem::Publication(p) => r.publication_asts.push(p),
                _ => {}
            }
        }
    }

    // Contexts.
    let mut first_context: HashMap<String, Span> = HashMap::new();
    for c in &contexts {
        if let Some(first) = seen_before(&mut first_context, c.name.name.clone(), c.name.span) {
            duplicate(r, "context", &c.name, first);
            continue;
        }
        r.check_identifier(&c.name, "context name");
        if c.name.name.starts_with("pg_") {
            r.error(
                Diagnostic::error(id::E0106, format!("context `{}` starts with `pg_`", c.name.name))
                    .at(c.name.span, "PostgreSQL reserves schema names starting with `pg_`")
                    .with_help("choose another name for the context"),
            );
        }
        let cid = ContextId(r.model.contexts.len());
        r.contexts.insert(c.name.name.clone(), cid);
        let mut tenant_by = None;
        for item in &c.items {
            match item {
                ast::ContextItem::TenantBy { column, span } => {
                    if tenant_by.is_some() {
                        r.error(
                            Diagnostic::error(id::E0507, "`tenant by` declared more than once")
                                .at(*span, "second `tenant by`")
                                .with_help("a context has one tenant column"),
                        );
                    }
                    r.check_identifier(column, "tenant column");
                    tenant_by = Some(column.name.clone());
                }
                ast::ContextItem::Enum(e) => enums.push((Some(c), e)),
                ast::ContextItem::Value(v) => values.push((Some(c), v)),
                ast::ContextItem::Aggregate(_) => {}
            }
        }
        let (was, allows) = super::annotations::decl_annotations(r, &c.annotations, "context");
        r.model.contexts.push(Context {
            name: c.name.name.clone(),
            doc: c.doc.as_ref().map(|d| d.text.clone()),
            span: c.name.span,
            tenant_by,
            was,
            allows,
        });
        r.context_asts.push(c);
    }

    let scope_of = |r: &Resolver<'_>, c: Option<&ast::Context>| -> Option<Option<ContextId>> {
        match c {
            None => Some(None),
            Some(c) => r.contexts.get(&c.name.name).map(|id| Some(*id)).filter(|id| {
                // A duplicate context's items are not declared (already
                // reported): the context of that name is another one.
                id.and_then(|id| r.context_asts.get(id.0)).is_some_and(|a| std::ptr::eq(*a, c))
            }),
        }
    };

    for (c, e) in enums {
        let Some(scope) = scope_of(r, c) else {
            continue;
        };
        let eid = EnumId(r.model.enums.len());
        if declare(r, scope, &e.name, Decl::Enum(eid)) {
            r.model.enums.push(Enum {
                name: e.name.name.clone(),
                context: scope,
                doc: e.doc.as_ref().map(|d| d.text.clone()),
                span: e.name.span,
                native: e.native.is_some(),
                values: Vec::new(),
                was: None,
                allows: Vec::new(),
            });
            r.enum_asts.push(e);
        }
    }
    for (c, v) in values {
        let Some(scope) = scope_of(r, c) else {
            continue;
        };
        let vid = ValueId(r.model.values.len());
        if declare(r, scope, &v.name, Decl::Value(vid)) {
            r.model.values.push(ValueObject {
                name: v.name.name.clone(),
                context: scope,
                doc: v.doc.as_ref().map(|d| d.text.clone()),
                span: v.name.span,
                shape: ValueShape::Fields { fields: Vec::new(), invariants: Vec::new() },
                allows: Vec::new(),
            });
            r.value_asts.push(v);
        }
    }
    let context_asts = r.context_asts.clone();
    // Sized at once: grown by doubling, the aggregates (each several
    // hundred bytes) were copied again and again: 40x the samples for 10x
    // the model in a profile.
    let count: usize = context_asts
        .iter()
        .map(|c| c.items.iter().filter(|i| matches!(i, ast::ContextItem::Aggregate(_))).count())
        .sum();
    r.model.aggregates.reserve(count);
    r.aggregate_asts.reserve(count);
    r.types.reserve(count);
    for (ci, c) in context_asts.iter().enumerate() {
        for item in &c.items {
            if let ast::ContextItem::Aggregate(a) = item {
                let aid = AggregateId(r.model.aggregates.len());
                if declare(r, Some(ContextId(ci)), &a.name, Decl::Aggregate(aid)) {
                    r.model.aggregates.push(Aggregate {
                        name: a.name.name.clone(),
                        context: ContextId(ci),
                        root: empty_entity(&a.name, a.doc.as_ref(), a.table_as.as_ref()),
                        soft_delete: false,
                        audited: false,
                        tenant: None,
                        expected_rows: None,
                        events: None,
                        partition: None,
                    });
                    r.aggregate_asts.push(a);
                    let mut seen: HashMap<String, Span> = HashMap::new();
                    collect_entities(r, ContextId(ci), aid, &a.items, &mut seen);
                }
            }
        }
    }

    // Roles and publications: names only here, their contents in `rules`.
    let mut seen: HashMap<String, Span> = HashMap::new();
    for role in r.role_asts.clone() {
        if let Some(first) = seen_before(&mut seen, role.name.name.clone(), role.name.span) {
            duplicate(r, "role", &role.name, first);
        }
        r.check_identifier(&role.name, "role name");
    }
    let mut seen: HashMap<String, Span> = HashMap::new();
    for p in r.publication_asts.clone() {
        if let Some(first) = seen_before(&mut seen, p.name.name.clone(), p.name.span) {
            duplicate(r, "publication", &p.name, first);
        }
        r.check_identifier(&p.name, "publication name");
    }
}

fn model_block<'a>(
    r: &mut Resolver<'a>,
    m: &'a ast::Model,
    contexts: &mut Vec<&'a ast::Context>,
    enums: &mut Vec<(Option<&'a ast::Context>, &'a ast::EnumDecl)>,
    values: &mut Vec<(Option<&'a ast::Context>, &'a ast::ValueDecl)>,
) {
    r.model.name = m.name.name.clone();
    r.model.doc = m.doc.as_ref().map(|d| d.text.clone());
    r.model.span = m.name.span;
    r.model.allows = super::annotations::decl_annotations(r, &m.annotations, "model").1;
    let mut once: HashMap<&'static str, Span> = HashMap::new();
    let mut once_check = |r: &mut Resolver<'_>, what: &'static str, span: Span| {
        if let Some(first) = seen_before(&mut once, what, span) {
            r.error(
                Diagnostic::error(id::E0507, format!("`{what}` declared more than once"))
                    .at(span, "declared again here")
                    .with_secondary(first, "first declared here")
                    .with_help(format!("keep one `{what}` line")),
            );
        }
    };
    for item in &m.items {
        match item {
            ast::ModelItem::Target { database, version, version_span, span } => {
                once_check(r, "target", *span);
                if database.name != "postgres" {
                    r.error(
                        Diagnostic::error(id::E0107, format!("unknown target database `{}`", database.name))
                            .at(database.span, "only `postgres` is supported")
                            .with_help(format!("write `target postgres {version}`")),
                    );
                }
                r.model.target = *version;
                r.target_span = Some(*version_span);
            }
            ast::ModelItem::Tables { rule, span } => {
                once_check(r, "tables", *span);
                r.model.tables = match rule.name.as_str() {
                    "snake" => TableNaming::Snake,
                    "plural_en" => TableNaming::PluralEn,
                    "plural_es" => TableNaming::PluralEs,
                    other => {
                        let mut d = Diagnostic::error(id::E0107, format!("unknown table naming rule `{other}`"))
                            .at(rule.span, "expected `snake`, `plural_en` or `plural_es`");
                        d = match did_you_mean(other, ["snake", "plural_en", "plural_es"]) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help("write `tables snake`, `tables plural_en` or `tables plural_es`"),
                        };
                        r.error(d);
                        TableNaming::Snake
                    }
                };
            }
            ast::ModelItem::Extensions { names, .. } => {
                for n in names {
                    if !r.model.extensions.contains(&n.name) {
                        r.model.extensions.push(n.name.clone());
                    }
                }
            }
            ast::ModelItem::Defaults { settings, .. } => {
                for s in settings {
                    match s.name.name.as_str() {
                        "timestamps" => r.model.defaults.timestamps = !s.negated,
                        "soft_delete" => r.model.defaults.soft_delete = !s.negated,
                        other => {
                            let mut d = Diagnostic::error(id::E0107, format!("unknown default `{other}`"))
                                .at(s.name.span, "expected `timestamps` or `soft_delete`");
                            if let Some(x) = did_you_mean(other, ["timestamps", "soft_delete"]) {
                                d = d.with_help(format!("did you mean `{x}`?"));
                            } else {
                                d = d.with_help(
                                    "`defaults { … }` holds `timestamps`, `soft_delete` and their `no …` forms",
                                );
                            }
                            r.error(d);
                        }
                    }
                }
            }
            ast::ModelItem::AuditLog { table, range, span } => {
                once_check(r, "audit_log", *span);
                r.audit_log_ast = Some((table, *range, *span));
            }
            ast::ModelItem::Role(role) => r.role_asts.push(role),
            ast::ModelItem::Publication(p) => r.publication_asts.push(p),
            ast::ModelItem::Context(c) => contexts.push(c),
            ast::ModelItem::Enum(e) => enums.push((None, e)),
            ast::ModelItem::Value(v) => values.push((None, v)),
        }
    }
}

fn empty_entity(name: &ast::Ident, doc: Option<&ast::Doc>, table_as: Option<&ast::Ident>) -> Entity {
    Entity {
        name: name.name.clone(),
        doc: doc.map(|d| d.text.clone()),
        span: name.span,
        table_as: table_as.map(|t| t.name.clone()),
        one: false,
        identity: Identity::Uuid,
        fields: Vec::new(),
        invariants: Vec::new(),
        indexes: Vec::new(),
        entities: Vec::new(),
        timestamps: true,
        search: None,
        was: None,
        allows: Vec::new(),
    }
}

fn collect_entities(
    r: &mut Resolver<'_>,
    ctx: ContextId,
    agg: AggregateId,
    items: &[ast::AggregateItem],
    seen: &mut HashMap<String, Span>,
) {
    for item in items {
        if let ast::AggregateItem::Entity(e) = item {
            if let Some(first) = seen_before(seen, e.name.name.clone(), e.name.span) {
                duplicate(r, "entity", &e.name, first);
            }
            r.entities.entry((ctx, e.name.name.clone())).or_insert((agg, e.name.span));
            collect_entities(r, ctx, agg, &e.items, seen);
        }
    }
}

/// Declares a type in a scope; false (and E0101) when the name is taken.
fn declare(r: &mut Resolver<'_>, scope: Option<ContextId>, name: &ast::Ident, decl: Decl) -> bool {
    let key = (scope, name.name.clone());
    if let Some((_, first)) = r.types.get(&key) {
        let first = *first;
        duplicate(r, "type", name, first);
        return false;
    }
    if super::types::scalar_named(&name.name).is_some() {
        r.error(
            Diagnostic::error(id::E0101, format!("`{}` is a built-in type", name.name))
                .at(name.span, "this name is taken by a scalar type")
                .with_help("type names are PascalCase by convention: choose another name"),
        );
        return false;
    }
    r.types.insert(key, (decl, name.span));
    true
}

/// `EstadoUsuario` → `estado_usuario`; `HTTPRequest` → `http_request`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn snake() {
        assert_eq!(snake_case("EstadoUsuario"), "estado_usuario");
        assert_eq!(snake_case("Usuario"), "usuario");
        assert_eq!(snake_case("HTTPRequest"), "http_request");
        assert_eq!(snake_case("Pago2Fase"), "pago2_fase");
        assert_eq!(snake_case("already_snake"), "already_snake");
    }
}
