//! Printing a [`Report`]: rustc-style text with the score and its breakdown,
//! one JSON object, or SARIF 2.1.0 for code hosts.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::{points, rule, rules, Report};
use crate::diagnostics::{ColorChoice, Diagnostic, Label, Severity, Sources};

/// The findings rustc-style, then the score, the points each rule took off
/// and the findings accepted with `@allow` (with their reasons).
pub fn render_text(report: &Report, sources: &Sources, color: ColorChoice) -> String {
    let mut out = crate::diagnostics::render_text(sources, &report.findings, color);
    let counts = [(report.errors(), "error"), (report.warnings(), "warning"), (report.infos(), "info")];
    let parts: Vec<String> =
        counts.iter().filter(|(n, _)| *n > 0).map(|(n, w)| super::context::plural(*n, w)).collect();
    let found = if parts.is_empty() { "no findings".to_string() } else { parts.join(", ") };
    let _ = writeln!(out, "design score: {}/100 ({found})", report.score);
    let name_width = report.breakdown.iter().filter_map(|(c, _, _)| rule(c)).map(|r| r.name.len()).max().unwrap_or(0);
    for (code, n, pts) in &report.breakdown {
        let name = rule(code).map_or("", |r| r.name);
        let severity = report.findings.iter().find(|d| d.code == code).map_or("", |d| d.severity.word());
        let _ = writeln!(out, "  {code} {name:<name_width$}  {:<12}  -{pts}", super::context::plural(*n, severity));
    }
    if !report.suppressed.is_empty() {
        let _ = writeln!(out, "accepted with @allow:");
        for (d, reason) in &report.suppressed {
            let name = rule(d.code).map_or("", |r| r.name);
            let at = d.primary.as_ref().map(|l| location(sources, l)).unwrap_or_default();
            let _ = writeln!(out, "  {} {name} at {at}: {}", d.code, d.message);
            let _ = writeln!(out, "      reason: {reason}");
        }
    }
    out
}

fn location(sources: &Sources, l: &Label) -> String {
    let (line, col) = sources.line_col(l.span.file, l.span.start as usize);
    format!("{}:{line}:{col}", sources.get(l.span.file).name)
}

/// One JSON object: `score`, counts per severity, `findings` (the
/// diagnostics' JSON plus `rule` and `points`), `breakdown` and `suppressed`
/// (each with its `reason`).
pub fn render_json(report: &Report, sources: &Sources) -> Value {
    let diag_json = |diags: &[Diagnostic]| -> Vec<Value> {
        let v = crate::diagnostics::render_json(sources, diags);
        let list = v["diagnostics"].as_array().cloned().unwrap_or_default();
        list.into_iter()
            .zip(diags)
            .map(|(mut obj, d)| {
                obj["rule"] = rule(d.code).map_or("", |r| r.name).into();
                obj
            })
            .collect()
    };
    let findings: Vec<Value> = diag_json(&report.findings)
        .into_iter()
        .zip(&report.findings)
        .map(|(mut obj, d)| {
            obj["points"] = points(d.severity).into();
            obj
        })
        .collect();
    let suppressed_diags: Vec<Diagnostic> = report.suppressed.iter().map(|(d, _)| d.clone()).collect();
    let suppressed: Vec<Value> = diag_json(&suppressed_diags)
        .into_iter()
        .zip(&report.suppressed)
        .map(|(mut obj, (_, reason))| {
            obj["reason"] = reason.clone().into();
            obj
        })
        .collect();
    let breakdown: Vec<Value> = report
        .breakdown
        .iter()
        .map(|(code, n, pts)| {
            let severity = report.findings.iter().find(|d| d.code == code).map_or("", |d| d.severity.word());
            json!({
                "code": code,
                "rule": rule(code).map_or("", |r| r.name),
                "severity": severity,
                "count": n,
                "points": pts,
            })
        })
        .collect();
    json!({
        "score": report.score,
        "errors": report.errors(),
        "warnings": report.warnings(),
        "infos": report.infos(),
        "findings": findings,
        "breakdown": breakdown,
        "suppressed": suppressed,
    })
}

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// SARIF 2.1.0: one run whose driver lists every rule (id, name,
/// descriptions, help, default level) and whose results carry the physical
/// location of each finding; findings accepted with `@allow` are results
/// with an in-source suppression and its justification.
pub fn render_sarif(report: &Report, sources: &Sources) -> Value {
    let sarif_rules: Vec<Value> = rules()
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": what_it_does(r.explanation) },
                "help": { "text": r.explanation, "markdown": r.explanation },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "points": points(r.severity) },
            })
        })
        .collect();
    let mut results: Vec<Value> = report.findings.iter().map(|d| result(d, sources)).collect();
    for (d, reason) in &report.suppressed {
        let mut r = result(d, sources);
        r["suppressions"] = json!([{ "kind": "inSource", "justification": reason }]);
        results.push(r);
    }
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "dddc",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": sarif_rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": { "score": report.score },
        }]
    })
}

fn result(d: &Diagnostic, sources: &Sources) -> Value {
    let index = rules().iter().position(|r| r.code == d.code);
    let mut text = d.message.clone();
    if let Some(h) = &d.help {
        let _ = write!(text, "\nhelp: {h}");
    }
    let mut r = json!({
        "ruleId": d.code,
        "level": level(d.severity),
        "message": { "text": text },
        "locations": d.primary.as_ref().map(|l| vec![location_json(sources, l)]).unwrap_or_default(),
    });
    if let Some(i) = index {
        r["ruleIndex"] = i.into();
    }
    if !d.secondary.is_empty() {
        let related: Vec<Value> = d
            .secondary
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut loc = location_json(sources, l);
                loc["id"] = i.into();
                loc
            })
            .collect();
        r["relatedLocations"] = related.into();
    }
    r
}

fn location_json(sources: &Sources, l: &Label) -> Value {
    let file = l.span.file;
    let (start_line, start_column) = sources.line_col(file, l.span.start as usize);
    let (end_line, end_column) = sources.line_col(file, l.span.end as usize);
    let mut loc = json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(&sources.get(file).name) },
            "region": {
                "startLine": start_line,
                "startColumn": start_column,
                "endLine": end_line,
                "endColumn": end_column,
            }
        }
    });
    if !l.message.is_empty() {
        loc["message"] = json!({ "text": l.message });
    }
    loc
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative URI reference for a file name: unreserved characters and `/`
/// as they are, everything else percent-encoded.
fn uri(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The text of an explanation's `## What it does` section, as one paragraph
/// of plain text.
fn what_it_does(explanation: &str) -> String {
    let mut lines = explanation
        .lines()
        .skip_while(|l| !l.starts_with("## What it does"))
        .skip(1)
        .take_while(|l| !l.starts_with("## "));
    let mut out = String::new();
    for l in lines.by_ref() {
        if l.trim().is_empty() {
            if !out.is_empty() {
                break;
            }
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(l.trim());
    }
    out
}
