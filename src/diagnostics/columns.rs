//! Columns on long lines without walking them: how many characters (and
//! UTF-16 units) a text holds before each of its marks, one mark every
//! [`STEP`] bytes.
//!
//! A column is the number of characters between a line's start and an
//! offset. Counting them is a walk over the line, which is nothing on a
//! line of source code and everything on a model written on one line: a
//! diagnostic or a symbol per declaration, each counted from the start of
//! the same 2 MB line, made a one-line model of 2,000 aggregates take 5 s
//! to report its errors and the language server 2 s for an outline. With
//! the marks a column costs a binary search and a walk of at most
//! [`STEP`] bytes, wherever it is.

/// Bytes between two marks: the longest walk from a mark.
pub const STEP: usize = 1024;

/// A range at most this long is counted by walking it.
const WALK: usize = 2 * STEP;

/// The marks of one text; none when the text is ASCII, whose columns are
/// its byte offsets.
#[derive(Debug, Clone)]
pub struct Columns {
    marks: Option<Vec<Mark>>,
}

/// What the text holds before `byte` (a character boundary).
#[derive(Debug, Clone, Copy)]
struct Mark {
    byte: usize,
    chars: usize,
    utf16: usize,
}

/// How many characters and UTF-16 units a stretch of text holds (its
/// bytes are its length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Count {
    pub chars: usize,
    pub utf16: usize,
}

impl Count {
    fn of(text: &str) -> Count {
        if text.is_ascii() {
            return Count { chars: text.len(), utf16: text.len() };
        }
        let mut count = Count::default();
        for c in text.chars() {
            count.chars += 1;
            count.utf16 += c.len_utf16();
        }
        count
    }
}

/// How a column is counted: characters, UTF-16 units or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Chars,
    Utf16,
    Bytes,
}

impl Unit {
    fn width(self, c: char) -> usize {
        match self {
            Unit::Chars => 1,
            Unit::Utf16 => c.len_utf16(),
            Unit::Bytes => c.len_utf8(),
        }
    }

    fn of_mark(self, m: &Mark) -> usize {
        match self {
            Unit::Chars => m.chars,
            Unit::Utf16 => m.utf16,
            Unit::Bytes => m.byte,
        }
    }
}

impl Columns {
    /// The marks of `text`: one walk over it (none when it is ASCII).
    pub fn new(text: &str) -> Columns {
        if text.is_ascii() {
            return Columns { marks: None };
        }
        let mut marks = Vec::with_capacity(text.len() / STEP + 1);
        let mut at = Mark { byte: 0, chars: 0, utf16: 0 };
        let mut next = 0;
        for (i, c) in text.char_indices() {
            if i >= next {
                marks.push(Mark { byte: i, ..at });
                next = i + STEP;
            }
            at.chars += 1;
            at.utf16 += c.len_utf16();
        }
        Columns { marks: Some(marks) }
    }

    /// Whether a count over `from..to` needs the marks: a range long
    /// enough that walking it would cost (callers build the marks only
    /// then).
    pub fn needed(from: usize, to: usize) -> bool {
        to.saturating_sub(from) > WALK
    }

    /// What `text[from..to]` holds; both ends on character boundaries of
    /// the text these marks were made from.
    pub fn count(&self, text: &str, from: usize, to: usize) -> Count {
        let Some(marks) = &self.marks else {
            return Count { chars: to - from, utf16: to - from };
        };
        if !Columns::needed(from, to) {
            return Count::of(&text[from..to]);
        }
        let (a, b) = (before(marks, text, from), before(marks, text, to));
        Count { chars: b.chars - a.chars, utf16: b.utf16 - a.utf16 }
    }

    /// The offset of the character `units` units (of `unit`) after
    /// `start`, within `start..end` (a line without its newline): the end
    /// when the line is shorter, and the start of a character that the
    /// column falls inside.
    pub fn offset(&self, text: &str, start: usize, end: usize, units: usize, unit: Unit) -> usize {
        if self.marks.is_none() {
            // Every character is one unit of each kind.
            return start + units.min(end - start);
        }
        let mut from = start;
        let mut counted = 0;
        if let Some(marks) = self.marks.as_ref().filter(|_| Columns::needed(start, end)) {
            // The last mark in the line at or before the column.
            let base = before(marks, text, start);
            let base = match unit {
                Unit::Chars => base.chars,
                Unit::Utf16 => base.utf16,
                Unit::Bytes => start,
            };
            let k = marks.partition_point(|m| m.byte <= start || (m.byte <= end && unit.of_mark(m) - base <= units));
            if let Some(m) = k.checked_sub(1).map(|k| &marks[k]).filter(|m| m.byte > start) {
                from = m.byte;
                counted = unit.of_mark(m) - base;
            }
        }
        for (i, c) in text[from..end].char_indices() {
            let w = unit.width(c);
            if counted + w > units {
                return from + i;
            }
            counted += w;
        }
        end
    }
}

/// What `text[..at]` holds: the last mark at or before `at`, and a walk of
/// at most [`STEP`] bytes from it.
fn before(marks: &[Mark], text: &str, at: usize) -> Count {
    let k = marks.partition_point(|m| m.byte <= at).saturating_sub(1);
    let m = marks[k];
    let rest = Count::of(&text[m.byte..at]);
    Count { chars: m.chars + rest.chars, utf16: m.utf16 + rest.utf16 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every count and every offset agrees with a walk over the line, on
    /// lines of every length around the marks, ASCII and not.
    #[test]
    fn counts_and_offsets_agree_with_a_walk() {
        let pieces = ["a", "é", "日本", "😀", "x\u{301}", "ab"];
        for seed in 0..6usize {
            let mut text = String::new();
            let mut i = seed;
            while text.len() < 5 * STEP + 37 * seed {
                text.push_str(pieces[i % pieces.len()]);
                i = (i * 7 + 3) % 1009;
                if i % 97 == 0 {
                    text.push('\n');
                }
            }
            let columns = Columns::new(&text);
            let bounds: Vec<usize> = (0..=text.len()).filter(|&b| text.is_char_boundary(b)).collect();
            for (n, &from) in bounds.iter().enumerate().step_by(13) {
                for &to in bounds[n..].iter().step_by(29) {
                    assert_eq!(columns.count(&text, from, to), Count::of(&text[from..to]), "{from}..{to}");
                }
            }
            let end = text.len();
            for start in [0, bounds[bounds.len() / 3]] {
                for unit in [Unit::Chars, Unit::Utf16, Unit::Bytes] {
                    let walk = |units: usize| {
                        let mut counted = 0;
                        for (i, c) in text[start..end].char_indices() {
                            if counted + unit.width(c) > units {
                                return start + i;
                            }
                            counted += unit.width(c);
                        }
                        end
                    };
                    for units in (0..text.len() + 10).step_by(7) {
                        assert_eq!(columns.offset(&text, start, end, units, unit), walk(units), "{unit:?} {units}");
                    }
                }
            }
        }
    }

    #[test]
    fn an_ascii_text_has_no_marks() {
        let text = "x".repeat(10 * STEP);
        let columns = Columns::new(&text);
        assert!(columns.marks.is_none());
        assert_eq!(columns.count(&text, 5, 9000), Count { chars: 8995, utf16: 8995 });
        assert_eq!(columns.offset(&text, 5, 9000, 100, Unit::Utf16), 105);
        assert_eq!(columns.offset(&text, 5, 9000, 100_000, Unit::Chars), 9000);
    }
}
