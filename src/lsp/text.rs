//! Positions and addresses as the protocol speaks them: a line and a
//! character offset in the client's encoding (UTF-16 unless it offers
//! UTF-8), and `file://` URIs, converted to and from the byte offsets and
//! paths the compiler uses.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use lsp_types::{Position, Range, Uri};

use crate::diagnostics::columns::{Columns, Unit};

/// How the client counts characters in a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
    Utf32,
}

impl Encoding {
    /// The unit [`Columns`] counts in for this encoding.
    fn unit(self) -> Unit {
        match self {
            Encoding::Utf8 => Unit::Bytes,
            Encoding::Utf16 => Unit::Utf16,
            Encoding::Utf32 => Unit::Chars,
        }
    }

    /// The width of `c` in this encoding's units.
    fn width(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
            Encoding::Utf32 => 1,
        }
    }
}

/// Where each line of a text starts, to convert offsets both ways.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    /// Made on the first position asked for on a long line (a model
    /// written on one line): without it each is a walk over the line.
    columns: OnceLock<Columns>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        LineIndex {
            starts: std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect(),
            columns: OnceLock::new(),
        }
    }

    fn columns(&self, text: &str) -> &Columns {
        self.columns.get_or_init(|| Columns::new(text))
    }

    /// The protocol position of a byte offset (clamped to the text, moved
    /// back to a character boundary).
    pub fn position(&self, text: &str, offset: usize, enc: Encoding) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let character = if Columns::needed(start, offset) {
            let count = self.columns(text).count(text, start, offset);
            match enc {
                Encoding::Utf8 => offset - start,
                Encoding::Utf16 => count.utf16,
                Encoding::Utf32 => count.chars,
            }
        } else {
            text[start..offset].chars().map(|c| enc.width(c)).sum()
        };
        Position { line: line as u32, character: character as u32 }
    }

    /// The byte offset of a protocol position. A line past the end is the
    /// end of the text; a character past the end of its line is the end of
    /// the line (the protocol says to clamp), and one inside a character
    /// (half a surrogate pair) is that character's start.
    pub fn offset(&self, text: &str, pos: Position, enc: Encoding) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else { return text.len() };
        let end = self.starts.get(pos.line as usize + 1).map_or(text.len(), |e| e - 1);
        let end = end.max(start);
        if Columns::needed(start, end) {
            return self.columns(text).offset(text, start, end, pos.character as usize, enc.unit());
        }
        let line = &text[start..end];
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            let w = enc.width(c);
            if units + w > pos.character as usize {
                return start + i;
            }
            units += w;
        }
        start + line.len()
    }

    pub fn range(&self, text: &str, start: usize, end: usize, enc: Encoding) -> Range {
        Range { start: self.position(text, start, enc), end: self.position(text, end, enc) }
    }
}

/// Applies one `textDocument/didChange` content change: a range replaced,
/// or (without a range) the whole text.
pub fn apply_change(text: &mut String, range: Option<Range>, new_text: &str, enc: Encoding) {
    match range {
        None => *text = new_text.to_string(),
        Some(r) => {
            let index = LineIndex::new(text);
            let start = index.offset(text, r.start, enc);
            let end = index.offset(text, r.end, enc).max(start);
            text.replace_range(start..end, new_text);
        }
    }
}

/// The path of a `file:` URI (percent-decoded); `None` for another scheme
/// (an unsaved `untitled:` buffer) or a path that is not valid UTF-8.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    // `file://host/path`: only the local host is a local file.
    let path = match rest.find('/') {
        Some(0) => rest,
        Some(i) if rest[..i].eq_ignore_ascii_case("localhost") => &rest[i..],
        _ => return None,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let decoded = percent_decode(path)?;
    #[cfg(windows)]
    {
        // `/C:/dir` is `C:\dir`.
        let trimmed = decoded.strip_prefix('/').unwrap_or(&decoded);
        return Some(PathBuf::from(trimmed.replace('/', "\\")));
    }
    #[cfg(not(windows))]
    Some(PathBuf::from(decoded))
}

