//! Completion by position: what may be written where the cursor is.
//!
//! The text being typed rarely parses, so the place is read from the text
//! itself: [`place`] scans from the start of the file to the cursor,
//! skipping comments, strings and regexes, and keeps the stack of open
//! blocks (`context reservas {`, `aggregate Reserva {`, …) and the current
//! line. Names come from the index of the last analysis: types visible
//! from the context, the fields of the entity or value object the cursor
//! is in, the values of the enum a field compares with.

use std::collections::HashSet;

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionResponse, CompletionTextEdit, Documentation, MarkupContent,
    MarkupKind, TextEdit,
};

use super::index::{Index, Kind, SymbolId};
use super::view::View;
use crate::diagnostics::{FileId, Span};
use crate::model::Function;

/// The scalar types of the language, with what they become.
const SCALARS: &[(&str, &str)] = &[
    ("uuid", "UUID"),
    ("text", "TEXT; text(n) is VARCHAR(n)"),
    ("char", "char(n): CHAR(n)"),
    ("smallint", "SMALLINT"),
    ("int", "INTEGER"),
    ("bigint", "BIGINT"),
    ("decimal", "decimal(p, s): NUMERIC(p, s)"),
    ("float", "DOUBLE PRECISION"),
    ("bool", "BOOLEAN"),
    ("date", "DATE"),
    ("time", "TIME"),
    ("interval", "INTERVAL"),
    ("timestamp", "TIMESTAMPTZ"),
    ("json", "JSONB"),
    ("bytes", "BYTEA"),
    ("password_hash", "TEXT with a CHECK for a bcrypt or argon2 hash"),
    ("encrypted", "BYTEA holding pgcrypto ciphertext"),
    ("geo_point", "geography(Point, 4326) (PostGIS)"),
];

const ANNOTATIONS: &[(&str, &str)] = &[
    ("was", "`@was(old_name)`: renamed; the migration renames instead of dropping"),
    ("allow", "`@allow(CODE, 'reason')`: accept a lint finding, and say why"),
    ("name", "`@name(x)`: the name of the constraint or index"),
    ("column", "`@column(x)`: the column name of a field"),
    ("pii", "`@pii`: personal data (docs mark it; lint asks for `encrypted` or a reason)"),
    ("backfill", "`@backfill(expr)`: the value existing rows get when the column becomes required"),
];

const AGGREGATE_ITEMS: &[(&str, &str)] = &[
    ("entity", "entity Name { … }: a table of its own, owned by the aggregate"),
    ("invariant", "invariant name: condition — a named CHECK"),
    ("index", "index (a, b) — an index; `using gin`, `where …`"),
    ("unique", "unique (a, b) — a unique constraint or index"),
    ("events", "events outbox { NAME … } — a partitioned events table"),
    ("partition", "partition by range|list|hash (column) …"),
    ("search", "search spanish (a A, b B) — a full-text search vector"),
    ("key", "key (a, b) — a natural primary key"),
    ("expected_rows", "expected_rows 10M — the expected size, for lint"),
    ("soft_delete", "flag: deleted_at, and partial uniques"),
    ("audited", "flag: every change written to the audit log"),
    ("tenant_scoped", "flag: tenant_id, row-level security"),
    ("timestamps", "flag: created_at, updated_at and their trigger"),
    ("no timestamps", "turns the timestamps off"),
];

const MODEL_ITEMS: &[(&str, &str)] = &[
    ("target postgres", "the PostgreSQL version the SQL is written for (13..18)"),
    ("tables", "table names: snake, plural_en or plural_es"),
    ("extensions", "extensions to create"),
    ("defaults", "defaults { timestamps soft_delete }"),
    ("audit_log", "audit_log ctx.table monthly from 2025-11 to 2026-12"),
    ("role", "role name { read ctx write ctx }"),
    ("publication", "publication name { ctx, ctx.Aggregate }"),
    ("context", "context name { … }: a PostgreSQL schema"),
    ("enum", "enum Name { VALUE … }"),
    ("value", "value Name { … } or value Name: type check …"),
];

