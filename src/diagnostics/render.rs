//! Rendering diagnostics: rustc-style text through codespan-reporting, or one
//! JSON object for tools.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, termcolor};

use std::collections::BTreeMap;
use std::ops::Range;

use super::{Diagnostic, FileId, Severity, Sources};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Always,
    Never,
}

impl<'a> Files<'a> for Sources {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(&self.get(id).name)
    }
    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(&self.get(id).text)
    }
    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        Ok(self.line_col(id, byte_index).0 - 1)
    }
    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<std::ops::Range<usize>, FilesError> {
        self.line_range(id, line_index).ok_or(FilesError::LineTooLarge { given: line_index, max: usize::MAX })
    }
}

/// Renders every diagnostic, rustc-style, followed by a summary line.
pub fn render_text(sources: &Sources, diags: &[Diagnostic], color: ColorChoice) -> String {
    let mut buffer = match color {
        ColorChoice::Always => termcolor::Buffer::ansi(),
        ColorChoice::Never => termcolor::Buffer::no_color(),
    };
    let config = term::Config::default();
    for d in diags {
        let emitted = match Excerpt::of(sources, d) {
            None => term::emit_to_write_style(&mut buffer, &config, sources, &to_codespan(d, |_, r| r)),
            Some(excerpt) => {
                let cs_diag = to_codespan(d, |file, r| excerpt.shown(file, r));
                term::emit_to_write_style(&mut buffer, &config, &excerpt, &cs_diag)
            }
        };
        if emitted.is_err() {
            // A span outside its file is a compiler bug; still say what we know.
            let _ = std::io::Write::write_all(
                &mut buffer,
                format!("{}[{}]: {}\n", d.severity.word(), d.code, d.message).as_bytes(),
            );
        }
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

/// `d` for codespan, each label's range as `range` maps it (into the
/// text of an [`Excerpt`], or as it is).
fn to_codespan(d: &Diagnostic, range: impl Fn(FileId, Range<usize>) -> Range<usize>) -> cs::Diagnostic<FileId> {
    let severity = match d.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Info => cs::Severity::Note,
    };
    let mut labels = Vec::new();
    if let Some(p) = &d.primary {
        labels.push(cs::Label::primary(p.span.file, range(p.span.file, p.span.range())).with_message(&p.message));
    }
    for s in &d.secondary {
        labels.push(cs::Label::secondary(s.span.file, range(s.span.file, s.span.range())).with_message(&s.message));
    }
    let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    cs::Diagnostic::new(severity).with_code(d.code).with_message(&d.message).with_labels(labels).with_notes(notes)
}

/// A line longer than this many bytes is shown in part: the stretch around
/// its labels, `…` for the rest (as rustc cuts a line to the terminal).
const LONG_LINE: usize = 200;
/// Bytes shown before a cut line's first label and after its last.
const AROUND: usize = 40;
/// Bytes shown of the labels' stretch of a cut line, at most.
const LABELLED: usize = 120;
const CUT: &str = "…";

/// The lines a diagnostic shows, a long one cut around its labels: what
/// codespan renders instead of the files when a label is on a long line.
/// Without it, a model written on one line printed the whole line for each
/// of its errors (2,000 errors on a line of 73 KB: 224 MB of text, 5 s).
/// Line numbers and columns are the files' own.
struct Excerpt<'a> {
    sources: &'a Sources,
    files: Vec<ExcerptFile>,
}

struct ExcerptFile {
    id: FileId,
    /// The lines shown, one after the other.
    text: String,
    /// In the order of their line numbers.
    lines: Vec<Shown>,
}

/// A line of the file, as [`ExcerptFile::text`] shows it.
struct Shown {
    /// Its index in the file.
    index: usize,
    /// Where it is in the excerpt's text, its newline included.
    range: Range<usize>,
    /// The stretches of the file's text it shows, in order: the whole line
    /// (its line break aside), or one around each group of labels.
    pieces: Vec<Piece>,
}

/// A stretch `from..to` of a line, at `at` in the excerpt's text.
#[derive(Clone, Copy)]
struct Piece {
    from: usize,
    to: usize,
    at: usize,
}

impl Shown {
    /// Where an offset of the file on this line is in the excerpt: in the
    /// piece that holds it, or at the cut (`…`) nearest to it.
    fn excerpt_offset(&self, offset: usize) -> usize {
        let k = self.pieces.partition_point(|p| p.from <= offset).saturating_sub(1);
        match self.pieces.get(k) {
            Some(p) if offset >= p.from => p.at + (offset.min(p.to) - p.from),
            Some(p) => p.at,
            None => self.range.start,
        }
    }

    /// Where an offset of the excerpt is in the file.
    fn file_offset(&self, at: usize) -> usize {
        let k = self.pieces.partition_point(|p| p.at <= at).saturating_sub(1);
        self.pieces.get(k).map_or(0, |p| (p.from + at.saturating_sub(p.at)).min(p.to))
    }
}

