//! Rename: every use of a field, aggregate, entity, context, enum, enum
//! value, value object or invariant follows the declaration, and when the
//! old name is already in the lock, `@was(old)` is added to the
//! declaration, so that the next migration renames instead of dropping
//! and adding.
//!
//! Whether the lock holds the old name is decided by the evolution
//! engine's own machinery: the model is lowered under the names the lock
//! knows ([`previous_names`]) twice, once as it is and once with the
//! declaration renamed (a `@was` set on it, which `previous_names` undoes
//! into the new name). The two schemas are parallel; the objects that
//! differ are exactly those named after the declaration, and if the lock
//! has any of them by its current name, the rename would drop it.

use std::collections::HashMap;

use lsp_types::{PrepareRenameResponse, TextEdit, Uri, WorkspaceEdit};

use super::analysis::Snapshot;
use super::decls::{self, Decl};
use super::index::{Kind, ModelRef, Owner, Role, SymbolId};
use super::view::View;
use crate::diagnostics::{FileId, Span};
use crate::lock::Lock;
use crate::migrate::renames::{previous_names, renamed_back};
use crate::model::{self, Model, Was};
use crate::relational::{self, Schema};
use crate::syntax::is_identifier;

pub fn prepare(view: &View<'_>, file: FileId, offset: usize) -> Option<PrepareRenameResponse> {
    let index = &view.snap.index;
    let occ = index.at(file, offset)?;
    if occ.role == Role::LinkColumn || !renamable(index.get(occ.symbol).kind) {
        return None;
    }
    Some(PrepareRenameResponse::RangeWithPlaceholder {
        range: view.range(occ.span),
        placeholder: index.get(occ.symbol).name.clone(),
    })
}

fn renamable(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Context
            | Kind::Enum
            | Kind::EnumValue
            | Kind::Value
            | Kind::Aggregate
            | Kind::Entity
            | Kind::Field
            | Kind::Invariant
    )
}

pub fn rename(view: &View<'_>, file: FileId, offset: usize, new_name: &str) -> Result<WorkspaceEdit, String> {
    let snap = view.snap;
    let index = &snap.index;
    let occ = index.at(file, offset).ok_or("nothing to rename here")?;
    if occ.role == Role::LinkColumn {
        return Err("this is the link to the parent entity: rename the parent".into());
    }
    let id = occ.symbol;
    let sym = index.get(id);
    if !renamable(sym.kind) {
        return Err(format!("a {} cannot be renamed here", sym.kind.word()));
    }
    let new_name = new_name.trim();
    if !is_identifier(new_name) {
        return Err(format!("`{new_name}` is not a name: use letters, digits and `_`, starting with a letter"));
    }
    let old = sym.name.clone();
    if new_name == old {
        return Ok(WorkspaceEdit::default());
    }
    if let Some(clash) = clash(view, id, new_name) {
        return Err(clash);
    }
    let mut edits: Vec<(Span, String)> = Vec::new();
    for o in index.occurrences_of(id) {
        let text = match o.role {
            // `<old>_<key>` becomes `<new>_<key>`: the key part stays.
            Role::LinkColumn => {
                let written = view.text(o.span.file).get(o.span.start as usize..o.span.end as usize).unwrap_or("");
                let key = written.strip_prefix(&format!("{}_", model::snake_case(&old))).unwrap_or("id");
                format!("{}_{key}", model::snake_case(new_name))
            }
            _ => new_name.to_string(),
        };
        edits.push((o.span, text));
    }
    if let Some(was) = was_edit(snap, id, &old, new_name) {
        edits.push(was);
    }
    if let Some(why) = breaks(snap, &edits) {
        return Err(format!("`{new_name}` cannot be the new name: {why}"));
    }
    Ok(workspace_edit(view, edits))
}

