//! Annotations on declarations and fields: `@was`, `@allow`, `@column`,
//! `@name`, `@pii`, `@backfill`, and what is wrong with the others.

use super::resolver::{check_sql_identifier, Owner, PendingExpr, Resolver, Slot};
use super::*;
use crate::diagnostics::codes::id;
use crate::diagnostics::did_you_mean;

/// `@was` and `@allow` of a declaration; other annotations are errors here.
pub(super) fn decl_annotations(
    r: &mut Resolver<'_>,
    anns: &[ast::Annotation],
    what: &str,
) -> (Option<Was>, Vec<Allow>) {
    let mut was: Option<Was> = None;
    let mut allows = Vec::new();
    for a in anns {
        match a.name.name.as_str() {
            "was" if matches!(what, "context" | "aggregate" | "entity" | "enum value" | "enum") => {
                if let Some((name, span)) = name_arg(r, a) {
                    match &was {
                        Some(first) => was_twice(r, &format!("one {what}"), a.span, first.span),
                        None => was = Some(Was { name, span }),
                    }
                }
            }
            "allow" => allows.extend(allow(r, a)),
            "name" if matches!(what, "index" | "unique" | "invariant") => {}
            other => unknown_annotation(r, a, other, what),
        }
    }
    (was, allows)
}

fn unknown_annotation(r: &mut Resolver<'_>, a: &ast::Annotation, name: &str, what: &str) {
    const KNOWN: [&str; 7] = ["was", "allow", "name", "column", "pii", "backfill", "unique"];
    if KNOWN.contains(&name) {
        r.error(
            Diagnostic::error(id::E0108, format!("`@{name}` means nothing on {}", article(what)))
                .at(a.span, "not applicable here")
                .with_help(annotation_help(name)),
        );
        return;
    }
    let mut d =
        Diagnostic::error(id::E0107, format!("unknown annotation `@{name}`")).at(a.name.span, "not an annotation");
    d = match did_you_mean(name, KNOWN) {
        Some(s) => d.with_help(format!("did you mean `@{s}`?")),
        None => d.with_help("annotations are @was, @allow, @name, @column, @pii and @backfill"),
    };
    r.error(d);
}

fn article(what: &str) -> String {
    if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {what}")
    } else {
        format!("a {what}")
    }
}

fn annotation_help(name: &str) -> &'static str {
    match name {
        "was" => "`@was(old)` renames a field, aggregate, entity, context or enum value",
        "name" => "`@name(x)` names the constraint of an index, unique, invariant or unique field",
        "column" => "`@column(x)` sets the column name of a field",
        "pii" => "`@pii` marks a field holding personal data",
        "backfill" => "`@backfill(expr)` gives existing rows a value when a NOT NULL field is added",
        _ => "see docs/language.md for where each annotation applies",
    }
}

