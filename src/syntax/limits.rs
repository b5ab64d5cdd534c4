//! Input the parser must never see: a NUL byte (no PostgreSQL string can
//! hold one, so it would break the migration), and nesting so deep that a
//! recursive parser, checker or printer would exhaust the stack. Both are
//! found by one linear scan before either parser runs.

use crate::diagnostics::codes::id;
use crate::diagnostics::{Diagnostic, FileId, Span};

/// Deepest nesting accepted: parentheses, brackets and braces, plus runs of
/// prefix operators (`not not …`, `- - …`). Real models stay under ten.
pub const MAX_DEPTH: usize = 64;

/// Most operands of one chain of `+ - * / %` (a longer chain would nest the
/// tree as deep).
pub const MAX_TERMS: usize = 256;

/// What to do about nesting too deep.
const TOO_DEEP_HELP: &str = "split the expression into several invariants, or flatten the declarations";

/// The first problem of the text, if any.
pub(super) fn check(file: FileId, text: &str) -> Option<Diagnostic> {
    if let Some(at) = text.find('\0') {
        return Some(
            Diagnostic::error(id::E0001, "the file contains a NUL byte")
                .at(Span::new(file, at, at + 1), "NUL byte here")
                .with_help("remove it: a model is plain UTF-8 text, and PostgreSQL strings cannot hold NUL"),
        );
    }
    // A merge left the file unresolved: say so, not "found `<`".
    let marker = if text.starts_with("<<<<<<< ") { Some(0) } else { text.find("\n<<<<<<< ").map(|i| i + 1) };
    if let Some(at) = marker {
        let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
        return Some(
            Diagnostic::error(id::E0001, "git conflict markers: a merge left this file unresolved")
                .at(Span::new(file, at, end), "conflict starts here")
                .with_help("resolve the conflict (keep what each side's model needs and remove the `<<<<<<<`, `=======` and `>>>>>>>` lines); then, if the lock conflicts too, run `dddc rebase`"),
        );
    }
    let (at, depth) = too_deep(text)?;
    Some(
        Diagnostic::error(id::E0001, format!("nesting deeper than {MAX_DEPTH} levels"))
            .at(Span::new(file, at, at + 1), format!("level {depth} starts here"))
            .with_help(TOO_DEEP_HELP),
    )
}

/// Nesting the scan above did not see (brackets after a quote it took for
/// the start of a string, on a line the grammar reads as junk) passed the
/// parser's own guard at `at`.
pub(super) fn too_deep_to_read(file: FileId, text: &str, at: usize) -> Diagnostic {
    let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
    Diagnostic::error(id::E0001, "nesting too deep to read")
        .at(Span::new(file, at, end), format!("more than {} rules deep here", super::fast::MAX_NESTING))
        .with_help(TOO_DEEP_HELP)
}

/// Where the nesting first passes [`MAX_DEPTH`], and how deep it is there.
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    // Per open bracket: the prefix-operator run that was active before it.
    let mut stack: Vec<usize> = Vec::new();
    let mut prefix_total = 0usize;
    let mut run = 0usize;
    // Whether the previous token ends an operand (then `-` is binary and
    // `/` divides).
    let mut operand = false;
    let mut last_word = "";
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if last_word == "matches" && !operand => {
                // A regex literal, `\/` escaping a slash.
                i += 1;
                while i < b.len() && b[i] != b'/' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                operand = true;
                last_word = "";
                run = 0;
                continue;
            }
            b'\'' | b'"' => {
                i += 1;
                while i < b.len() {
                    if b[i] == c {
                        if b.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
                operand = true;
                last_word = "";
                run = 0;
                continue;
            }
            b'(' | b'[' | b'{' => {
                stack.push(run);
                prefix_total += run;
                run = 0;
                operand = false;
                last_word = "";
                let depth = stack.len() + prefix_total;
                if depth > MAX_DEPTH {
                    return Some((i, depth));
                }
            }
            b')' | b']' | b'}' => {
                if let Some(r) = stack.pop() {
                    prefix_total -= r;
                }
                run = 0;
                operand = true;
                last_word = "";
            }
            b'-' if !operand => {
                run += 1;
                last_word = "";
                if stack.len() + prefix_total + run > MAX_DEPTH {
                    return Some((i, stack.len() + prefix_total + run));
                }
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                match word {
                    "not" => {
                        run += 1;
                        operand = false;
                        if stack.len() + prefix_total + run > MAX_DEPTH {
                            return Some((start, stack.len() + prefix_total + run));
                        }
                    }
                    "and" | "or" | "implies" | "in" | "is" | "between" | "matches" | "check" | "where" => {
                        run = 0;
                        operand = false;
                    }
                    _ => {
                        run = 0;
                        operand = true;
                    }
                }
                last_word = word;
                continue;
            }
            c if c.is_ascii_whitespace() => {}
            // A byte-order mark is whitespace to the grammar: it must not
            // end a run of prefix operators here (`not\u{FEFF}not…`).
            0xEF if b[i..].starts_with("\u{FEFF}".as_bytes()) => {
                i += 3;
                continue;
            }
            _ => {
                run = 0;
                operand = false;
                last_word = "";
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_models_pass() {
        let text = "model m {\n  target postgres 16\n}\ncontext c {\n  aggregate A {\n    x: int\n    invariant i: not (x > 1 and -x < (2 - 3)) or x matches /^[(]$/\n  }\n}\n";
        assert_eq!(too_deep(text), None);
    }

    #[test]
    fn deep_parentheses_and_prefix_runs_are_found() {
        let parens = format!("invariant i: {}x{}", "(".repeat(100), ")".repeat(100));
        assert!(matches!(too_deep(&parens), Some((_, d)) if d == MAX_DEPTH + 1));
        let nots = format!("invariant i: {}x", "not ".repeat(100));
        assert!(too_deep(&nots).is_some());
        let negs = format!("invariant i: x > {}1", "- ".repeat(100));
        assert!(too_deep(&negs).is_some());
        // Binary minus and dates do not count.
        let chain = format!("invariant i: x > 1{}", " - 1".repeat(1000));
        assert_eq!(too_deep(&chain), None);
        assert_eq!(too_deep("d: date = 2025-11-01"), None);
    }

    #[test]
    fn brackets_in_strings_comments_and_regexes_do_not_count() {
        let text = format!(
            "x: text = '{}'\n// {}\ninvariant r: x matches /{}/",
            "(".repeat(100),
            "(".repeat(100),
            "\\(".repeat(100)
        );
        assert_eq!(too_deep(&text), None);
    }
}
