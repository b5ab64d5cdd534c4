//! Parsing with [`crate::memo`]: a file whose text an earlier run parsed
//! cleanly is read back from `.dddc/syntax/` instead of parsed again (pest
//! reads about 5 MB/s per core: the 2.9 MB of the 2,000-aggregate model
//! were about 250 ms of CPU of every build and check, though an edit
//! changes one file).
//!
//! The key is the file's text (and this dddc, as every memo key); the
//! entry is its syntax tree in postcard's encoding. A file whose parse said
//! anything (an error, a warning) is never remembered: it is parsed every
//! time, so its diagnostics are always fresh. A tree is read back under the
//! id its file has now ([`crate::diagnostics::read_as`]); one that does not
//! decode is a miss.

use super::{ast, parse, Parsed};
use crate::diagnostics::FileId;
use crate::memo::Memo;

/// The folder in `.dddc/`.
pub const FOLDER: &str = "syntax";

/// [`parse`], remembered in `memo`: a file read in parts
/// (`syntax::parse_cut`) by part, any other whole.
pub fn parse_remembered(file: FileId, text: &str, memo: &Memo) -> Parsed {
    if let Some(parts) = super::parts(text) {
        return super::parse_cut(file, text, &parts, Some(memo));
    }
    let key = memo.hasher().update(text.as_bytes()).finish();
    if let Some(tree) = memo.get_bytes(&key).and_then(|bytes| read_back(file, &bytes)) {
        return Parsed { file: Some(tree), diagnostics: Vec::new() };
    }
    let parsed = parse(file, text);
    if let (Some(tree), true) = (&parsed.file, parsed.diagnostics.is_empty()) {
        if let Some(bytes) = remember(tree) {
            memo.put_bytes(key, &bytes);
        }
    }
    parsed
}

/// [`super::parse_part`] of `text[range]`, read back from `memo` when an
/// earlier run parsed the same text (wherever it stood in its file then),
/// and remembered when it reads cleanly now. Its entry holds its spans
/// from the part's start ([`crate::diagnostics::at_base`]).
pub(super) fn part_remembered(
    file: FileId,
    text: &str,
    range: std::ops::Range<usize>,
    memo: &Memo,
) -> Option<ast::SourceFile> {
    let base = u32::try_from(range.start).ok()?;
    let key = part_key(memo, &text[range.clone()]);
    let at_base = |f: &dyn Fn() -> Option<ast::SourceFile>| crate::diagnostics::at_base(base, f);
    if let Some(tree) = memo.get_bytes(&key).and_then(|bytes| at_base(&|| read_back(file, &bytes))) {
        return Some(tree);
    }
    let tree = super::parse_part(file, text, range)?;
    if let Some(bytes) = crate::diagnostics::at_base(base, || remember(&tree)) {
        memo.put_bytes(key, &bytes);
    }
    Some(tree)
}

/// The key of a part whose text is `part`.
fn part_key(memo: &Memo, part: &str) -> crate::memo::Hash {
    // A NUL first: no file's own key (its text) starts so, as no file
    // with a NUL is ever read.
    memo.hasher().update(b"\0a part\0").update(part.as_bytes()).finish()
}

/// `tree`, read from a text of its own, with its spans moved to `offset`
/// (the same writing and reading as an entry's); `None` only for an
/// offset past any file's.
pub(super) fn moved(file: FileId, tree: &ast::SourceFile, offset: usize) -> Option<ast::SourceFile> {
    let bytes = remember(tree)?;
    crate::diagnostics::at_base(u32::try_from(offset).ok()?, || read_back(file, &bytes))
}

/// A tree as an entry holds it.
fn remember(tree: &ast::SourceFile) -> Option<Vec<u8>> {
    postcard::to_stdvec(tree).ok()
}

