//! Pass 3 — references: every `ref` resolved to an aggregate root, its
//! actions checked, and the target's identity columns copied onto it.

use super::resolver::{Decl, Looked, Resolver};
use super::*;
use crate::diagnostics::codes::id;

pub(super) fn run(r: &mut Resolver<'_>) {
    let pending = std::mem::take(&mut r.pending_refs);
    for p in &pending {
        let Some(target) = resolve_target(r, p.scope, &p.ast.target) else {
            let name = r.entity(&p.loc).fields[p.field].name.clone();
            r.poisoned.push((super::resolver::Owner::Entity(p.loc.clone()), name));
            continue;
        };
        let key = identity_columns(&r.model, &r.model.aggregates[target.0].root);
        let nullable = p.ast.optional;
        for (action, span, which) in [(p.ast.on_delete, "delete"), (p.ast.on_update, "update")]
            .into_iter()
            .filter_map(|(a, w)| a.map(|(a, s)| (RefAction::from(a), s, w)))
        {
            if action == RefAction::SetNull && !nullable {
                r.error(
                    Diagnostic::error(id::E0303, format!("`on {which} set null` on a required reference"))
                        .at(span, "the column is NOT NULL")
                        .with_help(format!("make the reference optional: `ref {}?`", p.ast.target.text())),
                );
            }
            if action == RefAction::SetDefault {
                r.error(
                    Diagnostic::error(id::E0303, format!("`on {which} set default` on a reference without a default"))
                        .at(span, "a reference has no default to fall back to")
                        .with_help("use `restrict`, `cascade`, or `set null` on an optional reference"),
                );
            }
        }
        let field = &mut r.entity_mut(&p.loc).fields[p.field];
        if !field.column_explicit || key.len() > 1 {
            field.column = if key.len() == 1 { format!("{}_id", field.name) } else { field.name.clone() };
        }
        if let FieldType::Ref(rf) = &mut field.ty {
            rf.target = target;
            rf.key = key;
        }
    }
    // A ref whose target could not be resolved is dropped, so that later
    // passes never see a dangling id.
    for a in 0..r.model.aggregates.len() {
        drop_unresolved(&mut r.model.aggregates[a].root);
    }
}

fn drop_unresolved(e: &mut Entity) {
    e.fields.retain(|f| !matches!(&f.ty, FieldType::Ref(rf) if rf.target.0 == usize::MAX));
    for c in &mut e.entities {
        drop_unresolved(c);
    }
}

fn resolve_target(r: &mut Resolver<'_>, scope: ContextId, path: &ast::Path) -> Option<AggregateId> {
    if let Some((decl, decl_span)) = r.lookup_type(Some(scope), path) {
        return match decl {
            Decl::Aggregate(a) => Some(a),
            Decl::Enum(_) | Decl::Value(_) => {
                let what = if matches!(decl, Decl::Enum(_)) { "an enum" } else { "a value object" };
                r.error(
                    Diagnostic::error(id::E0302, format!("`ref` to {what}: `{}`", path.text()))
                        .at(path.span, format!("`{}` is {what}", path.text()))
                        .with_secondary(decl_span, "declared here")
                        .with_help(format!("write the type without `ref`: `{}`", path.text())),
                );
                None
            }
        };
    }
    // Not a type: an entity inside an aggregate, or nothing at all.
    let (ctx, name) = match path.parts.as_slice() {
        [name] => (Some(scope), name),
        [c, name] => (r.contexts.get(&c.name).copied(), name),
        _ => (None, &path.parts[0]),
    };
    if let Some(ctx) = ctx {
        if let Some((agg, span)) = r.entities.get(&(ctx, name.name.clone())).copied() {
            let root = r.model.aggregates[agg.0].name.clone();
            r.error(
                Diagnostic::error(id::E0301, format!("`{}` is an entity inside aggregate `{root}`", name.name))
                    .at(path.span, "only aggregate roots can be referenced")
                    .with_secondary(span, format!("entity of `{root}`"))
                    .with_help(format!("reference the root instead: `ref {root}`")),
            );
            return None;
        }
    }
    if path.parts.len() == 2 && ctx.is_none() {
        r.context_id(&path.parts[0]);
        return None;
    }
    let close = r.name_index().closest(Looked::Aggregate, ctx, &name.name, |index| match ctx {
        Some(c) => index.aggregates_in.get(&c).into_iter().flatten().map(String::as_str).collect(),
        None => index.aggregates_in.values().flatten().map(String::as_str).collect(),
    });
    let mut d = Diagnostic::error(id::E0102, format!("unknown aggregate `{}`", path.text()))
        .at(path.span, "no aggregate by this name");
    d = match close {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help("an aggregate of another context is written `context.Aggregate`"),
    };
    r.error(d);
    None
}

/// The columns that identify rows of `e`, with their types.
pub fn identity_columns(model: &Model, e: &Entity) -> Vec<KeyColumn> {
    let scalar = |s: Scalar| KeyType::Scalar(s);
    match &e.identity {
        Identity::Uuid | Identity::UuidV7 => vec![KeyColumn { column: "id".into(), ty: scalar(Scalar::Uuid) }],
        Identity::Identity(s) | Identity::Supplied(s) => vec![KeyColumn { column: "id".into(), ty: scalar(*s) }],
        Identity::Natural(cols) => cols
            .iter()
            .filter_map(|c| {
                let f = e.fields.iter().find(|f| &f.column == c)?;
                let ty = match &f.ty {
                    FieldType::Scalar(s) => scalar(*s),
                    FieldType::Enum(en) => KeyType::Enum(*en),
                    FieldType::Value(v) => match &model.values[v.0].shape {
                        ValueShape::Single { ty, .. } => scalar(*ty),
                        ValueShape::Fields { .. } => return None,
                    },
                    _ => return None,
                };
                Some(KeyColumn { column: c.clone(), ty })
            })
            .collect(),
    }
}
