//! The canonical layout of `.ddd` source (`dddc fmt`).
//!
//! Formatting is a function of the syntax tree plus the source's comments and
//! blank lines: two files with the same tree, comments and blank-line breaks
//! print the same. It is idempotent (`format(format(x)) == format(x)`) and
//! keeps meaning (parsing the output gives the input's tree, spans aside).
//! A file with syntax errors is never formatted ([`format_text`] returns its
//! diagnostics instead).
//!
//! # Layout
//!
//! - Two spaces per level; one item per line; `{` ends the header line and
//!   `}` stands alone. A block with nothing inside prints as `header {}`.
//! - Items keep their source order. Blank lines the user put between two items
//!   of a block are kept (several become one); none after a `{`, before a `}`
//!   or at the start or end of the file. A blank line is always put between
//!   top-level declarations (not between two `include`s) and on both sides of
//!   a context, aggregate or entity inside a block.
//! - Fields: `name: type = default unique indexed @annotation…`, annotations
//!   in source order. Types: `name(args)[]?` then `identity` or `v7`;
//!   references `ref Target? on delete … on update … loose`.
//! - Annotations are postfix where the grammar allows them: after a field's
//!   type and modifiers, after an enum value, after a declaration's name (and
//!   `as`, `one`, `native`) before its `{`, after an invariant's name before
//!   its `:`, at the end of an `index`/`unique` line (after `where …` and
//!   `including deleted`), after `events`' options.
//! - Enum values and event names one per line, without commas; lists that are
//!   one item stay on one line with `, `: `extensions a, b`, `key (a, b)`,
//!   `read a, b`, `search cfg (a A, b)`, `publication p { a.B, c }`,
//!   `partition by list (c) { es: 'ES', x: ('A', 'B') }`.
//! - Expressions print through [`expr_to_string`]: one space around binary
//!   operators, `, ` between arguments, the user's parentheses and no others.
//!   Strings use single quotes unless the text holds a single quote and no
//!   double quote, or a line break; `include` paths and `sql` strings use
//!   double quotes. Integers keep the digits as written.
//!
//! # Comments
//!
//! - Doc comments print from the declaration's `doc` as `/// text` lines right
//!   above it; a `///` that was written at the end of the declaration's first
//!   line stays there (unless a string spanning lines follows it: then it
//!   moves above, the only place where it still documents the declaration).
//! - A `//` comment on its own line stays on its own line, before the item
//!   that followed it, at that item's indentation (a comment before a `}`
//!   stays inside the block). A comment at the end of a line stays at the end
//!   of the printed line of what it followed, after one space.
//! - A comment inside something printed as one line (a field written over two
//!   lines, a block's header) moves above it, before its doc comment.
//! - A `///` that documents nothing (warning W0001) is kept as is, followed by
//!   a blank line when a declaration or doc comment comes next, so that it
//!   still documents nothing; it never ends a declaration's line.

mod expr;
mod layout;
mod render;

pub use expr::{expr_to_string, literal_to_string, quote_string, string_quote};

use crate::diagnostics::{Diagnostic, FileId};
use crate::syntax::ast::SourceFile;

/// Formats one parsed file. `text` is its source (for comments and blank
/// lines); `file` must be the tree parsed from it.
pub fn format_source(file: &SourceFile, text: &str) -> String {
    let nodes = layout::file(text, file);
    render::render(text, &nodes, &file.comments)
}

/// Parses and formats one file. `Err` with the diagnostics when the file has
/// syntax errors: a broken file is never formatted.
pub fn format_text(text: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = crate::syntax::parse(FileId(0), text);
    match parsed.file {
        Some(file) if !parsed.diagnostics.iter().any(Diagnostic::is_error) => Ok(format_source(&file, text)),
        _ => Err(parsed.diagnostics),
    }
}