/// The first error the edits would add to the model, or `None`. The
/// declared names are checked by [`clash`]; what only the compiler knows
/// is checked here, on the edited texts: a column it adds (`deleted_at`,
/// `id`, a parent link `usuario_id`), another field's `@column`, a
/// literal (`null`, `true`: the invariant then compared the literal), a
/// value object's name taken by an aggregate, a name too long for
/// PostgreSQL. Each was accepted, and the model broke.
fn breaks(snap: &Snapshot, edits: &[(Span, String)]) -> Option<String> {
    let mut by_file: std::collections::BTreeMap<FileId, Vec<&(Span, String)>> = std::collections::BTreeMap::new();
    for e in edits {
        by_file.entry(e.0.file).or_default().push(e);
    }
    let mut files = snap.files.clone();
    for (file, mut edits) in by_file {
        edits.sort_by_key(|(s, _)| std::cmp::Reverse(s.start));
        let mut text = snap.text(file).to_string();
        for (s, t) in edits {
            let range = s.start as usize..s.end as usize;
            if text.get(range.clone()).is_none() {
                return Some("the files changed while renaming".into());
            }
            text.replace_range(range, t);
        }
        let parsed = crate::syntax::parse(file, &text);
        let errors = |p: &crate::syntax::Parsed| p.diagnostics.iter().filter(|d| d.is_error()).count();
        // A file that already had a broken line keeps it: only new ones count.
        if errors(&parsed) > errors(&crate::syntax::parse(file, snap.text(file))) {
            let d = parsed.diagnostics.iter().find(|d| d.is_error())?;
            return Some(format!("the model would not parse (error[{}]: {})", d.code, d.message));
        }
        if let (Some(slot), Some(ast)) = (files.iter_mut().find(|(f, _)| *f == file), parsed.file) {
            slot.1 = ast;
        }
    }
    let errors = |files: &[(FileId, crate::syntax::ast::SourceFile)]| -> Vec<crate::diagnostics::Diagnostic> {
        let analysis = model::analyze(files);
        let mut errors: Vec<_> = analysis.diagnostics.into_iter().filter(|d| d.is_error()).collect();
        if errors.is_empty() {
            if let Some(Err(lowered)) = analysis.model.as_ref().map(relational::lower) {
                errors.extend(lowered.into_iter().filter(|d| d.is_error()));
            }
        }
        errors
    };
    // The model before: as the snapshot found it, when it did (its files,
    // resolved, and lowered when that gave no error, as `errors` does; in
    // the project's language, which only comments are in). Else analysed
    // beside the model after.
    let (before, after) = match &snap.model_errors {
        Some(known) => {
            #[cfg(debug_assertions)]
            {
                let seen = |d: &[crate::diagnostics::Diagnostic]| -> Vec<(&str, String)> {
                    d.iter().map(|d| (d.code, d.message.clone())).collect()
                };
                assert_eq!(seen(known), seen(&errors(&snap.files)), "the snapshot's are the model's errors");
            }
            (known.clone(), errors(&files))
        }
        None => std::thread::scope(|s| {
            let before = crate::threads::beside(s, || errors(&snap.files));
            let after = errors(&files);
            (before.join(), after)
        }),
    };
    let count = |all: &[crate::diagnostics::Diagnostic], code: &str| all.iter().filter(|d| d.code == code).count();
    after
        .iter()
        .find(|d| count(&after, d.code) > count(&before, d.code))
        .map(|d| format!("the model would have error[{}]: {}", d.code, d.message))
}

/// Another declaration that would have the new name in the same scope.
fn clash(view: &View<'_>, id: SymbolId, new_name: &str) -> Option<String> {
    let index = &view.snap.index;
    let sym = index.get(id);
    let taken = match sym.kind {
        Kind::Context => index.context(new_name).is_some(),
        Kind::Enum | Kind::Value | Kind::Aggregate => {
            let ctx = index.context_of(id).map(|c| index.get(c).name.clone());
            index.lookup_type(ctx.as_deref(), &[new_name]).is_some_and(|t| index.context_of(t) == index.context_of(id))
        }
        _ => sym.parent.is_some_and(|p| {
            index.children(p).any(|(c, s)| c != id && s.name == new_name && same_namespace(s.kind, sym.kind))
        }),
    };
    taken.then(|| format!("`{new_name}` is already declared there: choose another name"))
}

fn same_namespace(a: Kind, b: Kind) -> bool {
    a == b || matches!((a, b), (Kind::Entity, Kind::Field) | (Kind::Field, Kind::Entity))
}

/// The edit of the declaration's `@was`: added when the lock has the old
/// name, removed when the rename goes back to the name it had there.
fn was_edit(snap: &Snapshot, id: SymbolId, old: &str, new_name: &str) -> Option<(Span, String)> {
    let sym = snap.index.get(id);
    let decl = decls::find(&snap.files, sym.decl)?;
    let text = snap.text(sym.decl.file);
    if let Some(a) = decl.annotations().iter().find(|a| a.name.name == "was") {
        let written = a.args.first().and_then(|e| text.get(e.span.range())).unwrap_or("");
        let written = written.trim_matches(|c| c == '\'' || c == '"');
        if written == new_name {
            // Back to the lock's name: nothing to rename any more.
            let start = text[..a.span.start as usize].trim_end().len();
            return Some((Span::new(sym.decl.file, start, a.span.end as usize), String::new()));
        }
        return None;
    }
    if !supports_was(&decl) || !in_lock(snap, id, new_name) {
        return None;
    }
    let at = decl.annotation_point();
    Some((Span::new(sym.decl.file, at, at), format!(" @was({old})")))
}

