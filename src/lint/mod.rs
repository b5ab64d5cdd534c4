//! Design lint: the seed's quality checklist and its "Alertas y Validaciones"
//! as rules over the resolved model and its relational schema, and the 0–100
//! design score.
//!
//! - [`rules`] — one rule per file under `rules/`, each with a stable code
//!   (`L001`…), a kebab-case name, a default severity and a doc comment that is
//!   its documentation (What it does / Why / Example / Fix), served by
//!   `dddc explain CODE` through [`rule`] and collected into
//!   `docs/lint-rules.md` by [`rules_markdown`].
//! - [`lint`] runs every rule the configuration leaves on, applies
//!   `[lint] deny` (raised to error) and `allow` (switched off), then the
//!   model's `@allow(CODE, "reason")` annotations (on the declaration or an
//!   enclosing one), and scores what is left.
//! - [`render_text`], [`render_json`] and [`render_sarif`] print a [`Report`].
//!
//! Lint reads the model and the schema; it never writes SQL and never touches
//! the disk.

mod context;
mod docs;
pub mod migrations;
mod report;
mod rules;
mod score;

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use crate::config::Lint as LintConfig;
use crate::diagnostics::{Diagnostic, Severity, Span};
use crate::model::Model;
use crate::relational::Schema;

pub use docs::rules_markdown;
pub use report::{render_json, render_sarif, render_text};
pub use score::{points, score};

use context::Ctx;

/// What `dddc explain` and the docs know about a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// `L001`…, stable.
    pub code: &'static str,
    /// Kebab-case, stable: `json-dump`.
    pub name: &'static str,
    /// Default severity, before `[lint] deny`.
    pub severity: Severity,
    /// One line, lower-case, no trailing period.
    pub summary: &'static str,
    /// Markdown: `# CODE: name`, then `## What it does`, `## Why`,
    /// `## Example` (a ```` ```ddd ```` block that triggers the rule) and
    /// `## Fix`.
    pub explanation: &'static str,
}

/// Every rule, in code order.
pub fn rules() -> &'static [RuleInfo] {
    &RULE_INFOS
}

/// A rule by code (`L006`, any case) or by name (`json-dump`).
pub fn rule(code: &str) -> Option<&'static RuleInfo> {
    let code = code.trim();
    rules().iter().find(|r| r.code.eq_ignore_ascii_case(code) || r.name.eq_ignore_ascii_case(code))
}

static EXPLANATIONS: LazyLock<Vec<String>> =
    LazyLock::new(|| rules::TABLE.iter().map(|r| rules::explanation(r.docs)).collect());

static RULE_INFOS: LazyLock<Vec<RuleInfo>> = LazyLock::new(|| {
    rules::TABLE
        .iter()
        .zip(EXPLANATIONS.iter())
        .map(|(r, text)| RuleInfo {
            code: r.code,
            name: r.name,
            severity: r.severity,
            summary: r.summary,
            explanation: text.as_str(),
        })
        .collect()
});

/// The outcome of a lint run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Findings that count, sorted by file and position. `code` is the rule's
    /// code, `severity` the effective one (after `[lint] deny`), the primary
    /// label points at the `.ddd` declaration, `help` says how to fix it.
    pub findings: Vec<Diagnostic>,
    /// 100 minus the weighted findings (error 15, warning 5, info 1), floored
    /// at 0.
    pub score: u32,
    /// Per rule that found something: (code, count, points taken off), in code
    /// order.
    pub breakdown: Vec<(String, usize, u32)>,
    /// Findings accepted by `@allow(CODE, "reason")`, with the reason. They do
    /// not count.
    pub suppressed: Vec<(Diagnostic, String)>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }
    pub fn infos(&self) -> usize {
        self.count(Severity::Info)
    }
    fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|d| d.severity == s).count()
    }
}

/// Whether a run passes: no error-severity finding and, when a minimum is
/// given, a score at least that high.
pub fn passes(report: &Report, min_score: Option<u32>) -> bool {
    report.errors() == 0 && min_score.is_none_or(|m| report.score >= m)
}

