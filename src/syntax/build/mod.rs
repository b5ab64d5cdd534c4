//! Parse tree ([`super::tree`], from either parser) → typed AST. The grammar has already accepted the shape, so the
//! walk only reads children; anything unexpected is skipped, never unwrapped.
//!
//! One file per kind of declaration: [`model`] (the model block, roles,
//! publications), [`decls`] (contexts, enums, value objects), [`aggregate`]
//! (aggregates, entities and what they contain), [`fields`] (fields, types,
//! annotations) and [`expr`] (expressions). This file holds the walk's state
//! and the top of the file.

mod aggregate;
mod decls;
mod expr;
mod fields;
mod model;

use crate::syntax::tree::Pair;

use super::ast::*;
use super::comments::DocAttacher;
use super::errors::{Junk, Place};
use super::Rule;
use crate::diagnostics::codes::id;
use crate::diagnostics::{Diagnostic, FileId, Span};
use expr::unquote;

pub(super) struct Builder<'a> {
    pub(super) file: FileId,
    pub(super) text: &'a str,
    pub(super) docs: DocAttacher<'a>,
    pub junk: Vec<Junk>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Builder<'a> {
    /// The builder of the tree of `text[range]` (the whole file, or a part
    /// [`super::parse_part`] reads), `comments` those of the range.
    pub fn new(file: FileId, text: &'a str, comments: Vec<Comment>, range: std::ops::Range<usize>) -> Self {
        Builder { file, text, docs: DocAttacher::new(text, comments, range), junk: Vec::new(), diagnostics: Vec::new() }
    }

    /// A node's span, without the blanks and comments pest's implicit
    /// whitespace left at its end (when an optional tail was absent).
    fn span(&self, pair: &Pair<'_>) -> Span {
        let start = pair.start();
        let mut end = pair.end();
        loop {
            end = start + self.text[start..end].trim_end().len();
            match self.docs.comment_ending_at(end) {
                Some(c) if c >= start && c < end => end = c,
                _ => break,
            }
        }
        Span::new(self.file, start, end)
    }

    /// Nothing but blanks before `offset` on its line.
    fn starts_line(&self, offset: usize) -> bool {
        self.text[..offset].rsplit('\n').next().is_some_and(|l| l.trim().is_empty())
    }

    /// An annotation alone on its line documents nothing: the grammar would
    /// silently attach it to what comes before.
    fn check_annotations(&mut self, anns: &[Annotation]) {
        for a in anns {
            if self.starts_line(a.span.start as usize) {
                self.diagnostics.push(
                    Diagnostic::error(id::E0001, "annotation on a line of its own")
                        .at(a.span, "this would silently annotate the line above")
                        .with_help(
                            "write annotations after what they annotate, on the same line: `email: Email unique @pii`",
                        ),
                );
            }
        }
    }

    fn doc(&mut self, pair: &Pair<'_>) -> Option<Doc> {
        self.docs.take(pair.start())
    }

    fn ident(&self, pair: Pair<'_>) -> Ident {
        Ident { name: pair.as_str().to_string(), span: self.span(&pair) }
    }

    fn path(&self, pair: Pair<'_>) -> Path {
        let span = self.span(&pair);
        Path { parts: pair.into_inner().map(|p| self.ident(p)).collect(), span }
    }

    fn junk(&mut self, place: Place, pair: &Pair<'_>) {
        let (start, end) = (pair.start(), pair.end());
        // Consecutive junk lines are one region: explain only its first line.
        if let Some(last) = self.junk.last_mut() {
            // At the top level, the lines after a broken block header are its
            // body: one region. Inside blocks, each item is a line.
            let new_item = place != Place::Top && super::errors::starts_item(&self.text[start..end]);
            if last.place == place && self.text[last.end..start].trim().is_empty() && !new_item {
                last.end = end;
                return;
            }
        }
        self.junk.push(Junk { place, start, end });
    }

    pub fn file(&mut self, root: Pair<'_>) -> SourceFile {
        let mut items = Vec::new();
        for p in root.into_inner() {
            match p.as_rule() {
                Rule::include => items.push(TopItem::Include(self.include(p))),
                Rule::model => items.push(TopItem::Model(self.model(p))),
                Rule::context => items.push(TopItem::Context(self.context(p))),
                Rule::enum_decl => items.push(TopItem::Enum(self.enum_decl(p))),
                Rule::value_decl => items.push(TopItem::Value(self.value_decl(p))),
                Rule::role => items.push(TopItem::Role(self.role(p))),
                Rule::publication => items.push(TopItem::Publication(self.publication(p))),
                Rule::top_junk => self.junk(Place::Top, &p),
                _ => {}
            }
        }
        let unused: Vec<Span> = self.docs.unused().map(|c| c.span).collect();
        for span in unused {
            self.diagnostics.push(
                Diagnostic::warning(id::W0001, "doc comment documents nothing")
                    .at(span, "no declaration follows this `///` comment")
                    .with_help("put it right above a declaration, or use `//` for a plain comment"),
            );
        }
        let comments = self.docs.take_comments();
        SourceFile { items, comments }
    }

    fn include(&mut self, pair: Pair<'_>) -> Include {
        let span = self.span(&pair);
        let mut path = String::new();
        let mut path_span = span;
        for p in pair.into_inner() {
            if matches!(p.as_rule(), Rule::sq_string | Rule::dq_string) {
                path_span = self.span(&p);
                path = unquote(p.as_str());
            }
        }
        Include { path, path_span, span }
    }

    /// Placeholder name for a node whose name the grammar guarantees; never
    /// reached on a successful parse, but no reason to panic either.
    fn missing(&self, span: Span) -> Ident {
        Ident { name: String::new(), span }
    }
}

/// `/a\/b/` → `a/b`; other escapes are the regex's own and stay.
/// `/a\/b/` → `a/b`; other escapes are the regex's own and stay.
pub(super) fn unescape_regex(s: &str) -> String {
    let inner = s.get(1..s.len().saturating_sub(1)).unwrap_or("");
    inner.replace("\\/", "/")
}

/// `50M` → 50 000 000. Saturates instead of overflowing.
pub(super) fn parse_size(s: &str) -> u64 {
    let (num, mult) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1e3),
        Some('M') => (&s[..s.len() - 1], 1e6),
        Some('G' | 'B') => (&s[..s.len() - 1], 1e9),
        _ => (s, 1.0),
    };
    let v = num.parse::<f64>().unwrap_or(0.0) * mult;
    if v >= u64::MAX as f64 {
        u64::MAX
    } else {
        v as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquote_undoubles_its_own_quote() {
        assert_eq!(unquote("'it''s'"), "it's");
        assert_eq!(unquote("\"a \"\"b\"\" 'c'\""), "a \"b\" 'c'");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("50M"), 50_000_000);
        assert_eq!(parse_size("10k"), 10_000);
        assert_eq!(parse_size("1.5G"), 1_500_000_000);
        assert_eq!(parse_size("12"), 12);
    }
}