/// The `file:` URI of an absolute path, percent-encoding every byte but
/// unreserved characters and `/`.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let text = path.to_str()?.replace('\\', "/");
    let mut out = String::from("file://");
    if !text.starts_with('/') {
        out.push('/');
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else if b == b':' && out.len() == "file:///".len() + 1 {
            // A drive letter's colon (`/C:/`) stays as VS Code writes it
            // encoded; both spellings decode the same.
            out.push_str("%3A");
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.parse().ok()
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = &bytes[i + 1..i + 3];
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a line long enough for [`Columns`], positions and offsets in each
    /// encoding are what a walk over the line gives (the code before it).
    #[test]
    fn positions_on_a_long_line_are_those_of_a_walk() {
        let mut text = String::from("model m {}\n");
        for i in 0..3000 {
            text.push_str(["a", "ñ", "€", "😀", " "][i % 5]);
        }
        text.push_str("\nend\n");
        let index = LineIndex::new(&text);
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            for offset in (0..text.len()).step_by(37).chain([text.len() - 5, text.len()]) {
                let mut at = offset;
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let line = text[..at].matches('\n').count();
                let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let character: usize = text[start..at].chars().map(|c| enc.width(c)).sum();
                let pos = Position { line: line as u32, character: character as u32 };
                assert_eq!(index.position(&text, offset, enc), pos, "{enc:?} {offset}");
                assert_eq!(index.offset(&text, pos, enc), at, "{enc:?} {pos:?}");
            }
            // Past the end of the long line: its end.
            let end = text.len() - 5;
            assert_eq!(index.offset(&text, Position { line: 1, character: 1_000_000 }, enc), end);
        }
    }

    #[test]
    fn positions_count_utf16_units() {
        let text = "ab\nñ𝄞x\n";
        let idx = LineIndex::new(text);
        // `x` is after ñ (1 unit) and 𝄞 (2 units).
        let x = text.find('x').unwrap();
        assert_eq!(idx.position(text, x, Encoding::Utf16), Position { line: 1, character: 3 });
        assert_eq!(idx.position(text, x, Encoding::Utf8), Position { line: 1, character: 6 });
        assert_eq!(idx.offset(text, Position { line: 1, character: 3 }, Encoding::Utf16), x);
        // Inside the surrogate pair: the character's start.
        assert_eq!(idx.offset(text, Position { line: 1, character: 2 }, Encoding::Utf16), text.find('𝄞').unwrap());
        // Past the end of a line, past the last line: clamped.
        assert_eq!(idx.offset(text, Position { line: 0, character: 99 }, Encoding::Utf16), 2);
        assert_eq!(idx.offset(text, Position { line: 9, character: 0 }, Encoding::Utf16), text.len());
    }

    #[test]
    fn changes_replace_ranges() {
        let mut text = String::from("model m {\n  target postgres 16\n}\n");
        let r = Range { start: Position { line: 1, character: 18 }, end: Position { line: 1, character: 20 } };
        apply_change(&mut text, Some(r), "17", Encoding::Utf16);
        assert_eq!(text, "model m {\n  target postgres 17\n}\n");
        apply_change(&mut text, None, "x", Encoding::Utf16);
        assert_eq!(text, "x");
    }

    #[test]
    fn uris_round_trip() {
        let p = Path::new("/tmp/a dir/ñ/m.ddd");
        let uri = path_to_uri(p).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/a%20dir/%C3%B1/m.ddd");
        assert_eq!(uri_to_path(&uri).unwrap(), p);
        let other: Uri = "untitled:Untitled-1".parse().unwrap();
        assert_eq!(uri_to_path(&other), None);
        let remote: Uri = "file://server/share/m.ddd".parse().unwrap();
        assert_eq!(uri_to_path(&remote), None);
        let local: Uri = "file://localhost/tmp/m.ddd".parse().unwrap();
        assert_eq!(uri_to_path(&local).unwrap(), Path::new("/tmp/m.ddd"));
        // The URI type refuses a malformed escape before it reaches us;
        // the decoder refuses one too, and bytes that are not UTF-8.
        assert_eq!(percent_decode("/a%ZZ"), None);
        assert_eq!(percent_decode("/a%+1"), None);
        assert_eq!(percent_decode("/a%FF"), None);
        assert_eq!(percent_decode("/a%41").as_deref(), Some("/aA"));
    }
}