/// Problems in `[lint]` itself: a code in `deny` or `allow` that names no
/// rule, or a code in both. The caller reports them (they have no position in
/// the model); [`lint`] ignores unknown codes and lets `deny` win.
pub fn check_config(config: &LintConfig) -> Vec<String> {
    let mut out = Vec::new();
    for (key, list) in [("deny", &config.deny), ("allow", &config.allow)] {
        for code in list {
            if rule(code).is_none() {
                out.push(format!(
                    "`[lint] {key}` names `{code}`, which is not a lint rule (codes run from {} to {}; `dddc explain L001`)",
                    rules()[0].code,
                    rules()[rules().len() - 1].code
                ));
            }
        }
    }
    for code in &config.deny {
        if let Some(r) = rule(code) {
            if config.allow.iter().any(|a| rule(a) == Some(r)) {
                out.push(format!("`{}` is both in `[lint] deny` and in `[lint] allow`; `deny` wins", r.code));
            }
        }
    }
    out
}

/// Runs every rule on a validated model and its lowered schema.
pub fn lint(model: &Model, schema: &Schema, config: &LintConfig) -> Report {
    let cx = Ctx::new(model, schema);
    let listed = |list: &[String], code: &str| list.iter().any(|c| rule(c).is_some_and(|r| r.code == code));
    let mut out = Outcome::default();
    // The effective severity of every rule that runs.
    let mut enabled: HashMap<&'static str, Severity> = HashMap::new();
    for r in rules::TABLE {
        let denied = listed(&config.deny, r.code);
        if listed(&config.allow, r.code) && !denied {
            continue;
        }
        let severity = if denied { Severity::Error } else { r.severity };
        enabled.insert(r.code, severity);
        if r.code == rules::UNUSED_ALLOW {
            continue; // needs every other rule's outcome: runs last
        }
        let mut raw = Vec::new();
        (r.check)(&cx, &mut raw);
        for f in raw {
            out.settle(&cx, r, severity, f);
        }
    }
    if let Some(&severity) = enabled.get(rules::UNUSED_ALLOW) {
        unused_allows(&cx, severity, &enabled, &mut out);
    }
    let Outcome { mut findings, mut suppressed, .. } = out;
    crate::diagnostics::sort(&mut findings);
    suppressed.sort_by_key(|(d, _)| position(d));
    let (score, breakdown) = score::score(&findings);
    Report { findings, score, breakdown, suppressed }
}

/// Reports the `@allow`s that suppressed nothing. An `@allow(L022, …)` is
/// used when it accepts another unused allow, which is known only once the
/// others are settled, so those come second.
fn unused_allows(cx: &Ctx<'_>, severity: Severity, enabled: &HashMap<&'static str, Severity>, out: &mut Outcome) {
    let r = rules::TABLE.iter().find(|r| r.code == rules::UNUSED_ALLOW).expect("unused-allow is in the table");
    let codes: HashSet<&str> = enabled.keys().copied().collect();
    let mut raw = Vec::new();
    rules::unused_allow::check_unused(cx, &out.used, &codes, &mut raw);
    // The spans of the `@allow`s of the unused-allow rule itself: a scan of
    // every allow per finding grew with the square of a model that allows
    // something on every aggregate.
    let own: HashSet<crate::diagnostics::Span> = cx
        .all_allows()
        .iter()
        .filter(|(a, _)| rule(&a.code).is_some_and(|x| x.code == rules::UNUSED_ALLOW))
        .map(|(a, _)| a.span)
        .collect();
    let is_self = |f: &context::Finding| own.contains(&f.span);
    let (selves, others): (Vec<_>, Vec<_>) = raw.into_iter().partition(|f| is_self(f));
    for f in others {
        out.settle(cx, r, severity, f);
    }
    for f in selves {
        if !out.used.contains(&f.span) {
            out.settle(cx, r, severity, f);
        }
    }
}

fn position(d: &Diagnostic) -> (u32, u32, &'static str) {
    d.primary.as_ref().map_or((0, 0, d.code), |l| (l.span.file.0, l.span.start, d.code))
}

/// What the rules found, settled against the model's `@allow`s.
#[derive(Default)]
struct Outcome {
    findings: Vec<Diagnostic>,
    suppressed: Vec<(Diagnostic, String)>,
    /// Spans of the `@allow`s that accepted something.
    used: HashSet<Span>,
}

impl Outcome {
    /// Turns one raw finding into a diagnostic, accepted by the innermost
    /// `@allow` of its rule on its declaration or an enclosing one, or not.
    fn settle(&mut self, cx: &Ctx<'_>, r: &rules::Rule, severity: Severity, f: context::Finding) {
        let allow = cx.allows_at(f.decl).into_iter().find(|a| rule(&a.code).is_some_and(|x| x.code == r.code));
        let diag = f.into_diagnostic(r.code, severity);
        match allow {
            Some(a) => {
                self.used.insert(a.span);
                self.suppressed.push((diag, a.reason.clone()));
            }
            None => self.findings.push(diag),
        }
    }
}