/// `@allow(CODE, "reason")`.
fn allow(r: &mut Resolver<'_>, a: &ast::Annotation) -> Option<Allow> {
    let code = a.args.first().and_then(|e| match &e.kind {
        ast::ExprKind::Path(p) if p.parts.len() == 1 => Some(p.parts[0].name.clone()),
        ast::ExprKind::Literal(ast::Literal::String(s)) => Some(s.clone()),
        _ => None,
    });
    let reason = a.args.get(1).and_then(|e| match &e.kind {
        ast::ExprKind::Literal(ast::Literal::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    });
    match (code, reason, a.args.len()) {
        (Some(code), Some(reason), 2) => Some(Allow { code, reason, span: a.span }),
        (Some(code), None, 1) => {
            r.error(
                Diagnostic::error(id::E0108, format!("`@allow({code})` without a reason"))
                    .at(a.span, "the reason is required")
                    .with_help(format!("write why the finding is acceptable: `@allow({code}, 'why')`")),
            );
            None
        }
        _ => {
            r.error(
                Diagnostic::error(id::E0108, "`@allow` takes a code and a reason")
                    .at(a.span, "expected `@allow(CODE, 'reason')`")
                    .with_help("e.g. `@allow(L010, 'encrypted by the application before it is stored')`"),
            );
            None
        }
    }
}

/// The single name argument of `@was(x)`, `@column(x)`, `@name(x)`.
fn name_arg(r: &mut Resolver<'_>, a: &ast::Annotation) -> Option<(String, Span)> {
    let arg = match a.args.as_slice() {
        [e] => match &e.kind {
            ast::ExprKind::Path(p) if p.parts.len() == 1 => Some((p.parts[0].name.clone(), e.span)),
            ast::ExprKind::Literal(ast::Literal::String(s)) => Some((s.clone(), e.span)),
            _ => None,
        },
        _ => None,
    };
    if arg.is_none() {
        // `@was(context.Aggregate)`: a move between contexts.
        let qualified =
            matches!(a.args.as_slice(), [e] if matches!(&e.kind, ast::ExprKind::Path(p) if p.parts.len() > 1));
        let help = if a.name.name == "was" && qualified {
            "`@was` names the old name in the same context: moving an aggregate to another context (its tables to another schema) is not something dddc migrates yet. Keep it in its context, or move it in two steps: create it in the new context and copy the rows with a hand-written migration, then remove the old one with `--allow-destructive`".to_string()
        } else {
            format!("write `@{}(some_name)`", a.name.name)
        };
        r.error(
            Diagnostic::error(id::E0108, format!("`@{}` takes one name", a.name.name))
                .at(a.span, "expected one name in parentheses")
                .with_help(help),
        );
    }
    arg
}

pub(super) fn name_override(r: &mut Resolver<'_>, anns: &[ast::Annotation]) -> Option<String> {
    let a = anns.iter().find(|a| a.name.name == "name")?;
    let (name, span) = name_arg(r, a)?;
    check_sql_identifier(&mut r.diagnostics, &name, span, "name");
    Some(name)
}

/// A second `@was` on one declaration (or a third: each is reported
/// against the first, which is the one kept).
fn was_twice(r: &mut Resolver<'_>, on: &str, again: Span, first: Span) {
    r.error(
        Diagnostic::error(id::E0507, format!("`@was` written twice on {on}"))
            .at(again, "another `@was`")
            .with_secondary(first, "first `@was`")
            .with_help("one rename per migration: keep the name it has in the last migration"),
    );
}

pub(super) fn field_annotations<'a>(
    r: &mut Resolver<'a>,
    f: &'a ast::Field,
    out: &mut Field,
    owner: &Owner,
    idx: usize,
) {
    for a in &f.annotations {
        match a.name.name.as_str() {
            "was" => {
                if let Some((name, span)) = name_arg(r, a) {
                    match &out.was {
                        Some(first) => was_twice(r, "one field", a.span, first.span),
                        None => out.was = Some(Was { name, span }),
                    }
                }
            }
            "column" => {
                if let Some((name, span)) = name_arg(r, a) {
                    out.column = name;
                    out.column_explicit = true;
                    out.column_span = Some(span);
                }
            }
            "name" => out.name_override = name_override(r, std::slice::from_ref(a)),
            "pii" => {
                if !a.args.is_empty() {
                    r.error(
                        Diagnostic::error(id::E0108, "`@pii` takes no arguments")
                            .at(a.span, "unexpected arguments")
                            .with_help("write `@pii`; explain why it is stored as it is with `@allow(L010, 'why')`"),
                    );
                }
                out.pii = true;
            }
            "backfill" => match a.args.as_slice() {
                [e] => {
                    if f.ty.is_optional() {
                        r.error(
                            Diagnostic::error(id::E0108, "`@backfill` on an optional field")
                                .at(a.span, "existing rows can stay NULL")
                                .with_help("remove `@backfill`, or make the field required"),
                        );
                    } else {
                        r.pending_exprs.push(PendingExpr { owner: owner.clone(), slot: Slot::Backfill(idx), ast: e });
                    }
                }
                _ => r.error(
                    Diagnostic::error(id::E0108, "`@backfill` takes one expression")
                        .at(a.span, "expected `@backfill(value)`")
                        .with_help("e.g. `@backfill('ES')` or `@backfill(created_at)`"),
                ),
            },
            "allow" => out.allows.extend(allow(r, a)),
            other => unknown_annotation(r, a, other, "field"),
        }
    }
}