const TOP_ITEMS: &[(&str, &str)] = &[
    ("model", "model name { … }: the root of the model"),
    ("context", "context name { … }: a PostgreSQL schema"),
    ("enum", "enum Name { VALUE … } (shared kernel)"),
    ("value", "value Name { … } (shared kernel)"),
    ("include", "include \"file.ddd\""),
    ("role", "role name { read ctx write ctx }"),
    ("publication", "publication name { ctx, ctx.Aggregate }"),
];

const CONTEXT_ITEMS: &[(&str, &str)] = &[
    ("aggregate", "aggregate Name { … }: an aggregate root and its table"),
    ("enum", "enum Name { VALUE … }"),
    ("value", "value Name { … } or value Name: type check …"),
    ("tenant by", "tenant by tenant_id: every table of the context is tenant-scoped"),
];

const EXPR_WORDS: &[&str] =
    &["and", "or", "not", "implies", "is null", "is not null", "in", "between", "matches", "true", "false", "null"];

/// The implicit columns an expression may name (those the table has).
const IMPLICIT: &[&str] = &["id", "created_at", "updated_at", "deleted_at", "tenant_id"];

pub fn complete(view: &View<'_>, file: FileId, offset: usize) -> Option<CompletionResponse> {
    let text = view.text(file);
    let offset = floor_boundary(text, offset);
    let place = place(text, offset)?;
    let partial_start = offset - trailing_word(&text[..offset]).len();
    let range = view.range(Span::new(file, partial_start, offset));
    let mut c = Completions { items: Vec::new(), labels: HashSet::new(), range };
    let index = &view.snap.index;
    let line = place.line;
    let ctx = place.context();

    if let Some(before) = line.strip_suffix(trailing_word(line)).and_then(|l| l.strip_suffix('@')) {
        let _ = before;
        for (name, doc) in ANNOTATIONS {
            c.add(name, CompletionItemKind::PROPERTY, Some(doc), None);
        }
        return Some(c.done());
    }
    if let Some(args) = after_last(line, "@allow(") {
        if !args.contains(',') {
            for r in crate::lint::rules() {
                c.add(r.code, CompletionItemKind::CONSTANT, Some(r.summary), Some(r.name.to_string()));
            }
            return Some(c.done());
        }
        return None;
    }

    let block = place.blocks.last().map(|b| b.keyword.as_str()).unwrap_or("");
    let words: Vec<&str> = line.split_whitespace().collect();
    let first = words.first().copied().unwrap_or("");
    let typing_first_word = words.len() <= 1 && !line.ends_with(char::is_whitespace);

    match block {
        "" if typing_first_word => c.keywords(TOP_ITEMS),
        "model" if typing_first_word => c.keywords(MODEL_ITEMS),
        "model" if first == "tables" => c.words(&["snake", "plural_en", "plural_es"]),
        "model" if first == "target" && words.len() <= 2 => c.words(&["postgres"]),
        "model" if first == "target" => c.words(&["13", "14", "15", "16", "17", "18"]),
        "model" if first == "audit_log" => c.contexts(index),
        "defaults" => c.words(&["timestamps", "soft_delete", "no"]),
        "context" if typing_first_word => c.keywords(CONTEXT_ITEMS),
        "role" if typing_first_word => c.words(&["read", "write"]),
        "role" => c.contexts(index),
        "publication" => {
            c.contexts(index);
            for (name, id) in index.visible_types(None) {
                if index.get(id).kind == Kind::Aggregate && name.contains('.') {
                    c.symbol(index, &name, id);
                }
            }
        }
        "aggregate" | "entity" | "value" => {
            let owner = place.owner(index);
            if let Some(field_rest) = field_line(line) {
                field_completion(&mut c, index, ctx, owner, field_rest);
            } else if typing_first_word && block != "value" {
                c.keywords(AGGREGATE_ITEMS);
            } else if typing_first_word {
                c.keywords(&[("invariant", "invariant name: condition — a CHECK on every table embedding it")]);
            } else if first == "invariant" && line.contains(':') {
                expression(&mut c, index, owner, line);
            } else if matches!(first, "index" | "unique") {
                index_line(&mut c, index, owner, line);
            } else if first == "partition" {
                match words.len() {
                    1 | 2 if !line.contains('(') => c.words(&["by", "range", "list", "hash"]),
                    _ if open_paren(line) => c.fields(index, owner),
                    _ => c.words(&["range", "list", "hash", "monthly", "from", "to", "into"]),
                }
            } else if first == "search" {
                if open_paren(line) {
                    c.fields(index, owner);
                } else {
                    c.words(&["simple", "english", "spanish", "french", "german", "portuguese", "italian"]);
                }
            } else if first == "key" && open_paren(line) {
                c.fields(index, owner);
            } else if first == "no" {
                c.words(&["timestamps", "soft_delete", "audited", "tenant_scoped"]);
            } else if first == "check" || line.contains(" check ") {
                expression(&mut c, index, owner, line);
            }
        }
        _ => {}
    }
    Some(c.done())
}