/// An entry's tree, every span in `file`; `None` when it does not decode
/// (or leaves bytes over).
fn read_back(file: FileId, bytes: &[u8]) -> Option<ast::SourceFile> {
    crate::diagnostics::read_as(file, || match postcard::take_from_bytes::<ast::SourceFile>(bytes) {
        Ok((tree, [])) => Some(tree),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example and test model that parses cleanly: the tree read
    /// back, under another file id, is the tree parsed under that id.
    #[test]
    fn a_remembered_tree_is_the_tree_parsed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut stack = vec![root.join("examples"), root.join("tests/models")];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "ddd") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() > 10, "{files:?}");
        let dir = tempfile::tempdir().unwrap();
        let mut remembered = 0;
        for path in &files {
            let text = std::fs::read_to_string(path).unwrap();
            let parsed = parse(FileId(3), &text);
            let expected = parse(FileId(7), &text);
            let Some(tree) = parsed.file.filter(|_| parsed.diagnostics.is_empty()) else { continue };
            let bytes = remember(&tree).expect("encodes");
            assert_eq!(read_back(FileId(7), &bytes), expected.file, "{}", path.display());
            assert_eq!(read_back(FileId(7), &bytes[..bytes.len() - 1]), None, "{}", path.display());
            remembered += 1;
            // Through the memo: put by one run, read by the next (a file
            // of several contexts by part, in a debug build).
            let first = Memo::open(dir.path(), FOLDER).unwrap();
            assert_eq!(parse_remembered(FileId(3), &text, &first).file.as_ref(), Some(&tree));
            first.save();
            let second = Memo::open(dir.path(), FOLDER).unwrap();
            match super::super::parts(&text) {
                None => {
                    let key = second.hasher().update(text.as_bytes()).finish();
                    assert_eq!(second.get_bytes(&key).as_deref(), Some(bytes.as_slice()), "{}", path.display());
                }
                Some(parts) => {
                    for part in parts {
                        let key = part_key(&second, &text[part]);
                        assert!(second.get_bytes(&key).is_some(), "{}", path.display());
                    }
                }
            }
            assert_eq!(parse_remembered(FileId(7), &text, &second).file, expected.file);
        }
        assert!(remembered > 10, "{remembered} of {} files remembered", files.len());
    }

    /// 23 KiB of a context's documentation: three contexts are a file
    /// read in parts, each a part of its own, in a release build too
    /// (parts from 64 KiB, a context of 4 KiB its own part) and not only
    /// in a debug build's (from 1 byte, every context a part).
    fn padding() -> String {
        "/// A line of documentation, long enough that three contexts make 64 KiB or more.\n".repeat(280)
    }

    /// One file of a head and three contexts, the second `extra` longer.
    fn three_contexts(extra: &str) -> String {
        let context = |name: &str, doc: &str, extra: &str| {
            let padding = padding();
            format!("/// {doc}\n{padding}context {name} {{\n  /// A thing.\n  aggregate A {{\n    /// X.\n    x: int{extra}\n  }}\n}}\n\n")
        };
        format!(
            "model m {{\n  target postgres 16\n}}\n\n{}{}{}",
            context("a", "Context a.", ""),
            context("b", "Context b.", extra),
            context("c", "Context c.", "")
        )
    }

    /// A file read in parts is remembered by part; after an edit of one
    /// part, the others are read back (those after it where they now
    /// start), and the tree is the edited file's, span for span.
    #[test]
    fn a_file_in_parts_is_remembered_by_part_and_read_back_where_it_moved() {
        let text = three_contexts("");
        let edited = three_contexts("\n    /// Y.\n    y: text");
        let moved = edited.len() - text.len();
        let parts = super::super::parts(&text).expect("parts");
        assert_eq!(parts.len(), 4, "{parts:?}");
        assert!(text[parts[3].clone()].starts_with(&format!("/// Context c.\n{}context c {{", padding())), "{parts:?}");
        let keys = |dir: &std::path::Path| -> std::collections::HashSet<String> {
            crate::memo::stored(dir, FOLDER).into_iter().map(|s| s.key).collect()
        };

        let dir = tempfile::tempdir().unwrap();
        let first = Memo::open(dir.path(), FOLDER).unwrap();
        let parsed = parse_remembered(FileId(2), &text, &first);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        assert_eq!(parsed.file, parse(FileId(2), &text).file);
        assert_eq!(first.hits(), 0);
        first.save();
        assert_eq!(keys(dir.path()).len(), 4);

        let second = Memo::open(dir.path(), FOLDER).unwrap();
        let read = parse_remembered(FileId(5), &edited, &second).file.expect("a tree");
        assert_eq!(second.hits(), 3, "the head, context a and context c read back");
        assert_eq!(Some(&read), parse(FileId(5), &edited).file.as_ref());
        let ast::TopItem::Context(c) = &read.items[3] else { panic!("{:?}", read.items[3]) };
        let doc = c.doc.as_ref().expect("a doc");
        assert!(doc.text.starts_with("Context c.\nA line of documentation"), "{}", doc.text);
        assert_eq!(doc.span.file, FileId(5));
        assert_eq!(doc.span.start as usize, parts[3].start + moved);
        assert!(edited[doc.span.range()].starts_with("/// Context c.\n///"));
        second.save();
        // The edited part's new text, beside the four of before.
        assert_eq!(keys(dir.path()).len(), 5);
        // An entry written from one base and read at another: every span
        // moves by the difference.
        let tree = super::super::parse_part(FileId(2), &text, parts[3].clone()).expect("reads");
        let bytes = crate::diagnostics::at_base(parts[3].start as u32, || remember(&tree)).expect("encodes");
        let at_edited = crate::diagnostics::at_base((parts[3].start + moved) as u32, || read_back(FileId(5), &bytes));
        assert_eq!(at_edited.map(|t| t.items), Some(vec![read.items[3].clone()]));
        // A span before its base is not written.
        assert_eq!(crate::diagnostics::at_base(parts[3].start as u32 + 1, || remember(&tree)), None);
    }

    /// The cuts: before each top-level `context` line, with the `///` lines
    /// right above it; a part that does not read on its own (a cut inside a
    /// string, a block, or between a doc comment and what it documents)
    /// sends the whole file to the whole parse, which says what is wrong.
    #[test]
    fn a_file_is_cut_before_its_contexts_and_read_whole_when_a_part_does_not_read() {
        let text = three_contexts("");
        let parts = super::super::parts(&text).expect("parts");
        let starts: Vec<&str> = parts.iter().map(|r| text[r.clone()].lines().next().unwrap()).collect();
        assert_eq!(starts, ["model m {", "/// Context a.", "/// Context b.", "/// Context c."]);
        assert_eq!(parts.last().unwrap().end, text.len());
        // A multi-line string holding a line that starts a context: the cut
        // falls inside it, the part before it does not read, and the whole
        // file is read as one (here: cleanly, the string and all).
        let quoted = format!(
            "model m {{\n  target postgres 16\n}}\n{}{}context a {{\n  aggregate A {{\n    x: text = 'one\ncontext b {{\n'\n  }}\n}}\n",
            padding(),
            padding().repeat(2)
        );
        let quoted = quoted.as_str();
        let split = super::super::parts(quoted).expect("a cut");
        assert_eq!(split.len(), 3);
        assert!(quoted[split[1].clone()].ends_with("'one\n"), "{split:?}");
        assert_eq!(super::super::parse_part(FileId(0), quoted, split[1].clone()), None);
        let whole = parse(FileId(0), quoted);
        let dir = tempfile::tempdir().unwrap();
        let memo = Memo::open(dir.path(), FOLDER).unwrap();
        let remembered = parse_remembered(FileId(0), quoted, &memo);
        assert_eq!((&remembered.file, &remembered.diagnostics), (&whole.file, &whole.diagnostics));
        // A broken line in one part: the diagnostics are the whole file's.
        let broken = three_contexts("\n    oops here");
        let parsed = parse_remembered(FileId(0), &broken, &memo);
        let whole = parse(FileId(0), &broken);
        assert!(!whole.diagnostics.is_empty());
        assert_eq!(parsed.diagnostics, whole.diagnostics);
        assert_eq!(parsed.file, whole.file);
        // A doc comment cut from its context by a blank line documents
        // nothing, in parts as in the whole.
        let loose = three_contexts("").replace("/// Context b.\n", "/// Context b.\n\n");
        let parsed = parse_remembered(FileId(0), &loose, &memo);
        assert_eq!(parsed.diagnostics, parse(FileId(0), &loose).diagnostics);
        assert!(parsed.diagnostics.iter().any(|d| d.message.contains("documents nothing")), "{:?}", parsed.diagnostics);
        memo.save();
        // Nothing of the broken files was remembered; the clean parts were.
        assert!(crate::memo::stored(dir.path(), FOLDER).len() >= 3);
    }
}