fn supports_was(d: &Decl<'_>) -> bool {
    matches!(
        d,
        Decl::Context(_) | Decl::Enum(_) | Decl::EnumValue(_) | Decl::Aggregate(_) | Decl::Entity(_) | Decl::Field(_)
    )
}

/// Whether renaming the symbol to `new_name` would take from the lock an
/// object it has by the current name.
fn in_lock(snap: &Snapshot, id: SymbolId, new_name: &str) -> bool {
    let Some(lock) = &snap.lock else { return false };
    let sym = snap.index.get(id);
    let (Some(model), Some(target)) = (snap.model.as_ref(), sym.model.as_ref()) else {
        return named_in_lock(snap, lock, id);
    };
    let Some(schema) = snap.schema.as_ref() else { return named_in_lock(snap, lock, id) };
    let mut renamed = model.clone();
    if !set_was(&mut renamed, target, new_name) {
        return false;
    }
    // Two lowerings, at once. A model without `@was` is its own previous
    // self: the snapshot's schema is it lowered already (in the project's
    // language, which only the comments are in; `loses` reads names).
    // With the next change, a rename at 2,000 aggregates 282 -> 234 ms.
    let (before, after) = std::thread::scope(|s| {
        let after = crate::threads::beside(s, || relational::lower(&previous_names(&renamed)));
        let before = match renamed_back(model) {
            Some(previous) => relational::lower(&previous).map(std::borrow::Cow::Owned),
            None => Ok(std::borrow::Cow::Borrowed(schema)),
        };
        (before, after.join())
    });
    match (before, after) {
        (Ok(w), Ok(p)) => loses(&lock.schema, &w, &p),
        // The new name makes the model invalid (a generated name too
        // long, a collision): the name-based answer.
        _ => named_in_lock(snap, lock, id),
    }
}

/// Sets `@was(new_name)` on the declaration, so that `previous_names`
/// gives it the new name.
fn set_was(m: &mut Model, target: &ModelRef, new_name: &str) -> bool {
    let was = Some(Was { name: new_name.to_string(), span: Span::default() });
    let slot = match target {
        ModelRef::Context(c) => m.contexts.get_mut(c.0).map(|c| &mut c.was),
        ModelRef::Enum(e) => m.enums.get_mut(e.0).map(|e| &mut e.was),
        ModelRef::EnumValue(e, v) => m.enums.get_mut(e.0).and_then(|e| e.values.get_mut(*v)).map(|v| &mut v.was),
        ModelRef::Entity(a, path) => entity_mut(m, *a, path).map(|e| &mut e.was),
        ModelRef::Field(Owner::Entity(a, path), i) => {
            entity_mut(m, *a, path).and_then(|e| e.fields.get_mut(*i)).map(|f| &mut f.was)
        }
        ModelRef::Field(Owner::Value(v), i) => match m.values.get_mut(v.0).map(|v| &mut v.shape) {
            Some(model::ValueShape::Fields { fields, .. }) => fields.get_mut(*i).map(|f| &mut f.was),
            _ => None,
        },
        ModelRef::Value(_) | ModelRef::Invariant(..) => None,
    };
    match slot {
        Some(s) => {
            *s = was;
            true
        }
        None => false,
    }
}

fn entity_mut<'m>(m: &'m mut Model, a: model::AggregateId, path: &[usize]) -> Option<&'m mut model::Entity> {
    let mut e = &mut m.aggregates.get_mut(a.0)?.root;
    for i in path {
        e = e.entities.get_mut(*i)?;
    }
    Some(e)
}