/// The items gathered, each replacing the word being typed.
struct Completions {
    items: Vec<CompletionItem>,
    /// Their labels: each is offered once. (Looked for in `items`, the
    /// check grew with the square of the types a field may take: 2,000
    /// aggregates in 1,000 contexts took the completion of a field's type
    /// from 47 ms to 102.)
    labels: HashSet<String>,
    range: lsp_types::Range,
}

impl Completions {
    /// The item added; `None` when one with that label is offered already.
    fn add(
        &mut self,
        label: &str,
        kind: CompletionItemKind,
        doc: Option<&str>,
        detail: Option<String>,
    ) -> Option<&mut CompletionItem> {
        if !self.labels.insert(label.to_string()) {
            return None;
        }
        self.items.push(CompletionItem {
            label: label.to_string(),
            kind: Some(kind),
            detail,
            documentation: doc.map(|d| {
                Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: d.to_string() })
            }),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit { range: self.range, new_text: label.to_string() })),
            ..CompletionItem::default()
        });
        self.items.last_mut()
    }

    fn keywords(&mut self, words: &[(&str, &str)]) {
        for (w, doc) in words {
            self.add(w, CompletionItemKind::KEYWORD, Some(doc), None);
        }
    }

    fn words(&mut self, words: &[&str]) {
        for w in words {
            self.add(w, CompletionItemKind::KEYWORD, None, None);
        }
    }

    fn symbol(&mut self, index: &Index, label: &str, id: SymbolId) -> Option<&mut CompletionItem> {
        let s = index.get(id);
        let kind = match s.kind {
            Kind::Enum => CompletionItemKind::ENUM,
            Kind::EnumValue => CompletionItemKind::ENUM_MEMBER,
            Kind::Value => CompletionItemKind::STRUCT,
            Kind::Aggregate | Kind::Entity => CompletionItemKind::CLASS,
            Kind::Field => CompletionItemKind::FIELD,
            Kind::Context => CompletionItemKind::MODULE,
            _ => CompletionItemKind::REFERENCE,
        };
        let detail = format!("{} {}", s.kind.word(), index.path(id));
        self.add(label, kind, s.doc.as_deref(), Some(detail))
    }

    /// `ref Name`, found by typing the aggregate's name.
    fn reference(&mut self, index: &Index, name: &str, id: SymbolId) {
        if let Some(item) = self.symbol(index, &format!("ref {name}"), id) {
            item.filter_text = Some(name.to_string());
        }
    }

    fn contexts(&mut self, index: &Index) {
        for name in index.context_names() {
            if let Some(id) = index.context(&name) {
                self.symbol(index, &name, id);
            }
        }
    }

    fn fields(&mut self, index: &Index, owner: Option<SymbolId>) {
        if let Some(o) = owner {
            for (name, id) in index.fields_of(o) {
                self.symbol(index, name, *id);
            }
        }
    }

    fn done(self) -> CompletionResponse {
        CompletionResponse::Array(self.items)
    }
}

/// A field's line: what follows `name:`.
fn field_line(line: &str) -> Option<&str> {
    let (name, rest) = line.split_once(':')?;
    let name = name.trim();
    let keyword = matches!(name.split_whitespace().next(), Some("invariant" | "index" | "unique" | "partition"));
    (crate::syntax::is_identifier(name) && !keyword).then_some(rest)
}

