//! Formatting, through `dddc fmt`'s formatter: one edit replacing the
//! text when it changes. A file with syntax errors is left as it is (its
//! errors are already shown).

use lsp_types::{Position, Range, TextEdit};

use super::text::{Encoding, LineIndex};

pub fn format(text: &str, enc: Encoding) -> Option<Vec<TextEdit>> {
    let formatted = crate::syntax::fmt::format_text(text).ok()?;
    if formatted == text {
        return Some(Vec::new());
    }
    let end = LineIndex::new(text).position(text, text.len(), enc);
    Some(vec![TextEdit { range: Range { start: Position::new(0, 0), end }, new_text: formatted }])
}
