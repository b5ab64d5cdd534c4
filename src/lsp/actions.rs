//! Quick fixes for the diagnostics whose fix is obvious:
//!
//! - a "did you mean `x`?" (an unknown type, field, enum value, keyword,
//!   annotation) replaces the name; an enum value written as a string
//!   loses its quotes;
//! - a cross-context reference with a foreign key (L009) becomes `loose`;
//! - `on delete set null` on a required reference makes it optional;
//! - a stale `@was` (W0002) is removed;
//! - any lint finding can be accepted on its declaration with
//!   `@allow(CODE, '…')`, whose reason the user then writes.

use std::collections::HashMap;

use lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, TextEdit, WorkspaceEdit};

use super::decls::{self, Decl};
use super::view::View;
use crate::diagnostics::codes::id;
use crate::diagnostics::{Diagnostic, FileId, Span};
use crate::syntax::ast;

/// What `@allow` says until the user says why: an `@allow` needs a reason.
pub const ALLOW_REASON: &str = "TODO: why this is acceptable";

// `WorkspaceEdit::changes` is keyed by `Uri`, which clippy takes for a
// mutable key (it caches its parse); its hash never changes.
#[allow(clippy::mutable_key_type)]
pub fn code_actions(view: &View<'_>, file: FileId, start: usize, end: usize) -> Vec<CodeActionOrCommand> {
    let (start, end) = (start as u32, end as u32);
    let mut out = Vec::new();
    for d in &view.snap.diagnostics {
        let Some(p) = &d.primary else { continue };
        if p.span.file != file || p.span.end < start || p.span.start > end {
            continue;
        }
        for (title, edits, preferred) in fixes(view, d, p.span) {
            let lsp = super::diagnostics::to_lsp(view, d);
            let mut changes = HashMap::new();
            if let Some(uri) = view.uri(file) {
                let edits: Vec<TextEdit> =
                    edits.into_iter().map(|(s, t)| TextEdit { range: view.range(s), new_text: t }).collect();
                changes.insert(uri, edits);
            }
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp]),
                edit: Some(WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() }),
                is_preferred: Some(preferred),
                ..CodeAction::default()
            }));
        }
    }
    out
}

type Fix = (String, Vec<(Span, String)>, bool);

fn fixes(view: &View<'_>, d: &Diagnostic, at: Span) -> Vec<Fix> {
    let snap = view.snap;
    let text = view.text(at.file);
    let written = text.get(at.range()).unwrap_or("");
    let mut out = Vec::new();
    if let Some(fix) = suggestion(d, written, at) {
        out.push(fix);
    }
    if d.code == id::E0303 && d.message.contains("set null") {
        if let Some(Decl::Field(f)) = decls::enclosing(&snap.files, at) {
            if let ast::TypeExpr::Ref(r) = &f.ty {
                if !r.optional {
                    let point = Span::new(at.file, r.target.span.end as usize, r.target.span.end as usize);
                    out.push(("Make the reference optional (`?`)".into(), vec![(point, "?".into())], true));
                }
            }
        }
    }
    if d.code == id::W0002 {
        if let Some(a) = stale_was(snap, at) {
            let start = text[..a.span.start as usize].trim_end().len();
            let gone = Span::new(at.file, start, a.span.end as usize);
            out.push(("Remove the stale `@was`".into(), vec![(gone, String::new())], true));
        }
    }
    if d.code == "L009" {
        if let Some(Decl::Field(f)) = decls::find(&snap.files, at) {
            if let ast::TypeExpr::Ref(r) = &f.ty {
                if r.loose.is_none() {
                    let point = Span::new(at.file, r.span.end as usize, r.span.end as usize);
                    let title = "Make the reference `loose` (the id and its index, no foreign key)".to_string();
                    out.push((title, vec![(point, " loose".into())], true));
                }
            }
        }
    }
    if crate::lint::rule(d.code).is_some() {
        let decl = decls::find(&snap.files, at).or_else(|| decls::enclosing(&snap.files, at));
        if let Some(decl) = decl {
            let point = decl.annotation_point();
            let edit = (Span::new(at.file, point, point), format!(" @allow({}, '{ALLOW_REASON}')", d.code));
            out.push((format!("Allow {} here with `@allow` (then write why)", d.code), vec![edit], false));
        }
    }
    out
}

/// A "did you mean `x`?" or "write `x`" help, as an edit of the name the
/// diagnostic points at.
fn suggestion(d: &Diagnostic, written: &str, at: Span) -> Option<Fix> {
    let help = d.help.as_deref()?;
    let quoted = |after: &str| -> Option<String> {
        let rest = &help[help.find(after)? + after.len()..];
        let end = rest.find('`')?;
        Some(rest[..end].to_string())
    };
    // An enum value written as a string: `'ACTIVO'` → `ACTIVO`.
    let is_string = written.len() >= 2 && (written.starts_with('\'') || written.starts_with('"'));
    if is_string {
        let bare =
            quoted("did you mean `").or_else(|| help.starts_with("write `").then(|| quoted("write `")).flatten())?;
        let fix = (format!("Write `{bare}` without quotes"), vec![(at, bare)], true);
        return Some(fix);
    }
    let wanted = quoted("did you mean `")
        .or_else(|| (d.code == id::E0102 && help.contains(": write `")).then(|| quoted(": write `")).flatten())?;
    let wanted = wanted.trim_start_matches('@');
    let name_like = |s: &str| !s.is_empty() && s.split('.').all(crate::syntax::is_identifier);
    if !name_like(written) || !name_like(wanted) || written == wanted {
        return None;
    }
    // `ctx.Nmae` with a suggestion for the last part only.
    let (span, replacement) = match written.rfind('.') {
        Some(dot) if !wanted.contains('.') => {
            (Span::new(at.file, at.start as usize + dot + 1, at.end as usize), wanted)
        }
        _ => (at, wanted),
    };
    Some((format!("Change to `{replacement}`"), vec![(span, replacement.to_string())], true))
}

/// The `@was` a W0002 points at: on the declaration named at `at`, or the
/// annotation whose argument is at `at`.
fn stale_was(snap: &super::analysis::Snapshot, at: Span) -> Option<&ast::Annotation> {
    if let Some(d) = decls::find(&snap.files, at) {
        return d.annotations().iter().find(|a| a.name.name == "was");
    }
    let d = decls::enclosing(&snap.files, at)?;
    d.annotations().iter().find(|a| a.name.name == "was" && a.span.start <= at.start && at.end <= a.span.end)
}