impl<'a> Excerpt<'a> {
    /// The excerpt of `d`, when one of its labels is on a long line (or
    /// spans one that codespan would show).
    fn of(sources: &'a Sources, d: &Diagnostic) -> Option<Excerpt<'a>> {
        let spans: Vec<super::Span> =
            d.primary.iter().map(|l| l.span).chain(d.secondary.iter().map(|l| l.span)).collect();
        // Each file's lines shown, with the offsets its labels mark on each.
        let mut shown: Vec<(FileId, BTreeMap<usize, Vec<usize>>)> = Vec::new();
        for s in &spans {
            let k = match shown.iter().position(|(f, _)| *f == s.file) {
                Some(k) => k,
                None => {
                    shown.push((s.file, BTreeMap::new()));
                    shown.len() - 1
                }
            };
            let marks = &mut shown[k].1;
            let (start, end) = (s.start as usize, s.end as usize);
            let (first, last) = (sources.line_col(s.file, start).0 - 1, sources.line_col(s.file, end).0 - 1);
            marks.entry(first).or_default().push(start);
            marks.entry(last).or_default().push(end);
            if first != last {
                // The lines codespan shows of a label over several: the
                // first few and the last two.
                for line in (first + 1..last).take(4).chain((first + 1..last).rev().take(2)) {
                    marks.entry(line).or_default();
                }
            }
        }
        for (_, marks) in &mut shown {
            // A line between two shown lines is shown too.
            let gaps: Vec<usize> =
                marks.keys().zip(marks.keys().skip(1)).filter(|(a, b)| **b == **a + 2).map(|(a, _)| a + 1).collect();
            for line in gaps {
                marks.entry(line).or_default();
            }
        }
        let long = shown.iter().any(|(id, marks)| {
            marks.keys().any(|&line| sources.line_range(*id, line).is_some_and(|r| r.len() > LONG_LINE))
        });
        if !long {
            return None;
        }
        shown.sort_by_key(|(id, _)| *id);
        let files = shown.into_iter().map(|(id, marks)| ExcerptFile::of(sources, id, marks)).collect();
        Some(Excerpt { sources, files })
    }

    fn file(&self, id: FileId) -> Option<&ExcerptFile> {
        self.files.iter().find(|f| f.id == id)
    }

    /// A label's range in the excerpt's text.
    fn shown(&self, id: FileId, range: Range<usize>) -> Range<usize> {
        let Some(file) = self.file(id) else { return 0..0 };
        let at = |offset: usize| {
            let index = self.sources.line_col(id, offset).0 - 1;
            file.lines.binary_search_by_key(&index, |l| l.index).map_or(0, |k| file.lines[k].excerpt_offset(offset))
        };
        let start = at(range.start);
        start..at(range.end).max(start)
    }
}

impl ExcerptFile {
    /// The lines of `id` in `marks`, each long one cut to a piece around
    /// each group of the offsets marked on it (labels within
    /// [`LABELLED`] bytes of each other share one), `…` between pieces
    /// and where the line goes on.
    fn of(sources: &Sources, id: FileId, marks: BTreeMap<usize, Vec<usize>>) -> ExcerptFile {
        let text = &sources.get(id).text;
        let mut file = ExcerptFile { id, text: String::new(), lines: Vec::new() };
        for (index, mut at) in marks {
            let Some(line) = sources.line_range(id, index) else { continue };
            // The line without its `\n` (a `\r` before it is kept, for a
            // label on it: codespan does not print it).
            let body = text[line.clone()].trim_end_matches('\n').len();
            let (start, end) = (line.start, line.start + body);
            let mut stretches: Vec<(usize, usize)> = Vec::new();
            if body <= LONG_LINE {
                stretches.push((start, end));
            } else if at.is_empty() {
                // A line inside a label over several: its beginning.
                stretches.push((start, floor(text, start + LABELLED + AROUND)));
            } else {
                at.sort_unstable();
                let mut group = (at[0].min(end), at[0].min(end));
                for &a in &at[1..] {
                    let a = a.min(end);
                    if a - group.0 > LABELLED {
                        stretches.push(group);
                        group = (a, a);
                    } else {
                        group.1 = a;
                    }
                }
                stretches.push(group);
                for s in &mut stretches {
                    *s = (floor(text, s.0.saturating_sub(AROUND).max(start)), floor(text, (s.1 + AROUND).min(end)));
                }
                // Pieces that now overlap or touch are one.
                let mut merged: Vec<(usize, usize)> = Vec::new();
                for s in stretches {
                    match merged.last_mut() {
                        Some(last) if s.0 <= last.1 => last.1 = last.1.max(s.1),
                        _ => merged.push(s),
                    }
                }
                stretches = merged;
            }
            let begins = file.text.len();
            let mut pieces = Vec::new();
            let mut after = start;
            for (from, to) in stretches {
                if from > after {
                    file.text.push_str(CUT);
                }
                pieces.push(Piece { from, to, at: file.text.len() });
                file.text.push_str(&text[from..to]);
                after = to;
            }
            if after < end {
                file.text.push_str(CUT);
            }
            file.text.push('\n');
            file.lines.push(Shown { index, range: begins..file.text.len(), pieces });
        }
        file
    }
}

/// `at`, or the start of the character it is inside.
fn floor(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl<'a> Files<'a> for Excerpt<'_> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(&self.sources.get(id).name)
    }
    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.file(id).map(|f| f.text.as_str()).ok_or(FilesError::FileMissing)
    }
    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        let file = self.file(id).ok_or(FilesError::FileMissing)?;
        let k = file.lines.partition_point(|l| l.range.start <= byte_index).saturating_sub(1);
        file.lines.get(k).map(|l| l.index).ok_or(FilesError::FileMissing)
    }
    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let file = self.file(id).ok_or(FilesError::FileMissing)?;
        // A line not shown (inside a label over many lines) is empty.
        Ok(file.lines.binary_search_by_key(&line_index, |l| l.index).map_or(0..0, |k| file.lines[k].range.clone()))
    }
    fn location(&'a self, id: FileId, byte_index: usize) -> Result<codespan_reporting::files::Location, FilesError> {
        let file = self.file(id).ok_or(FilesError::FileMissing)?;
        let k = file.lines.partition_point(|l| l.range.start <= byte_index).saturating_sub(1);
        let line = file.lines.get(k).ok_or(FilesError::FileMissing)?;
        let (line_number, column_number) = self.sources.line_col(id, line.file_offset(byte_index));
        Ok(codespan_reporting::files::Location { line_number, column_number })
    }
}