fn field_completion(c: &mut Completions, index: &Index, ctx: Option<&str>, owner: Option<SymbolId>, rest: &str) {
    // `= …`: the default, a value of the field's enum.
    if let Some((ty, _)) = rest.split_once('=') {
        let ty_name = ty.split_whitespace().next().unwrap_or("").trim_end_matches('?');
        let parts: Vec<&str> = ty_name.split('.').collect();
        if let Some(id) = index.lookup_type(ctx, &parts).filter(|id| index.get(*id).kind == Kind::Enum) {
            for (value, v) in index.children(id).map(|(v, s)| (s.name.clone(), v)) {
                c.symbol(index, &value, v);
            }
        } else if ty_name == "bool" {
            c.words(&["true", "false"]);
        }
        let _ = owner;
        return;
    }
    let words: Vec<&str> = rest.split_whitespace().collect();
    let typing = !rest.ends_with(char::is_whitespace);
    match words.as_slice() {
        // The type.
        [] | [_] if typing || words.is_empty() => {
            let partial = words.first().copied().unwrap_or("");
            // A field's type is an enum or a value object; an aggregate is
            // referenced (`ref X`: a bare one is E0304), an entity never.
            let embeddable = |k: Kind| matches!(k, Kind::Enum | Kind::Value);
            if let Some((qualifier, _)) = partial.rsplit_once('.') {
                for (name, id) in index.visible_types(ctx) {
                    if let Some(local) = name.strip_prefix(&format!("{qualifier}.")) {
                        if embeddable(index.get(id).kind) {
                            c.symbol(index, local, id);
                        }
                    }
                }
                return;
            }
            for (s, doc) in SCALARS {
                c.add(s, CompletionItemKind::TYPE_PARAMETER, Some(doc), None);
            }
            c.add("ref", CompletionItemKind::KEYWORD, Some("ref Aggregate: a foreign key to an aggregate root"), None);
            types(c, index, ctx, embeddable);
            for (name, id) in index.visible_types(ctx) {
                if index.get(id).kind == Kind::Aggregate {
                    c.reference(index, &name, id);
                }
            }
        }
        // `ref X`: an aggregate.
        ["ref"] | ["ref", _] if typing || words.len() == 1 => {
            types(c, index, ctx, |k| k == Kind::Aggregate);
        }
        // After a reference: its options.
        ["ref", ..] => c.words(&["on delete", "on update", "loose", "cascade", "restrict", "set null", "no action"]),
        // After the type: modifiers and annotations.
        _ => c.words(&["unique", "indexed", "="]),
    }
}

/// The types visible from a context: its own and the kernel's bare, the
/// other contexts' qualified.
fn types(c: &mut Completions, index: &Index, ctx: Option<&str>, keep: impl Fn(Kind) -> bool) {
    for (name, id) in index.visible_types(ctx) {
        if keep(index.get(id).kind) {
            c.symbol(index, &name, id);
        }
    }
}

/// `index using gin (…) where …`, `unique (…)`.
fn index_line(c: &mut Completions, index: &Index, owner: Option<SymbolId>, line: &str) {
    if let Some(cond) = after_last(line, " where ") {
        expression(c, index, owner, &format!("where {cond}"));
    } else if line.trim_end().ends_with("using") || after_last(line, "using ").is_some_and(|r| !r.contains('(')) {
        c.words(&["btree", "gin", "gist", "brin", "hash"]);
    } else if open_paren(line) {
        expression(c, index, owner, line);
    } else if line.contains(')') {
        c.words(&["where", "including deleted"]);
    } else {
        c.words(&["using", "("]);
    }
}

