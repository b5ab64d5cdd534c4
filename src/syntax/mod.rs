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
    match parts(text) {
        Some(parts) => parse_cut(file, text, &parts, None),
        None => limits::check(file, text)
            .map_or_else(|| parse_whole(file, text), |d| Parsed { file: None, diagnostics: vec![d] }),
    }
}

/// [`parse`] of a file cut in `parts` ([`parts`]), read on every core,
/// each part read back from `memo` when an earlier run parsed its text
/// (and remembered in it when not).
pub(crate) fn parse_cut(
    file: FileId,
    text: &str,
    parts: &[std::ops::Range<usize>],
    memo: Option<&crate::memo::Memo>,
) -> Parsed {
    if let Some(d) = limits::check(file, text) {
        return Parsed { file: None, diagnostics: vec![d] };
    }
    if let Some(tree) = parse_parts(file, text, parts, memo) {
        #[cfg(debug_assertions)]
        {
            let whole = parse_whole(file, text);
            assert!(whole.diagnostics.is_empty(), "the parts read cleanly, the whole did not:\n{text:?}");
            assert!(whole.file.as_ref() == Some(&tree), "the parts' tree is not the whole's:\n{text:?}");
        }
        return Parsed { file: Some(tree), diagnostics: Vec::new() };
    }
    parse_whole(file, text)
}

/// From this size on, a file is read in parts (and remembered by part):
/// the 2.9 MB of the documented 2,000-aggregate model written as one file
/// were parsed on one core, and an edit anywhere in it parsed all of it
/// again. Debug builds (the tests, the fuzzer) read every file of two
/// parts or more in parts, and check the tree against the whole file's.
const PARTS_FROM: usize = if cfg!(debug_assertions) { 1 } else { 64 << 10 };

/// A context of this many bytes or more is a part of its own ([`parts`];
/// every context in a debug build).
const PART_MIN: usize = if cfg!(debug_assertions) { 0 } else { 4 << 10 };

/// Smaller contexts go together, a part ending about every this many
/// ([`parts`]).
const PART_EVERY: u32 = 32;

/// Where a large file can be cut into parts that each read as a file of
/// their own: before each line that starts a bounded context at the top
/// level (`context ` at the start of the line), with the `///` lines right
/// above it. `None` for a smaller file, or one with no such line.
///
/// The cuts need not be right: a part that does not read cleanly on its
/// own (a cut inside a block or a string, a doc comment cut from what it
/// documents) sends the whole file to [`parse_whole`]. Parts that all read
/// cleanly are the file's items in order: no top-level item of the
/// grammar goes on with the keyword `context`, and `//` comments end at
/// the line's end (debug builds compare the two trees on every file).
/// The cuts depend only on the text around them, so an edit moves no cut
/// but its own part's, and the other parts are read back from the memo.
pub(crate) fn parts(text: &str) -> Option<Vec<std::ops::Range<usize>>> {
    parts_by(text, PARTS_FROM, PART_MIN, PART_EVERY)
}

/// [`parts`], from `from` bytes, a context of `min` bytes a part of its
/// own, smaller ones together about `every` at a time.
fn parts_by(text: &str, from: usize, min: usize, every: u32) -> Option<Vec<std::ops::Range<usize>>> {
    if text.len() < from {
        return None;
    }
    // Where a context (with its doc comment) starts.
    let mut starts = vec![0];
    for (at, _) in text.match_indices("\ncontext ") {
        let mut cut = at + 1;
        // The doc comment above it goes with it.
        while cut > 0 {
            let above = text[..cut - 1].rfind('\n').map_or(0, |n| n + 1);
            if !text[above..cut].starts_with("///") {
                break;
            }
            cut = above;
        }
        if cut > starts[starts.len() - 1] {
            starts.push(cut);
        }
    }
    // A cut after the head (the model block, the kernel) and after every
    // context of [`PART_MIN`] bytes or more; small contexts go together
    // until one whose first line hashes (FNV-1a, [`crate::memo::fnv`]) to a multiple of
    // [`PART_EVERY`]. Each
    // cut depends on the context before it alone, so an edit moves no
    // other cut (cutting after so many bytes would move every cut after
    // the edit), and a model of 200,000 empty contexts is not 200,000
    // trees made and joined (2.6 times the whole file's memory).
    let mut cuts = vec![0];
    for (i, w) in starts.windows(2).enumerate() {
        let (before, at) = (w[0], w[1]);
        let line = text[at..].split('\n').find(|l| !l.starts_with("///")).unwrap_or("");
        if i == 0 || at - before >= min || crate::memo::fnv(line.as_bytes()).is_multiple_of(every) {
            cuts.push(at);
        }
    }
    cuts.push(text.len());
    let parts: Vec<std::ops::Range<usize>> = cuts.windows(2).map(|w| w[0]..w[1]).collect();
    (parts.len() >= 2).then_some(parts)
}