/// `w` and `p` are the model under the lock's names, before and after the
/// rename. An object named in `w` but otherwise in `p` that the lock
/// holds would be dropped.
fn loses(lock: &Schema, w: &Schema, p: &Schema) -> bool {
    for (a, b) in w.schemas.iter().zip(&p.schemas) {
        if a.name != b.name && lock.schemas.iter().any(|s| s.name == a.name) {
            return true;
        }
    }
    for (a, b) in w.enum_types.iter().zip(&p.enum_types) {
        let Some(held) = lock.enum_types.iter().find(|t| t.schema == a.schema && t.name == a.name) else { continue };
        if a.name != b.name || a.schema != b.schema {
            return true;
        }
        if a.values.iter().zip(&b.values).any(|(x, y)| x != y && held.values.contains(x)) {
            return true;
        }
    }
    // By name through an index: a scan per table grew with the square of
    // the lock.
    let lock_tables = lock.index();
    for (a, b) in w.tables.iter().zip(&p.tables) {
        let Some(held) = lock_tables.table(&a.schema, &a.name) else { continue };
        if a.name != b.name || a.schema != b.schema {
            return true;
        }
        if a.columns.iter().zip(&b.columns).any(|(x, y)| x.name != y.name && held.column(&x.name).is_some()) {
            return true;
        }
        for (x, y) in a.checks.iter().zip(&b.checks) {
            if let (Some((_, xv)), Some((_, yv))) = (x.enum_values(), y.enum_values()) {
                let held_values =
                    |v: &String| held.checks.iter().any(|c| c.enum_values().is_some_and(|(_, hv)| hv.contains(v)));
                if xv.iter().zip(yv).any(|(v, u)| v != u && held_values(v)) {
                    return true;
                }
            }
        }
    }
    false
}

/// Without a valid model to lower: whether the lock has something by the
/// symbol's name where the symbol's objects would be.
fn named_in_lock(snap: &Snapshot, lock: &Lock, id: SymbolId) -> bool {
    let index = &snap.index;
    let sym = index.get(id);
    let ctx = index.context_of(id).map(|c| index.get(c).name.clone());
    let aggregate_of = |id: SymbolId| {
        let mut at = Some(id);
        while let Some(s) = at {
            if index.get(s).kind == Kind::Aggregate {
                return Some(format!("{}.{}", ctx.clone().unwrap_or_default(), index.get(s).name));
            }
            at = index.get(s).parent;
        }
        None
    };
    let held = &lock.schema;
    match sym.kind {
        Kind::Context => held.schemas.iter().any(|s| s.name == sym.name),
        Kind::Aggregate | Kind::Entity => {
            let agg = aggregate_of(id);
            held.tables.iter().any(|t| t.aggregate.is_some() && t.aggregate == agg)
        }
        Kind::Field => {
            let agg = aggregate_of(id);
            let column = format!("{}_id", sym.name);
            held.tables.iter().filter(|t| agg.is_none() || t.aggregate == agg).any(|t| {
                t.columns
                    .iter()
                    .any(|c| c.name == sym.name || c.name == column || c.name.starts_with(&format!("{}_", sym.name)))
            })
        }
        Kind::EnumValue => {
            held.enum_types.iter().any(|t| t.values.contains(&sym.name))
                || held
                    .tables
                    .iter()
                    .any(|t| t.checks.iter().any(|c| c.enum_values().is_some_and(|(_, v)| v.contains(&sym.name))))
        }
        Kind::Enum => held.enum_types.iter().any(|t| t.name == model::snake_case(&sym.name)),
        _ => false,
    }
}

/// The edits, by file, in the client's URIs.
// `WorkspaceEdit::changes` is keyed by `Uri`, which clippy takes for a
// mutable key (it caches its parse); its hash never changes.
#[allow(clippy::mutable_key_type)]
fn workspace_edit(view: &View<'_>, mut edits: Vec<(Span, String)>) -> WorkspaceEdit {
    edits.sort_by_key(|(s, _)| (s.file, s.start, s.end));
    edits.dedup_by(|a, b| a.0 == b.0);
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for (span, new_text) in edits {
        let Some(uri) = view.uri(span.file) else { continue };
        changes.entry(uri).or_default().push(TextEdit { range: view.range(span), new_text });
    }
    WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_declarations_with_a_database_name_take_was() {
        assert!(renamable(Kind::Field));
        assert!(!renamable(Kind::Role));
        assert!(same_namespace(Kind::Entity, Kind::Field));
        assert!(!same_namespace(Kind::Invariant, Kind::Field));
    }

    #[test]
    fn lock_loses_what_a_rename_takes_away() {
        let mut lock = Schema::default();
        lock.schemas.push(relational::SchemaDef { name: "ventas".into(), comment: None, origin: Default::default() });
        let w = lock.clone();
        let mut p = lock.clone();
        p.schemas[0].name = "comercial".into();
        assert!(loses(&lock, &w, &p));
        assert!(!loses(&lock, &w, &w));
    }
}
