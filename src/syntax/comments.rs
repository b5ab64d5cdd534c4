//! Comments: collected from the source once the parser has told where the
//! string and regex literals are (a `//` inside `'…'` or `/…/` is no comment),
//! then `///` runs are attached to declarations by position.

use crate::syntax::tree::Pair;

use super::ast::{Comment, Doc};
use super::Rule;
use crate::diagnostics::{FileId, Span};

/// Byte ranges of every string and regex literal in the parse tree.
pub(super) fn literal_spans(root: Pair<'_>) -> Vec<(usize, usize)> {
    root.descendants()
        .filter(|n| matches!(n.rule, Rule::sq_string | Rule::dq_string | Rule::regex))
        .map(|n| (n.start, n.end))
        .collect()
}

/// The comments of `text[range]` (a whole file, or a part of one that
/// starts and ends at the start of a line), their spans in `text`.
pub(super) fn collect(
    text: &str,
    file: FileId,
    literals: &[(usize, usize)],
    range: std::ops::Range<usize>,
) -> Vec<Comment> {
    let text = &text[..range.end];
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = range.start;
    let mut lit = literals.iter().peekable();
    while i + 1 < bytes.len() {
        while let Some(&&(_, end)) = lit.peek() {
            if end <= i {
                lit.next();
            } else {
                break;
            }
        }
        if let Some(&&(start, end)) = lit.peek() {
            if start <= i && i < end {
                i = end;
                continue;
            }
        }
        if bytes[i] == b'/' && bytes[i + 1] == b'/' {
            let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            let raw = &text[i..end];
            let is_doc = raw.starts_with("///") && !raw.starts_with("////");
            let body = if is_doc { &raw[3..] } else { &raw[2..] };
            let body = body.strip_prefix(' ').unwrap_or(body).trim_end();
            let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
            // A byte-order mark before the first comment is not text.
            let own_line = text[line_start..i].trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}').is_empty();
            out.push(Comment { text: body.to_string(), span: Span::new(file, i, end), is_doc, own_line });
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

/// Hands out doc comments to declarations. A declaration gets the run of
/// own-line `///` comments directly above the line it starts on, plus a `///`
/// written at the end of that line. Each comment is handed out once.
pub(super) struct DocAttacher<'a> {
    text: &'a str,
    /// Where the part of `text` read starts (0 for a whole file).
    base: usize,
    /// The starts of its lines, from `base`.
    line_starts: Vec<usize>,
    comments: Vec<Comment>,
    /// Per comment, where its text ends once trailing blanks are trimmed:
    /// ascending, like the comments (they never overlap), so a lookup by end
    /// is a binary search, not a scan (a scan per node made parsing a
    /// documented model quadratic).
    trimmed_ends: Vec<usize>,
    /// The same ends as a bit per byte offset: most nodes end where no
    /// comment does, and one bit says so before the binary search.
    /// `Builder::span`, which asks for every node, was 7 % of `validate`'s
    /// profile once pest no longer parsed; this (with the parser's list
    /// sized up front, 7df6dd7) took 1.5-2.5 % off `validate`'s CPU.
    end_bits: Vec<u64>,
    used: Vec<bool>,
}

impl<'a> DocAttacher<'a> {
    /// The attacher of `comments`, those of `text[range]` ([`collect`]).
    pub fn new(text: &'a str, comments: Vec<Comment>, range: std::ops::Range<usize>) -> Self {
        let used = vec![false; comments.len()];
        let (base, text) = (range.start, &text[..range.end]);
        let line_starts =
            std::iter::once(base).chain(text[base..].match_indices('\n').map(|(i, _)| base + i + 1)).collect();
        let trimmed_ends = comments
            .iter()
            .map(|c| {
                let (s, e) = (c.span.start as usize, c.span.end as usize);
                s + text.get(s..e).map_or(0, |t| t.trim_end().len())
            })
            .collect::<Vec<usize>>();
        let mut end_bits = vec![0u64; (text.len() - base) / 64 + 1];
        for &end in &trimmed_ends {
            if let Some(word) = end_bits.get_mut((end - base) / 64) {
                *word |= 1 << ((end - base) % 64);
            }
        }
        DocAttacher { text, base, line_starts, comments, trimmed_ends, end_bits, used }
    }

    /// The line of `offset`, counted from the part's first.
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset.min(self.text.len())).saturating_sub(1)
    }

    pub fn take(&mut self, decl_start: usize) -> Option<Doc> {
        let line = self.line_of(decl_start);
        let first_after = self.comments.partition_point(|c| (c.span.start as usize) < decl_start);
        let mut picked: Vec<usize> = Vec::new();
        // Leading run: own-line doc comments on the lines right above.
        let mut want = line;
        for idx in (0..first_after).rev() {
            let c = &self.comments[idx];
            let c_line = self.line_of(c.span.start as usize);
            if c_line >= want {
                continue;
            }
            if c_line + 1 == want && c.is_doc && c.own_line && !self.used[idx] {
                picked.push(idx);
                want = c_line;
            } else {
                break;
            }
        }
        picked.reverse();
        // Trailing: a doc comment later on the declaration's first line.
        if let Some(c) = self.comments.get(first_after) {
            if c.is_doc && !c.own_line && !self.used[first_after] && self.line_of(c.span.start as usize) == line {
                picked.push(first_after);
            }
        }
        let (&first, &last) = (picked.first()?, picked.last()?);
        let span = self.comments[first].span.to(self.comments[last].span);
        let text = picked
            .iter()
            .map(|&i| {
                self.used[i] = true;
                self.comments[i].text.as_str()
            })
            .collect::<Vec<_>>()
            .join("\n");
        Some(Doc { text, span })
    }

    /// The start of a comment whose text (trailing blanks aside) ends at `end`.
    pub fn comment_ending_at(&self, end: usize) -> Option<usize> {
        let at = end.checked_sub(self.base)?;
        if self.end_bits.get(at / 64).is_none_or(|word| word & (1 << (at % 64)) == 0) {
            return None;
        }
        let idx = self.trimmed_ends.binary_search(&end).ok()?;
        self.comments.get(idx).map(|c| c.span.start as usize)
    }

    /// Doc comments that no declaration claimed.
    pub fn unused(&self) -> impl Iterator<Item = &Comment> {
        self.comments.iter().zip(&self.used).filter(|(c, u)| c.is_doc && !**u).map(|(c, _)| c)
    }

    /// The comments, taken out once the declarations have had theirs
    /// (the attacher hands out no more).
    pub fn take_comments(&mut self) -> Vec<Comment> {
        self.used.clear();
        self.trimmed_ends.clear();
        self.end_bits.clear();
        std::mem::take(&mut self.comments)
    }
}