/// One JSON object: `{"diagnostics": [...], "errors": N, "warnings": N}`.
pub fn render_json(sources: &Sources, diags: &[Diagnostic]) -> serde_json::Value {
    let list: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let mut obj = serde_json::json!({
                "code": d.code,
                "severity": d.severity.word(),
                "message": d.message,
                "help": d.help,
                "notes": d.notes,
            });
            if let Some(p) = &d.primary {
                let (line, column) = sources.line_col(p.span.file, p.span.start as usize);
                let (end_line, end_column) = sources.line_col(p.span.file, p.span.end as usize);
                obj["file"] = sources.get(p.span.file).name.clone().into();
                obj["line"] = line.into();
                obj["column"] = column.into();
                obj["end"] = serde_json::json!({"line": end_line, "column": end_column});
                obj["label"] = p.message.clone().into();
            }
            let secondary: Vec<serde_json::Value> = d
                .secondary
                .iter()
                .map(|s| {
                    let (line, column) = sources.line_col(s.span.file, s.span.start as usize);
                    serde_json::json!({
                        "file": sources.get(s.span.file).name,
                        "line": line,
                        "column": column,
                        "label": s.message,
                    })
                })
                .collect();
            obj["secondary"] = secondary.into();
            obj
        })
        .collect();
    serde_json::json!({
        "diagnostics": list,
        "errors": diags.iter().filter(|d| d.severity == Severity::Error).count(),
        "warnings": diags.iter().filter(|d| d.severity == Severity::Warning).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::{codes::id, Span};

    fn sources() -> (Sources, FileId, FileId) {
        let mut sources = Sources::default();
        let long = format!("first\n{} target {}\nthird {}\nlast\n", "ñ".repeat(300), "x".repeat(400), "y".repeat(500));
        let a = sources.add("a.ddd".into(), "a.ddd".into(), long);
        let b = sources.add("b.ddd".into(), "b.ddd".into(), "short line\n".into());
        (sources, a, b)
    }

    /// A label on a long line shows the stretch around it, with the file's
    /// own line and column (in characters); a label in another file, on a
    /// short line, shows that line whole.
    #[test]
    fn a_long_line_is_cut_around_its_label() {
        let (sources, a, b) = sources();
        let at = sources.get(a).text.find("target").unwrap();
        let d = Diagnostic::error(id::E0001, "here")
            .at(Span::new(a, at, at + 6), "this")
            .with_secondary(Span::new(b, 0, 5), "and that");
        let text = render_text(&sources, &[d], ColorChoice::Never);
        assert!(text.contains("┌─ a.ddd:2:302\n"), "{text}");
        let shown: Vec<&str> = text.lines().filter(|l| l.starts_with("2 │")).collect();
        assert_eq!(shown.len(), 1, "{text}");
        assert!(
            shown[0].starts_with("2 │ …ññ") && shown[0].contains(" target xx") && shown[0].ends_with("x…"),
            "{text}"
        );
        assert!(shown[0].chars().count() < LONG_LINE, "{text}");
        // The caret is under `target`.
        let caret = text.lines().find(|l| l.contains("^^^^^^ this")).unwrap();
        assert_eq!(
            caret.find('^').map(|i| caret[..i].chars().count()),
            shown[0].find("target").map(|i| shown[0][..i].chars().count())
        );
        assert!(text.contains("1 │ short line\n"), "{text}");
    }

    /// A label over several long lines: its first and last lines cut around
    /// its ends, a line between cut to its beginning; nothing falls back to
    /// the header alone.
    #[test]
    fn a_label_over_long_lines() {
        let (sources, a, _) = sources();
        let from = sources.get(a).text.find("target").unwrap();
        let to = sources.get(a).text.find("last").unwrap() + 4;
        let d = Diagnostic::error(id::E0001, "here").at(Span::new(a, from, to), "all of this");
        let text = render_text(&sources, &[d], ColorChoice::Never);
        assert!(text.contains("┌─ a.ddd:2:302\n"), "{text}");
        assert!(text.contains("3 │ │ third yyy"), "{text}");
        assert!(text.contains("4 │ │ last"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() < LONG_LINE), "{text}");
        assert!(text.contains("all of this"), "{text}");
    }

    /// Two labels far apart on one long line: a piece around each, `…`
    /// between, each caret under its own text.
    #[test]
    fn labels_far_apart_on_a_long_line_each_get_a_piece() {
        let mut sources = Sources::default();
        let line = format!("enum E {{ A }} {} value V {{ a: E = B }}\n", "x ".repeat(400));
        let a = sources.add("a.ddd".into(), "a.ddd".into(), line.clone());
        let (e, b) = (line.find("enum E").unwrap() + 5, line.find("= B").unwrap() + 2);
        let d = Diagnostic::error(id::E0001, "here")
            .at(Span::new(a, b, b + 1), "not a value")
            .with_secondary(Span::new(a, e, e + 1), "declared here");
        let text = render_text(&sources, &[d], ColorChoice::Never);
        assert!(text.contains(&format!("┌─ a.ddd:1:{}\n", b + 1)), "{text}");
        let shown = text.lines().find(|l| l.starts_with("1 │")).unwrap();
        assert!(
            shown.starts_with("1 │ enum E { A } x") && shown.contains("x…x") && shown.ends_with("a: E = B }"),
            "{text}"
        );
        let column = |l: &str, s: &str| l.find(s).map(|i| l[..i].chars().count());
        let lines: Vec<&str> = text.lines().collect();
        let primary = lines.iter().find(|l| l.contains("^ not a value")).unwrap();
        assert_eq!(column(primary, "^"), column(shown, "B }"), "{text}");
        // codespan draws both carets on one line, the message of the first
        // below it.
        assert_eq!(column(primary, "-"), column(shown, "E {"), "{text}");
        assert!(text.contains("declared here"), "{text}");
    }

    /// A line between two shown lines is shown, not left blank; a long
    /// line shown only inside a label over several is cut too.
    #[test]
    fn lines_between_labels() {
        let mut sources = Sources::default();
        let long = "y".repeat(500);
        let a =
            sources.add("a.ddd".into(), "a.ddd".into(), format!("enum E {long}\nvalue V {{ a: int }}\nenum E {{}}\n"));
        let text = &sources.get(a).text;
        let (first, again) = (5, text.rfind("enum E").unwrap() + 5);
        let d = Diagnostic::error(id::E0001, "twice")
            .at(Span::new(a, again, again + 1), "again")
            .with_secondary(Span::new(a, first, first + 1), "first");
        let out = render_text(&sources, &[d], ColorChoice::Never);
        assert!(out.contains("2 │ value V { a: int }\n"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() < LONG_LINE), "{out}");

        let b = sources.add("b.ddd".into(), "b.ddd".into(), format!("c {{\n{long}\n}}\n"));
        let end = sources.get(b).text.len() - 1;
        let d = Diagnostic::error(id::E0001, "all").at(Span::new(b, 0, end), "this block");
        let out = render_text(&sources, &[d], ColorChoice::Never);
        assert!(out.contains("2 │ │ yyy") && out.contains("y…\n"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() < LONG_LINE), "{out}");
    }

    /// Short lines render as codespan renders the files themselves.
    #[test]
    fn short_lines_are_not_cut() {
        let (sources, _, b) = sources();
        let d = Diagnostic::error(id::E0001, "here").at(Span::new(b, 6, 10), "this");
        assert!(Excerpt::of(&sources, &d).is_none());
        let text = render_text(&sources, &[d], ColorChoice::Never);
        assert!(text.contains("1 │ short line\n  │       ^^^^ this"), "{text}");
    }
}
