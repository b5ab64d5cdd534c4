//! Diagnostics are data: a code, a severity, a message, labelled spans and a
//! help line. They are rendered only at the edge (`render`), rustc-style or as
//! JSON; the long texts behind each code live in `codes`.

pub mod codes;
pub mod columns;
mod render;
mod spelling;

use std::path::{Path, PathBuf};

pub use render::{render_json, render_text, ColorChoice};
pub use spelling::Spelling;

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub struct FileId(pub u32);

thread_local! {
    /// The file whatever [`read_as`] deserialises belongs to.
    static READ_AS: std::cell::Cell<Option<FileId>> = const { std::cell::Cell::new(None) };
    /// Where the text a [`Span`] is serialised or deserialised against
    /// starts in its file ([`at_base`]).
    static SPAN_BASE: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Runs `f` with every [`Span`] it serialises written from `base` (its
/// offsets less `base`) and every one it deserialises read back at `base`
/// (`base` added): a part of a file ([`crate::syntax`] parses a large file
/// in parts) is remembered as the text it is, and read back wherever that
/// text now starts.
pub fn at_base<T>(base: u32, f: impl FnOnce() -> T) -> T {
    /// Puts the base before back, also when `f` panics.
    struct Restore(u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            SPAN_BASE.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(SPAN_BASE.with(|c| c.replace(base)));
    f()
}

/// Runs `read` with every [`FileId`] it deserialises read as `file`: a
/// syntax tree remembered from another run ([`crate::syntax::memo`]) was
/// parsed under whatever id its file had then.
pub fn read_as<T>(file: FileId, read: impl FnOnce() -> T) -> T {
    /// Puts the id before back, also when `read` panics.
    struct Restore(Option<FileId>);
    impl Drop for Restore {
        fn drop(&mut self) {
            READ_AS.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(READ_AS.with(|c| c.replace(Some(file))));
    read()
}

impl<'de> serde::Deserialize<'de> for FileId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<FileId, D::Error> {
        let stored = <u32 as serde::Deserialize>::deserialize(d)?;
        Ok(READ_AS.with(|c| c.get()).unwrap_or(FileId(stored)))
    }
}

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

/// A [`Span`] as serde sees it: the same fields, relative to the base
/// [`at_base`] sets (0 but there).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename = "Span")]
struct SpanFields {
    file: FileId,
    start: u32,
    end: u32,
}

impl serde::Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let base = SPAN_BASE.with(|c| c.get());
        let (start, end) = (self.start.checked_sub(base), self.end.checked_sub(base));
        let (Some(start), Some(end)) = (start, end) else {
            return Err(serde::ser::Error::custom("a span before the base it is written from"));
        };
        SpanFields { file: self.file, start, end }.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        let f = SpanFields::deserialize(d)?;
        let base = SPAN_BASE.with(|c| c.get());
        let (start, end) = (f.start.checked_add(base), f.end.checked_add(base));
        let (Some(start), Some(end)) = (start, end) else {
            return Err(serde::de::Error::custom("a span past the end of any file"));
        };
        Ok(Span { file: f.file, start, end })
    }
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start: start as u32, end: end as u32 }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Every source file read in a run, in the order they were read.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: Vec<SourceText>,
    /// Each file's id by its path: the loader asks for every include.
    by_path: std::collections::HashMap<PathBuf, FileId>,
}

#[derive(Debug, Clone)]
pub struct SourceText {
    /// The name shown in diagnostics: relative to the working directory when
    /// possible, always with `/`.
    pub name: String,
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
    /// Made on the first column asked for on a long line.
    columns: std::sync::OnceLock<columns::Columns>,
}

impl Sources {
    pub fn add(&mut self, name: String, path: PathBuf, text: String) -> FileId {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        let id = FileId(self.files.len() as u32);
        // The first file read under a path keeps it (as a scan would find).
        self.by_path.entry(path.clone()).or_insert(id);
        self.files.push(SourceText { name, path, text, line_starts, columns: Default::default() });
        id
    }
    pub fn get(&self, id: FileId) -> &SourceText {
        &self.files[id.0 as usize]
    }
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceText)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }
    pub fn find_path(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }
    pub fn len(&self) -> usize {
        self.files.len()
    }
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
    pub fn text(&self, span: Span) -> &str {
        &self.get(span.file).text[span.range()]
    }
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        let f = self.get(file);
        let mut offset = offset.min(f.text.len());
        while !f.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = f.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = f.line_starts[line];
        let col = if columns::Columns::needed(start, offset) {
            f.columns.get_or_init(|| columns::Columns::new(&f.text)).count(&f.text, start, offset).chars
        } else {
            f.text[start..offset].chars().count()
        };
        (line + 1, col + 1)
    }
    pub fn line_range(&self, file: FileId, line_index: usize) -> Option<std::ops::Range<usize>> {
        let f = self.get(file);
        let start = *f.line_starts.get(line_index)?;
        let end = f.line_starts.get(line_index + 1).copied().unwrap_or(f.text.len());
        Some(start..end)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Where the problem is. `None` only for problems with no source position
    /// (a missing model file).
    pub primary: Option<Label>,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, Severity::Error, message)
    }
    /// This diagnostic with every span in `file` from byte `from` on
    /// moved by `by` bytes (the text before it grew or shrank).
    pub fn moved(mut self, file: FileId, from: usize, by: i64) -> Diagnostic {
        let shift = |at: u32| u32::try_from(i64::from(at) + by).unwrap_or(at);
        for label in self.primary.iter_mut().chain(self.secondary.iter_mut()) {
            if label.span.file == file && label.span.start as usize >= from {
                label.span = Span { file, start: shift(label.span.start), end: shift(label.span.end) };
            }
        }
        self
    }
    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, Severity::Warning, message)
    }
    pub fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }
    /// The primary span, with a label (may be empty).
    pub fn at(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.primary = Some(Label { span, message: label.into() });
        self
    }
    pub fn with_secondary(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label { span, message: label.into() });
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
    fn sort_key(&self) -> (u32, u32, u32, &'static str, &str) {
        match &self.primary {
            Some(l) => (l.span.file.0, l.span.start, l.span.end, self.code, &self.message),
            None => (0, 0, 0, self.code, &self.message),
        }
    }
}