/// Inside an expression: after `field ==` or `field in (`, the values of
/// the field's enum; after `part.`, a value object's parts; else fields,
/// functions and operators.
fn expression(c: &mut Completions, index: &Index, owner: Option<SymbolId>, line: &str) {
    let Some(owner) = owner else { return };
    if let Some(field) = compared_field(line) {
        if let Some(e) = resolve_path(index, owner, &field).and_then(|f| index.get(f).ty) {
            if index.get(e).kind == Kind::Enum {
                for (v, s) in index.children(e) {
                    c.symbol(index, &s.name, v);
                }
                return;
            }
        }
    }
    let partial = trailing_path(line);
    if let Some((head, _)) = partial.rsplit_once('.') {
        let vo = resolve_path(index, owner, head).and_then(|f| index.get(f).ty);
        if let Some(v) = vo.filter(|v| index.get(*v).kind == Kind::Value) {
            c.fields(index, Some(v));
        }
        return;
    }
    c.fields(index, Some(owner));
    for col in IMPLICIT {
        c.add(col, CompletionItemKind::FIELD, Some("a column every table of this kind has"), None);
    }
    for (name, _) in Function::ALL {
        c.add(name, CompletionItemKind::FUNCTION, None, None);
    }
    c.words(EXPR_WORDS);
}

/// The field a comparison or an `in` list being typed is about.
fn compared_field(line: &str) -> Option<String> {
    let before = line[..line.len() - trailing_word(line).len()].trim_end();
    // `field in (A, B, ` — back to the `in (`.
    let before = match before.rfind(" in (").or_else(|| before.rfind(" in(")) {
        Some(i) if !before[i..].contains(')') => &before[..i],
        _ => before.strip_suffix("==").or_else(|| before.strip_suffix("!=")).map(str::trim_end)?,
    };
    let before = before.trim_end().strip_suffix("not").map_or(before, str::trim_end);
    let path = trailing_path(before);
    (!path.is_empty()).then(|| path.to_string())
}

/// A field path (`direccion.ciudad`) among the fields of `owner`.
fn resolve_path(index: &Index, owner: SymbolId, path: &str) -> Option<SymbolId> {
    let mut scope = owner;
    let mut found = None;
    for part in path.split('.') {
        let (_, f) = index.fields_of(scope).iter().find(|(n, _)| n == part)?;
        found = Some(*f);
        if let Some(t) = index.get(*f).ty {
            scope = t;
        }
    }
    found
}

/// The identifier characters at the end of a text.
fn trailing_word(text: &str) -> &str {
    trailing(text, |c| c.is_ascii_alphanumeric() || c == '_')
}

/// The identifier-and-dot characters at the end of a text.
fn trailing_path(text: &str) -> &str {
    trailing(text, |c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// The longest end of `text` whose characters all pass `keep`; it starts
/// on a char boundary whatever the width of the character before it.
fn trailing(text: &str, keep: impl Fn(char) -> bool) -> &str {
    &text[text.trim_end_matches(keep).len()..]
}

fn after_last<'t>(line: &'t str, marker: &str) -> Option<&'t str> {
    line.rfind(marker).map(|i| &line[i + marker.len()..])
}

/// More `(` than `)`: inside a parenthesised list.
fn open_paren(line: &str) -> bool {
    line.matches('(').count() > line.matches(')').count()
}

fn floor_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// An open block: its keyword and name (`aggregate Reserva`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    keyword: String,
    name: Option<String>,
}

/// Where the cursor is: the blocks around it and the line before it.
#[derive(Debug)]
struct Place<'t> {
    blocks: Vec<Block>,
    line: &'t str,
}

impl Place<'_> {
    fn context(&self) -> Option<&str> {
        self.blocks.iter().rev().find(|b| b.keyword == "context").and_then(|b| b.name.as_deref())
    }

    /// The entity, aggregate or value object whose fields the cursor sees.
    fn owner(&self, index: &Index) -> Option<SymbolId> {
        let ctx = self.context();
        let mut owner: Option<SymbolId> = None;
        for b in &self.blocks {
            let name = b.name.as_deref()?;
            owner = match (b.keyword.as_str(), owner) {
                ("aggregate" | "value", _) => index.lookup_type(ctx, &[name]),
                ("entity", Some(parent)) => {
                    index.children(parent).find(|(_, s)| s.kind == Kind::Entity && s.name == name).map(|(id, _)| id)
                }
                _ => owner,
            };
        }
        owner
    }
}

