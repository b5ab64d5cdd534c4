//! The design-review page: `dddc lint`'s report on the model, every finding
//! with its rule in the page's language and a link to the page of the
//! declaration it is about.
//!
//! A finding's message is English (it is the command line's); the page
//! shows the rule's summary in the page's language instead, and the names
//! the message quotes (in backticks), which are the model's own words.

use serde::Serialize;

use super::super::labels::Labels;
use super::super::rule_words;
use super::Link;
use crate::config::Language;
use crate::diagnostics::{Diagnostic, Severity, Span};
use crate::lint::Report;
use crate::model::{Entity, Model};

#[derive(Debug, Serialize)]
pub struct LintView {
    pub score: u32,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Per rule that found something, in code order.
    pub rules: Vec<RuleRow>,
    pub findings: Vec<FindingView>,
    /// Findings accepted with `@allow(CODE, "reason")`.
    pub accepted: Vec<FindingView>,
}

#[derive(Debug, Serialize)]
pub struct RuleRow {
    pub code: String,
    pub name: String,
    pub summary: String,
    pub count: usize,
    pub points: u32,
}

#[derive(Debug, Serialize)]
pub struct FindingView {
    /// `error`, `warning`, `info`: a CSS class.
    pub severity: &'static str,
    /// The severity in the page's language.
    pub severity_text: &'static str,
    pub code: String,
    /// The rule's kebab-case name.
    pub rule: String,
    pub summary: String,
    /// The names the finding is about (the message's code spans).
    pub subjects: Vec<String>,
    /// The declaration's page.
    pub place: Option<Link>,
    /// Why it is accepted (`@allow`), for an accepted finding.
    pub reason: Option<String>,
}

/// `url(kind, name)` of the site, for the places findings link to.
pub type Url<'a> = &'a dyn Fn(&str, &str) -> Option<String>;

pub fn view(model: &Model, report: &Report, t: &Labels, language: Language, url: Url<'_>) -> LintView {
    let places = places(model, url);
    let finding = |d: &Diagnostic, reason: Option<String>| FindingView {
        severity: match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        },
        severity_text: severity(d.severity, t),
        code: d.code.to_string(),
        rule: crate::lint::rule(d.code).map_or(String::new(), |r| r.name.to_string()),
        summary: rule_words::summary(d.code, language).unwrap_or_default().to_string(),
        subjects: quoted(&d.message),
        place: d.primary.as_ref().and_then(|p| place_of(&places, p.span)),
        reason,
    };
    LintView {
        score: report.score,
        errors: report.errors(),
        warnings: report.warnings(),
        infos: report.infos(),
        rules: report
            .breakdown
            .iter()
            .map(|(code, count, points)| RuleRow {
                code: code.clone(),
                name: crate::lint::rule(code).map_or(String::new(), |r| r.name.to_string()),
                summary: rule_words::summary(code, language).unwrap_or_default().to_string(),
                count: *count,
                points: *points,
            })
            .collect(),
        findings: report.findings.iter().map(|d| finding(d, None)).collect(),
        accepted: report.suppressed.iter().map(|(d, reason)| finding(d, Some(reason.clone()))).collect(),
    }
}

pub fn severity(s: Severity, t: &Labels) -> &'static str {
    match s {
        Severity::Error => t.severity_error,
        Severity::Warning => t.severity_warning,
        Severity::Info => t.severity_info,
    }
}

/// The text between backticks, in order, each once (an unclosed backtick
/// quotes nothing).
fn quoted(message: &str) -> Vec<String> {
    let parts: Vec<&str> = message.split('`').collect();
    let mut out: Vec<String> = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let closed = i + 1 < parts.len();
        if i % 2 == 1 && closed && !part.is_empty() && !out.iter().any(|o| o == part) {
            out.push(part.to_string());
        }
    }
    out
}

/// A declaration of the model: where it starts, and its page.
struct Place {
    span: Span,
    link: Link,
}

/// Every declaration a finding can point into, with its page.
fn places(model: &Model, url: Url<'_>) -> Vec<Place> {
    let mut out = Vec::new();
    let mut push = |span: Span, text: String, href: Option<String>| {
        if let Some(href) = href {
            out.push(Place { span, link: Link { text, href } });
        }
    };
    push(model.span, model.name.clone(), url("page", "index"));
    for c in &model.contexts {
        push(c.span, c.name.clone(), url("context", &c.name));
    }
    for e in &model.enums {
        let name = qualified(model, e.context.map(|c| c.0), &e.name);
        push(e.span, name.clone(), url("enum", &name));
        for v in &e.values {
            push(v.span, format!("{name}.{}", v.name), url("enum", &name));
        }
    }
    for v in &model.values {
        let name = qualified(model, v.context.map(|c| c.0), &v.name);
        push(v.span, name.clone(), url("value", &name));
    }
    for a in &model.aggregates {
        let path = format!("{}.{}", model.contexts[a.context.0].name, a.name);
        let href = url("aggregate", &path);
        for e in a.root.walk() {
            let owner = if std::ptr::eq(e, &a.root) { path.clone() } else { format!("{path} › {}", e.name) };
            entity_places(e, &owner, &href, &mut push);
        }
        if let Some(ev) = &a.events {
            push(ev.span, path.clone(), href.clone());
        }
        if let Some(p) = &a.partition {
            push(p.span, path.clone(), href.clone());
        }
    }
    for r in &model.roles {
        push(r.span, r.name.clone(), url("page", "index"));
    }
    for p in &model.publications {
        push(p.span, p.name.clone(), url("page", "index"));
    }
    out.sort_by_key(|p| (p.span.file, p.span.start));
    out
}

fn entity_places(e: &Entity, owner: &str, href: &Option<String>, push: &mut impl FnMut(Span, String, Option<String>)) {
    push(e.span, owner.to_string(), href.clone());
    for f in &e.fields {
        push(f.span, format!("{owner}.{}", f.name), href.clone());
    }
    for i in &e.invariants {
        push(i.span, format!("{owner}.{}", i.name), href.clone());
    }
    for ix in &e.indexes {
        push(ix.span, owner.to_string(), href.clone());
    }
}

/// `context.Name`, or `Name` in the shared kernel.
fn qualified(model: &Model, context: Option<usize>, name: &str) -> String {
    match context {
        Some(c) => format!("{}.{name}", model.contexts[c].name),
        None => name.to_string(),
    }
}

/// The declaration a span is in: the last one of the same file that starts
/// at or before it (declarations nest, so the innermost starts last).
fn place_of(places: &[Place], span: Span) -> Option<Link> {
    let i = places.partition_point(|p| (p.span.file, p.span.start) <= (span.file, span.start));
    places[..i]
        .last()
        .filter(|p| p.span.file == span.file)
        .map(|p| Link { text: p.link.text.clone(), href: p.link.href.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_names() {
        assert_eq!(quoted("aggregate `MetodoPago` holds `x` and `MetodoPago`"), ["MetodoPago", "x"]);
        assert!(quoted("no names").is_empty());
        assert_eq!(quoted("odd `a"), Vec::<String>::new());
    }
}
