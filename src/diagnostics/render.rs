//! Rendering diagnostics: rustc-style text through codespan-reporting, or one
//! JSON object for tools.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, termcolor};

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
        let cs_diag = to_codespan(d);
        if term::emit_to_write_style(&mut buffer, &config, sources, &cs_diag).is_err() {
            // A span outside its file is a compiler bug; still say what we know.
            let _ = std::io::Write::write_all(
                &mut buffer,
                format!("{}[{}]: {}\n", d.severity.word(), d.code, d.message).as_bytes(),
            );
        }
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

fn to_codespan(d: &Diagnostic) -> cs::Diagnostic<FileId> {
    let severity = match d.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Info => cs::Severity::Note,
    };
    let mut labels = Vec::new();
    if let Some(p) = &d.primary {
        labels.push(cs::Label::primary(p.span.file, p.span.range()).with_message(&p.message));
    }
    for s in &d.secondary {
        labels.push(cs::Label::secondary(s.span.file, s.span.range()).with_message(&s.message));
    }
    let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    cs::Diagnostic::new(severity).with_code(d.code).with_message(&d.message).with_labels(labels).with_notes(notes)
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