/// The tree of a file read in `parts`, or `None` when a part says anything
/// (then only the whole file can say it right).
fn parse_parts(
    file: FileId,
    text: &str,
    parts: &[std::ops::Range<usize>],
    memo: Option<&crate::memo::Memo>,
) -> Option<ast::SourceFile> {
    let trees = crate::threads::map_queued(parts, |range| match memo {
        Some(memo) => memo::part_remembered(file, text, range.clone(), memo),
        None => parse_part(file, text, range.clone()),
    });
    let trees: Vec<ast::SourceFile> = trees.into_iter().collect::<Option<_>>()?;
    // Sized once: a model of many small contexts has as many items as
    // lines, and each part's list is freed as it is moved.
    let mut whole = ast::SourceFile {
        items: Vec::with_capacity(trees.iter().map(|t| t.items.len()).sum()),
        comments: Vec::with_capacity(trees.iter().map(|t| t.comments.len()).sum()),
    };
    for tree in trees {
        whole.items.extend(tree.items);
        whole.comments.extend(tree.comments);
    }
    Some(whole)
}

/// The tree of `text[range]` read as a file of its own, its spans in
/// `text`; `None` when it does not read cleanly.
pub(crate) fn parse_part(file: FileId, text: &str, range: std::ops::Range<usize>) -> Option<ast::SourceFile> {
    let nodes = fast::parse_range(text, range.clone()).ok()?;
    let root = tree::Pair::root(text, &nodes)?;
    let literal_spans = comments::literal_spans(root);
    let comments = comments::collect(text, file, &literal_spans, range.clone());
    let mut builder = build::Builder::new(file, text, comments, range);
    let ast = builder.file(root);
    (builder.diagnostics.is_empty() && builder.junk.is_empty()).then_some(ast)
}

/// [`parse`] of `text[range]` alone (a part of a file, [`parts`]), its
/// tree's and its diagnostics' spans moved to where the part starts in
/// `text`: what the language server reads again of an edited file.
pub(crate) fn parse_at(file: FileId, text: &str, range: std::ops::Range<usize>) -> Parsed {
    let parsed = parse(file, &text[range.clone()]);
    let diagnostics = parsed.diagnostics.into_iter().map(|d| d.moved(file, 0, range.start as i64)).collect();
    let tree = parsed.file.and_then(|tree| memo::moved(file, &tree, range.start));
    Parsed { file: tree, diagnostics }
}

/// [`parse`] of the whole text at once (its limits checked already).
fn parse_whole(file: FileId, text: &str) -> Parsed {
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
            let comments = comments::collect(text, file, &literal_spans, 0..text.len());
            let mut builder = build::Builder::new(file, text, comments, 0..text.len());
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

    /// As a release build cuts: the head alone, a large context alone,
    /// small ones together (about 32 a part), each cut at a context's
    /// doc comment; an edit of one context moves no cut but the one after
    /// it, and the parts read as the whole file reads.
    #[test]
    fn small_contexts_go_together_and_an_edit_moves_one_cut_at_most() {
        let context = |i: usize, body: &str| format!("/// Context {i}.\ncontext c{i} {{\n{body}}}\n\n");
        let large = format!("  /// A.\n  aggregate A {{\n{}  }}\n", "    /// X.\n    x: int\n".repeat(300));
        let model = |edited: &str| {
            let mut text = String::from("model m {\n  target postgres 16\n}\n\n");
            for i in 0..400 {
                text.push_str(&context(
                    i,
                    if i == 7 {
                        edited
                    } else if i == 200 {
                        &large
                    } else {
                        ""
                    },
                ));
            }
            text
        };
        let text = model("");
        let parts = parts_by(&text, 0, 4 << 10, 32).expect("parts");
        assert!(text[parts[0].clone()].starts_with("model m {") && !text[parts[0].clone()].contains("context"));
        assert!((8..=40).contains(&parts.len()), "{} parts", parts.len());
        for r in &parts[1..] {
            assert!(text[r.clone()].starts_with("/// Context "), "{:?}", &text[r.start..r.start + 20]);
        }
        let after = text.find("/// Context 201.").unwrap();
        assert!(parts.iter().any(|r| r.start == after), "a large context ends its part");
        let tree =
            |text: &str, parts: &[std::ops::Range<usize>]| parse_parts(FileId(1), text, parts, None).map(|t| t.items);
        assert_eq!(tree(&text, &parts), parse(FileId(1), &text).file.map(|f| f.items));

        let edited = model("  /// A.\n  aggregate B {\n    /// Y.\n    y: int\n  }\n");
        let moved = edited.len() - text.len();
        let new = parts_by(&edited, 0, 4 << 10, 32).expect("parts");
        let at = edited.find("/// Context 7.").unwrap();
        let old_cuts: Vec<usize> = parts.iter().map(|r| if r.start > at { r.start + moved } else { r.start }).collect();
        let new_cuts: Vec<usize> = new.iter().map(|r| r.start).collect();
        let differ = old_cuts.iter().filter(|c| !new_cuts.contains(c)).count()
            + new_cuts.iter().filter(|c| !old_cuts.contains(c)).count();
        assert!(differ <= 1, "{old_cuts:?} against {new_cuts:?}");
        assert_eq!(tree(&edited, &new), parse(FileId(1), &edited).file.map(|f| f.items));
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
