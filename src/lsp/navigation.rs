//! Go to definition, find references, the outline of a file and the
//! symbols of the workspace: all read from the index.

use lsp_types::{DocumentSymbol, GotoDefinitionResponse, Location, OneOf, SymbolKind, WorkspaceSymbol};

use super::index::{Kind, Symbol, SymbolId};
use super::view::View;
use crate::diagnostics::FileId;

pub fn definition(view: &View<'_>, file: FileId, offset: usize) -> Option<GotoDefinitionResponse> {
    let occ = view.snap.index.at(file, offset)?;
    let decl = view.snap.index.get(occ.symbol).decl;
    view.location(decl).map(GotoDefinitionResponse::Scalar)
}

pub fn references(view: &View<'_>, file: FileId, offset: usize, include_declaration: bool) -> Vec<Location> {
    let index = &view.snap.index;
    let Some(occ) = index.at(file, offset) else { return Vec::new() };
    index
        .occurrences_of(occ.symbol)
        .into_iter()
        .filter(|o| include_declaration || o.role != super::index::Role::Declaration)
        .filter_map(|o| view.location(o.span))
        .collect()
}

/// The outline of a file: the model block, contexts, and what they
/// declare, nested.
pub fn document_symbols(view: &View<'_>, file: FileId) -> Vec<DocumentSymbol> {
    let index = &view.snap.index;
    let tops: Vec<SymbolId> = index
        .symbols
        .iter()
        .enumerate()
        .filter(|(_, s)| s.decl.file == file && s.parent.is_none_or(|p| index.get(p).decl.file != file))
        .map(|(i, _)| i)
        .collect();
    tops.into_iter().map(|id| outline(view, id)).collect()
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written out
fn outline(view: &View<'_>, id: SymbolId) -> DocumentSymbol {
    let index = &view.snap.index;
    let s = index.get(id);
    let children: Vec<DocumentSymbol> = index.children(id).map(|(c, _)| outline(view, c)).collect();
    DocumentSymbol {
        name: s.name.clone(),
        detail: detail(view, s),
        kind: symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range: view.range(s.extent.to(s.decl)),
        selection_range: view.range(s.decl),
        children: if children.is_empty() { None } else { Some(children) },
    }
}

/// A short description beside the name: a field's type, an aggregate's
/// kind.
fn detail(view: &View<'_>, s: &Symbol) -> Option<String> {
    match s.kind {
        Kind::Field => {
            let text = view.text(s.extent.file).get(s.extent.range())?;
            let ty = text.split_once(':')?.1.lines().next()?.trim();
            Some(ty.to_string())
        }
        Kind::Model | Kind::Context | Kind::Aggregate | Kind::Entity | Kind::Enum | Kind::Value => {
            Some(s.kind.word().to_string())
        }
        _ => None,
    }
}

pub fn symbol_kind(k: Kind) -> SymbolKind {
    match k {
        Kind::Model => SymbolKind::MODULE,
        Kind::Context => SymbolKind::NAMESPACE,
        Kind::Enum => SymbolKind::ENUM,
        Kind::EnumValue => SymbolKind::ENUM_MEMBER,
        Kind::Value => SymbolKind::STRUCT,
        Kind::Aggregate | Kind::Entity => SymbolKind::CLASS,
        Kind::Field => SymbolKind::FIELD,
        Kind::Invariant => SymbolKind::BOOLEAN,
        Kind::Role => SymbolKind::OBJECT,
        Kind::Publication => SymbolKind::EVENT,
    }
}

/// Every symbol of every project whose name contains the query's
/// characters in order (case-insensitive), best matches first.
pub fn workspace_symbols(views: &[View<'_>], query: &str) -> Vec<WorkspaceSymbol> {
    let query = query.to_lowercase();
    let mut found: Vec<(usize, WorkspaceSymbol)> = Vec::new();
    for view in views {
        let index = &view.snap.index;
        for (id, s) in index.symbols.iter().enumerate() {
            let Some(score) = fuzzy(&s.name.to_lowercase(), &query) else { continue };
            let Some(location) = view.location(s.decl) else { continue };
            let container = s.parent.map(|p| index.path(p)).filter(|p| !p.is_empty());
            found.push((
                score,
                WorkspaceSymbol {
                    name: s.name.clone(),
                    kind: symbol_kind(s.kind),
                    tags: None,
                    container_name: container.or_else(|| Some(index.path(id))).filter(|c| *c != s.name),
                    location: OneOf::Left(location),
                    data: None,
                },
            ));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    found.truncate(500);
    found.into_iter().map(|(_, s)| s).collect()
}

/// Whether `query`'s characters appear in `name` in order; lower is
/// better: an exact match, a prefix, a substring, then scattered.
fn fuzzy(name: &str, query: &str) -> Option<usize> {
    if query.is_empty() {
        return Some(3);
    }
    if name == query {
        return Some(0);
    }
    if name.starts_with(query) {
        return Some(1);
    }
    if name.contains(query) {
        return Some(2);
    }
    let mut chars = name.chars();
    query.chars().all(|q| chars.any(|c| c == q)).then_some(4)
}