/// Scans `text` up to `offset`. `None` inside a comment or a string.
fn place(text: &str, offset: usize) -> Option<Place<'_>> {
    let bytes = text.as_bytes();
    let mut blocks: Vec<Block> = Vec::new();
    // Where the current statement (the text a `{` takes as its header)
    // started.
    let mut statement = 0usize;
    let mut i = 0usize;
    let mut last_word = String::new();
    while i < offset {
        let b = bytes[i];
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(text.len(), |e| i + e);
                if end >= offset {
                    return None;
                }
                i = end;
                continue;
            }
            b'/' if last_word == "matches" => {
                // A regex: up to the next unescaped `/` on the line.
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b'/' && bytes[j] != b'\n' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                if j >= offset {
                    return None;
                }
                i = j + 1;
                last_word.clear();
                continue;
            }
            b'\'' | b'"' => {
                let mut j = i + 1;
                loop {
                    match bytes.get(j) {
                        None => return None,
                        Some(&q) if q == b => {
                            if bytes.get(j + 1) == Some(&b) {
                                j += 2;
                                continue;
                            }
                            break;
                        }
                        Some(b'\n') if b == b'\'' => break,
                        _ => j += 1,
                    }
                }
                if j >= offset {
                    return None;
                }
                i = j + 1;
                continue;
            }
            b'{' => {
                blocks.push(header(&text[statement..i]));
                statement = i + 1;
            }
            b'}' => {
                blocks.pop();
                statement = i + 1;
            }
            b'\n' => statement = i + 1,
            _ => {}
        }
        if b.is_ascii_alphanumeric() || b == b'_' {
            if i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
                last_word.clear();
            }
            last_word.push(b as char);
        } else if !b.is_ascii_whitespace() {
            last_word.clear();
        }
        i += 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |n| n + 1).max(statement.min(offset));
    Some(Place { blocks, line: &text[line_start..offset] })
}

/// A block's keyword and name from the text before its `{`.
fn header(text: &str) -> Block {
    let line = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    let mut words = line.split(|c: char| c.is_whitespace() || c == '@').filter(|w| !w.is_empty());
    let keyword = words.next().unwrap_or("").to_string();
    let name = words.next().map(|w| w.trim_end_matches(':').to_string()).filter(|w| crate::syntax::is_identifier(w));
    // `metadata: json = {}` opens a literal, not a block.
    if line.ends_with('=') || keyword.ends_with(':') {
        return Block { keyword: "{}".into(), name: None };
    }
    Block { keyword, name }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `tests/lsp.rs`'s random edits: completion in a line that
    /// ends in a two-byte letter sliced the text inside it and panicked.
    #[test]
    fn the_trailing_word_after_a_wide_character() {
        assert_eq!(trailing_word("la valoración"), "n");
        assert_eq!(trailing_word("la valoració"), "");
        assert_eq!(trailing_word("/// núcleo fin"), "fin");
        assert_eq!(trailing_word("precioí_total"), "_total");
        assert_eq!(trailing_path("é dirección.ciudad"), "n.ciudad");
        assert_eq!(trailing_path("x: 😀dir.ciudad"), "dir.ciudad");
        assert_eq!(trailing_word("todo_ascii"), "todo_ascii");
        assert_eq!(trailing_word(""), "");
    }

    #[test]
    fn place_reads_blocks_and_line() {
        let text = "model m {\n}\ncontext ventas {\n  aggregate Pedido {\n    /// x { not a block\n    total: Dinero\n    invariant ok: nombre matches /^{a}$/ and est";
        let p = place(text, text.len()).unwrap();
        let kinds: Vec<&str> = p.blocks.iter().map(|b| b.keyword.as_str()).collect();
        assert_eq!(kinds, ["context", "aggregate"]);
        assert_eq!(p.blocks[1].name.as_deref(), Some("Pedido"));
        assert!(p.line.trim_start().starts_with("invariant ok:"));
        // In a comment or a string: nothing.
        assert!(place("// comm", 7).is_none());
        assert!(place("x = 'abc", 8).is_none());
    }

    #[test]
    fn compared_field_finds_the_left_side() {
        assert_eq!(compared_field("invariant x: estado == AC").as_deref(), Some("estado"));
        assert_eq!(compared_field("invariant x: a.b != ").as_deref(), Some("a.b"));
        assert_eq!(compared_field("invariant x: estado not in (A, B, C").as_deref(), Some("estado"));
        assert_eq!(compared_field("invariant x: len(nombre) > 3 and "), None);
    }
}