/// Sorts by file, then position, then code; drops exact duplicates.
pub fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diags.dedup();
}

pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}

/// How many names a help line lists before it says how many more.
pub const LISTED: usize = 12;

/// `names` joined with `, `: the first [`LISTED`], then how many more. A
/// help line that lists what is declared (an enum's values, the fields
/// here, the model's contexts) stays a line on a large model: every
/// error listing an enum of 20,000 values made the output grow with the
/// square of the model.
pub fn some_names(names: &[impl AsRef<str>]) -> String {
    first_names(names, LISTED)
}

/// [`some_names`] of names not in a slice: only the first dozen are read.
pub fn some_names_in<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> String {
    first_names_in(names, LISTED)
}

/// `names` joined with `, `: the first `most`, then how many more.
pub fn first_names(names: &[impl AsRef<str>], most: usize) -> String {
    first_names_in(names.iter().map(AsRef::as_ref), most)
}

fn first_names_in<'a>(names: impl ExactSizeIterator<Item = &'a str>, most: usize) -> String {
    let all = names.len();
    let mut text = names.take(most).collect::<Vec<_>>().join(", ");
    if all > most {
        text.push_str(&format!(" and {} more", all - most));
    }
    text
}

/// Closest candidate by edit distance, for "did you mean" help lines:
/// within a third of the name's length (at least 1), case aside; of equally
/// close ones, the first in string order.
///
/// A misspelt model asks this once per unknown name of tens of thousands,
/// each against every name in scope: the distance is computed in two
/// reused rows, stops once no cell of a row is within the limit, and an
/// ASCII candidate is lowercased into a reused buffer (a fifth of a
/// misspelt model's `validate` went here).
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let name: Vec<char> = name.to_lowercase().chars().collect();
    let mut lower = Vec::new();
    let mut rows = (Vec::new(), Vec::new());
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        lower.clear();
        if c.is_ascii() {
            lower.extend(c.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            lower.extend(c.to_lowercase().chars());
        }
        // The distance is at least the difference in length: most of a
        // large model's names are not worth comparing.
        if lower.len().abs_diff(name.len()) > limit {
            continue;
        }
        let Some(d) = levenshtein_within(&name, &lower, limit, &mut rows) else { continue };
        if best.is_none_or(|b| (d, c) < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The edit distance of `a` and `b` when it is at most `limit`, in the
/// rows of `rows`.
fn levenshtein_within(a: &[char], b: &[char], limit: usize, rows: &mut (Vec<usize>, Vec<usize>)) -> Option<usize> {
    let (prev, cur) = rows;
    prev.clear();
    prev.extend(0..=b.len());
    for (i, ca) in a.iter().enumerate() {
        cur.clear();
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let d = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
            cur.push(d);
        }
        // Every way to the last cell crosses this row, and a cell is never
        // less than the one it comes from.
        if cur.iter().all(|&d| d > limit) {
            return None;
        }
        std::mem::swap(prev, cur);
    }
    Some(prev[b.len()]).filter(|&d| d <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain definition [`did_you_mean`] computes faster.
    fn did_you_mean_plainly<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
        fn levenshtein(a: &str, b: &str) -> usize {
            let b: Vec<char> = b.chars().collect();
            let mut prev: Vec<usize> = (0..=b.len()).collect();
            for (i, ca) in a.chars().enumerate() {
                let mut cur = vec![i + 1; b.len() + 1];
                for (j, cb) in b.iter().enumerate() {
                    cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
                }
                prev = cur;
            }
            prev[b.len()]
        }
        let limit = (name.chars().count() / 3).max(1);
        let name = name.to_lowercase();
        candidates
            .iter()
            .map(|c| (levenshtein(&name, &c.to_lowercase()), *c))
            .filter(|(d, _)| *d <= limit)
            .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
            .map(|(_, c)| c)
    }

    proptest::proptest! {
        #[test]
        fn did_you_mean_is_the_plain_definition(
            name in "[a-dA-DéÉß_İ]{0,9}",
            candidates in proptest::collection::vec("[a-dA-DéÉß_İ]{0,11}", 0..40),
        ) {
            let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
            let plainly = did_you_mean_plainly(&name, &candidates);
            proptest::prop_assert_eq!(did_you_mean(&name, candidates.iter().copied()), plainly);
            // And the walk of the names sorted, for many names.
            let spelling = Spelling::new(candidates.iter().copied());
            proptest::prop_assert_eq!(spelling.closest(&name), plainly);
        }
    }

    #[test]
    fn some_names_lists_a_dozen_and_counts_the_rest() {
        assert_eq!(some_names(&["a", "b"]), "a, b");
        let many: Vec<String> = (0..LISTED + 3).map(|i| format!("n{i}")).collect();
        assert_eq!(some_names(&many[..LISTED]), many[..LISTED].join(", "));
        assert_eq!(some_names(&many), format!("{} and 3 more", many[..LISTED].join(", ")));
    }

    #[test]
    fn did_you_mean_finds_close_names() {
        assert_eq!(did_you_mean("agregate", ["aggregate", "entity"]), Some("aggregate"));
        assert_eq!(did_you_mean("xyz", ["aggregate", "entity"]), None);
    }

    #[test]
    fn line_col_counts_characters() {
        let mut s = Sources::default();
        let f = s.add("a.ddd".into(), "a.ddd".into(), "ab\nñx y".into());
        assert_eq!(s.line_col(f, 0), (1, 1));
        assert_eq!(s.line_col(f, 3), (2, 1));
        assert_eq!(s.line_col(f, 6), (2, 3));
        // Inside a multi-byte character: its start, no panic.
        assert_eq!(s.line_col(f, 4), (2, 1));
    }

    #[test]
    fn a_path_finds_the_first_file_read_under_it() {
        let mut s = Sources::default();
        let a = s.add("a.ddd".into(), PathBuf::from("/p/a.ddd"), "x".into());
        let b = s.add("b.ddd".into(), PathBuf::from("/p/b.ddd"), "y".into());
        s.add("a.ddd".into(), PathBuf::from("/p/a.ddd"), "z".into());
        assert_eq!(s.find_path(Path::new("/p/a.ddd")), Some(a));
        assert_eq!(s.find_path(Path::new("/p/b.ddd")), Some(b));
        assert_eq!(s.find_path(Path::new("/p/c.ddd")), None);
        assert_eq!(s.len(), 3);
    }
}
