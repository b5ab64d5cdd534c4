//! The compiler's diagnostics as the protocol carries them: the code links
//! to its `dddc explain` text, secondary labels become related
//! information, the help line and notes follow the message.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, NumberOrString, Position, Range, Uri,
};

use super::text::{path_to_uri, Encoding, LineIndex};
use super::view::View;
use crate::diagnostics::{codes, Diagnostic, Severity};

/// A diagnostic located in `text` (the file its primary span is in).
pub fn to_lsp(view: &View<'_>, d: &Diagnostic) -> lsp_types::Diagnostic {
    let range = d.primary.as_ref().map(|p| view.range(p.span)).unwrap_or_default();
    let related = d
        .secondary
        .iter()
        .filter_map(|l| {
            Some(DiagnosticRelatedInformation {
                location: view.location(l.span)?,
                message: if l.message.is_empty() { "here".to_string() } else { l.message.clone() },
            })
        })
        .collect::<Vec<_>>();
    build(d, range, related)
}

/// The diagnostics of a file outside any snapshot (syntax only), against
/// its own text, its lines found once (not once per diagnostic: a broken
/// file of thousands of errors scanned its whole text for each).
pub fn to_lsp_in(text: &str, enc: Encoding, ds: &[Diagnostic]) -> Vec<lsp_types::Diagnostic> {
    let lines = LineIndex::new(text);
    ds.iter()
        .map(|d| {
            let range = d
                .primary
                .as_ref()
                .map(|p| lines.range(text, p.span.start as usize, p.span.end as usize, enc))
                .unwrap_or_default();
            build(d, range, Vec::new())
        })
        .collect()
}

fn build(d: &Diagnostic, range: Range, related: Vec<DiagnosticRelatedInformation>) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    if let Some(label) = d.primary.as_ref().map(|p| p.message.as_str()).filter(|l| !l.is_empty()) {
        message.push_str(&format!("\n{label}"));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    for n in &d.notes {
        message.push_str(&format!("\nnote: {n}"));
    }
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        code_description: explain_uri(d.code).map(|href| CodeDescription { href }),
        source: Some("dddc".to_string()),
        message,
        related_information: if related.is_empty() { None } else { Some(related) },
        tags: None,
        data: None,
    }
}

/// A diagnostic at the top of a file.
pub fn at_top(severity: DiagnosticSeverity, code: &str, message: String) -> lsp_types::Diagnostic {
    lsp_types::Diagnostic {
        range: Range { start: Position::new(0, 0), end: Position::new(0, 0) },
        severity: Some(severity),
        code: Some(NumberOrString::String(code.to_string())),
        source: Some("dddc".to_string()),
        message,
        ..lsp_types::Diagnostic::default()
    }
}

/// The long explanation of a code (`dddc explain CODE`).
pub fn explanation(code: &str) -> Option<&'static str> {
    codes::lookup(code).map(|c| c.explanation).or_else(|| crate::lint::rule(code).map(|r| r.explanation))
}

/// A `file:` URI of the code's explanation: editors open the link of a
/// diagnostic's code, and a Markdown file is what every one of them can
/// open. Written once per process into a folder of the temporary
/// directory named after this dddc's version; `None` when it cannot be.
fn explain_uri(code: &str) -> Option<Uri> {
    static WRITTEN: OnceLock<Mutex<HashMap<String, Option<Uri>>>> = OnceLock::new();
    let cache = WRITTEN.get_or_init(Default::default);
    let mut cache = cache.lock().ok()?;
    if let Some(known) = cache.get(code) {
        return known.clone();
    }
    let uri = explanation(code).and_then(|text| {
        let dir: PathBuf = std::env::temp_dir().join(format!("dddc-{}-explain", env!("CARGO_PKG_VERSION")));
        let path = dir.join(format!("{code}.md"));
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() != Some(text) {
            std::fs::create_dir_all(&dir).ok()?;
            // Written beside, then renamed: two servers never see half a file.
            let tmp = dir.join(format!(".{code}.{}.tmp", std::process::id()));
            std::fs::write(&tmp, text).ok()?;
            std::fs::rename(&tmp, &path).ok()?;
        }
        path_to_uri(&path)
    });
    cache.insert(code.to_string(), uri.clone());
    uri
}
