//! Syntax: source text → typed AST ([`ast`]).
//!
//! Parsing never fails outright: a line that is not valid becomes a syntax
//! diagnostic (see [`errors`]) and the rest of the file is still read, so a
//! run reports every broken line at once. Neither parse tree leaves this
//! module.
//!
//! Two parsers read a file. [`fast`] is written by hand after
//! `grammar/ddd.pest`, broken lines (junk) included, and is several times
//! sooner than pest's generated parser with the tree built. It refuses
//! nesting past its guard with a diagnostic; pest would parse a file only
//! where the grammar does not read it at all (no such file is known), and
//! pest explains each broken line ([`errors`]). Both give the same pairs
//! ([`tree`]), which debug builds check on every file. pest's parser is
//! the crate `grammar/` (dddc-grammar), compiled optimised in the tests so
//! that this check costs a fraction of what it did at dddc's opt-level 0.

pub mod ast;
mod build;
mod comments;
mod errors;
mod fast;
pub mod fmt;
pub mod limits;
pub mod memo;
mod tree;

use pest::Parser;

use crate::diagnostics::{Diagnostic, FileId};

pub(crate) use dddc_grammar::DddParser;
pub use dddc_grammar::Rule;

/// The result of parsing one file: the tree (when the file's structure could be
/// read at all) and the syntax diagnostics.
pub struct Parsed {
    pub file: Option<ast::SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one source file. Never panics, whatever the input.
pub fn parse(file: FileId, text: &str) -> Parsed {
    if let Some(d) = limits::check(file, text) {
        return Parsed { file: None, diagnostics: vec![d] };
    }
    let nodes = match fast::parse(text) {
        Ok(nodes) => {
            #[cfg(debug_assertions)]
            same_as_pest(text, &nodes);
            Ok(nodes)
        }
        Err(fast::GaveUp::TooDeep(at)) => {
            return Parsed { file: None, diagnostics: vec![limits::too_deep_to_read(file, text, at)] };
        }
        Err(fast::GaveUp::NoParse) => {
            #[cfg(debug_assertions)]
            assert!(
                pest_tree(text).is_none_or(|slow| slow.is_err()),
                "the hand-written parser gave up on a file pest reads:\n{text:?}"
            );
            DddParser::parse(Rule::file, text).map(tree::from_pest)
        }
    };
    match nodes {
        Ok(nodes) => {
            let Some(root) = tree::Pair::root(text, &nodes) else {
                return Parsed { file: None, diagnostics: vec![] };
            };
            let literal_spans = comments::literal_spans(root);
            let comments = comments::collect(text, file, &literal_spans);
            let mut builder = build::Builder::new(file, text, comments);
            let ast = builder.file(root);
            let mut diagnostics = builder.diagnostics;
            // A `///` right above a broken line documents what the line meant
            // to declare: saying it documents nothing would be a cascade.
            // (The broken lines' starts as a set: a scan of them per warning
            // grew with the square of a file of documented broken lines.)
            let junk_starts: std::collections::HashSet<usize> = builder.junk.iter().map(|j| j.start).collect();
            diagnostics.retain(|d| {
                let Some(p) = d.primary.as_ref().filter(|_| d.code == crate::diagnostics::codes::id::W0001) else {
                    return true;
                };
                let after = p.span.end as usize;
                let next = after + text[after..].len() - text[after..].trim_start().len();
                !junk_starts.contains(&next)
            });
            for junk in builder.junk {
                diagnostics.push(errors::explain_junk(file, text, &junk));
            }
            Parsed { file: Some(ast), diagnostics }
        }
        Err(err) => Parsed { file: None, diagnostics: vec![errors::from_pest(file, text, &err, Rule::file, false)] },
    }
}

/// pest's tree of `text`, on a thread with the pipeline's stack: the
/// hand-written parser follows nesting up to its guard, and pest must have
/// the room to follow it too (a test's thread has 2 MiB), or its stack
/// guard fails a parse the other one read. `None` when no such thread
/// can be started.
#[cfg(debug_assertions)]
fn pest_tree(text: &str) -> Option<Result<Vec<tree::Node>, String>> {
    let parse = || DddParser::parse(Rule::file, text).map(tree::from_pest).map_err(|e| e.to_string());
    std::thread::scope(|s| {
        let thread = crate::threads::try_spawn_scoped(s, parse)?;
        Some(thread.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    })
}

/// The hand-written parser's tree is pest's, pair for pair.
#[cfg(debug_assertions)]
fn same_as_pest(text: &str, fast: &[tree::Node]) {
    // No thread with room for pest: nothing to compare with.
    let Some(slow) = pest_tree(text) else { return };
    let slow = slow.unwrap_or_else(|e| panic!("the hand-written parser read a file pest refuses: {e}\n{text:?}"));
    if fast != slow {
        let at = fast.iter().zip(&slow).position(|(a, b)| a != b).unwrap_or(fast.len().min(slow.len()));
        panic!(
            "the hand-written parser's tree differs from pest's at pair {at}: {:?} against {:?}\n{text:?}",
            fast.get(at),
            slow.get(at)
        );
    }
}

/// Whether `name` can be written unquoted in the grammar as an identifier.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the aggregates of the first context, with their docs.
    fn aggregates(text: &str) -> Vec<(String, Option<String>)> {
        let parsed = parse(FileId(0), text);
        assert!(parsed.diagnostics.is_empty(), "{text:?}: {:?}", parsed.diagnostics);
        let file = parsed.file.expect("a tree");
        let Some(ast::TopItem::Context(c)) = file.items.iter().find(|i| matches!(i, ast::TopItem::Context(_))) else {
            panic!("no context in {text:?}");
        };
        c.items
            .iter()
            .filter_map(|i| match i {
                ast::ContextItem::Aggregate(a) => Some((a.name.name.clone(), a.doc.as_ref().map(|d| d.text.clone()))),
                _ => None,
            })
            .collect()
    }

    /// `WHITESPACE` matches runs and `COMMENT` everything up to `\n` (the
    /// grammar says why): the edges of both.
    #[test]
    fn whitespace_runs_and_comment_text_at_their_edges() {
        let expected = vec![("A".to_string(), Some("Documented.".to_string())), ("B".to_string(), None)];
        let plain = "model m { target postgres 16 }\ncontext c {\n  /// Documented.\n  aggregate A { x: int }\n  aggregate B { y: int }\n}\n";
        assert_eq!(aggregates(plain), expected);
        // Tabs, CRLF, a BOM and blank runs wherever whitespace may go.
        let spaced = "\u{FEFF}model m {\t\r\n target postgres 16 }\r\n\r\n\t\tcontext c {\r\n  /// Documented.\r\n \t aggregate A {\r\n\r\n x: int }\n aggregate   B\t{ y :\tint }\r\n}";
        assert_eq!(aggregates(spaced), expected);
        // Comments holding what the old `(!"\n" ~ ANY)` took too: a vertical
        // tab, a carriage return, a BOM, `//`, `/*`, braces, non-ASCII, and
        // a comment that ends the file without a newline.
        let commented = "model m { target postgres 16 } // \u{0B}\u{FEFF}é 😀 // { } /*\ncontext c { // \r\n  /// Documented.\n  aggregate A { x: int } //\n  // aggregate Hidden { z: int }\n  aggregate B { y: int }\n} // last, no newline";
        assert_eq!(aggregates(commented), expected);
        // A comment stops at `\n`, not before: the next line is read.
        let stops = "model m { target postgres 16 }\ncontext c { // aggregate C { z: int }\n  /// Documented.\n  aggregate A { x: int }\n  aggregate B { y: int } }\n";
        assert_eq!(aggregates(stops), expected);
    }
}
