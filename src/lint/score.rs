//! The design score: 100 minus the weighted findings (error 15, warning 5,
//! info 1), floored at 0, with the points each rule took off.

use std::collections::BTreeMap;

use crate::diagnostics::{Diagnostic, Severity};

/// Points one finding of this severity takes off the score.
pub fn points(severity: Severity) -> u32 {
    match severity {
        Severity::Error => 15,
        Severity::Warning => 5,
        Severity::Info => 1,
    }
}

/// The score of these findings and its breakdown: (code, count, points) per
/// code, in code order.
pub fn score(findings: &[Diagnostic]) -> (u32, Vec<(String, usize, u32)>) {
    let mut per: BTreeMap<&str, (usize, u32)> = BTreeMap::new();
    for d in findings {
        let e = per.entry(d.code).or_default();
        e.0 += 1;
        e.1 += points(d.severity);
    }
    let lost: u32 = per.values().map(|(_, p)| p).sum();
    let breakdown = per.into_iter().map(|(code, (n, p))| (code.to_string(), n, p)).collect();
    (100u32.saturating_sub(lost), breakdown)
}
